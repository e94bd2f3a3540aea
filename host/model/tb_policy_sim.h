/* MODEL.md section 5: one trade policy run period by period over this rank's deals,
 * with the certificate auctions cleared across ranks. */
#ifndef TB_POLICY_SIM_H
#define TB_POLICY_SIM_H

#include "tb_policy.h"
#include "tb_deal_table.h"
#include "tb_certificates.h"

/* Shared by every policy of a run: the eligible deals ordered by (period, import region,
 * bid descending) with running double-double sums of m_d, and the base trade. */
typedef struct {
  int64_t R, T, home, S; /* S: IO sectors */
  const double *base_exports, *base_imports; /* [R*T] */
  double epsilon;
  const tb_deal_table *deals;
  int64_t *order;  /* [neligible] local deal indices */
  int64_t *seg;    /* [R*T + 1]: market (t, r) is order[seg[t*R + r] .. seg[t*R + r + 1]) */
  double *prefix;  /* [2 * (neligible + R*T)]: per market, prefix sums of m_d in bid order */
  int64_t *pre0;   /* [R*T]: where a market's prefix sums start */
  /* [neligible] what the periods' pass reads of each deal, in book order, so it streams through
   * memory instead of gathering six columns at random; NULL once tb_market_book_compact ran */
  struct tb_book_deal *e;
} tb_market_book;

typedef struct tb_book_deal {
  double bid, m, S;
  int32_t exp, sector;
} tb_book_deal;

typedef struct {
  const char *name;
  int kind;
  double *exports, *imports, *balance, *price, *issued, *used, *expired, *base_served; /* [R*T] */
  uint8_t *outcome; /* [deals->n] */
  uint8_t *covered; /* [R]: 1 where the policy applies */
  int64_t traded, cert_blocked, tariff_blocked, unfunded, not_win_win; /* global */
  double surplus;        /* sum over traded deals of S_d - P m_d (money) */
  double tariff_revenue;
  double home_balance;   /* sum over periods of the home region's balance */
  double *home_exports, *home_imports; /* [S] traded deal exports and imports of home, by sector, all periods */
  double home_base_served;             /* base imports served to home, all periods */
  double gdp, jobs;                    /* section 7, filled by tb_impacts */
  double network_multiplier;           /* section 6 (sum x / sum b), filled by the run */
  double mean_cert_price; /* over the policy's certificate markets with a finite price; NaN if none */
  int64_t cert_markets_closed; /* markets where P* = +inf */
} tb_policy_result;

int tb_market_book_build(tb_market_book *B, const tb_deal_table *deals, int64_t R, int64_t T, int64_t S, int64_t home,
                         const double *base_exports, const double *base_imports, double epsilon);
void tb_market_book_free(tb_market_book *B);
/* Drop what only policy runs read (the streamed deal records); premiums and demand still work. */
void tb_market_book_compact(tb_market_book *B);
/* Clears n certificate auctions of period t, market i in region[i] with A[i] (section 5), into
 * Pstar; pairs: scratch of 2n. Collective. */
int tb_market_book_clear(const tb_market_book *B, int64_t t, int n, const int64_t *region, const tb_auction *A,
                         double *pairs, double *Pstar);

/* A usage error when a listed region is not below R (`input` names the file in the message). */
int tb_policy_check_regions(const tb_policy *p, int64_t R, const char *input);
/* Run policy `p` (regions resolved against R and home). Collective. */
int tb_policy_run(const tb_market_book *B, const tb_policy *p, tb_policy_result *out);

/* Safe points inside one policy run: after every `every` periods (not after the last) `at` gets the
 * periods done and the run's packed state (counts, sums, certificate ledgers); a non-zero return ends
 * the run with that code. With `from` > 0 the run continues after `from` periods from `state`, its
 * result `out` holding that point's arrays (allocated by the caller, as a checkpoint restored them). */
typedef struct {
  int64_t every;
  int (*at)(void *ctx, int64_t periods, const void *state, int64_t bytes);
  void *ctx;
  int64_t from;
  const void *state;
  int64_t bytes;
} tb_policy_blocks;
int tb_policy_run_blocks(const tb_market_book *B, const tb_policy *p, tb_policy_result *out,
                         const tb_policy_blocks *k);
void tb_policy_result_free(tb_policy_result *r);
/* Free the per-deal and per-region arrays, keeping the totals and the home region's sector
 * vectors (all a Monte Carlo draw needs for section 7 and its level). */
void tb_policy_result_keep_totals(tb_policy_result *r);
/* The import premium deal i pays under a result (0 if none), NaN if it does not trade. */
double tb_policy_premium(const tb_market_book *B, const tb_policy_result *r, int64_t i);

#endif
