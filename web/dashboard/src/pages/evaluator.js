// Deal evaluator: one deal (parties, components, cash flows) entered in a form or pasted as JSON, evaluated by
// POST /v1/deals/evaluate against an input file's entities: each party's value, the deal's status, surplus and
// bid, and the split (transfers, final values).
import { call, listRuns, h5meta, h5data, isAbort, errorText } from "../api.js";
import { h, clear, message, field, section, table, numCell } from "../dom.js";
import { fmtNum, DIM_NAMES } from "../fmt.js";
import { setHashQuery } from "../router.js";

/** The example of docs/api.md. */
const EXAMPLE = {
  importer: 0, trade_value: 10,
  parties: [
    { entity: 0, components: [{ dim: 0, prob: 0.9, flows: [{ period: 0, amount: 4 }, { period: 1, amount: 2 }] }] },
    { entity: 1, components: [{ dim: 2, prob: 0.8, flows: [{ period: 1, amount: -1.5 }] }] },
  ],
};

/** "0:4, 1:2" -> [{period: 0, amount: 4}, {period: 1, amount: 2}]; throws on anything else. */
export function parseFlows(text) {
  const out = [];
  for (const item of text.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = item.match(/^(\d+)\s*:\s*(\S+)$/);
    const amount = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(amount)) throw new Error(`"${item}" is not period:amount`);
    out.push({ period: Number(m[1]), amount });
  }
  return out;
}
export const flowsText = (flows) => (flows || []).map((f) => `${f.period}:${f.amount}`).join(", ");

