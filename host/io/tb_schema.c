/* The input and output tables of MODEL.md sections 1 and 11 (see tb_schema.h). */
#include "tb_schema.h"
#include "tb_version.h"

#include "tb_error.h"

#include <math.h>
#include <string.h>

#define N TB_DIM_N
#define M TB_DIM_M
#define P TB_DIM_P
#define C TB_DIM_C
#define F TB_DIM_F
#define E TB_DIM_E
#define R TB_DIM_R
#define T TB_DIM_T
#define S TB_DIM_S
#define K TB_DIM_CONST
#define I TB_CLASS_INT
#define D TB_CLASS_FLOAT
#define NO TB_DIM_NONE
#define INF INFINITY

/* In the order the validator reads them; a missing optional dataset takes its default. */
const tb_input_field tb_input_fields[] = {
    {"/entities/type", I, 0, 1, {N}, {0}, 1, 0, 3, NO, 0, 0, "type in 0..3",
     "0 government, 1 corporate, 2 ngo, 3 civilian"},
    {"/entities/region", I, 0, 1, {N}, {0}, 1, 0, 0, R, 0, 0, "region in 0..R-1", "the entity's region"},
    {"/entities/weights", D, 0, 2, {N, K}, {0, 4}, 0, 0, 0, NO, 0, 0,
     "weights are finite and >= 0; row sum 1 within 1e-6; kappa_e = f_e(0) > 0",
     "sub-dimension weights w_e of the entity's type (section 2)"},
    {"/entities/discount_rate", D, 0, 1, {N}, {0}, 1, -1, INF, NO, 1, 0, "r_e > -1 and finite",
     "r_e, per period"},
    {"/entities/risk_aversion", D, 0, 1, {N}, {0}, 1, 0, INF, NO, 0, 0, "rho_e >= 0 and finite",
     "rho_e: a component is worth p^(1 + rho_e) of its present value"},
    {"/entities/pay_cap", D, 0, 1, {N}, {0}, 1, 0, INF, NO, 0, 1, "cap_e >= 0 (may be +inf)",
     "most money (million USD) the entity can pay out in one deal"},
    {"/entities/bargaining_weight", D, 1, 1, {N}, {0}, 1, 0, INF, NO, 1, 0, "beta_e > 0 and finite",
     "beta_e of the surplus split; default 1"},
    {"/deals/importer", I, 0, 1, {M}, {0}, 0, 0, 0, NO, 0, 0, "a party index 0..k-1 of the deal",
     "party (0-based within the deal) that pays import costs"},
    {"/deals/party_ptr", I, 0, 1, {M}, {1}, 0, 0, 0, NO, 0, 0,
     "CSR pointers from 0 to P; 2 to 255 parties per deal; no entity twice in one deal",
     "CSR into the parties, per deal"},
    {"/deals/party_entity", I, 0, 1, {P}, {0}, 1, 0, 0, N, 0, 0, "entity id in 0..N-1", "entity of each party"},
    {"/deals/comp_ptr", I, 0, 1, {P}, {1}, 0, 0, 0, NO, 0, 0, "CSR pointers from 0 to C, non-decreasing",
     "CSR into the components, per party"},
    {"/deals/comp_dim", I, 0, 1, {C}, {0}, 1, 0, 4, NO, 0, 0, "dimension in 0..4",
     "0 economic, 1 social, 2 environmental, 3 security, 4 other"},
    {"/deals/comp_prob", D, 0, 1, {C}, {0}, 1, 0, 1, NO, 0, 0, "p_c in [0,1]", "probability the component happens"},
    {"/deals/flow_ptr", I, 0, 1, {C}, {1}, 0, 0, 0, NO, 0, 0, "CSR pointers from 0 to F, non-decreasing",
     "CSR into the cash flows, per component"},
    {"/deals/flow_period", I, 0, 1, {F}, {0}, 1, 0, 2147483647.0, NO, 0, 0, "t >= 0",
     "period of the flow, relative to the deal's start"},
    {"/deals/flow_amount", D, 0, 1, {F}, {0}, 1, -INF, INF, NO, 0, 0, "a_f finite", "a_f, million USD, any sign"},
    {"/deals/period", I, 0, 1, {M}, {0}, 1, 0, 0, T, 0, 0, "period in 0..T-1", "market period in which the deal trades"},
    {"/deals/sector", I, 0, 1, {M}, {0}, 1, 0, 0, S, 0, 0, "sector in 0..S-1", "IO sector of the traded goods"},
    {"/deals/export_region", I, 0, 1, {M}, {0}, 1, 0, 0, R, 0, 0, "region in 0..R-1", "region the goods leave"},
    {"/deals/import_region", I, 0, 1, {M}, {0}, 1, -1, 0, R, 0, 0, "region in 0..R-1 or -1",
     "region the goods enter; -1: no border crossing"},
    {"/deals/trade_value", D, 0, 1, {M}, {0}, 1, 0, INF, NO, 0, 0, "m_d >= 0 and finite",
     "m_d, million USD of goods crossing the border"},
    {"/deals/cost", D, 0, 1, {M}, {0}, 1, 0, INF, NO, 0, 0, "k_d >= 0 and finite",
     "k_d, project-preparation cost (million USD) to fund before the deal can trade; 0: none"},
    {"/model/translation", D, 1, 3, {K, K, K}, {4, 4, 4}, 0, 0, 0, NO, 0, 0, "finite and >= 0",
     "T[type][dim][k] for dims 0..3; default: MODEL.md section 2's table"},
    {"/network/col", I, 0, 1, {E}, {0}, 1, 0, 0, N, 0, 0, "entity id in 0..N-1", "target of each edge"},
    {"/network/ptr", I, 0, 1, {N}, {1}, 0, 0, 0, NO, 0, 0, "CSR pointers from 0 to E, non-decreasing",
     "CSR into the edges, by source entity"},
    {"/network/weight", D, 0, 1, {E}, {0}, 1, 0, INF, NO, 0, 0, "weight >= 0 and finite", "w_ij of each edge"},
    {"/trade/base_exports", D, 0, 2, {R, T}, {0, 0}, 1, 0, INF, NO, 0, 0, ">= 0 and finite",
     "aggregate exports (million USD) not represented by deals"},
    {"/trade/base_imports", D, 0, 2, {R, T}, {0, 0}, 1, 0, INF, NO, 0, 0, ">= 0 and finite",
     "aggregate imports (million USD) not represented by deals"},
    {"/io/A", D, 0, 2, {S, S}, {0, 0}, 0, 0, 0, NO, 0, 0, "A >= 0 and finite; every column sum < 1",
     "technical coefficients of the home economy (row: supplying sector, column: using sector)"},
    {"/io/value_added", D, 0, 1, {S}, {0}, 1, -INF, INF, NO, 0, 0, "finite", "value added per unit of output"},
    {"/io/employment", D, 0, 1, {S}, {0}, 1, 0, INF, NO, 0, 0, ">= 0 and finite", "jobs per million USD of output"},
    {"/io/import_share", D, 0, 1, {S}, {0}, 1, 0, 1, NO, 0, 0, "share in [0,1]",
     "share of base imports by sector; the shares sum to 1 within 1e-6"},
};
const int tb_input_nfields = (int)(sizeof tb_input_fields / sizeof tb_input_fields[0]);

