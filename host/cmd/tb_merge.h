/* `tradebal merge`: a sweep's shard files joined into one. */
#ifndef TB_MERGE_H
#define TB_MERGE_H
/* `tradebal merge -o OUT SHARD...`: every file a shard of the same sweep, in order. Collective. */
int tb_merge(const char *out, int nfiles, char *const *files, int overwrite);
#endif
