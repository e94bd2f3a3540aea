/* Model constants of MODEL.md shared by every part of tradebal. */
#ifndef TB_TRANSLATION_H
#define TB_TRANSLATION_H
/* The default translation table T[type][dim][k] of section 2. */
extern const double tb_default_translation[64];
#endif