const tb_input_field *tb_input_field_find(const char *name) {
  for (int i = 0; i < tb_input_nfields; i++)
    if (!strcmp(tb_input_fields[i].name, name)) return &tb_input_fields[i];
  return NULL;
}

int tb_input_field_range(const char *name, const int64_t *size, tb_rule_range *R, int64_t *nrows) {
  const tb_input_field *f = tb_input_field_find(name);
  if (!f || !f->range) return TB_ERR(TB_ERR_INTERNAL, "%s: no range rule in tb_input_fields", name);
  int64_t ncols = 1;
  for (int k = 1; k < f->rank; k++) ncols *= f->sym[k] == TB_DIM_CONST ? f->plus[k] : size[f->sym[k]] + f->plus[k];
  const double hi = f->hi_dim == TB_DIM_NONE ? f->hi : (double)size[f->hi_dim] - 1;
  *R = (tb_rule_range){f->name, f->cls == TB_CLASS_INT, f->lo, hi, f->lo_open, f->inf_ok, f->rule, ncols};
  *nrows = size[f->sym[0]] + f->plus[0];
  return TB_OK;
}

enum { IN = TB_FILE_INPUT, RUN = TB_FILE_RUN, SW = TB_FILE_SWEEP, MA = TB_FILE_MATCH, RS = RUN | SW };
#define ROOT_ATTRS(files)                                                                         \
  {files, "/@software", "string", "", "always", "`tradebal`"},                                    \
  {files, "/@version", "string", "", "always", "tradebal's version"},                             \
  {files, "/@format_version", "i64", "", "always", "version of this layout (tradebal --version)"}, \
  {files, "/@ranks", "i64", "", "always", "MPI ranks of the run"}

