// The dashboard in a real browser: headless Chromium against a real `tradebal serve` holding real runs. Every page
// loads without a console error; the numbers it shows equal the API's answers and the output files' values
// (fetched here through the same API and h5grove, formatted by the dashboard's own fmt.js); the evaluator's answer
// equals POST /v1/deals/evaluate's; a run submitted through the page appears, progresses and finishes; the forms
// are reachable by keyboard; nothing overflows at 1366x768 or 2560x1440.
// TB_SCREENSHOTS=1 also writes docs/img/dashboard-*.png. TB_KEEP=1 keeps the data root.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, TB, CHROME, makeDataRoot, startServer, runToEnd, launchBrowser, removeDataRoot } from "./harness.mjs";
import { build } from "../../dashboard/build.mjs";
import { fmtNum, fmtPct, fmtTime, fmtProgress, fmtEta, rawValue, statusName } from "../../dashboard/src/fmt.js";

const SKIP = !existsSync(CHROME) ? `no Chromium at ${CHROME} (set CHROME_PATH)` : !existsSync(TB) ? `no tradebal at ${TB} (set TRADEBAL_EXE)` : false;
const SHOTS = process.env.TB_SCREENSHOTS === "1";

const CONFIG = `[backend]
threads = 1
[funding]
budget = 500
theta = 1.2
[market]
elasticity = 1.5
[assessment]
draws = 8
seed = 2026
[policy.tariff10]
kind = tariff
rate = 0.1
regions = home
[policy.certificates]
kind = certificates
ratio = 0.9
expiry = 2
floor = 0.01
regions = home
`;

const SWEEP = `[backend]
threads = 1
[assessment]
draws = 2
seed = 2026
[policy.tariff10]
kind = tariff
rate = 0.1
[sweep]
method = lhs
samples = 4
seed = 7
market.elasticity = 0.5:3
policy.tariff10.rate = 0:0.3
`;

let dataRoot, server, tb, B, page, runs, sweep;
const t0 = Date.now();
const timing = {};

before(async () => {
  if (SKIP) return;
  let t = Date.now();
  dataRoot = makeDataRoot();
  // the dashboard of these sources, built beside the data (web/dashboard/dist, which the server of a build tree may
  // be serving, is left alone)
  const webRoot = join(dataRoot, ".web");
  await build({ outdir: webRoot });
  server = await startServer(dataRoot, { webRoot });
  tb = server.client;
  timing.setup = Date.now() - t;
  t = Date.now();
  runs = [
    await runToEnd(tb, { config: CONFIG, input: "inputs/small.h5" }),
    await runToEnd(tb, { config: CONFIG, input: "inputs/small.h5", set: { "model.other_factor": 0.6, "funding.budget": 300 } }),
  ];
  sweep = await runToEnd(tb, { config: SWEEP, input: "inputs/small.h5", kind: "sweep" });
  for (const r of [...runs, sweep]) assert.equal(r.state, "done", `run ${r.id}: ${r.message}`);
  timing.runs = Date.now() - t;
  t = Date.now();
  B = await launchBrowser({ width: 1366, height: 768 });
  page = B.page;
  timing.browser = Date.now() - t;
});

after(async () => {
  await B?.close();
  const rc = await server?.stop();
  removeDataRoot(dataRoot);
  if (!SKIP) {
    const pages = Object.entries(timing.pages || {}).map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`# browser suite ${Date.now() - t0} ms: build and server ${timing.setup} ms, two runs and a sweep ${timing.runs} ms, ` +
      `Chromium ${timing.browser} ms; pages loaded in (ms): ${pages}`);
  }
  if (rc !== undefined && rc !== null) assert.equal(rc, 0, "tradebal serve exits 0 on SIGTERM");
});

afterEach(() => {
  if (!B) return;
  const errs = B.errors.splice(0);
  assert.deepEqual(errs, [], "no console errors, page errors or failed requests");
});

// ---- helpers ----------------------------------------------------------------------------------------------------

const h5 = (file, path, selection) => tb.call("GET", "/v1/h5grove/data", { params: { query: { file, path, ...(selection ? { selection } : {}) } } });
const h5attr = (file, path) => tb.call("GET", "/v1/h5grove/attr", { params: { query: { file, path } } });

/** Go to a page of the dashboard and wait until it has loaded (main[data-ready] names the page's path). */
async function open(hash, timeout = 20000) {
  const t = Date.now();
  await page.evaluate((h) => {
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent("hashchange")); // load it again
    else location.hash = h;
  }, hash);
  const path = hash.split("?")[0].replace(/^#/, "");
  await page.waitForSelector(`main[data-ready="${path}"]`, { timeout });
  (timing.pages ??= {})[hash] = Date.now() - t;
}

