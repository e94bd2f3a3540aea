/* `tradebal match INPUT -o OUT`: the certificate exchange (continuous double auction). */
#ifndef TB_MATCH_H
#define TB_MATCH_H

int tb_match(const char *input, const char *output, int overwrite);

#endif
