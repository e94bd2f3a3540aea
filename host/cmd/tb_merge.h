#ifndef TB_MERGE_H
#define TB_MERGE_H
/* `tradebal merge -o OUT SHARD...`. Collective. */
int tb_merge(const char *out, int nfiles, char *const *files, int overwrite);
#endif
