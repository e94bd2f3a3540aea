// How the dashboard writes numbers, times and progress (src/fmt.js): the browser tests compare the page with the
// API through these functions, so they are pinned here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtNum, fmtPct, fmtTime, fmtDuration, fmtProgress, progressPercent, fmtEta, rawValue, statusName } from "../../dashboard/src/fmt.js";

test("numbers: integers as they are, 6 significant digits, exponents at the extremes, n/a for null", () => {
  assert.equal(fmtNum(0), "0");
  assert.equal(fmtNum(1647), "1647");
  assert.equal(fmtNum(-413068.57187142712), "-413069");
  assert.equal(fmtNum(1.4285714285216173), "1.42857");
  assert.equal(fmtNum(0.01), "0.01");
  assert.equal(fmtNum(8.13583e-11), "8.13583e-11");
  assert.equal(fmtNum(2.5e12 + 0.5), "2.5e+12");
  assert.equal(fmtNum(null), "n/a");
  assert.equal(fmtNum("Infinity"), "∞");
  assert.equal(fmtNum("-Infinity"), "−∞");
  assert.equal(fmtNum(12345678901234567n), "12345678901234567");
});

test("raw values read back bitwise", () => {
  for (const x of [0.1 + 0.2, -50937.261336392461, 5e-324, 1.7976931348623157e308]) assert.equal(Number(rawValue(x)), x);
  assert.equal(rawValue(null), "null");
  assert.equal(rawValue("Infinity"), "Infinity");
});

test("percentages, times, durations, statuses", () => {
  assert.equal(fmtPct(0.00045928686828787492), "0.0459%");
  assert.equal(fmtPct(-0.10836), "-10.8%");
  assert.equal(fmtPct(null), "n/a");
  assert.equal(fmtTime("2026-11-30T10:33:22.133Z"), "2026-11-30 10:33:22");
  assert.equal(fmtTime(null), "");
  assert.equal(fmtDuration(42), "42 s");
  assert.equal(fmtDuration(185), "3 min 05 s");
  assert.equal(fmtDuration(7620), "2 h 07 min");
  assert.equal(fmtDuration(null), "");
  assert.equal(statusName(1), "REPAIRABLE");
  assert.equal(statusName(7), "status 7");
});

test("progress: whatever of stage, done/total, percent and eta_s the run carries; nothing when absent", () => {
  assert.equal(fmtProgress(undefined), "");
  assert.equal(fmtProgress(null), "");
  assert.equal(fmtProgress({ stage: "draws", done: 3, total: 8, percent: 37.5, eta_s: 125 }), "draws 3/8 37.5%");
  assert.equal(fmtEta({ eta_s: 125 }), "2 min 05 s");
  assert.equal(fmtEta({ eta_s: null }), "");
  assert.equal(fmtEta(null), "");
  assert.equal(progressPercent({ done: 1, total: 4 }), 25);
  assert.equal(progressPercent({ percent: 140 }), 100);
  assert.equal(progressPercent({ stage: "read" }), null);
  assert.equal(fmtProgress({ stage: "read", done: null, total: null, percent: null }), "read");
});
