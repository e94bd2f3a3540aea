/* Config parsing: defaults, file keys, --set overrides, and the errors. */
#include "tb_config.h"
#include "tb_error.h"
#include "tb_test.h"

#include <math.h>
#include <string.h>

static int load_text(tb_config *c, const char *text) {
  const char *path = "test_config_tmp.ini";
  FILE *fp = fopen(path, "w");
  fputs(text, fp);
  fclose(fp);
  tb_config_defaults(c);
  return tb_config_load(c, path);
}

int main(void) {
  tb_config c;
  tb_config_defaults(&c);
  CHECK(c.deal.value_rule == TB_VALUE_EXPECTED && c.deal.split_rule == TB_SPLIT_NASH &&
            c.deal.split_scope == TB_SCOPE_REPAIR && c.deal.other_factor == 0.5 && c.batch_deals == 1048576,
        "defaults");
  CHECK(load_text(&c, "[input]\nfile = data/in.h5\n[split]\nrule = egalitarian\nscope = all\n"
                      "[model]\nother_factor = 0.25\nvalue_rule = min_adjusted\n") == TB_OK,
        "valid file: %s", tb_error_message());
  CHECK(!strcmp(c.input_file, "data/in.h5"), "relative path kept relative to the config's folder (cwd here): %s", c.input_file);
  CHECK(c.deal.split_rule == TB_SPLIT_EGALITARIAN && c.deal.split_scope == TB_SCOPE_ALL, "enums");
  CHECK(c.deal.other_factor == 0.25 && c.deal.value_rule == TB_VALUE_MIN_ADJUSTED, "double and enum");
  CHECK(tb_config_set(&c, "split.rule=none") == TB_OK && c.deal.split_rule == TB_SPLIT_NONE, "--set");
  CHECK(tb_config_set(&c, "run.batch_deals=1000") == TB_OK && c.batch_deals == 1000, "--set int");
  CHECK(tb_config_set(&c, "split.rul=none") == TB_ERR_USAGE && strstr(tb_error_message(), "unknown key"),
        "unknown --set key: %s", tb_error_message());
  CHECK(tb_config_set(&c, "split.rule=fair") == TB_ERR_USAGE && strstr(tb_error_message(), "nash|egalitarian|none"),
        "bad enum lists the choices: %s", tb_error_message());
  CHECK(tb_config_set(&c, "run.batch_deals=0") == TB_ERR_USAGE, "batch_deals >= 1");
  CHECK(tb_config_set(&c, "model.other_factor=nan") == TB_ERR_USAGE, "finite numbers only");
  CHECK(tb_config_set(&c, "nodot") == TB_ERR_USAGE, "malformed --set");
  CHECK(load_text(&c, "[split]\nrule = nash\nbogus = 1\n") == TB_ERR_USAGE &&
            strstr(tb_error_message(), "test_config_tmp.ini:3: unknown key [split] bogus"),
        "unknown key names file and line: %s", tb_error_message());
  CHECK(load_text(&c, "[model]\nother_factor = abc\n") == TB_ERR_USAGE, "bad number");
  char text[8192];
  load_text(&c, "[split]\nscope = all\n");
  CHECK(tb_config_dump(&c, text, sizeof text) == TB_OK && strstr(text, "[split]\nrule = nash\nscope = all\n"),
        "dump:\n%s", text);
  /* the dump parses back to the same configuration */
  tb_config d;
  CHECK(load_text(&d, text) == TB_OK && !memcmp(&c.deal, &d.deal, sizeof c.deal) && c.batch_deals == d.batch_deals,
        "dump round-trips: %s", tb_error_message());
  /* policies: named sections, --set policy.NAME.key, the baseline first, errors */
  CHECK(load_text(&c, "[policy.cert]\nkind = certificates\nregions = 0, 3 5\nratio = 0.8\nexpiry = 2\n"
                      "floor = 0.01\n[policy.tariff10]\nkind = tariff\nrate = 0.1\nregions = all\n"
                      "[funding]\nbudget = 250\n") == TB_OK, "policies: %s", tb_error_message());
  CHECK(c.npolicies == 3 && !strcmp(c.policy[0].name, "none") && c.policy[0].kind == TB_POLICY_NONE, "baseline first");
  CHECK(c.policy[1].kind == TB_POLICY_CERTIFICATES && c.policy[1].nregions == 3 && c.policy[1].regions[2] == 5 &&
            c.policy[1].issue_ratio == 0.8 && c.policy[1].expiry == 2 && c.policy[1].floor_price == 0.01, "certificates");
  CHECK(c.policy[2].kind == TB_POLICY_TARIFF && c.policy[2].region_mode == TB_REGIONS_ALL && c.budget == 250, "tariff");
  CHECK(tb_config_set(&c, "policy.tariff10.rate=0.25") == TB_OK && c.policy[2].rate == 0.25, "--set policy key");
  CHECK(tb_config_set(&c, "policy.cert.expiry=1.5") == TB_ERR_USAGE, "expiry is whole");
  CHECK(tb_config_set(&c, "policy.cert.kind=quota") == TB_ERR_USAGE && strstr(tb_error_message(), "none|tariff|certificates"),
        "bad kind: %s", tb_error_message());
  CHECK(tb_config_set(&c, "policy.bad name.kind=none") == TB_ERR_USAGE, "bad policy name");
  CHECK(tb_config_set(&c, "policy.cert.colour=red") == TB_ERR_USAGE && strstr(tb_error_message(), "unknown key [policy.cert] colour"),
        "unknown policy key: %s", tb_error_message());
  CHECK(tb_config_set(&c, "funding.budget=inf") == TB_OK && isinf(c.budget), "unlimited budget");
  CHECK(tb_config_set(&c, "model.other_factor=inf") == TB_ERR_USAGE, "inf only where allowed");
  tb_config_set(&c, "input.file=x.h5"), tb_config_set(&c, "output.file=y.h5");
  CHECK(tb_config_set(&c, "policy.none.kind=tariff") == TB_OK && tb_config_check(&c) == TB_ERR_USAGE, "baseline must be none");
  tb_config_set(&c, "policy.none.kind=none");
  CHECK(tb_config_dump(&c, text, sizeof text) == TB_OK && load_text(&d, text) == TB_OK && d.npolicies == 3 &&
            !memcmp(d.policy, c.policy, sizeof c.policy[0] * 3) && isinf(d.budget),
        "policies round-trip through the dump: %s", tb_error_message());
  remove("test_config_tmp.ini");
  return TEST_SUMMARY();
}
