/* What POST /v1/runs accepts, checked before anything is queued: the config parsed by the program's own
 * parser (tb_config) with the overrides applied, and every path (input, output, checkpoint folder)
 * inside the data root and outside the server's state folder. The answer names fields, never server
 * paths. */
#ifndef TB_SERVE_SUBMIT_H
#define TB_SERVE_SUBMIT_H

#include <jansson.h>

#include "tb_serve.h"
#include "tb_serve_store.h"

/* Check the config written at dir/config.ini with the overrides `set` (a JSON object, may be NULL):
 * on success *norm is the overrides as strings (paths normalised, the config's own path keys included),
 * and input, output (data-root-relative, "" when the config names none), *sweep and *overwrite what the
 * config says. On failure: -1 and a 400/403/404/422 problem in r. */
int tb_submit_config(tb_srv *S, const char *dir, json_t *set, json_t **norm, char *input, char *output, int *sweep,
                     int *overwrite, tb_resp *r);
/* The whole submission body into run (everything but the id-dependent defaults: output "" means
 * runs/ID/output.h5). dir holds the config. On failure: -1 and a problem in r. */
int tb_submit_check(tb_srv *S, json_t *body, const char *dir, tb_run *run, tb_resp *r);

#endif
