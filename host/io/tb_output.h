/* Output file safety: never clobber by accident, never leave a partial file; and the root
 * attributes (provenance) every output carries. */
#ifndef TB_OUTPUT_H
#define TB_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "tb_h5.h"

/* Refuse to clobber: existing output without overwrite, or output == input. Collective. */
int tb_output_check(const char *input, const char *output, int overwrite);
/* Temporary name beside the final output, identical on every rank. */
int tb_output_tmpname(const char *output, char *tmp, size_t size);
/* Rank 0 renames tmp to final after every rank closed it (collective), or removes it on failure. */
int tb_output_commit(const char *tmp, const char *final_path, int rc);
/* End of a command that writes tmp: close both files, agree on rc, commit or remove the output. */
int tb_output_finish(tb_h5 *out, tb_h5 *in, const char *tmp, const char *final_path, int have_out, int rc);
/* Root attributes (software, version, created, config text, backend, ranks, input SHA-256). */
int tb_write_root_attrs_text(tb_h5 *o, const char *config, const char *backend, const char *sha, int64_t ranks);

#endif