export async function evaluatorPage({ main, params, signal, ready }) {
  const state = {
    input: params.input || "",
    entities: null, // inline entities from a pasted request
    model: { value_rule: "expected", other_factor: 0.5 },
    split: { rule: "nash", scope: "repair" },
    charge: "",
    deal: structuredClone(EXAMPLE),
  };
  if (!state.input) {
    try {
      const r = await listRuns({ limit: 1 }, signal);
      state.input = r.runs[0]?.input || "";
    } catch (e) {
      if (isAbort(e)) throw e;
    }
  }

  const input = h("input", { id: "eval-input", type: "text", value: state.input, spellcheck: "false", list: "eval-inputs", placeholder: "inputs/small.h5" });
  const dealIndex = h("input", { id: "eval-deal-index", type: "number", min: 0, step: 1, value: params.deal ?? "0", inputmode: "numeric" });
  const loadBtn = h("button", { type: "button", id: "eval-load" }, "Load this deal of the input");
  const loadStatus = h("div", { role: "status", "aria-live": "polite", id: "eval-load-status" });
  const valueRule = h("select", { id: "eval-value-rule" }, ["expected", "min_adjusted"].map((v) => h("option", { value: v }, v)));
  const otherFactor = h("input", { id: "eval-other-factor", type: "text", inputmode: "decimal", value: "0.5", class: "short" });
  const splitRule = h("select", { id: "eval-split-rule" }, ["nash", "egalitarian", "none"].map((v) => h("option", { value: v }, v)));
  const splitScope = h("select", { id: "eval-split-scope" }, ["repair", "all"].map((v) => h("option", { value: v }, v)));
  const charge = h("input", { id: "eval-charge", type: "text", inputmode: "decimal", value: "", class: "short" });
  const importer = h("input", { id: "eval-importer", type: "number", min: 0, step: 1 });
  const tradeValue = h("input", { id: "eval-trade-value", type: "text", inputmode: "decimal", class: "short" });
  const partiesBox = h("div", { id: "eval-parties" });
  const addParty = h("button", { type: "button", id: "eval-add-party" }, "Add a party");
  const json = h("textarea", { id: "eval-json", rows: 16, spellcheck: "false", class: "code" });
  const jsonLoad = h("button", { type: "button", id: "eval-json-load" }, "Use this JSON");
  const jsonStatus = h("div", { role: "status", "aria-live": "polite" });
  const go = h("button", { type: "submit", id: "eval-go", class: "primary" }, "Evaluate");
  const formError = h("div");
  const result = h("div", { id: "eval-result", "aria-live": "polite" });
  const inlineNote = h("div");

  const form = h("form", { id: "eval-form", novalidate: true },
    h("fieldset", null, h("legend", null, "Entities"),
      field("Input file (its entities)", input, "Relative to the data root."), inlineNote,
      h("div", { class: "toolbar" }, field("Deal of the input", dealIndex), loadBtn), loadStatus),
    h("fieldset", null, h("legend", null, "Model and split"),
      h("div", { class: "toolbar" }, field("Value rule", valueRule), field("Other factor", otherFactor),
        field("Split rule", splitRule), field("Split scope", splitScope),
        field("Import charge P·m", charge, "Empty: no charge (the plain split)."))),
    h("fieldset", null, h("legend", null, "Deal"),
      h("div", { class: "toolbar" }, field("Importer (party index)", importer), field("Trade value m (million USD)", tradeValue)),
      partiesBox, addParty),
    formError,
    h("div", { class: "buttons" }, go));
  main.append(h("h1", { tabindex: -1 }, "Deal evaluator"),
    h("div", { class: "grid-eval" },
      section("eval-deal", "A deal", form),
      h("div", null,
        section("eval-answer", "Answer", result),
        section("eval-paste", "The deal as JSON",
          field("Deal JSON (edit or paste; a deal, or a whole evaluate request)", json), h("div", { class: "buttons" }, jsonLoad), jsonStatus))),
    h("datalist", { id: "eval-inputs" }));
  result.append(h("p", { class: "muted" }, "Evaluate a deal to see each party's value, the status, the surplus and the split."));

  // ---- form <-> state ----
  const num = (el, parse = Number) => {
    const t = el.value.trim();
    const v = t === "Infinity" || t === "-Infinity" ? t : parse(t);
    const ok = t !== "" && (typeof v === "string" || Number.isFinite(v));
    if (ok) el.removeAttribute("aria-invalid");
    else el.setAttribute("aria-invalid", "true");
    return ok ? v : t;
  };
  const int = (el) => {
    const v = num(el);
    if (typeof v === "number" && !Number.isInteger(v)) (el.setAttribute("aria-invalid", "true"));
    return v;
  };

  function renderParties(focusId) {
    clear(partiesBox);
    state.deal.parties.forEach((p, i) => {
      const ent = h("input", { id: `eval-p${i}-entity`, type: "number", min: 0, step: 1, value: p.entity });
      ent.addEventListener("input", () => { p.entity = int(ent); sync(); });
      const comps = h("div", { class: "components" });
      (p.components || (p.components = [])).forEach((c, j) => {
        const dim = h("select", { id: `eval-p${i}-c${j}-dim` }, DIM_NAMES.map((n, d) => h("option", { value: d, selected: c.dim === d }, `${d} ${n}`)));
        dim.addEventListener("change", () => { c.dim = Number(dim.value); sync(); });
        const prob = h("input", { id: `eval-p${i}-c${j}-prob`, type: "text", inputmode: "decimal", value: c.prob, class: "short" });
        prob.addEventListener("input", () => { c.prob = num(prob); sync(); });
        const flows = h("input", { id: `eval-p${i}-c${j}-flows`, type: "text", value: flowsText(c.flows), spellcheck: "false", class: "wide" });
        flows.addEventListener("input", () => {
          try {
            c.flows = parseFlows(flows.value);
            flows.removeAttribute("aria-invalid");
          } catch {
            flows.setAttribute("aria-invalid", "true");
          }
          sync();
        });
        comps.append(h("div", { class: "component toolbar", role: "group", "aria-label": `Party ${i}, component ${j}` },
          field(`Component ${j}: dimension`, dim), field("Probability", prob), field("Cash flows (period:amount, …)", flows),
          h("button", { type: "button", class: "small", "aria-label": `Remove component ${j} of party ${i}`,
            onclick: () => { p.components.splice(j, 1); renderParties(`eval-p${i}-add-comp`); sync(); } }, "Remove")));
      });
      partiesBox.append(h("fieldset", { class: "party", id: `eval-party-${i}` },
        h("legend", null, `Party ${i}${i === Number(state.deal.importer) ? " (importer)" : ""}`),
        h("div", { class: "toolbar" }, field("Entity", ent),
          h("button", { type: "button", class: "small", "aria-label": `Remove party ${i}`,
            onclick: () => { state.deal.parties.splice(i, 1); renderParties("eval-add-party"); sync(); } }, "Remove party")),
        comps,
        h("button", { type: "button", class: "small", id: `eval-p${i}-add-comp`,
          onclick: () => { p.components.push({ dim: 0, prob: 1, flows: [] }); renderParties(`eval-p${i}-c${p.components.length - 1}-dim`); sync(); } }, "Add a component")));
    });
    if (focusId) document.getElementById(focusId)?.focus();
  }

  function fillForm() {
    input.value = state.input;
    valueRule.value = state.model.value_rule ?? "expected";
    otherFactor.value = state.model.other_factor ?? 0.5;
    splitRule.value = state.split.rule ?? "nash";
    splitScope.value = state.split.scope ?? "repair";
    charge.value = state.charge === null || state.charge === undefined ? "" : state.charge;
    importer.value = state.deal.importer;
    tradeValue.value = state.deal.trade_value;
    inlineNote.replaceChildren(state.entities ? message("note", `Entities given inline in the pasted JSON (${state.entities.type?.length ?? "?"}); the input file is not used. Load a deal or clear the JSON's entities to use it again.`) : "");
    renderParties();
    sync();
  }

  function request() {
    const body = { deal: state.deal, model: state.model, split: state.split };
    if (state.entities) body.entities = state.entities;
    else body.input = state.input;
    if (state.charge !== "" && state.charge !== null && state.charge !== undefined) body.charge = state.charge;
    return body;
  }

  function sync() {
    json.value = compactJson(request());
  }

  input.addEventListener("input", () => { state.input = input.value.trim(); sync(); });
  valueRule.addEventListener("change", () => { state.model.value_rule = valueRule.value; sync(); });
  otherFactor.addEventListener("input", () => { state.model.other_factor = num(otherFactor); sync(); });
  splitRule.addEventListener("change", () => { state.split.rule = splitRule.value; sync(); });
  splitScope.addEventListener("change", () => { state.split.scope = splitScope.value; sync(); });
  charge.addEventListener("input", () => {
    state.charge = charge.value.trim() === "" ? "" : num(charge);
    if (charge.value.trim() === "") charge.removeAttribute("aria-invalid");
    sync();
  });
  importer.addEventListener("input", () => { state.deal.importer = int(importer); renderPartiesKeepFocus(); sync(); });
  tradeValue.addEventListener("input", () => { state.deal.trade_value = num(tradeValue); sync(); });
  addParty.addEventListener("click", () => {
    state.deal.parties.push({ entity: 0, components: [{ dim: 0, prob: 1, flows: [] }] });
    renderParties(`eval-p${state.deal.parties.length - 1}-entity`);
    sync();
  });
  function renderPartiesKeepFocus() {
    const f = document.activeElement?.id;
    for (const [i, fs] of [...partiesBox.children].entries())
      fs.querySelector("legend").textContent = `Party ${i}${i === Number(state.deal.importer) ? " (importer)" : ""}`;
    if (f) document.getElementById(f)?.focus();
  }

  jsonLoad.addEventListener("click", () => {
    let v;
    try {
      v = JSON.parse(json.value);
      if (!v || typeof v !== "object") throw new Error("not an object");
      const deal = v.deal ?? (v.parties ? v : null);
      if (!deal || !Array.isArray(deal.parties)) throw new Error('no deal: give {"importer", "trade_value", "parties": [...]} or {"deal": {...}}');
      state.deal = { importer: deal.importer ?? 0, trade_value: deal.trade_value ?? 0, parties: deal.parties.map((p) => ({ entity: p.entity, components: p.components || [] })) };
      if (v.deal) {
        if (typeof v.input === "string") state.input = v.input;
        state.entities = v.entities ?? null;
        if (v.model) state.model = { value_rule: "expected", other_factor: 0.5, ...v.model };
        if (v.split) state.split = { rule: "nash", scope: "repair", ...v.split };
        state.charge = v.charge ?? "";
      }
    } catch (e) {
      json.setAttribute("aria-invalid", "true");
      jsonStatus.replaceChildren(message("error", `Not used: ${e.message}`));
      return;
    }
    json.removeAttribute("aria-invalid");
    jsonStatus.replaceChildren(message("ok", "The form now holds this deal."));
    fillForm();
  });

  loadBtn.addEventListener("click", async () => {
    loadStatus.textContent = "Loading…";
    try {
      const k = Number(dealIndex.value);
      state.deal = await readDeal(state.input, k, signal);
      state.entities = null;
      setHashQuery({ input: state.input, deal: k });
      fillForm();
      loadStatus.replaceChildren(message("ok", `Deal ${k} of ${state.input} loaded.`));
    } catch (e) {
      if (!isAbort(e)) loadStatus.replaceChildren(message("error", errorText(e)));
    }
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const bad = form.querySelector('[aria-invalid="true"]');
    if (bad) {
      formError.replaceChildren(message("error", `Check the field “${document.querySelector(`label[for="${bad.id}"]`)?.textContent ?? bad.id}”.`));
      return bad.focus();
    }
    formError.replaceChildren();
    go.disabled = true;
    delete result.dataset.ready;
    try {
      const body = request();
      const ans = await call("POST", "/v1/deals/evaluate", { body, signal });
      showAnswer(result, ans, body);
    } catch (e) {
      if (!isAbort(e)) result.replaceChildren(message("error", errorText(e)));
    } finally {
      go.disabled = false;
      result.dataset.ready = "1";
    }
  });

  fillForm();
  if (params.deal !== undefined && state.input) loadBtn.click();
  try {
    const runs = await listRuns({ limit: 100 }, signal);
    document.getElementById("eval-inputs")?.replaceChildren(...[...new Set(runs.runs.map((r) => r.input))].map((i) => h("option", { value: i })));
  } catch (e) {
    if (isAbort(e)) throw e;
  }
  ready();
}

