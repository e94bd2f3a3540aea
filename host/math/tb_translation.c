#include "tb_translation.h"

/* MODEL.md section 2, rows: dimension economic, social, environmental, security;
 * columns: the type's four sub-dimensions. */
const double tb_default_translation[64] = {
    /* government */ .6, .2, .1, .1, .1, .3, .5, .1, .1, .4, .3, .2, .2, .4, .1, .3,
    /* corporate  */ .5, .3, .1, .1, .1, .1, .6, .2, .1, .2, .3, .4, .1, .1, .2, .6,
    /* ngo        */ .2, .3, .2, .3, .4, .4, .1, .1, .5, .3, .1, .1, .4, .3, .2, .1,
    /* civilian   */ .3, .5, .1, .1, .4, .1, .4, .1, .3, .2, .3, .2, .5, .1, .1, .3};

