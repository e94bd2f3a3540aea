// Deals (docs/api.md "Evaluate deals"): nested deals to the input file's columnar CSR layout (docs/formats.md,
// /deals), and evaluating them through POST /v1/deals/evaluate.

/** A Real of the API as a JS number: "Infinity", "-Infinity" and "NaN" become those numbers. */
export function toNumber(x) {
  return typeof x === "string" ? Number(x) : x;
}

/** A JS number as a Real of the API: a non-finite one becomes its string (JSON has none). */
export function toReal(x) {
  return typeof x === "number" && !Number.isFinite(x) ? String(x) : x;
}

function need(obj, key, where, kind) {
  const v = obj?.[key];
  if (v === undefined || v === null) throw new TypeError(`${where}.${key} is required`);
  if (kind === "int" && !Number.isInteger(v)) throw new TypeError(`${where}.${key} must be an integer`);
  if (kind === "real" && typeof v !== "number" && !["Infinity", "-Infinity", "NaN"].includes(v)) {
    throw new TypeError(`${where}.${key} must be a number`);
  }
  if (kind === "array" && !Array.isArray(v)) throw new TypeError(`${where}.${key} must be an array`);
  return v;
}

function list(obj, key, where) {
  const v = obj?.[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TypeError(`${where}.${key} must be an array`);
  return v;
}

/**
 * Nested deals ({importer, trade_value, parties: [{entity, components: [{dim, prob, flows: [{period, amount}]}]}]},
 * the `deal` form of the API) as one columnar batch in the input file's CSR layout, the `deals` object
 * POST /v1/deals/evaluate accepts: party_ptr [M+1], party_entity [P], importer [M] (a party index within its
 * deal), trade_value [M], comp_ptr [P+1], comp_dim [C], comp_prob [C], flow_ptr [C+1], flow_period [F],
 * flow_amount [F]. Deals, parties and components are flattened in order, as the server flattens nested deals,
 * so its index-naming 422 details count the same. A non-finite number becomes its string ("Infinity").
 * Throws TypeError naming the field (`deals[1].parties[0].entity is required`) for a malformed deal; the
 * model's rules (probabilities in [0,1], entities in range ...) are the server's to check.
 * @param {Array<object>} deals
 */
export function buildDealBatch(deals) {
  if (!Array.isArray(deals)) throw new TypeError("deals must be an array of nested deals");
  const b = {
    party_ptr: [0], party_entity: [], importer: [], trade_value: [], comp_ptr: [0], comp_dim: [], comp_prob: [],
    flow_ptr: [0], flow_period: [], flow_amount: [],
  };
  deals.forEach((deal, d) => {
    const wd = `deals[${d}]`;
    if (!deal || typeof deal !== "object") throw new TypeError(`${wd} must be an object`);
    b.importer.push(need(deal, "importer", wd, "int"));
    b.trade_value.push(toReal(need(deal, "trade_value", wd, "real")));
    need(deal, "parties", wd, "array").forEach((party, p) => {
      const wp = `${wd}.parties[${p}]`;
      b.party_entity.push(need(party, "entity", wp, "int"));
      list(party, "components", wp).forEach((comp, c) => {
        const wc = `${wp}.components[${c}]`;
        b.comp_dim.push(need(comp, "dim", wc, "int"));
        b.comp_prob.push(toReal(need(comp, "prob", wc, "real")));
        list(comp, "flows", wc).forEach((flow, f) => {
          const wf = `${wc}.flows[${f}]`;
          b.flow_period.push(need(flow, "period", wf, "int"));
          b.flow_amount.push(toReal(need(flow, "amount", wf, "real")));
        });
        b.flow_ptr.push(b.flow_period.length);
      });
      b.comp_ptr.push(b.comp_dim.length);
    });
    b.party_ptr.push(b.party_entity.length);
  });
  return b;
}

/**
 * A columnar answer (DealColumnsResult) back in the nested answer's form, one DealResult per deal:
 * {status, status_name, surplus, bid, parties: [{entity, value, transfer, final_value}]}, with the batch's
 * party_ptr and party_entity (or the answer's own, for deal_indices).
 */
export function splitDealColumns(columns, batch = columns) {
  const ptr = batch.party_ptr, ent = batch.party_entity;
  if (!ptr || !ent) throw new TypeError("splitDealColumns needs party_ptr and party_entity");
  return columns.status.map((status, d) => {
    const parties = [];
    for (let p = ptr[d]; p < ptr[d + 1]; p++) {
      parties.push({ entity: ent[p], value: columns.value[p], transfer: columns.transfer[p], final_value: columns.final_value[p] });
    }
    return { status, status_name: columns.status_name[d], surplus: columns.surplus[d], bid: columns.bid[d], parties };
  });
}

/**
 * Evaluate deals in process on the server (POST /v1/deals/evaluate, MODEL.md sections 2-3), sent as one columnar
 * batch: `deals` is a list of nested deals (buildDealBatch makes the batch) or a batch already built. The
 * entities come from `input` (a file under the data root) or inline `entities`; `model`, `split` and `charge`
 * as the API has them. Resolves to {n_deals, n_parties, params, columns, deals}: `columns` is the server's
 * columnar answer, `deals` the same numbers per deal in the nested answer's form (splitDealColumns).
 * Numbers stay as the API sends them (a bid of a deal without trade is "Infinity"; toNumber converts).
 * @param {import("./index.js").TradebalClient} client
 * @param {Array<object> | object} deals
 * @param {{input?: string, entities?: object, model?: object, split?: object, charge?: any, signal?: AbortSignal}} [opts]
 */
export async function evaluateDeals(client, deals, opts = {}) {
  const { signal, ...rest } = opts;
  const batch = Array.isArray(deals) ? buildDealBatch(deals) : deals;
  const body = { ...rest, deals: batch };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  const ans = await client.call("POST", "/v1/deals/evaluate", { body, signal });
  const columns = ans.deals;
  return { n_deals: ans.n_deals, n_parties: ans.n_parties, params: ans.params, columns, deals: splitDealColumns(columns, batch) };
}