const tb_output_item tb_output_items[] = {
    ROOT_ATTRS(RS | MA),
    {RS, "/@created", "string", "", "always", "ISO 8601 time the run started"},
    {RS, "/@config", "string", "", "always", "the resolved configuration (INI text)"},
    {RS, "/@backend", "string", "", "always", "`cpu` or `cuda`"},
    {RS, "/@input_sha256", "string", "", "always", "SHA-256 of the input file"},
    {MA, "/@command", "string", "", "always", "`match`"},
    {IN, "/@software", "string", "", "generated", "`tradebal generate`"},
    {IN, "/@version", "string", "", "generated", "tradebal's version"},
    {IN, "/@seed", "i64", "", "generated", "the generator's seed"},
    {IN, "/io@region", "i32", "", "always", "the home region: the economy /io describes"},
    {RUN, "/deals/value", "f64", "[P]", "always", "V_{d,e} per party (section 2)"},
    {RUN, "/deals/status", "u8", "[M]", "always", "0 WIN_WIN, 1 REPAIRABLE, 2 NOT_WIN_WIN (section 3)"},
    {RUN, "/deals/surplus", "f64", "[M]", "always", "S_d, money-equivalent value the deal creates"},
    {RUN, "/deals/bid", "f64", "[M]", "always", "b_d, highest import premium per unit the deal bears (+inf where m_d = 0)"},
    {RUN, "/deals/funded", "u8", "[M]", "always", "1 funded or no cost, 0 unfunded opportunity (section 4)"},
    {RUN, "/deals/outcome", "u8", "[M]", "always",
     "recommended policy: 0 traded, 1 not win-win, 2 unfunded, 3 blocked by certificates, 4 blocked by tariff"},
    {RUN, "/deals/transfer", "f64", "[P]", "always", "tau_e of the recommended policy's run (0 where not traded)"},
    {RUN, "/deals/final_value", "f64", "[P]", "always", "V''_{d,e} of the recommended policy's run (V where not traded)"},
    {RUN, "/entities/direct_value", "f64", "[N]", "always", "b: value from trading deals (recommended policy)"},
    {RUN, "/entities/network_value", "f64", "[N]", "always", "x = b + alpha W~^T x (section 6)"},
    {RUN, "/entities/centrality", "f64", "[N]", "always", "strength centrality C_i"},
    {RUN, "/entities/influence", "f64", "[N]", "always", "I_i = C_i sqrt(sum of C_j over i's out-neighbours)"},
    {RUN, "/entities@network_iterations", "i64", "", "always", "Jacobi iterations used"},
    {RUN, "/entities@network_converged", "i64", "", "always", "1 when the iteration met network.tol"},
    {RUN, "/entities@network_residual", "string", "", "always", "final relative L1 change"},
    {RUN, "/regions/exports", "f64", "[R,T]", "always", "base exports + traded deal exports"},
    {RUN, "/regions/imports", "f64", "[R,T]", "always", "base imports served + traded deal imports"},
    {RUN, "/regions/balance", "f64", "[R,T]", "always", "exports - imports"},
    {RUN, "/regions/cert_price", "f64", "[R,T]", "always", "certificate price P* (0 where no certificates trade)"},
    {RUN, "/regions/cert_issued", "f64", "[R,T]", "always", "certificates issued"},
    {RUN, "/regions/cert_used", "f64", "[R,T]", "always", "certificates used"},
    {RUN, "/regions/cert_expired", "f64", "[R,T]", "always", "certificates expired unused"},
    {RUN, "/regions/base_imports_served", "f64", "[R,T]", "always", "D_base(P*) or D_base(tau)"},
    {RUN, "/regions@home", "i64", "", "always", "the home region (the input's /io region attribute)"},
    {RUN, "/io/multipliers", "f64", "[S]", "always", "output multipliers m_j = sum_i L_ij (section 7)"},
    {RUN, "/opportunities/deal", "i64", "[O]", "always", "undervalued opportunities, ranked by u^B descending"},
    {RUN, "/opportunities/ratio", "f64", "[O]", "always", "u^B = (1 - margin) S_d / k_d"},
    {RUN, "/opportunities/funded", "u8", "[O]", "always", "1 when funded within the budget"},
    {RUN, "/opportunities/sector_index", "f64", "[S]", "always", "sector opportunity index (NaN where a sector has none)"},
    {RUN, "/opportunities@opportunities", "i64", "", "always", "deals with k_d > 0"},
    {RUN, "/opportunities@funded_count", "i64", "", "always", "opportunities funded"},
    {RS, "/policies/names", "string", "[Q]", "always", "policy names, `none` first"},
    {RUN, "/policies/metrics", "f64", "[Q,15]", "always",
     "per policy, columns named by attribute `columns`: GDP, Jobs, Balance, Surplus, traded, blocked, unfunded, "
     "tariff_revenue, network_multiplier, WAR, WAR_B, q05, q95, not_win_win, mean_cert_price"},
    {RUN, "/policies/metrics@columns", "string", "[15]", "always", "column names"},
    {RUN, "/policies/deltas", "f64", "[Q,8]", "always", "the first 8 metrics minus those of `none`"},
    {RUN, "/policies/deltas@columns", "string", "[8]", "always", "column names"},
    {RUN, "/policies/draw_levels", "f64", "[K,Q]", "assessment.draws > 0", "level Y of every draw and policy"},
    {RUN, "/policies@recommended", "string", "", "always", "the policy with the largest WAR_B"},
    {RUN, "/policies@draws", "i64", "", "always", "K"},
    {RUN, "/policies@seed", "i64", "", "always", "assessment.seed"},
    {RUN, "/policies@sigma_rep", "string", "", "always", "stddev of the `none` level over the draws (%.17g)"},
    {RUN, "/policies@sigma_rep_fallback", "i64", "", "always", "1 when sigma_rep was 0 and WAR used 1"},
    {RUN, "/policies/<policy>/deals/outcome", "u8", "[M]", "always", "that policy's outcome per deal"},
    {RUN, "/policies/<policy>/regions/exports", "f64", "[R,T]", "always", "as /regions/exports, for that policy"},
    {RUN, "/policies/<policy>/regions/imports", "f64", "[R,T]", "always", "as /regions/imports"},
    {RUN, "/policies/<policy>/regions/balance", "f64", "[R,T]", "always", "as /regions/balance"},
    {RUN, "/policies/<policy>/regions/cert_price", "f64", "[R,T]", "always", "as /regions/cert_price"},
    {RUN, "/policies/<policy>/regions/cert_issued", "f64", "[R,T]", "always", "as /regions/cert_issued"},
    {RUN, "/policies/<policy>/regions/cert_used", "f64", "[R,T]", "always", "as /regions/cert_used"},
    {RUN, "/policies/<policy>/regions/cert_expired", "f64", "[R,T]", "always", "as /regions/cert_expired"},
    {RUN, "/policies/<policy>/regions/base_imports_served", "f64", "[R,T]", "always", "as /regions/base_imports_served"},
    {SW, "/scenarios/index", "i64", "[n]", "sweep", "scenario number of each row (a shard holds a slice)"},
    {SW, "/scenarios/params", "f64", "[n,J]", "sweep", "the swept parameters' values"},
    {SW, "/scenarios/params@names", "string", "[J]", "sweep", "parameter keys"},
    {SW, "/scenarios/metrics", "f64", "[n,15Q]", "sweep", "every policy's metrics row, as POLICY/COLUMN"},
    {SW, "/scenarios/metrics@columns", "string", "[15Q]", "sweep", "column names"},
    {SW, "/scenarios/recommended", "i64", "[n]", "sweep", "index of the recommended policy in each scenario"},
    {SW, "/scenarios/recommended@policies", "string", "[Q]", "sweep", "policy names"},
    {SW, "/scenarios@method", "string", "", "sweep", "sweep.method"},
    {SW, "/scenarios@scenarios", "i64", "", "sweep", "scenarios of the whole sweep"},
    {SW, "/scenarios@shard", "i64", "", "sweep", "this file's shard"},
    {SW, "/scenarios@shards", "i64", "", "sweep", "shards of the sweep"},
    {SW, "/sensitivity/spearman", "f64", "[J,15Q]", "sweep", "Spearman rank correlation per (parameter, metric)"},
    {SW, "/sensitivity/src", "f64", "[J,15Q]", "sweep", "standardised regression coefficient per (parameter, metric)"},
    {SW, "/sensitivity/elasticity", "f64", "[J,15Q]", "method oat", "elasticity at the centre point"},
    {SW, "/sensitivity/<table>@parameters", "string", "[J]", "sweep", "row names of spearman, src, elasticity"},
    {SW, "/sensitivity/<table>@metrics", "string", "[15Q]", "sweep", "column names of spearman, src, elasticity, src_r2"},
    {SW, "/sensitivity/src_r2", "f64", "[15Q]", "sweep", "R^2 of each metric's regression"},
    {MA, "/trades/buy_order", "i64", "[X]", "always", "order index of the buyer, region by region in execution order"},
    {MA, "/trades/sell_order", "i64", "[X]", "always", "order index of the seller"},
    {MA, "/trades/region", "i32", "[X]", "always", "region of the trade"},
    {MA, "/trades/price", "f64", "[X]", "always", "the resting order's price"},
    {MA, "/trades/quantity", "f64", "[X]", "always", "certificates moved"},
    {MA, "/trades/time", "f64", "[X]", "always", "time of the incoming order"},
    {MA, "/orders/status", "u8", "[K]", "always",
     "0 accepted, 1 quantity <= 0, 2 price < 0, 3 seller without enough free certificates"},
    {MA, "/orders/filled", "f64", "[K]", "always", "quantity filled"},
    {MA, "/market/holdings", "f64", "[N,R]", "always", "holdings after matching"},
    {MA, "/regions/volume", "f64", "[R]", "always", "certificates traded per region"},
    {MA, "/regions/vwap", "f64", "[R]", "always", "volume-weighted average price (NaN where nothing traded)"},
};
const int tb_output_nitems = (int)(sizeof tb_output_items / sizeof tb_output_items[0]);

