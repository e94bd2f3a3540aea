// Runs and sweeps: the list (newest first) kept current by long polls on the runs that are queued or running, a
// submit form, and cancel / resume buttons.
import { call, listRuns, waitRun, sleep, isAbort, errorText, ACTIVE } from "../api.js";
import { h, message, field, section } from "../dom.js";
import { fmtTime, fmtProgress, fmtEta, progressPercent } from "../fmt.js";
import { TEMPLATES, TEMPLATE_LABELS } from "../templates.js";

const FOLLOW = 3; // long polls held at once (a browser opens about 6 connections per server)

export async function runsPage({ main, signal, ready }) {
  let kick = () => {};
  const refresh = () => kick();

  const limitSel = h("select", { id: "runs-limit" }, [25, 50, 100, 500].map((n) => h("option", { value: n, selected: n === 50 }, n)));
  limitSel.addEventListener("change", refresh);
  const updated = h("span", { class: "muted", id: "runs-updated" });
  const tbody = h("tbody");
  const listStatus = h("div", { role: "status", "aria-live": "polite", id: "runs-action-status" });
  const listError = h("div");
  const tableEl = h("table", { id: "runs-table" },
    h("caption", null, "Runs, newest first"),
    h("thead", null, h("tr", null, ["Run", "Kind", "State", "Progress", "Time left", "Input", "Created", "Finished", "Actions"]
      .map((l) => h("th", { scope: "col" }, l)))), tbody);
  const empty = h("p", { class: "muted", hidden: true }, "No runs yet: submit one with the form.");

  main.append(
    h("h1", { tabindex: -1 }, "Runs and sweeps"),
    h("div", { class: "grid-runs" },
      section("runs-list", "Runs",
        h("div", { class: "toolbar" }, field("Show", limitSel), updated),
        listError, listStatus,
        h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Runs" }, tableEl), empty),
      submitForm(refresh, signal)));

  const datalist = document.getElementById("inputs-list");
  const rows = new Map(); // id -> {tr, sig}

  function renderRows(runs) {
    const keep = new Set(runs.map((r) => r.id));
    for (const [id, row] of rows) if (!keep.has(id)) (row.tr.remove(), rows.delete(id));
    let cursor = tbody.firstElementChild;
    for (const r of runs) {
      let row = rows.get(r.id);
      if (!row) {
        row = { tr: h("tr", { id: `run-row-${r.id}`, dataset: { id: r.id } }), cells: [] };
        rows.set(r.id, row);
      }
      updateRow(row, r);
      if (row.tr === cursor) cursor = cursor.nextElementSibling;
      else tbody.insertBefore(row.tr, cursor);
    }
    empty.hidden = runs.length > 0;
    const inputs = [...new Set(runs.map((r) => r.input).filter(Boolean))];
    if (datalist && datalist.dataset.sig !== inputs.join("\n")) {
      datalist.dataset.sig = inputs.join("\n");
      datalist.replaceChildren(...inputs.map((i) => h("option", { value: i })));
    }
  }

  function updateRow(row, r) {
    const pct = progressPercent(r.progress);
    const cells = [
      [String(r.id), () => h("th", { scope: "row" }, h("a", { href: `#/run/${r.id}` }, `${r.kind === "sweep" ? "Sweep" : "Run"} ${r.id}`))],
      [r.kind, () => h("td", null, r.kind)],
      [`${r.state}|${r.message ?? ""}|${r.cancel_requested}`, () => h("td", { class: "state-cell" },
        h("span", { class: `state state-${r.state}`, dataset: { state: r.state } }, r.state),
        r.cancel_requested && ACTIVE.has(r.state) ? h("span", { class: "muted" }, " stopping") : null,
        r.message ? h("div", { class: "run-message" }, r.message) : null)],
      [JSON.stringify(r.progress ?? null), () => h("td", { class: "progress-cell" },
        pct !== null ? h("progress", { max: 100, value: pct, "aria-label": `Run ${r.id} progress` }) : null,
        " ", fmtProgress(r.progress))],
      [fmtEta(r.progress), () => h("td", { class: "eta" }, ACTIVE.has(r.state) ? fmtEta(r.progress) : "")],
      [r.input, () => h("td", { class: "path" }, r.input)],
      [r.created ?? "", () => h("td", { class: "time", title: r.created ?? "" }, timeParts(r.created))],
      [r.finished ?? "", () => h("td", { class: "time", title: r.finished ?? "" }, timeParts(r.finished))],
      [`${r.state}|${r.cancel_requested}`, () => h("td", { class: "actions" }, actions(r))],
    ];
    cells.forEach(([sig, make], i) => {
      const old = row.cells[i];
      if (old && old.sig === sig) return;
      const focused = old && old.el.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      const el = make();
      if (old) old.el.replaceWith(el);
      else row.tr.append(el);
      row.cells[i] = { sig, el };
      if (focused) el.querySelector(`[data-action="${focused}"]`)?.focus();
    });
    row.tr.dataset.state = r.state;
  }

  function actions(r) {
    const out = [];
    if (ACTIVE.has(r.state))
      out.push(h("button", { type: "button", class: "danger", dataset: { action: "cancel" }, "aria-label": `${r.cancel_requested ? "Force stop" : "Cancel"} run ${r.id}`,
        onclick: () => act(r, "cancel") }, r.cancel_requested ? "Force stop" : "Cancel"));
    if (["checkpointed", "cancelled", "failed", "lost"].includes(r.state))
      out.push(h("button", { type: "button", dataset: { action: "resume" }, "aria-label": `Resume run ${r.id}`, onclick: () => act(r, "resume") }, "Resume"));
    return out;
  }

  async function act(r, what) {
    listStatus.textContent = `${what === "cancel" ? "Cancelling" : "Resuming"} run ${r.id}…`;
    try {
      const res = await call("POST", `/v1/runs/{id}/${what}`, { params: { path: { id: r.id } }, ...(what === "resume" ? { body: {} } : {}) });
      listStatus.textContent = `Run ${r.id}: ${res.state}${res.cancel_requested && ACTIVE.has(res.state) ? " (asked to stop)" : ""}.`;
    } catch (e) {
      listStatus.textContent = "";
      listError.replaceChildren(message("error", `Run ${r.id}: ${errorText(e)}`));
    }
    refresh();
  }

  // Follow the list: reload it whenever a followed run changes state (long polls), every 2 s while runs report
  // progress, every 5 s anyway (to see runs submitted elsewhere), and at once after an action here.
  let first = true;
  (async () => {
    while (!signal.aborted) {
      const started = Date.now();
      const round = new AbortController();
      const stop = () => round.abort();
      signal.addEventListener("abort", stop, { once: true });
      try {
        const list = await listRuns({ limit: Number(limitSel.value) }, signal);
        renderRows(list.runs);
        listError.replaceChildren();
        const active = list.runs.filter((r) => ACTIVE.has(r.state));
        updated.textContent = `Updated ${new Date().toLocaleTimeString()}${active.length ? ` · following ${active.length} active` : ""}`;
        if (first) (first = false, ready());
        const progress = active.some((r) => r.progress);
        // the list itself every 5 s, for runs submitted elsewhere
        const waits = [new Promise((res) => (kick = res)), sleep(5000, round.signal)];
        for (const r of active.slice(0, FOLLOW)) waits.push(waitRun(r.id, r.state, progress ? 2 : 25, round.signal));
        await Promise.race(waits);
      } catch (e) {
        if (signal.aborted) return;
        if (!isAbort(e)) listError.replaceChildren(message("error", `Could not load the runs: ${errorText(e)}`));
        if (first) (first = false, ready());
        await sleep(5000, signal).catch(() => {});
      } finally {
        round.abort();
        signal.removeEventListener("abort", stop);
      }
      // at most two loads a second, whatever the answers say (a list and a run that disagree for a moment)
      if (Date.now() - started < 500) await sleep(500 - (Date.now() - started), signal).catch(() => {});
    }
  })();
}

/** fmtTime's text, date and time each kept on one line (a narrow column wraps between them). */
function timeParts(iso) {
  const [d, t] = fmtTime(iso).split(" ");
  return d ? [h("span", { class: "nw" }, d), " ", h("span", { class: "nw" }, t)] : "";
}

function submitForm(refresh, signal) {
  const tpl = h("select", { id: "submit-template" }, Object.keys(TEMPLATES).map((k) => h("option", { value: k }, TEMPLATE_LABELS[k])));
  const config = h("textarea", { id: "submit-config", rows: 10, spellcheck: "false", class: "code", wrap: "off",
    placeholder: "[assessment]\ndraws = 8\n\n[policy.tariff10]\nkind = tariff\nrate = 0.1" });
  tpl.addEventListener("change", () => { config.value = TEMPLATES[tpl.value]; });
  const input = h("input", { id: "submit-input", type: "text", list: "inputs-list", spellcheck: "false", placeholder: "inputs/small.h5" });
  const kind = h("select", { id: "submit-kind" }, h("option", { value: "" }, "as the config says"), h("option", { value: "run" }, "run"), h("option", { value: "sweep" }, "sweep"));
  const sets = h("textarea", { id: "submit-set", rows: 3, spellcheck: "false", class: "code", placeholder: "assessment.draws = 4" });
  const output = h("input", { id: "submit-output", type: "text", spellcheck: "false", placeholder: "runs/ID/output.h5" });
  const report = h("input", { id: "submit-report", type: "checkbox" });
  const status = h("div", { id: "submit-status", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "submit", id: "submit-run" }, "Submit");

  const form = h("form", { id: "submit-form", novalidate: true },
    field("Start from", tpl, "Fills the config below."),
    field("Config (INI text)", config, "docs/config.md; may be empty. Relative paths are relative to the data root."),
    field("Input file", input, "Relative to the server's data root."),
    field("Kind", kind),
    field("Overrides", sets, "One section.key = value per line, as --set."),
    field("Output file (optional)", output),
    h("div", { class: "field check" }, report, h("label", { for: "submit-report" }, "Also make the HTML report")),
    h("div", { class: "buttons" }, button), status);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { config: config.value };
    if (input.value.trim()) body.input = input.value.trim();
    if (output.value.trim()) body.output = output.value.trim();
    if (kind.value) body.kind = kind.value;
    if (report.checked) body.report = true;
    const set = {};
    for (const [i, line] of sets.value.split("\n").entries()) {
      const t = line.trim();
      if (!t || t.startsWith("#") || t.startsWith(";")) continue;
      const eq = t.indexOf("=");
      if (eq < 1) {
        status.replaceChildren(message("error", `Overrides, line ${i + 1}: write section.key = value`));
        sets.setAttribute("aria-invalid", "true");
        return sets.focus();
      }
      set[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
    }
    sets.removeAttribute("aria-invalid");
    if (Object.keys(set).length) body.set = set;
    button.disabled = true;
    status.replaceChildren("Submitting…");
    try {
      const run = await call("POST", "/v1/runs", { body, signal });
      status.replaceChildren(message("ok", `${run.kind === "sweep" ? "Sweep" : "Run"} ${run.id} ${run.state}. `,
        h("a", { href: `#/run/${run.id}`, id: "submitted-link" }, `Open run ${run.id}`)));
      refresh();
    } catch (e) {
      if (!isAbort(e)) status.replaceChildren(message("error", `Not submitted: ${errorText(e)}`));
    } finally {
      button.disabled = false;
    }
  });
  return section("submit", "Submit a run or sweep", form, h("datalist", { id: "inputs-list" }));
}