/** The rows of a table: per row its dataset and cells ({text, value}), and the header labels. */
function readTable(selector) {
  return page.$eval(selector, (t) => ({
    head: [...t.querySelectorAll("thead th")].map((th) => th.textContent.trim()),
    metrics: [...t.querySelectorAll("thead th")].map((th) => th.dataset.metric),
    rows: [...t.querySelectorAll("tbody tr")].map((tr) => ({
      data: { ...tr.dataset }, cls: tr.className,
      cells: [...tr.children].map((c) => ({ text: c.textContent.trim(), value: c.dataset.value })),
    })),
  }));
}

/** A numeric cell shows x: its data-value is x's exact text, its text the dashboard's formatting of x. */
function expectNum(cellv, x, where) {
  assert.equal(cellv.value, rawValue(x), `${where}: raw value`);
  assert.equal(cellv.text, fmtNum(x), `${where}: shown text`);
}

async function noOverflow(where) {
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${where}: the page is ${sw} px wide in a ${iw} px window`);
}

async function shot(name) {
  if (!SHOTS) return;
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.screenshot({ path: join(ROOT, "docs", "img", `dashboard-${name}.png`) });
}

/** Press Tab up to n times from the top of the page; the ids (or tags) of what took focus, in order. */
async function tabOrder(n) {
  await page.evaluate(() => { // start where a fresh page starts: before its first element
    document.body.tabIndex = -1;
    document.body.focus();
    document.body.removeAttribute("tabindex");
    window.scrollTo(0, 0);
  });
  const seen = [];
  for (let i = 0; i < n; i++) {
    await page.keyboard.press("Tab");
    seen.push(await page.evaluate(() => {
      const a = document.activeElement;
      const st = getComputedStyle(a);
      return { id: a.id || `${a.tagName.toLowerCase()}${a.getAttribute("aria-label") ? ":" + a.getAttribute("aria-label") : ""}`,
        outline: st.outlineStyle !== "none" && parseFloat(st.outlineWidth) > 0 };
    }));
  }
  return seen;
}

// ---- the tests ---------------------------------------------------------------------------------------------------

test("sign in: a labelled password field; the token is kept for the tab", { skip: SKIP }, async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('main[data-ready="token"]');
  const label = await page.$eval('label[for="token"]', (l) => l.textContent);
  assert.match(label, /token/i);
  assert.equal(await page.$eval("#token", (i) => i.type), "password");
  assert.equal(await page.evaluate(() => document.activeElement.id), "token", "the field has focus");
  // a wrong token: the server's 401 is said on the form, which stays
  await page.keyboard.type("tb_not-a-token");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#token-form .token-problem .msg-error");
  assert.match(await page.$eval(".token-problem", (d) => d.textContent), /^401 /);
  assert.deepEqual(expected401(), ["GET /v1/runs?limit=1"]);
  await page.$eval("#token", (i) => { i.value = ""; });
  await page.type("#token", server.token);
  await page.keyboard.press("Enter");
  await page.waitForSelector('main[data-ready="/runs"]');
  assert.equal(await page.evaluate(() => sessionStorage.getItem("tradebal.token")), server.token);
  await page.reload();
  await page.waitForSelector('main[data-ready="/runs"]');
  // a token the server stops accepting: the page stops (no more requests) and asks again; then it carries on
  await page.evaluate(() => sessionStorage.setItem("tradebal.token", "tb_revoked"));
  await page.select("#runs-limit", "25");
  await page.waitForSelector('main[data-ready="token"] #token-form .msg-error');
  await new Promise((r) => setTimeout(r, 1500));
  const refused = expected401();
  assert.ok(refused.length >= 1 && refused.length <= 2, `the page stopped after the 401 (${refused.join(", ")})`);
  await page.type("#token", server.token);
  await page.keyboard.press("Enter");
  await page.waitForSelector('main[data-ready="/runs"] #runs-table');
});

/** The 401 answers recorded so far, taken out of the errors (they are this test's point); any other error stays. */
function expected401() {
  const out = [];
  for (let i = B.errors.length - 1; i >= 0; i--) {
    const m = B.errors[i].match(/^HTTP 401 (\w+) https?:\/\/[^/]+(\S+)$/);
    if (m) out.unshift(`${m[1]} ${m[2]}`);
    if (m || /status of 401/.test(B.errors[i])) B.errors.splice(i, 1);
  }
  return out;
}

test("runs page: every run with its state and times, as GET /v1/runs says", { skip: SKIP }, async () => {
  await open("#/runs");
  const api = (await tb.call("GET", "/v1/runs", { params: { query: { limit: 50 } } })).runs;
  assert.equal(api.length, 3);
  const t = await readTable("#runs-table");
  assert.deepEqual(t.head, ["Run", "Kind", "State", "Progress", "Time left", "Input", "Created", "Finished", "Actions"]);
  assert.equal(t.rows.length, api.length);
  api.forEach((r, i) => {
    const c = t.rows[i].cells;
    assert.equal(t.rows[i].data.id, String(r.id), "newest first");
    assert.equal(c[0].text, `${r.kind === "sweep" ? "Sweep" : "Run"} ${r.id}`);
    assert.equal(c[1].text, r.kind);
    assert.equal(c[2].text, r.state);
    assert.equal(c[5].text, r.input);
    assert.equal(c[6].text, fmtTime(r.created));
    assert.equal(c[7].text, fmtTime(r.finished));
  });
  await noOverflow("runs");
});

test("runs page: progress and time left, when a run's JSON carries them", { skip: SKIP }, async () => {
  // the server's answers with a progress object added to run 2 (as a running run has it)
  const fake = { stage: "draws", done: 3, total: 8, percent: 37.5, eta_s: 125 };
  const target = runs[1].id;
  const handler = async (req) => {
    if (req.isInterceptResolutionHandled()) return;
    const u = new URL(req.url());
    if (u.pathname !== "/v1/runs" || req.method() !== "GET") return req.continue();
    const res = await fetch(req.url(), { headers: req.headers() });
    const body = await res.json();
    for (const r of body.runs) if (r.id === target) Object.assign(r, { state: "running", finished: null, progress: fake });
    return req.respond({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  };
  await page.setRequestInterception(true);
  page.on("request", handler);
  try {
    await open("#/runs");
    const row = `#run-row-${target}`;
    await page.waitForSelector(`${row}[data-state="running"] progress`);
    assert.equal(await page.$eval(`${row} .progress-cell`, (c) => c.textContent.trim()), fmtProgress(fake));
    assert.equal(await page.$eval(`${row} progress`, (p) => p.value), 37.5);
    assert.equal(await page.$eval(`${row} .eta`, (c) => c.textContent.trim()), fmtEta(fake));
    assert.equal(fmtEta(fake), "2 min 05 s");
    assert.ok(await page.$(`${row} button[data-action="cancel"]`), "a running run has its cancel button");
  } finally {
    page.off("request", handler);
    await page.setRequestInterception(false);
  }
  await open("#/runs");
  await page.waitForSelector(`#run-row-${target}[data-state="done"]`);
});