/* `pattern` with each "<x>" matching one path component (no '/'). */
static int matches(const char *pattern, const char *name) {
  while (*pattern) {
    if (*pattern == '<') {
      const char *close = strchr(pattern, '>');
      if (!close || !*name || *name == '/' || *name == '@') return 0;
      while (*name && *name != '/' && *name != '@') name++;
      pattern = close + 1;
      continue;
    }
    if (*pattern++ != *name++) return 0;
  }
  return *name == 0;
}

int tb_schema_declared(int file, const char *name) {
  if (file == TB_FILE_INPUT && tb_input_field_find(name)) return 1;
  for (int i = 0; i < tb_output_nitems; i++)
    if ((tb_output_items[i].files & file) && matches(tb_output_items[i].name, name)) return 1;
  return 0;
}

static void shape_of(const tb_input_field *f, char *out) {
  char *p = out;
  *p++ = '[';
  for (int k = 0; k < f->rank; k++) {
    if (k) *p++ = ',';
    if (f->sym[k] == TB_DIM_CONST) p += sprintf(p, "%d", f->plus[k]);
    else p += sprintf(p, "%c%s", TB_DIM_SYMBOLS[f->sym[k]], f->plus[k] ? "+1" : "");
  }
  strcpy(p, "]");
}

static void output_table(FILE *out, int file, const char *title) {
  fprintf(out, "\n## %s\n\n| dataset or @attribute | type | shape | present | meaning |\n|---|---|---|---|---|\n", title);
  for (int i = 0; i < tb_output_nitems; i++) {
    const tb_output_item *o = &tb_output_items[i];
    if (o->files & file)
      fprintf(out, "| `%s` | %s | %s | %s | %s |\n", o->name, o->type, o->shape[0] ? o->shape : "-", o->when,
              o->meaning);
  }
}

