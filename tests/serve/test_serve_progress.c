/* The run object's progress (docs/api.md, "The run object"): the parser of the program's progress lines and
 * the time-left estimate, on fixed log text (test_runs_progress.py follows a real run). */
#include "tb_serve_runner.h"
#include "tb_test.h"

#include <string.h>

static int parse(const char *text, tb_runner_progress *p) {
  memset(p, 0, sizeof *p);
  return tb_runner_progress_parse(text, strlen(text), p);
}

int main(void) {
  tb_runner_progress p;
  /* a run's log: the latest bar wins over earlier lines and over a later [checkpoint] line */
  const char *log = "# tradebal serve: run 3, attempt 1, local executor, at 2026-01-01T00:00:00Z\n"
                    "[run] validating the input (and hashing it on rank 0)\n"
                    "[deals] 84.00k/200.00k deals (42.0%), 41.02k deals/s, about 3 s\n"
                    "[deals] 148.00k/200.00k deals (74.0%), 36.32k deals/s, about 1 s\n"
                    "[checkpoint] 2 written to out.h5.ckpt (0.01 s)\n";
  CHECK(parse(log, &p) == 1, "a bar is found");
  CHECK(!strcmp(p.stage, "deals"), "stage %s", p.stage);
  CHECK_NEAR(p.done, 148000, 1e-12);
  CHECK_NEAR(p.total, 200000, 1e-12);
  CHECK_NEAR(p.percent, 74.0, 1e-12);
  CHECK_NEAR(p.left, 1, 1e-12);
  CHECK(p.each < 0, "a bar has no scenario time");
  CHECK(!strcmp(p.line, "[deals] 148.00k/200.00k deals (74.0%), 36.32k deals/s, about 1 s"), "line %s", p.line);

  /* a line still being written is not read yet */
  CHECK(parse("[deals] 84.00k/200.00k deals (42.0%), 41.02k deals/s, about 3 s\n[deals] 99", &p) == 1 &&
            p.percent == 42.0, "a partial last line is left for later: %g", p.percent);
  /* a finished stage (done in), a stage with a space, M suffixes and CRLF */
  CHECK(parse("[apply policy] 1.23M/1.23M deals (100.0%), 1.43M deals/s, done in 0 s\r\n", &p) == 1, "done in");
  CHECK(!strcmp(p.stage, "apply policy") && p.left == 0 && p.percent == 100.0, "%s %g %g", p.stage, p.left, p.percent);
  CHECK_NEAR(p.done, 1230000, 1e-12);
  /* a stage announcement after the bar: the numbers are unknown */
  CHECK(parse("[deals] 1/2 deals (50.0%), 1 deals/s, about 1 s\n[run] funding development opportunities\n", &p) == 1,
        "a [run] line");
  CHECK(!strcmp(p.stage, "run") && p.done < 0 && p.total < 0 && p.percent < 0 && p.left < 0 && p.each < 0,
        "[run]: %s %g %g %g", p.stage, p.done, p.total, p.percent);
  CHECK(!strcmp(p.line, "[run] funding development opportunities"), "line %s", p.line);
  /* a sweep's scenario */
  CHECK(parse("[sweep] group 0: scenario 3 (4 of 10) in 1.25 s, recommended t10\n", &p) == 1, "a sweep line");
  CHECK(!strcmp(p.stage, "sweep") && p.done == 4 && p.total == 10 && p.percent == 40 && p.each == 1.25,
        "sweep: %s %g/%g %g %g", p.stage, p.done, p.total, p.percent, p.each);
  /* not progress: other bracketed lines, a bar without numbers, an empty log, text without a newline */
  CHECK(parse("[mpiexec] something\n[deals] starting\n[run]\n[checkpoint] 1 written\ntradebal run: 2000 deals\n", &p) == 0,
        "no progress line");
  CHECK(parse("", &p) == 0 && parse("[run] no newline yet", &p) == 0, "nothing whole");
  CHECK(parse("[deals] 5/4x deals (10.0%)\n[deals] 1/2 deals (250.0%)\n", &p) == 0, "bad numbers");
  /* bytes outside printable ASCII are replaced (the answer is JSON; a path may be in any encoding) */
  CHECK(parse("[run] resuming from checkpoint 2 in caf\xc3\xa9/x\n", &p) == 1 && !strcmp(p.line, "[run] resuming "
        "from checkpoint 2 in caf?\?/x"), "line %s", p.line);

  /* the time left: a bar's own estimate less the line's age */
  parse("[deals] 84.00k/200.00k deals (42.0%), 41.02k deals/s, about 3 s\n", &p);
  CHECK_NEAR(tb_runner_progress_eta(&p, 1.0, 100.0), 2.0, 1e-12);
  CHECK_NEAR(tb_runner_progress_eta(&p, 5.0, 100.0), 0.0, 1e-12);
  parse("[apply policy] 1/1 deals (100.0%), 1 deals/s, done in 0 s\n", &p);
  CHECK_NEAR(tb_runner_progress_eta(&p, 0.5, 10.0), 0.0, 1e-12);
  /* a sweep: 4 scenarios in the 8 s up to the line (10 s elapsed, line 2 s old): 6 more at 2 s, less the 2 s
   * the fifth has run */
  parse("[sweep] group 0: scenario 3 (4 of 10) in 1.25 s, recommended t10\n", &p);
  CHECK_NEAR(tb_runner_progress_eta(&p, 2.0, 10.0), 10.0, 1e-12);
  /* no attempt time (a resumed attempt): at the last scenario's pace */
  CHECK_NEAR(tb_runner_progress_eta(&p, 2.0, 0.0), 5.5, 1e-12);
  parse("[sweep] group 0: scenario 9 (10 of 10) in 1.25 s, recommended t10\n", &p);
  CHECK_NEAR(tb_runner_progress_eta(&p, 2.0, 10.0), 0.0, 1e-12);
  parse("[run] loading entities\n", &p);
  CHECK(tb_runner_progress_eta(&p, 1.0, 10.0) < 0, "a stage without numbers: unknown");
  return TEST_SUMMARY();
}