/** JSON indented by 2, with objects and arrays that hold no others on one line (a flow, a weight row). */
export function compactJson(v) {
  return JSON.stringify(v, null, 2).replace(/[{[][^{}[\]]*[}\]]/g, (m) => m.replace(/\s*\n\s*/g, " "));
}

/** Deal k of an input file, in the nested form, read through h5grove from the file's CSR arrays. */
export async function readDeal(file, k, signal) {
  if (!file) throw new Error("Give the input file first.");
  const m = await h5meta(file, "/deals/importer", signal);
  const M = m.shape[0];
  if (!Number.isInteger(k) || k < 0 || k >= M) throw new Error(`Deal index: the input has deals 0 to ${M - 1}.`);
  const get = (name, sel) => h5data(file, `/deals/${name}`, sel, signal);
  const [p0, p1] = await get("party_ptr", `${k}:${k + 2}`);
  const [entities, imp, tv, cptr] = await Promise.all([get("party_entity", `${p0}:${p1}`), get("importer", String(k)),
    get("trade_value", String(k)), get("comp_ptr", `${p0}:${p1 + 1}`)]);
  const c0 = cptr[0], c1 = cptr[cptr.length - 1];
  const [dims, probs, fptr] = c1 > c0 ? await Promise.all([get("comp_dim", `${c0}:${c1}`), get("comp_prob", `${c0}:${c1}`), get("flow_ptr", `${c0}:${c1 + 1}`)]) : [[], [], [0]];
  const f0 = fptr[0], f1 = fptr[fptr.length - 1];
  const [periods, amounts] = f1 > f0 ? await Promise.all([get("flow_period", `${f0}:${f1}`), get("flow_amount", `${f0}:${f1}`)]) : [[], []];
  return {
    importer: imp, trade_value: tv,
    parties: entities.map((e, i) => ({
      entity: e,
      components: dims.slice(cptr[i] - c0, cptr[i + 1] - c0).map((d, jj) => {
        const j = cptr[i] - c0 + jj;
        return { dim: d, prob: probs[j],
          flows: periods.slice(fptr[j] - f0, fptr[j + 1] - f0).map((t, q) => ({ period: t, amount: amounts[fptr[j] - f0 + q] })) };
      }),
    })),
  };
}