void tb_schema_doc(FILE *out) {
  fprintf(out, "# File formats\n\n"
               "Generated by `tradebal docs formats` from `host/io/tb_schema.c`: the validator checks inputs against\n"
               "the first table, and tradebal refuses to write a dataset or attribute that the output tables do\n"
               "not declare. The test `docs_current` fails when this file and the code differ.\n\n"
               "Sizes: N entities, M deals, P parties, C components, F cash flows, E edges, R regions, T periods,\n"
               "S sectors (MODEL.md section 1); O undervalued opportunities, Q policies, K draws, J swept\n"
               "parameters, n scenarios in the file, X trades. Money is in millions of USD. Integer datasets may\n"
               "use any integer type of up to 8 bytes and floating-point ones 4 or 8 bytes; tradebal converts\n"
               "exactly.\n\n## Input (`tradebal run`, `tradebal validate`)\n\n"
               "| dataset | type | shape | required | rule (as errors state it) | meaning |\n"
               "|---|---|---|---|---|---|\n");
  for (int i = 0; i < tb_input_nfields; i++) {
    const tb_input_field *f = &tb_input_fields[i];
    char shape[64];
    shape_of(f, shape);
    fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", f->name, f->cls == TB_CLASS_INT ? "int" : "float", shape,
            f->optional ? "optional" : "yes", f->rule, f->meaning);
  }
  fprintf(out, "\nAttributes:\n\n| attribute | type | meaning |\n|---|---|---|\n");
  for (int i = 0; i < tb_output_nitems; i++)
    if (tb_output_items[i].files & TB_FILE_INPUT)
      fprintf(out, "| `%s` | %s | %s%s |\n", tb_output_items[i].name, tb_output_items[i].type,
              tb_output_items[i].meaning, strcmp(tb_output_items[i].when, "always") ? " (written by generate)" : "");
  fprintf(out, "\nOnly these datasets may appear in the groups /entities, /deals, /model, /network, /trade and /io\n"
               "(a misspelt optional dataset would otherwise silently take its default), and only as hard links.\n"
               "Other groups and attributes are ignored, so importers may add names and provenance as attributes.\n");
  output_table(out, TB_FILE_RUN, "Output of `tradebal run`");
  fprintf(out, "\n`<policy>` is each policy's name as in `/policies/names`.\n");
  output_table(out, TB_FILE_SWEEP, "Output of `tradebal run` with a `[sweep]` (and of `tradebal merge`)");
  output_table(out, TB_FILE_MATCH, "Output of `tradebal match`");
  fprintf(out, "\n## Input of `tradebal match`\n\n"
               "`/market/holdings` [N,R] float (>= 0, finite) and `/market/orders/{entity, region, side}` int,\n"
               "`/market/orders/{quantity, price, time}` float, one entry per order (side 0 buy, 1 sell).\n");
}

