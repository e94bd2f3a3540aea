// Nightly history: chosen metrics of finished runs over time (from their summaries), and what moved between two
// runs (the diff endpoint), with the deals whose status changed (read from both outputs).
import { call, listAllRuns, summary as getSummary, h5meta, h5vector, isAbort, errorText } from "../api.js";
import { h, clear, message, field, section, table, numCell } from "../dom.js";
import { fmtNum, fmtPct, fmtTime, statusName, STATUS_NAMES } from "../fmt.js";
import { lineChart } from "../chart.js";
import { setHashQuery, rerender } from "../router.js";

const MAX_CHANGED = 200; // deals listed whose status changed

export async function historyPage({ main, params, signal, ready }) {
  main.append(h("h1", { tabindex: -1 }, "Nightly history"));
  const count = Number(params.n) || 30;
  const runs = (await listAllRuns({ state: "done", kind: "run" }, count, signal))
    .sort((x, y) => Date.parse(x.finished) - Date.parse(y.finished) || x.id - y.id); // oldest first
  if (!runs.length) {
    main.append(message("note", "No finished runs yet."));
    return ready();
  }
  const sums = await Promise.all(runs.map((r) => getSummary(r.id, signal)));
  const columns = [...new Set(sums.flatMap((s) => s.columns || []))];
  const policies = [...new Set(sums.flatMap((s) => s.policies.map((p) => p.name)))];

  // controls: how many runs, whose metric (the recommended policy's, or one policy's), which metrics
  const nSel = h("select", { id: "history-count" }, [10, 30, 100, 300].map((n) => h("option", { value: n, selected: n === count }, `newest ${n}`)));
  const polSel = h("select", { id: "history-policy" }, h("option", { value: "" }, "the recommended policy"),
    policies.map((p) => h("option", { value: p, selected: p === params.policy }, p)));
  const chosen = new Set((params.metrics || "WAR_B").split(",").filter((m) => columns.includes(m)));
  if (!chosen.size && columns.length) chosen.add(columns[0]);
  const boxes = h("fieldset", { class: "checks", id: "history-metrics" }, h("legend", null, "Metrics"),
    columns.map((c) => h("label", null, h("input", { type: "checkbox", value: c, checked: chosen.has(c) }), ` ${c}`)));
  const out = h("div");
  const historySection = section("history", "Metrics over time",
    h("div", { class: "toolbar" }, field("Runs", nSel), field("Policy", polSel)), boxes, out);

  const draw = () => {
    const metrics = [...boxes.querySelectorAll("input:checked")].map((b) => b.value);
    const policy = polSel.value;
    setHashQuery({ n: nSel.value === "30" ? "" : nSel.value, policy, metrics: metrics.join(",") });
    clear(out);
    if (!metrics.length) return out.append(message("note", "Choose a metric."));
    const chartBox = h("div"), tableBox = h("div");
    out.append(h("div", { class: "grid-2" }, chartBox, tableBox));
    const pick = (s) => s.policies.find((p) => (policy ? p.name === policy : p.recommended)) || (policy ? null : s.policies.find((p) => p.name === s.recommended));
    const x = runs.map((r) => Date.parse(r.finished) / 1000);
    const rowsData = runs.map((r, i) => ({ r, p: pick(sums[i]) }));
    chartBox.append(lineChart({
      id: "history-chart", time: true, xLabel: "finished", yLabel: metrics.length === 1 ? metrics[0] : "value",
      title: `${metrics.join(", ")} of ${policy || "the recommended policy"}, run by run`,
      x, series: metrics.map((m) => ({ label: m, values: rowsData.map(({ p }) => (p ? p.metrics[m] : null)) })),
    }));
    tableBox.append(table({
      id: "history-table", className: "tall", caption: `${policy || "The recommended policy"}: ${metrics.join(", ")} by run (oldest first)`,
      columns: [{ label: "Run" }, { label: "Finished" }, { label: "Policy" }, ...metrics.map((m) => ({ label: m, num: true }))],
      rows: rowsData.map(({ r, p }) => [h("th", { scope: "row" }, h("a", { href: `#/run/${r.id}` }, `Run ${r.id}`)), fmtTime(r.finished),
        p ? p.name : "(none)", ...metrics.map((m) => numCell(p ? p.metrics[m] ?? null : null))]),
      rowAttrs: (i) => ({ dataset: { run: runs[i].id } }),
    }));
  };
  nSel.addEventListener("change", () => {
    setHashQuery({ ...Object.fromEntries(new URLSearchParams(location.hash.split("?")[1] || "")), n: nSel.value });
    rerender();
  });
  polSel.addEventListener("change", draw);
  boxes.addEventListener("change", draw);

  // the difference between two runs
  const opt = (r, sel) => h("option", { value: r.id, selected: sel }, `Run ${r.id} · ${fmtTime(r.finished)}`);
  const aSel = h("select", { id: "diff-a" }, runs.map((r, i) => opt(r, String(r.id) === params.a || (!params.a && i === runs.length - 2))));
  const bSel = h("select", { id: "diff-b" }, runs.map((r, i) => opt(r, String(r.id) === params.b || (!params.b && i === runs.length - 1))));
  const diffOut = h("div", { id: "diff-out", "aria-live": "polite" });
  const form = h("form", { id: "diff-form", class: "toolbar" }, field("Run a (before)", aSel), field("Run b (after)", bSel),
    h("button", { type: "submit", id: "diff-go" }, "Compare"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    compare(Number(aSel.value), Number(bSel.value), diffOut, runs, signal).catch((e) => {
      if (!isAbort(e)) diffOut.replaceChildren(message("error", errorText(e)));
    });
  });
  main.append(historySection, section("diff", "Difference between two runs", form, diffOut));
  draw();
  if (runs.length >= 2) await compare(Number(aSel.value), Number(bSel.value), diffOut, runs, signal);
  else diffOut.append(message("note", "One finished run: nothing to compare yet."));
  ready();
}

