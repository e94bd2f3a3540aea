/* Static files of [server] web_root (the dashboard) at the paths outside /v1. */
#ifndef TB_SERVE_STATIC_H
#define TB_SERVE_STATIC_H

#include "tb_serve.h"

/* The file for GET url (index.html for a folder) when it exists under web_root; 1 when r holds it. */
int tb_serve_static(tb_srv *S, const char *method, const char *url, tb_resp *r);

#endif
