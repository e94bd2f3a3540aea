/* `tradebal serve`: the command, the server's life (start, signals, stop) and its own endpoints (health,
 * metrics, the OpenAPI document, the dashboard's static files). */
#ifndef TB_SERVE_SERVER_H
#define TB_SERVE_SERVER_H

#include "tb_serve.h"

/* tradebal serve [-c CONFIG] [--set section.key=value]... | serve --routes | serve token ... | serve docs */
int tb_serve_main(int argc, char **argv);
/* Set up S from a checked config without listening (tests, the fuzz target); tb_serve_close undoes it. */
int tb_serve_open(tb_srv *S, const tb_serve_config *cfg, int with_jobs);
void tb_serve_close(tb_srv *S);

#endif