async function compare(a, b, out, runs, signal) {
  delete out.dataset.ready;
  out.replaceChildren(h("p", null, "Comparing…"));
  const d = await call("GET", "/v1/runs/{id}/diff/{other}", { params: { path: { id: a, other: b } }, signal });
  const ra = runs.find((r) => r.id === a), rb = runs.find((r) => r.id === b);
  const facts = h("dl", { class: "facts", id: "diff-facts" },
    h("dt", null, "Same input"), h("dd", null, d.same_input ? "yes" : "no"),
    h("dt", null, "Same config"), h("dd", null, d.same_config ? "yes" : "no"),
    h("dt", null, "Recommended"), h("dd", { id: "diff-recommended" }, d.recommended ? `${d.recommended.a ?? "n/a"} → ${d.recommended.b ?? "n/a"}${d.recommended.changed ? " (changed)" : ""}` : "n/a"),
    h("dt", null, "Tolerance"), h("dd", null, fmtNum(d.tolerance)),
    d.only_in_a.length ? [h("dt", null, `Only in run ${a}`), h("dd", null, d.only_in_a.join(", "))] : null,
    d.only_in_b.length ? [h("dt", null, `Only in run ${b}`), h("dd", null, d.only_in_b.join(", "))] : null);
  const parts = [h("h3", null, `Run ${a} → run ${b}`), facts];
  if (d.config_changes.length)
    parts.push(table({ id: "diff-config", caption: "Config keys that differ",
      columns: [{ label: "Key" }, { label: `Run ${a}` }, { label: `Run ${b}` }],
      rows: d.config_changes.map((c) => [h("th", { scope: "row" }, c.key), c.a ?? "(absent)", c.b ?? "(absent)"]) }));
  parts.push(d.moved.length ? table({
    id: "diff-moved", caption: `Metrics that moved (${d.moved.length})`,
    columns: [{ label: "Policy" }, { label: "Metric" }, { label: `Run ${a}`, num: true }, { label: `Run ${b}`, num: true }, { label: "Δ", num: true }, { label: "Relative", num: true }],
    rows: d.moved.map((m) => [m.policy, m.metric, numCell(m.a), numCell(m.b), numCell(m.delta), numCell(m.relative, fmtPct)]),
  }) : message("ok", "No metric moved."));
  if (d.deals) {
    const tr = d.deals.status_transitions;
    parts.push(h("p", { id: "diff-deal-counts" }, `${d.deals.status_changed} of ${d.deals.count} deals changed status`,
      d.deals.outcome_changed !== undefined ? `; ${d.deals.outcome_changed} changed outcome under the recommended policy` : "", "."));
    parts.push(table({ id: "diff-transitions", caption: `Deal status: rows run ${a}, columns run ${b}`,
      columns: [{ label: `Run ${a} \\ run ${b}` }, ...STATUS_NAMES.map((s) => ({ label: s, num: true }))],
      rows: tr.map((row, i) => [h("th", { scope: "row" }, STATUS_NAMES[i]), ...row.map((v) => numCell(v))]) }));
    if (d.deals.status_changed > 0 && ra && rb) parts.push(await changedDeals(ra, rb, signal));
  }
  out.replaceChildren(...parts);
  out.dataset.ready = `${a}-${b}`;
}

/** The deals whose /deals/status differs, read from both outputs (the first MAX_CHANGED). */
async function changedDeals(ra, rb, signal) {
  try {
    const [ma, mb] = await Promise.all([h5meta(ra.output, "/deals/status", signal), h5meta(rb.output, "/deals/status", signal)]);
    const [sa, sb] = await Promise.all([h5vector(ra.output, "/deals/status", ma, signal), h5vector(rb.output, "/deals/status", mb, signal)]);
    const rows = [];
    let total = 0;
    for (let i = 0; i < sa.length; i++)
      if (sa[i] !== sb[i] && total++ < MAX_CHANGED) rows.push([i, sa[i], sb[i]]);
    return table({
      id: "diff-deals", caption: `Deals whose status changed${total > rows.length ? ` (the first ${rows.length} of ${total})` : ""}`,
      columns: [{ label: "Deal", num: true }, { label: `Run ${ra.id}` }, { label: `Run ${rb.id}` }, { label: "Evaluate" }],
      rows: rows.map(([i, x, y]) => [numCell(i), h("td", { dataset: { value: x } }, statusName(x)), h("td", { dataset: { value: y } }, statusName(y)),
        h("td", null, h("a", { href: `#/evaluate?input=${encodeURIComponent(rb.input)}&deal=${i}` }, `deal ${i}`))]),
    });
  } catch (e) {
    if (isAbort(e)) throw e;
    return message("note", `Could not list the deals: ${errorText(e)}`);
  }
}
