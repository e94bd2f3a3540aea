/* What a trade policy of MODEL.md section 5 is: its kind, regions and parameters. */
#ifndef TB_POLICY_H
#define TB_POLICY_H

#include <stdint.h>

#define TB_MAX_POLICY_REGIONS 256

enum { TB_POLICY_NONE = 0, TB_POLICY_TARIFF = 1, TB_POLICY_CERTIFICATES = 2 };
enum { TB_REGIONS_HOME = 0, TB_REGIONS_ALL = 1, TB_REGIONS_LIST = 2 };

/* One trade policy of MODEL.md section 5 (the config reads it from [policy.NAME]). */
typedef struct {
  char name[64];
  int kind;
  int region_mode; /* TB_REGIONS_*: the /io home region (default), every region, or a list */
  int nregions;
  int32_t regions[TB_MAX_POLICY_REGIONS];
  double rate;        /* tariff: ad valorem tau */
  double issue_ratio; /* certificates: q, issued per unit of exports (config key `ratio`) */
  int64_t expiry;     /* certificates: E periods of validity */
  double floor_price; /* certificates: P_min */
} tb_policy;

#endif
