// One run: its state and log; once done, the policy table of its summary, the home region's trade balance and
// certificate price per period per policy, the funded opportunities, the network multiplier and the most
// influential entities, all read from the output through the summary and the h5grove endpoints.
import { call, getRun, waitRun, summary as getSummary, h5meta, h5attr, h5data, h5vector, isAbort, errorText, ACTIVE } from "../api.js";
import { h, clear, message, section, table, numCell } from "../dom.js";
import { fmtNum, fmtTime, fmtProgress, fmtEta, progressPercent } from "../fmt.js";
import { lineChart } from "../chart.js";
import { rerender } from "../router.js";

const TOP_ENTITIES = 10;
const LABELS = { mean_cert_price: "cert. price", tariff_revenue: "tariff revenue", network_multiplier: "network mult.", not_win_win: "not win-win" };
const MAX_OPPORTUNITIES = 100;

export async function runPage(ctx) {
  const { main, match, signal } = ctx;
  const id = Number(match[1]);
  let run = await getRun(id, signal);
  const head = h("div");
  const body = h("div");
  main.append(h("h1", { tabindex: -1 }, `${run.kind === "sweep" ? "Sweep" : "Run"} ${id}`), head, body);
  renderHead(head, run, ctx);
  if (ACTIVE.has(run.state)) {
    body.append(message("note", `This ${run.kind} is ${run.state}; the page fills in when it ends.`));
    ctx.ready();
    // follow it: every change of state (and of progress, every 2 s) redraws the head; the end draws the rest
    while (ACTIVE.has(run.state)) {
      run = await waitRun(id, run.state, run.progress ? 2 : 25, signal);
      renderHead(head, run, ctx);
    }
    clear(body);
    delete main.dataset.ready;
  }
  if (run.state !== "done") {
    body.append(message("note", `This ${run.kind} is ${run.state} and has no output to show.`), await logBox(id, signal, true));
    return ctx.ready();
  }
  const sum = await getSummary(id, signal);
  if (sum.kind === "sweep") renderSweep(body, sum);
  else await renderRun(body, run, sum, signal);
  body.append(await logBox(id, signal, false));
  ctx.ready();
}

function renderHead(head, run, ctx) {
  const pct = progressPercent(run.progress);
  const facts = [
    ["State", h("span", { class: `state state-${run.state}`, id: "run-state", dataset: { state: run.state } }, run.state)],
    run.progress ? ["Progress", h("span", null, pct !== null ? h("progress", { max: 100, value: pct, "aria-label": "Progress" }) : null, " ", fmtProgress(run.progress))] : null,
    run.progress && ACTIVE.has(run.state) ? ["Time left", fmtEta(run.progress) || "unknown"] : null,
    ["Input", h("a", { class: "path", href: `#/browse?file=${encodeURIComponent(run.input)}` }, run.input)],
    ["Output", run.state === "done" ? h("a", { class: "path", id: "run-output-link", href: `#/browse?file=${encodeURIComponent(run.output)}` }, run.output) : h("span", { class: "path" }, run.output)],
    ["Created", fmtTime(run.created)],
    ["Started", fmtTime(run.started)],
    ["Finished", fmtTime(run.finished)],
    ["Executor", `${run.executor}, ${run.ranks} rank${run.ranks === 1 ? "" : "s"}${run.slurm?.job ? `, Slurm job ${run.slurm.job} (${run.slurm.state ?? "?"})` : ""}`],
    ["Attempts", String(run.attempts)],
    run.exit_code !== null ? ["Exit code", String(run.exit_code)] : null,
    run.message ? ["Message", run.message] : null,
    Object.keys(run.set || {}).length ? ["Overrides", h("code", null, Object.entries(run.set).map(([k, v]) => `${k}=${v}`).join("  "))] : null,
  ].filter(Boolean);
  const status = h("div", { role: "status", "aria-live": "polite" });
  const buttons = [];
  if (ACTIVE.has(run.state))
    buttons.push(h("button", { type: "button", class: "danger", onclick: () => act("cancel") }, run.cancel_requested ? "Force stop" : "Cancel"));
  if (["checkpointed", "cancelled", "failed", "lost"].includes(run.state))
    buttons.push(h("button", { type: "button", onclick: () => act("resume") }, "Resume"));
  async function act(what) {
    try {
      const r = await call("POST", `/v1/runs/{id}/${what}`, { params: { path: { id: run.id } }, ...(what === "resume" ? { body: {} } : {}) });
      status.textContent = `${what === "cancel" ? "Cancel" : "Resume"}: ${r.state}.`;
      if (what === "resume") rerender();
    } catch (e) {
      status.replaceChildren(message("error", errorText(e)));
    }
  }
  head.replaceChildren(h("dl", { class: "facts inline", id: "run-facts" }, facts.map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v)))),
    ...(buttons.length ? [h("div", { class: "buttons" }, buttons)] : []), status);
}

