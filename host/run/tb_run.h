#ifndef TB_RUN_H
#define TB_RUN_H
#include "tb_config.h"
/* `tradebal run`: validate, evaluate every deal, fund, run the policies, write the output. Collective. */
int tb_run(const tb_config *cfg);
/* The same with a [sweep] (MODEL.md section 9): /scenarios and /sensitivity. Collective. */
int tb_sweep_run(const tb_config *cfg);
/* Refuse to clobber: existing output without overwrite, or output == input. Collective. */
int tb_output_check(const char *input, const char *output, int overwrite);
/* Temporary name beside the final output, identical on every rank. */
int tb_output_tmpname(const char *output, char *tmp, size_t size);
/* Rank 0 renames tmp to final after every rank closed it (collective), or removes it on failure. */
int tb_output_commit(const char *tmp, const char *final_path, int rc);
/* End of a command that writes tmp: close both files, agree on rc, commit or remove the output. */
#include "tb_h5.h"
int tb_output_finish(tb_h5 *out, tb_h5 *in, const char *tmp, const char *final_path, int have_out, int rc);
#endif