function showAnswer(box, ans, body) {
  const d = ans.deal;
  const imp = Number(body.deal.importer);
  box.replaceChildren(
    h("dl", { class: "facts", id: "eval-facts" },
      h("dt", null, "Status"), h("dd", { id: "eval-status", dataset: { value: String(d.status) } }, h("span", { class: `status status-${d.status}` }, d.status_name), ` (${d.status})`),
      h("dt", null, "Surplus S"), h("dd", { id: "eval-surplus", class: "num", dataset: { value: String(d.surplus) } }, fmtNum(d.surplus)),
      h("dt", null, "Bid b (premium per unit the deal bears)"), h("dd", { id: "eval-bid", class: "num", dataset: { value: String(d.bid) } }, fmtNum(d.bid)),
      h("dt", null, "Rules used"), h("dd", null, `${ans.params.model.value_rule}, other factor ${ans.params.model.other_factor}; split ${ans.params.split.rule} (${ans.params.split.scope})`)),
    table({
      id: "eval-parties-table", caption: "Per party: value V, the split's transfer τ and the final value V''",
      columns: [{ label: "Party" }, { label: "Entity", num: true }, { label: "Value V", num: true }, { label: "Transfer τ", num: true }, { label: "Final value V''", num: true }],
      rows: d.parties.map((p, i) => [h("th", { scope: "row" }, `${i}${i === imp ? " (importer)" : ""}`), numCell(p.entity), numCell(p.value), numCell(p.transfer), numCell(p.final_value)]),
    }));
}