test("keyboard: Tab reaches the submit form's fields and buttons, with a visible focus", { skip: SKIP }, async () => {
  await open("#/runs");
  const seen = await tabOrder(40);
  const ids = seen.map((s) => s.id);
  for (const id of ["submit-template", "submit-config", "submit-input", "submit-kind", "submit-set", "submit-output", "submit-report", "submit-run"])
    assert.ok(ids.includes(id), `Tab reaches #${id} (reached: ${ids.join(" ")})`);
  assert.ok(ids.indexOf("submit-config") < ids.indexOf("submit-run"), "the fields come before the button");
  for (const s of seen.filter((s) => s.id.startsWith("submit-"))) assert.ok(s.outline, `#${s.id} shows its focus`);
  assert.ok(ids.some((id) => id.startsWith("div:Runs")), "the runs table's region is reachable (it scrolls by keyboard)");
  assert.equal(seen[0].id, "skip", "the first Tab stop is the skip link");
  await page.focus("#skip");
  await page.keyboard.press("Enter");
  assert.deepEqual(await page.evaluate(() => [document.activeElement.id, location.hash]), ["main", "#/runs"], "it moves focus to the content");
  // a page chosen from the menu with Enter takes focus to its heading
  await page.focus('nav a[data-page="history"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('main[data-ready="/history"]');
  assert.equal(await page.evaluate(() => document.activeElement.tagName + ":" + document.activeElement.textContent), "H1:Nightly history");
});

test("one run: policies, per-period series, opportunities and network equal the summary and the file", { skip: SKIP }, async () => {
  const run = runs[0], file = run.output;
  await open(`#/run/${run.id}`);
  const sum = await tb.call("GET", "/v1/runs/{id}/summary", { params: { path: { id: run.id } } });

  // the policy table
  const pt = await readTable("#policy-table");
  assert.equal(pt.rows.length, sum.policies.length);
  let checked = 0;
  sum.policies.forEach((p, i) => {
    const row = pt.rows[i];
    assert.equal(row.data.policy, p.name);
    assert.equal(row.cls.includes("recommended"), p.name === sum.recommended, `${p.name}: highlighted iff recommended`);
    assert.equal(row.cells[0].text, p.name + (p.name === sum.recommended ? "recommended" : ""));
    pt.metrics.forEach((metric, j) => {
      if (!metric) return;
      expectNum(row.cells[j], p.metrics[metric], `policy ${p.name}, ${metric}`);
      checked++;
    });
  });
  for (const m of ["WAR", "q05", "q95", "WAR_B"]) assert.ok(pt.metrics.includes(m), `the policy table shows ${m}`);
  assert.ok(checked >= sum.policies.length * 8, `checked ${checked} metric cells`);

  // home balance and certificate price per period per policy, from the file
  const { home } = await h5attr(file, "/regions");
  for (const [tableId, ds] of [["#balance-table", "balance"], ["#cert-price-table", "cert_price"]]) {
    const t = await readTable(tableId);
    assert.equal(t.rows.length, sum.policies.length, `${ds}: a row per policy`);
    for (const row of t.rows) {
      const want = await h5(file, `/policies/${row.data.policy}/regions/${ds}`, `${home},:`);
      assert.equal(row.cells.length - 1, want.length);
      want.forEach((v, k) => expectNum(row.cells[k + 1], v, `${ds} of ${row.data.policy}, period ${k}`));
    }
  }
  assert.ok(await page.$("#balance-chart canvas"), "the balance chart is drawn");
  assert.ok(await page.$("#cert_price-chart canvas"), "the certificate price chart is drawn (certificates trade in this run)");

  // funded opportunities, from the file
  const [odeal, oratio, ofunded] = await Promise.all(["deal", "ratio", "funded"].map((n) => h5(file, `/opportunities/${n}`)));
  const funded = odeal.map((d, i) => ({ rank: i + 1, deal: d, ratio: oratio[i], f: ofunded[i] })).filter((o) => o.f).slice(0, 100);
  const ot = await readTable("#opportunities-table");
  assert.equal(ot.rows.length, funded.length);
  funded.forEach((o, i) => {
    expectNum(ot.rows[i].cells[0], o.rank, "opportunity rank");
    expectNum(ot.rows[i].cells[1], o.deal, "opportunity deal");
    expectNum(ot.rows[i].cells[2], o.ratio, "opportunity ratio");
  });
  const oattr = await h5attr(file, "/opportunities");
  assert.equal(await page.$eval("#opportunity-counts", (d) => [...d.querySelectorAll("dd")].map((x) => x.dataset.value).join(" ")),
    `${oattr.opportunities} ${oattr.funded_count}`);

  // the network: multiplier per policy (summary), most influential entities (file)
  const mt = await readTable("#multiplier-table");
  sum.policies.forEach((p, i) => expectNum(mt.rows[i].cells[1], p.metrics.network_multiplier, `network multiplier of ${p.name}`));
  const [infl, cent, direct, netv] = await Promise.all(["influence", "centrality", "direct_value", "network_value"].map((n) => h5(file, `/entities/${n}`)));
  const top = [...infl.keys()].sort((a, b) => infl[b] - infl[a] || a - b).slice(0, 10);
  const it = await readTable("#influence-table");
  assert.deepEqual(it.head, ["Rank", "Entity", "Influence", "centrality", "direct value", "network value"]);
  top.forEach((e, k) => {
    const c = it.rows[k].cells;
    expectNum(c[1], e, "entity");
    expectNum(c[2], infl[e], `influence of ${e}`);
    expectNum(c[3], cent[e], `centrality of ${e}`);
    expectNum(c[4], direct[e], `direct value of ${e}`);
    expectNum(c[5], netv[e], `network value of ${e}`);
  });
  assert.equal(await page.$eval("#network-facts dd", (d) => d.textContent), String(sum.network.iterations));
  await noOverflow("run");
  await shot("run");
});

test("a sweep's page: each policy's metrics over the scenarios, as the summary says", { skip: SKIP }, async () => {
  await open(`#/run/${sweep.id}`);
  const sum = await tb.call("GET", "/v1/runs/{id}/summary", { params: { path: { id: sweep.id } } });
  assert.equal(sum.kind, "sweep");
  const t = await readTable("#sweep-table");
  assert.equal(t.rows.length, sum.policies.length);
  sum.policies.forEach((p, i) => {
    const c = t.rows[i].cells;
    assert.equal(c[0].text, p.name);
    expectNum(c[1], p.recommended_in, `${p.name} recommended in`);
    t.head.slice(2).forEach((m, j) => {
      const st = p.metrics[m];
      assert.equal(c[j + 2].value, rawValue(st.mean), `${p.name} ${m} mean`);
      assert.equal(c[j + 2].text, `${fmtNum(st.mean)} (${fmtNum(st.min)} – ${fmtNum(st.max)})`, `${p.name} ${m}`);
    });
  });
  const pt = await readTable("#parameters-table");
  sum.parameters.forEach((q, i) => {
    assert.equal(pt.rows[i].cells[0].text, q.name);
    expectNum(pt.rows[i].cells[1], q.min, `${q.name} min`);
    expectNum(pt.rows[i].cells[2], q.max, `${q.name} max`);
  });
  await noOverflow("sweep");
});

test("nightly history: metrics across runs equal the summaries; the diff equals the API's and the files'", { skip: SKIP }, async () => {
  await open("#/history");
  const sums = await Promise.all(runs.map((r) => tb.call("GET", "/v1/runs/{id}/summary", { params: { path: { id: r.id } } })));
  const rec = (s) => s.policies.find((p) => p.name === s.recommended);
  let t = await readTable("#history-table");
  assert.deepEqual(t.head, ["Run", "Finished", "Policy", "WAR_B"]);
  runs.forEach((r, i) => {
    assert.equal(t.rows[i].data.run, String(r.id), "oldest first");
    assert.equal(t.rows[i].cells[1].text, fmtTime(r.finished));
    assert.equal(t.rows[i].cells[2].text, sums[i].recommended);
    expectNum(t.rows[i].cells[3], rec(sums[i]).metrics.WAR_B, `run ${r.id} WAR_B`);
  });
  assert.ok(await page.$("#history-chart canvas"), "the history chart is drawn");

  // choose another metric and one policy, by keyboard
  await page.focus('#history-metrics input[value="GDP"]');
  await page.keyboard.press("Space");
  await page.select("#history-policy", "none");
  await page.waitForFunction(() => document.querySelector("#history-table thead").textContent.includes("GDP"));
  t = await readTable("#history-table");
  assert.deepEqual(t.head, ["Run", "Finished", "Policy", "GDP", "WAR_B"]);
  runs.forEach((r, i) => {
    const none = sums[i].policies.find((p) => p.name === "none");
    expectNum(t.rows[i].cells[3], none.metrics.GDP, `run ${r.id} GDP of none`);
    expectNum(t.rows[i].cells[4], none.metrics.WAR_B, `run ${r.id} WAR_B of none`);
  });
  assert.match(await page.evaluate(() => location.hash), /policy=none/);

  // the difference between run 1 and run 2 (the defaults: the two newest)
  await page.waitForSelector(`#diff-out[data-ready="${runs[0].id}-${runs[1].id}"]`);
  const d = await tb.call("GET", "/v1/runs/{id}/diff/{other}", { params: { path: { id: runs[0].id, other: runs[1].id } } });
  assert.ok(d.moved.length > 0 && d.deals.status_changed > 0, "the two runs differ (the test's premise)");
  const mv = await readTable("#diff-moved");
  assert.equal(mv.rows.length, d.moved.length);
  d.moved.forEach((m, i) => {
    const c = mv.rows[i].cells;
    assert.equal(c[0].text, m.policy);
    assert.equal(c[1].text, m.metric);
    expectNum(c[2], m.a, `${m.policy}/${m.metric} a`);
    expectNum(c[3], m.b, `${m.policy}/${m.metric} b`);
    expectNum(c[4], m.delta, `${m.policy}/${m.metric} delta`);
    assert.equal(c[5].value, rawValue(m.relative));
    assert.equal(c[5].text, fmtPct(m.relative));
  });
  const tr = await readTable("#diff-transitions");
  d.deals.status_transitions.forEach((row, i) => row.forEach((v, j) => expectNum(tr.rows[i].cells[j + 1], v, `transition ${i}->${j}`)));
  assert.equal(await page.$eval("#diff-deal-counts", (p) => p.textContent.split(" ")[0]), String(d.deals.status_changed));
  const [sa, sb] = await Promise.all(runs.map((r) => h5(r.output, "/deals/status")));
  const changed = sa.map((s, i) => [i, s, sb[i]]).filter(([, x, y]) => x !== y);
  assert.equal(changed.length, d.deals.status_changed, "the files agree with the diff");
  const dt = await readTable("#diff-deals");
  assert.equal(dt.rows.length, Math.min(200, changed.length));
  dt.rows.forEach((row, k) => {
    const [i, x, y] = changed[k];
    expectNum(row.cells[0], i, "changed deal");
    assert.equal(row.cells[1].text, statusName(x));
    assert.equal(row.cells[2].text, statusName(y));
  });
  const cfg = await readTable("#diff-config");
  assert.deepEqual(cfg.rows.map((r) => r.cells[0].text), d.config_changes.map((c) => c.key));
  await noOverflow("history");
  await page.select("#history-policy", "");
  await page.click('#history-metrics input[value="GDP"]');
  await shot("history");
});

test("deal evaluator: the page's answer is POST /v1/deals/evaluate's, for a typed, a loaded and a pasted deal", { skip: SKIP }, async () => {
  await open("#/evaluate");
  const input = await page.$eval("#eval-input", (i) => i.value);
  assert.equal(input, "inputs/small.h5", "the input of the newest run by default");

  async function evaluateAndCompare(where) {
    await page.waitForSelector('#eval-result[data-ready="1"]');
    const body = JSON.parse(await page.$eval("#eval-json", (t) => t.value));
    const ans = await tb.call("POST", "/v1/deals/evaluate", { body });
    const facts = await page.$eval("#eval-facts", (dl) => Object.fromEntries([...dl.querySelectorAll("dd[id]")].map((d) => [d.id, { text: d.textContent, value: d.dataset.value }])));
    assert.equal(facts["eval-status"].value, String(ans.deal.status), `${where}: status`);
    assert.ok(facts["eval-status"].text.startsWith(ans.deal.status_name));
    expectNum(facts["eval-surplus"], ans.deal.surplus, `${where}: surplus`);
    expectNum(facts["eval-bid"], ans.deal.bid, `${where}: bid`);
    const t = await readTable("#eval-parties-table");
    assert.equal(t.rows.length, ans.deal.parties.length);
    ans.deal.parties.forEach((p, i) => {
      const c = t.rows[i].cells;
      expectNum(c[1], p.entity, `${where}: party ${i} entity`);
      expectNum(c[2], p.value, `${where}: party ${i} value`);
      expectNum(c[3], p.transfer, `${where}: party ${i} transfer`);
      expectNum(c[4], p.final_value, `${where}: party ${i} final value`);
    });
    return { body, ans };
  }

  // the example deal, its trade value typed anew, submitted with Enter from the field (keyboard only)
  await page.click("#eval-trade-value", { clickCount: 3 });
  await page.keyboard.type("12.5");
  await page.keyboard.press("Enter");
  const { body } = await evaluateAndCompare("typed deal");
  assert.equal(body.deal.trade_value, 12.5);
  assert.equal(body.input, "inputs/small.h5");

  // deal 17 of the input, loaded from the file; also equal to the columnar answer for deal_indices [17]
  const loadDeal17AndEvaluate = async () => {
    await page.click("#eval-deal-index", { clickCount: 3 });
    await page.keyboard.type("17");
    await page.click("#eval-load");
    await page.waitForFunction(() => /Deal 17 of/.test(document.querySelector("#eval-load-status").textContent));
    await page.click("#eval-go");
    await page.waitForFunction(() => document.querySelector("#eval-result").dataset.ready === "1" && document.querySelector("#eval-parties-table"));
  };
  await loadDeal17AndEvaluate();
  const loaded = await evaluateAndCompare("deal 17");
  const cols = await tb.call("POST", "/v1/deals/evaluate", { body: { input: "inputs/small.h5", deal_indices: [17] } });
  assert.deepEqual(loaded.body.deal.parties.map((p) => p.entity), cols.deals.party_entity);
  assert.deepEqual(loaded.ans.deal.parties.map((p) => p.value), cols.deals.value, "the loaded deal is the file's deal 17");
  assert.equal(loaded.ans.deal.surplus, cols.deals.surplus[0]);
  // and the run (default model) wrote the same values for deal 17's parties
  const [p0, p1] = await h5("inputs/small.h5", "/deals/party_ptr", "17:19");
  assert.deepEqual(loaded.ans.deal.parties.map((p) => p.value), await h5(runs[0].output, "/deals/value", `${p0}:${p1}`),
    "equal to the run's /deals/value (the run used the default model)");

  // a deal pasted as JSON, with another split rule
  const pasted = { deal: { importer: 1, trade_value: 0, parties: [
    { entity: 3, components: [{ dim: 1, prob: 1, flows: [{ period: 0, amount: -2 }] }] },
    { entity: 5, components: [{ dim: 0, prob: 0.7, flows: [{ period: 2, amount: 6 }] }, { dim: 3, prob: 0.5, flows: [{ period: 1, amount: 1.25 }] }] }] },
    input: "inputs/small.h5", split: { rule: "egalitarian", scope: "all" } };
  await page.$eval("#eval-json", (t, v) => { t.value = v; }, JSON.stringify(pasted));
  await page.click("#eval-json-load");
  assert.equal(await page.$eval("#eval-split-rule", (s) => s.value), "egalitarian");
  assert.equal(await page.$eval("#eval-p1-c1-flows", (s) => s.value), "1:1.25");
  await page.click("#eval-go");
  await page.waitForFunction(() => document.querySelector("#eval-result").dataset.ready === "1" && document.querySelector("#eval-parties-table"));
  const p = await evaluateAndCompare("pasted deal");
  assert.deepEqual(p.body.deal, pasted.deal);
  assert.equal(p.ans.deal.bid, "Infinity");
  assert.equal(await page.$eval("#eval-bid", (d) => d.textContent), "∞");

  const ids = (await tabOrder(60)).map((s) => s.id);
  for (const id of ["eval-input", "eval-deal-index", "eval-load", "eval-trade-value", "eval-p0-entity", "eval-p0-c0-flows", "eval-go", "eval-json", "eval-json-load"])
    assert.ok(ids.includes(id), `Tab reaches #${id}`);
  await noOverflow("evaluator");
  // the screenshot shows deal 17 evaluated
  await loadDeal17AndEvaluate();
  await shot("evaluator");
});

test("data browser: the tree and a dataset's slice equal h5grove's answers", { skip: SKIP }, async () => {
  const file = runs[0].output;
  await open(`#/browse?file=${encodeURIComponent(file)}&path=/policies/metrics`);
  await page.waitForSelector("#browse-slice[data-ready]");
  const names = await h5(file, "/policies/names");
  const cols = (await tb.call("GET", "/v1/h5grove/attr", { params: { query: { file, path: "/policies/metrics", attr_keys: ["columns"] } } })).columns;
  assert.equal(await page.$eval("#browse-selection", (i) => i.value), `0:${names.length},0:${cols.length}`);
  let t = await readTable("#browse-table");
  assert.deepEqual(t.head, ["Row", ...cols], "the columns attribute names the columns");
  const metrics = await h5(file, "/policies/metrics", `0:${names.length},0:${cols.length}`);
  metrics.forEach((row, i) => row.forEach((v, j) => expectNum(t.rows[i].cells[j + 1], v, `metrics[${i},${j}]`)));

  // the tree lists the root's groups as h5grove's meta does
  const meta = await tb.call("GET", "/v1/h5grove/meta", { params: { query: { file, path: "/" } } });
  const shown = await page.$$eval('#browse-tree > li > ul > li > button', (bs) => bs.map((b) => b.dataset.path));
  assert.deepEqual(shown, meta.children.map((c) => `/${c.name}`));

  // open /regions, then balance, with clicks; then another slice typed in
  await page.click('button.node[data-path="/regions"]');
  await page.waitForSelector('#browse-details[data-path="/regions"]');
  await page.click('button.node[data-path="/regions/balance"]');
  await page.waitForSelector('#browse-details[data-path="/regions/balance"] #browse-slice[data-ready]');
  t = await readTable("#browse-table");
  const bal = await h5(file, "/regions/balance", "0:8,0:5");
  bal.forEach((row, i) => row.forEach((v, j) => expectNum(t.rows[i].cells[j + 1], v, `balance[${i},${j}]`)));
  await page.click("#browse-selection", { clickCount: 3 });
  await page.keyboard.type("2,1:");
  await page.keyboard.press("Enter");
  await page.waitForSelector('#browse-slice[data-ready="2,1:"]');
  t = await readTable("#browse-table");
  const row2 = await h5(file, "/regions/balance", "2,1:");
  assert.deepEqual(t.rows.map((r) => r.cells[0].text), ["1", "2", "3", "4"]);
  row2.forEach((v, j) => expectNum(t.rows[j].cells[1], v, `balance[2,${j + 1}]`));
  // attributes
  await page.click('button.node[data-path="/regions"]');
  await page.waitForSelector('#browse-details[data-path="/regions"] #browse-attrs');
  const at = await readTable("#browse-attrs");
  const home = (await h5attr(file, "/regions")).home;
  assert.equal(at.rows.find((r) => r.cells[0].text === "home").cells[1].value, String(home));
  await noOverflow("browser");
  await page.click('button.node[data-path="/regions/balance"]');
  await page.waitForSelector('#browse-details[data-path="/regions/balance"] #browse-slice[data-ready]');
  await shot("browser");
});

test("a run submitted through the page appears, progresses and finishes; cancel, resume, and its page follows it", { skip: SKIP }, async (t) => {
  await open("#/runs");
  await page.select("#submit-template", "example");
  await page.type("#submit-input", "inputs/small.h5");
  await page.type("#submit-set", "backend.threads = 1\nassessment.draws = 1000"); // about 4 s: long enough to queue one behind it
  const before = (await tb.call("GET", "/v1/runs", { params: { query: { limit: 1 } } })).runs[0].id;
  // record every state (and progress text) each row shows, from before the submission on
  await page.evaluate(() => {
    window.__seen = {};
    window.__look = () => {
      for (const tr of document.querySelectorAll("#runs-table tbody tr")) {
        const s = tr.dataset.state, p = tr.querySelector(".progress-cell")?.textContent.trim();
        const seen = (window.__seen[tr.dataset.id] ??= []);
        const last = seen[seen.length - 1];
        if (!last || last.s !== s || (p && last.p !== p)) seen.push({ s, p });
      }
    };
    window.__tick = setInterval(window.__look, 20);
  });
  await page.click("#submit-run");
  await page.waitForSelector("#submitted-link");
  const id = Number(await page.$eval("#submitted-link", (a) => a.getAttribute("href").split("/").pop()));
  assert.equal(id, before + 1);
  // a second run, submitted the same way, waits behind it (one run at a time): cancel it with its button
  await page.$eval("#submit-set", (t) => { t.value = ""; });
  await page.type("#submit-set", "backend.threads = 1\nassessment.draws = 400");
  await page.click("#submit-run");
  await page.waitForFunction((id) => document.querySelector("#submitted-link")?.getAttribute("href") === `#/run/${id + 1}`, {}, id);
  const queued = await tb.call("GET", "/v1/runs/{id}", { params: { path: { id: id + 1 } } });
  assert.equal(queued.state, "queued");
  await page.waitForSelector(`#run-row-${queued.id} button[data-action="cancel"]`);
  await page.click(`#run-row-${queued.id} button[data-action="cancel"]`);
  await page.waitForSelector(`#run-row-${queued.id}[data-state="cancelled"] button[data-action="resume"]`);
  assert.equal((await tb.call("GET", "/v1/runs/{id}", { params: { path: { id: queued.id } } })).state, "cancelled");
  await shot("runs"); // the first one still running (most likely), the second cancelled
  await page.waitForSelector(`#run-row-${id}[data-state="done"]`, { timeout: 60000 });
  const states = await page.evaluate((id) => (clearInterval(window.__tick), window.__look(), window.__seen[id] || []), id);
  t.diagnostic(`the page showed: ${states.map((x) => x.s + (x.p ? ` (${x.p})` : "")).join(" -> ")}`);
  const names = [...new Set(states.map((x) => x.s))];
  assert.equal(names[names.length - 1], "done", `the run ends done (seen: ${JSON.stringify(states)})`);
  assert.ok(names.includes("running") || names.includes("queued"), `the page showed it before it ended (seen: ${JSON.stringify(states)})`);
  const run = await tb.call("GET", "/v1/runs/{id}", { params: { path: { id } } });
  assert.equal(run.state, "done");
  assert.equal(run.set["assessment.draws"], "1000");
  const row = (await readTable("#runs-table")).rows.find((r) => r.data.id === String(id));
  assert.equal(row.cells[7].text, fmtTime(run.finished));
  // resume the cancelled one with its button (by keyboard), and follow it on its own page until it is done
  await page.focus(`#run-row-${queued.id} button[data-action="resume"]`);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#run-row-${queued.id}:not([data-state="cancelled"])`);
  await open(`#/run/${queued.id}`);
  const first = await page.$eval("#run-state", (s) => s.dataset.state);
  assert.ok(["queued", "running"].includes(first), `the run page opens on the resumed run while it runs (${first})`);
  await page.waitForSelector(`#run-state[data-state="done"]`, { timeout: 60000 });
  await page.waitForSelector(`main[data-ready="/run/${queued.id}"] #policy-table`, { timeout: 20000 });
  assert.equal((await tb.call("GET", "/v1/runs/{id}", { params: { path: { id: queued.id } } })).state, "done");
  for (const rid of [queued.id, id]) {
    if (rid !== queued.id) await open(`#/run/${rid}`);
    const sum = await tb.call("GET", "/v1/runs/{id}/summary", { params: { path: { id: rid } } });
    const pt = await readTable("#policy-table");
    sum.policies.forEach((p, i) => expectNum(pt.rows[i].cells[pt.metrics.indexOf("WAR_B")], p.metrics.WAR_B, `run ${rid} ${p.name} WAR_B`));
  }
});

test("every page is readable at 2560x1440 and 1366x768 (nothing overflows sideways) and labels its controls", { skip: SKIP }, async () => {
  for (const [w, hgt] of [[2560, 1440], [1366, 768]]) {
    await page.setViewport({ width: w, height: hgt });
    for (const hash of ["#/runs", `#/run/${runs[0].id}`, "#/history", "#/evaluate", `#/browse?file=${encodeURIComponent(runs[0].output)}&path=/policies/metrics`]) {
      await open(hash);
      await noOverflow(`${hash} at ${w}x${hgt}`);
      const unlabelled = await page.$$eval("input, select, textarea, button, progress", (els) => els
        .filter((e) => !(e.labels?.length) && !e.getAttribute("aria-label") && !(e.tagName === "BUTTON" && e.textContent.trim()))
        .map((e) => e.id || e.outerHTML.slice(0, 80)));
      assert.deepEqual(unlabelled, [], `${hash}: every control has a label`);
      const mainWidth = await page.$eval("main", (m) => m.getBoundingClientRect().width);
      assert.ok(mainWidth >= Math.min(w, 2400) - 40, `${hash} at ${w}x${hgt} uses the width (${mainWidth} px)`);
    }
  }
});