/* ---- the same tables as JSON (`tradebal docs formats --json`; python/tradebal/formats.json) ---- */

static void json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(out, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(out, "\\u%04x", (unsigned)*s);
    else fputc(*s, out);
  }
  fputc('"', out);
}

/* "[R,T]" as ["R","T"]; "" (an attribute) as []. */
static void json_shape(FILE *out, const char *shape) {
  fputc('[', out);
  for (const char *p = shape; *p; p++) {
    if (*p == '[') fputc('"', out);
    else if (*p == ',') fputs("\",\"", out);
    else if (*p == ']') fputc('"', out);
    else fputc(*p, out);
  }
  fputc(']', out);
}

/* One item as a JSON object; rule: the validator's rule of an input dataset, NULL for the others. */
static void json_item(FILE *out, const char *name, const char *type, const char *shape, const char *when,
                      const char *meaning, const char *rule) {
  fputs("    {\"name\": ", out);
  json_str(out, name);
  fprintf(out, ", \"kind\": \"%s\", \"type\": ", strchr(name, '@') ? "attribute" : "dataset");
  json_str(out, type);
  fputs(", \"shape\": ", out);
  json_shape(out, shape);
  fputs(", \"when\": ", out);
  json_str(out, when);
  fputs(", \"meaning\": ", out);
  json_str(out, meaning);
  if (rule) {
    fputs(", \"rule\": ", out);
    json_str(out, rule);
  }
  fputc('}', out);
}

/* The output table's items of `file`, each after a separator unless it is the list's first. */
static void json_items(FILE *out, int file, int first) {
  for (int i = 0; i < tb_output_nitems; i++) {
    const tb_output_item *o = &tb_output_items[i];
    if (!(o->files & file)) continue;
    fputs(first ? "" : ",\n", out);
    json_item(out, o->name, o->type, o->shape, o->when, o->meaning, NULL);
    first = 0;
  }
}

void tb_schema_json(FILE *out) {
  fprintf(out, "{\n  \"generated_by\": \"tradebal docs formats --json (host/io/tb_schema.c); docs/formats.md\",\n"
               "  \"format_version\": %d,\n  \"input\": [\n", TB_FORMAT_VERSION);
  for (int i = 0; i < tb_input_nfields; i++) {
    const tb_input_field *f = &tb_input_fields[i];
    char shape[64];
    shape_of(f, shape);
    json_item(out, f->name, f->cls == TB_CLASS_INT ? "int" : "float", shape, f->optional ? "optional" : "required",
              f->meaning, f->rule);
    fputs(",\n", out);
  }
  json_items(out, TB_FILE_INPUT, 1);
  const char *key[] = {"run", "sweep", "match"};
  const int file[] = {TB_FILE_RUN, TB_FILE_SWEEP, TB_FILE_MATCH};
  for (int k = 0; k < 3; k++) {
    fprintf(out, "\n  ],\n  \"%s\": [\n", key[k]);
    json_items(out, file[k], 1);
  }
  fputs("\n  ]\n}\n", out);
}