async function logBox(id, signal, open) {
  let text;
  try {
    text = await call("GET", "/v1/runs/{id}/log", { params: { path: { id } }, parseAs: "text", signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    text = `(no log: ${errorText(e)})`;
  }
  const lines = text.split("\n");
  const tail = lines.slice(-200).join("\n");
  return h("details", { class: "card", id: "run-log", open },
    h("summary", null, `Log${lines.length > 200 ? " (last 200 lines)" : ""}`),
    h("pre", { class: "log", tabindex: 0 }, tail));
}

// ---- a run ----------------------------------------------------------------------------------------------------

async function renderRun(body, run, sum, signal) {
  const file = run.output;
  const recommended = sum.recommended;
  const names = sum.policies.map((p) => p.name);
  const cols = sum.columns || [];

  // the policy table, straight from the summary
  const metricCols = ["GDP", "Jobs", "Balance", "Surplus", "traded", "blocked", "mean_cert_price"].filter((c) => cols.includes(c));
  const polTable = table({
    id: "policy-table",
    caption: `Policies scored against none over ${sum.assessment?.draws ?? "?"} draws; recommended: ${recommended} (largest WAR_B)`,
    columns: [{ label: "Policy" }, { label: "WAR", num: true, data: { metric: "WAR" } },
      { label: "WAR 5%", num: true, title: "q05: WAR's 5% quantile over the draws", data: { metric: "q05" } },
      { label: "WAR 95%", num: true, title: "q95: WAR's 95% quantile over the draws", data: { metric: "q95" } },
      { label: "5–95% band", title: "WAR's band (bar) and WAR (mark), on one scale for all policies" },
      { label: "WAR_B", num: true, title: "WAR_B: the score the recommendation maximises", data: { metric: "WAR_B" } },
      ...metricCols.map((c) => ({ label: LABELS[c] ?? c, num: true, title: c, data: { metric: c } }))],
    rows: sum.policies.map((p) => [
      h("th", { scope: "row" }, p.name, p.name === recommended ? h("span", { class: "badge" }, "recommended") : null),
      numCell(p.metrics.WAR), numCell(p.metrics.q05), numCell(p.metrics.q95), h("td", null, band(p.metrics, sum.policies)),
      numCell(p.metrics.WAR_B), ...metricCols.map((c) => numCell(p.metrics[c])),
    ]),
    rowAttrs: (i) => ({ class: sum.policies[i].name === recommended ? "recommended" : null, dataset: { policy: sum.policies[i].name } }),
  });
  const deltaCols = sum.policies[0]?.deltas ? Object.keys(sum.policies[0].deltas) : [];
  const deltaTable = deltaCols.length ? table({
    id: "deltas-table", caption: "Each policy's metrics minus those of none",
    columns: [{ label: "Policy" }, ...deltaCols.map((c) => ({ label: `Δ ${c}`, num: true }))],
    rows: sum.policies.map((p) => [h("th", { scope: "row" }, p.name), ...deltaCols.map((c) => numCell(p.deltas[c]))]),
  }) : null;
  const st = sum.deals?.status || {}, oc = sum.deals?.outcome || {};
  const counts = h("dl", { class: "facts", id: "deal-counts" }, [
    ["Deals", sum.sizes.deals], ["WIN_WIN", st.win_win], ["REPAIRABLE", st.repairable], ["NOT_WIN_WIN", st.not_win_win],
    ["Traded (recommended)", oc.traded], ["Unfunded", oc.unfunded], ["Blocked by tariff", oc.blocked_tariff], ["Blocked by certificates", oc.blocked_certificates],
    ["σ_rep", sum.assessment?.sigma_rep], ["Seed", sum.assessment?.seed],
  ].filter(([, v]) => v !== undefined).map(([k, v]) => [h("dt", null, k), h("dd", { class: "num", dataset: { value: String(v) } }, fmtNum(v))]));
  body.append(section("policies", "Policies", polTable));

  // per-period series of the home region, per policy
  const root = await h5meta(file, "/", signal);
  const groups = new Set((root.children || []).map((c) => c.name));
  const seriesBox = section("balance", "Home trade balance per period");
  const certBox = section("cert-price", "Certificate price per period");
  const charts = h("div", { class: "grid-2" }, seriesBox, certBox);
  body.append(charts);
  let home = null;
  if (groups.has("regions")) home = (await h5attr(file, "/regions", ["home"], signal)).home;
  const polMeta = groups.has("policies") ? await h5meta(file, "/policies", signal) : { children: [] };
  const polGroups = new Set((polMeta.children || []).filter((c) => c.kind === "group").map((c) => c.name));
  const regionSets = {};
  await Promise.all(names.map(async (p) => {
    if (!polGroups.has(p)) return;
    const m = await h5meta(file, `/policies/${p}`, signal);
    if (!(m.children || []).some((c) => c.name === "regions")) return;
    const r = await h5meta(file, `/policies/${p}/regions`, signal);
    regionSets[p] = Object.fromEntries((r.children || []).map((c) => [c.name, c]));
  }));
  for (const [box, ds, what, unit] of [[seriesBox, "balance", "trade balance", "million USD"], [certBox, "cert_price", "certificate price", "USD per certificate"]]) {
    const have = names.filter((p) => regionSets[p]?.[ds]);
    if (home === null || !have.length) {
      box.append(message("note", `This run's output has no /policies/<policy>/regions/${ds}${home === null ? " (nor /regions@home)" : ""}: no ${what} to show.`));
      continue;
    }
    const values = await Promise.all(have.map((p) => h5data(file, `/policies/${p}/regions/${ds}`, `${home},:`, signal)));
    const T = values[0].length;
    const periods = [...Array(T).keys()];
    const missing = names.filter((p) => !have.includes(p));
    if (missing.length) box.append(message("note", `Not in the output for ${missing.join(", ")}.`));
    const nonzero = have.filter((p, i) => values[i].some((v) => v !== 0 && v !== null));
    if (ds === "cert_price" && !nonzero.length) {
      box.append(message("note", "No certificates traded in this run: the price is 0 in every period for every policy."));
    } else {
      const shown = ds === "cert_price" ? nonzero : have;
      box.append(lineChart({ id: `${ds}-chart`, title: `Region ${home} (the home region), ${unit}${ds === "cert_price" && shown.length < have.length ? `; ${have.filter((p) => !shown.includes(p)).join(", ")}: 0 throughout` : ""}`, x: periods, xLabel: "period", yLabel: unit,
        series: shown.map((p) => ({ label: p, values: values[have.indexOf(p)] })) }));
    }
    box.append(table({
      id: `${ds.replace("_", "-")}-table`, caption: `Home ${what} per period (${unit})`,
      columns: [{ label: "Policy" }, ...periods.map((t) => ({ label: `t=${t}`, num: true }))],
      rows: have.map((p, i) => [h("th", { scope: "row" }, p), ...values[i].map((v) => numCell(v))]),
      rowAttrs: (i) => ({ dataset: { policy: have[i] }, class: have[i] === recommended ? "recommended" : null }),
    }));
  }

  // funded opportunities and the network side by side
  const oppBox = section("opportunities", "Funded opportunities");
  const netBox = section("network", "Network");
  body.append(h("div", { class: "grid-2" }, oppBox, netBox));
  await Promise.all([opportunities(oppBox, file, groups, run, signal), network(netBox, file, groups, sum, signal)]);
  body.append(h("div", { class: "grid-2" }, section("deltas", "Change against none", deltaTable ?? message("note", "No deltas in the summary.")),
    section("deals", "Deals", counts)));
}

/** A small bar of WAR's 5-95% band on a scale shared by the policies, with WAR marked. */
function band(m, all) {
  const vals = all.flatMap((p) => [p.metrics.q05, p.metrics.q95, p.metrics.WAR]).filter((v) => typeof v === "number");
  if (![m.q05, m.q95].every((v) => typeof v === "number") || !vals.length) return "n/a";
  const lo = Math.min(0, ...vals), hi = Math.max(...vals), span = hi - lo || 1;
  const x = (v) => (100 * (v - lo)) / span;
  return h("span", { class: "band", role: "img", "aria-label": `from ${fmtNum(m.q05)} to ${fmtNum(m.q95)}` },
    h("span", { class: "band-range", style: `left:${x(m.q05)}%;width:${Math.max(0.5, x(m.q95) - x(m.q05))}%` }),
    typeof m.WAR === "number" ? h("span", { class: "band-mark", style: `left:${x(m.WAR)}%` }) : null);
}

async function opportunities(box, file, groups, run, signal) {
  if (!groups.has("opportunities")) return box.append(message("note", "This run's output has no /opportunities group."));
  const meta = await h5meta(file, "/opportunities", signal);
  const ds = Object.fromEntries((meta.children || []).map((c) => [c.name, c]));
  const attrs = await h5attr(file, "/opportunities", null, signal);
  box.append(h("dl", { class: "facts", id: "opportunity-counts" },
    h("dt", null, "Opportunities (deals with a preparation cost)"), h("dd", { class: "num", dataset: { value: String(attrs.opportunities) } }, fmtNum(attrs.opportunities ?? null)),
    h("dt", null, "Funded within the budget"), h("dd", { class: "num", dataset: { value: String(attrs.funded_count) } }, fmtNum(attrs.funded_count ?? null))));
  if (!ds.deal || !ds.ratio || !ds.funded) return box.append(message("note", "This run's output lacks /opportunities/deal, ratio or funded."));
  const O = ds.deal.shape[0];
  const rows = [];
  const CH = 4096;
  for (let s = 0; s < O && rows.length < MAX_OPPORTUNITIES; s += CH) {
    const sel = `${s}:${Math.min(O, s + CH)}`;
    const [deal, ratio, funded] = await Promise.all(["deal", "ratio", "funded"].map((n) => h5data(file, `/opportunities/${n}`, sel, signal)));
    for (let i = 0; i < deal.length && rows.length < MAX_OPPORTUNITIES; i++)
      if (funded[i]) rows.push({ rank: s + i + 1, deal: deal[i], ratio: ratio[i] });
  }
  if (!rows.length) return box.append(message("note", "No opportunity was funded."));
  box.append(table({
    id: "opportunities-table", className: "tall",
    caption: `Funded opportunities by rank (u^B descending)${(attrs.funded_count ?? 0) > rows.length ? `, the first ${rows.length}` : ""}`,
    columns: [{ label: "Rank", num: true }, { label: "Deal", num: true }, { label: "u^B = (1 − margin) S/k", num: true }],
    rows: rows.map((r) => [numCell(r.rank), h("td", { class: "num", dataset: { value: String(r.deal) } },
      h("a", { href: `#/evaluate?input=${encodeURIComponent(run.input)}&deal=${r.deal}`, title: `Evaluate deal ${r.deal}` }, String(r.deal))), numCell(r.ratio)]),
  }));
}

async function network(box, file, groups, sum, signal) {
  const n = sum.network || {};
  box.append(h("dl", { class: "facts", id: "network-facts" },
    h("dt", null, "Iterations"), h("dd", null, n.iterations ?? "n/a"),
    h("dt", null, "Converged"), h("dd", null, n.converged === undefined ? "n/a" : n.converged ? "yes" : "no"),
    h("dt", null, "Final relative change"), h("dd", { class: "num", dataset: { value: String(n.residual ?? null) } }, fmtNum(n.residual ?? null))));
  if ((sum.columns || []).includes("network_multiplier"))
    box.append(table({
      id: "multiplier-table", caption: "Network multiplier per policy",
      columns: [{ label: "Policy" }, { label: "Network multiplier", num: true }],
      rows: sum.policies.map((p) => [h("th", { scope: "row" }, p.name), numCell(p.metrics.network_multiplier)]),
    }));
  else box.append(message("note", "This run's metrics have no network_multiplier."));
  if (!groups.has("entities")) return box.append(message("note", "This run's output has no /entities group."));
  const meta = await h5meta(file, "/entities", signal);
  const ds = Object.fromEntries((meta.children || []).map((c) => [c.name, c]));
  if (!ds.influence) return box.append(message("note", "This run's output has no /entities/influence."));
  const infl = await h5vector(file, "/entities/influence", ds.influence, signal);
  const order = [...infl.keys()].filter((i) => Number.isFinite(infl[i])).sort((a, b) => infl[b] - infl[a] || a - b).slice(0, TOP_ENTITIES);
  const extra = ["centrality", "direct_value", "network_value"].filter((c) => ds[c]);
  const values = await Promise.all(order.map((i) => Promise.all(extra.map((c) => h5data(file, `/entities/${c}`, String(i), signal)))));
  box.append(table({
    id: "influence-table", caption: `The ${order.length} most influential entities (I = C √(Σ C of out-neighbours))`,
    columns: [{ label: "Rank", num: true }, { label: "Entity", num: true }, { label: "Influence", num: true }, ...extra.map((c) => ({ label: c.replace("_", " "), num: true }))],
    rows: order.map((e, k) => [numCell(k + 1), numCell(e), numCell(infl[e]), ...values[k].map((v) => numCell(v))]),
  }));
}

// ---- a sweep --------------------------------------------------------------------------------------------------

function renderSweep(body, sum) {
  const metrics = ["WAR", "WAR_B", "GDP", "Balance", "traded"];
  const stat = (m) => m && typeof m === "object" ? m : { mean: m, min: m, max: m };
  body.append(section("policies", "Policies over the scenarios",
    h("p", null, `${sum.sweep?.scenarios ?? sum.sizes.scenarios} scenarios (${sum.sweep?.method ?? "?"}); each cell: the mean, and its range over the scenarios.`),
    table({
      id: "sweep-table", caption: "Policy metrics over the scenarios: mean (min – max)",
      columns: [{ label: "Policy" }, { label: "Recommended in", num: true }, ...metrics.map((m) => ({ label: m, num: true }))],
      rows: sum.policies.map((p) => [h("th", { scope: "row" }, p.name), numCell(p.recommended_in ?? null),
        ...metrics.map((m) => {
          const s = stat(p.metrics[m]);
          return h("td", { class: "num", dataset: { value: String(s.mean ?? null) } }, fmtNum(s.mean ?? null),
            h("span", { class: "muted" }, ` (${fmtNum(s.min ?? null)} – ${fmtNum(s.max ?? null)})`));
        })]),
    }),
    (sum.parameters || []).length ? table({
      id: "parameters-table", caption: "Swept parameters",
      columns: [{ label: "Parameter" }, { label: "Min", num: true }, { label: "Max", num: true }],
      rows: sum.parameters.map((p) => [h("th", { scope: "row" }, p.name), numCell(p.min), numCell(p.max)]),
    }) : null,
    message("note", "A sweep's output holds each scenario's metrics, not per-period series, opportunities or the network: ",
      "browse /scenarios and /sensitivity with the data browser.")));
}
