// The client against a real `tradebal serve` (harness.mjs starts it over a fresh data root with inputs/small.h5):
// health, deals through buildDealBatch against the server's nested form, deal_indices, the file itself and a hand
// check of MODEL.md sections 2-3, a run waited to its end and its summary, checkpoint and resume, cancel, and the
// problem classes of 400/401/403/404/409/413/422. The examples mirror web/client/README.md.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  BadRequestError, ConflictError, ForbiddenError, InvalidInputError, NotFoundError, ProblemError, RunFailedError,
  TooLargeError, UnauthorizedError, buildDealBatch, cancelRun, createTradebal, evaluateDeals, resumeRun, submitRun,
  toNumber, waitForRun,
} from "@tradebal/client";
import { SMALL_RUN, makeDataRoot, startServer, stopAll } from "./harness.mjs";

const INPUT = "inputs/small.h5";
const K = 200; // deals of the file compared three ways
let server, client, reader;

before(async () => {
  server = await startServer(makeDataRoot(), { sets: [`limits.max_batch=${K}`] });
  client = createTradebal({ baseUrl: server.url, token: server.tokens.submit });
  reader = createTradebal({ baseUrl: server.url, token: async () => server.tokens.read });
});
after(stopAll);

// the example deal of docs/api.md and its answer there (an input of `generate --entities 200 --deals 2000 --seed 7`)
const DOC_DEAL = { importer: 0, trade_value: 10.0, parties: [
  { entity: 0, components: [{ dim: 0, prob: 0.9, flows: [{ period: 0, amount: 4.0 }, { period: 1, amount: 2.0 }] }] },
  { entity: 1, components: [{ dim: 2, prob: 0.8, flows: [{ period: 1, amount: -1.5 }] }] }] };

test("health", async () => {
  const h = await createTradebal({ baseUrl: server.url }).call("GET", "/v1/health"); // no token needed
  assert.equal(h.status, "ok");
  assert.equal(h.executor, "local");
});

describe("deals", () => {
  test("the docs' deal: evaluateDeals (a columnar batch) equals the nested form and docs/api.md", async () => {
    const res = await evaluateDeals(reader, [DOC_DEAL], { input: INPUT });
    const { deal } = await reader.call("POST", "/v1/deals/evaluate", { body: { input: INPUT, deal: DOC_DEAL } });
    assert.deepEqual(res.deals, [deal]);
    assert.equal(res.n_deals, 1);
    assert.equal(res.n_parties, 2);
    assert.deepEqual(res.params, { model: { value_rule: "expected", other_factor: 0.5 }, split: { rule: "nash", scope: "repair" } });
    assert.equal(deal.status_name, "REPAIRABLE");
    assert.equal(deal.surplus, 4.3433613621770562);
    assert.equal(deal.bid, 0.43433613621770562);
    assert.deepEqual(deal.parties[0], { entity: 0, value: 1.5070364151148379, transfer: -2.5676345192392085, final_value: 0.74880344692051748 });
  });

  test(`the file's first ${K} deals: built from /deals, evaluated as a batch, nested and by deal_indices, bitwise equal`, async () => {
    const read = (name) => reader.call("GET", "/v1/h5grove/data", { params: { query: { file: INPUT, path: `/deals/${name}` } } });
    const names = ["party_ptr", "party_entity", "importer", "trade_value", "comp_ptr", "comp_dim", "comp_prob", "flow_ptr", "flow_period", "flow_amount"];
    const f = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await read(n)])));
    // the file's CSR arrays as nested deals
    const deals = [];
    for (let d = 0; d < K; d++) {
      const parties = [];
      for (let p = f.party_ptr[d]; p < f.party_ptr[d + 1]; p++) {
        const components = [];
        for (let c = f.comp_ptr[p]; c < f.comp_ptr[p + 1]; c++) {
          const flows = [];
          for (let x = f.flow_ptr[c]; x < f.flow_ptr[c + 1]; x++) flows.push({ period: f.flow_period[x], amount: f.flow_amount[x] });
          components.push({ dim: f.comp_dim[c], prob: f.comp_prob[c], flows });
        }
        parties.push({ entity: f.party_entity[p], components });
      }
      deals.push({ importer: f.importer[d], trade_value: f.trade_value[d], parties });
    }
    // buildDealBatch gives back the file's own layout (the first K deals of it)
    const batch = buildDealBatch(deals);
    const P = f.party_ptr[K], C = f.comp_ptr[P], F = f.flow_ptr[C];
    assert.deepEqual(batch, {
      party_ptr: f.party_ptr.slice(0, K + 1), party_entity: f.party_entity.slice(0, P), importer: f.importer.slice(0, K),
      trade_value: f.trade_value.slice(0, K), comp_ptr: f.comp_ptr.slice(0, P + 1), comp_dim: f.comp_dim.slice(0, C),
      comp_prob: f.comp_prob.slice(0, C), flow_ptr: f.flow_ptr.slice(0, C + 1), flow_period: f.flow_period.slice(0, F),
      flow_amount: f.flow_amount.slice(0, F),
    });
    const res = await evaluateDeals(reader, deals, { input: INPUT });
    const nested = await reader.call("POST", "/v1/deals/evaluate", { body: { input: INPUT, deals } });
    const byIndex = await reader.call("POST", "/v1/deals/evaluate", { body: { input: INPUT, deal_indices: { start: 0, stop: K } } });
    assert.deepEqual(res.deals, nested.deals);
    const { party_ptr, party_entity, ...cols } = byIndex.deals;
    assert.deepEqual(res.columns, cols);
    assert.deepEqual([party_ptr, party_entity], [batch.party_ptr, batch.party_entity]);
    // consistency of every answer (MODEL.md section 3): status from the values, transfers sum to zero
    for (const d of res.deals) {
      const v = d.parties.map((p) => toNumber(p.value));
      if (v.every((x) => x > 0)) assert.equal(d.status_name, "WIN_WIN");
      else assert.notEqual(d.status_name, "WIN_WIN");
      assert.equal(d.status, ["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"].indexOf(d.status_name));
      const sum = d.parties.reduce((a, p) => a + toNumber(p.transfer), 0);
      assert.ok(Math.abs(sum) < 1e-9 * (1 + d.parties.reduce((a, p) => a + Math.abs(toNumber(p.transfer)), 0)), `transfers sum ${sum}`);
      if (d.status_name !== "REPAIRABLE") assert.ok(d.parties.every((p) => p.transfer === 0)); // scope repair
    }
    assert.ok(new Set(res.columns.status_name).size >= 2, "the sample has more than one status");
  });

  test("a hand check of MODEL.md sections 2-3 with two inline entities (pay cap Infinity)", async () => {
    const entities = { type: [0, 1], weights: [[0.3, 0.3, 0.3, 0.1], [0.4, 0.3, 0.2, 0.1]], discount_rate: [0.05, 0.08],
      risk_aversion: [0.0, 0.5], pay_cap: [Infinity, 100.0] };
    const deal = { importer: 1, trade_value: 10, parties: [
      { entity: 0, components: [{ dim: 1, prob: 1.0, flows: [{ period: 0, amount: -2.0 }] }] },
      { entity: 1, components: [{ dim: 0, prob: 0.7, flows: [{ period: 2, amount: 6.0 }] }] }] };
    const { deals: [d] } = await evaluateDeals(reader, [deal], { entities });
    // f_e(d) = sum_k T[type][d][k] w_e[k]; V = f(dim) PV p^(1 + rho); kappa = f_e(0); s = V / kappa
    const f00 = 0.6 * 0.3 + 0.2 * 0.3 + 0.1 * 0.3 + 0.1 * 0.1; // government, economic: kappa_0
    const f01 = 0.1 * 0.3 + 0.3 * 0.3 + 0.5 * 0.3 + 0.1 * 0.1; // government, social
    const f10 = 0.5 * 0.4 + 0.3 * 0.3 + 0.1 * 0.2 + 0.1 * 0.1; // corporate, economic: kappa_1
    const V = [f01 * -2.0, f10 * 6.0 * 1.08 ** -2 * 0.7 ** 1.5];
    const s = [V[0] / f00, V[1] / f10];
    const S = s[0] + s[1];
    const close = (a, b) => Math.abs(toNumber(a) - b) <= 1e-12 * Math.max(1, Math.abs(b));
    assert.ok(close(d.parties[0].value, V[0]) && close(d.parties[1].value, V[1]), JSON.stringify(d));
    assert.ok(close(d.surplus, S));
    assert.equal(d.status_name, "REPAIRABLE"); // V_0 < 0 < F = s_0 + min(s_1, 100)
    assert.ok(close(d.bid, S / 10)); // importer 1: (min(s_0, cap_0) + s_1) / m_d
    // nash, beta 1, no cap binding: tau_e = S/2 - s_e, V'_e = V_e + kappa_e tau_e
    const tau = [S / 2 - s[0], S / 2 - s[1]];
    assert.ok(close(d.parties[0].transfer, tau[0]) && close(d.parties[1].transfer, tau[1]));
    assert.ok(close(d.parties[0].final_value, V[0] + f00 * tau[0]) && close(d.parties[1].final_value, V[1] + f10 * tau[1]));
    // trade value 0: the bid is +Infinity, sent as the string "Infinity"
    const free = await evaluateDeals(reader, [{ ...deal, trade_value: 0 }], { entities });
    assert.equal(free.deals[0].bid, "Infinity");
    assert.equal(toNumber(free.deals[0].bid), Infinity);
  });
});

describe("runs", () => {
  test("submit a small run, waitForRun to done, summary and files", async () => {
    const run = await submitRun(client, { config: SMALL_RUN, input: INPUT });
    assert.equal(run.state, "queued");
    const seen = [];
    const done = await waitForRun(client, run.id, { timeout: 60000, onProgress: (r) => seen.push(r.state) });
    assert.equal(done.state, "done");
    assert.equal(done.exit_code, 0);
    assert.equal(seen.at(-1), "done");
    assert.ok(seen.every((s) => ["queued", "running", "done"].includes(s)), seen.join());
    const id = String(run.id);
    const summary = await reader.call("GET", "/v1/runs/{id}/summary", { params: { path: { id } } });
    assert.equal(summary.kind, "run");
    assert.equal(summary.sizes.deals, 2000);
    assert.equal(summary.sizes.draws, 3);
    const { files } = await reader.call("GET", "/v1/runs/{id}/files", { params: { path: { id } } });
    assert.deepEqual(files.map((x) => x.name), ["output.h5"]);
    // a finished run cannot be cancelled or resumed: 409
    await assert.rejects(cancelRun(client, run.id), (e) => e instanceof ConflictError && e.status === 409);
    await assert.rejects(resumeRun(client, run.id), ConflictError);
  });

  test("a checkpointed run: RunFailedError, then resumeRun continues it to done", async () => {
    const run = await submitRun(client, { config: SMALL_RUN, input: INPUT, set: { "checkpoint.walltime": 0.001 } });
    await assert.rejects(waitForRun(client, run.id, { timeout: 60000 }),
      (e) => e instanceof RunFailedError && e.state === "checkpointed" && e.run.id === run.id && e.exitCode === 7);
    const again = await resumeRun(client, run.id, { set: { "checkpoint.walltime": 0 } });
    assert.equal(again.state, "queued");
    const done = await waitForRun(client, run.id, { timeout: 60000 });
    assert.equal(done.attempts, 2);
    assert.equal(done.set["checkpoint.walltime"], "0");
  });

  test("cancel a queued run: RunFailedError cancelled", async () => {
    const first = await submitRun(client, { config: SMALL_RUN, input: INPUT });
    const second = await submitRun(client, { config: SMALL_RUN, input: INPUT }); // queued behind the first ([runs] max_running 1)
    const cancelled = await cancelRun(client, second.id);
    assert.equal(cancelled.state, "cancelled");
    await assert.rejects(waitForRun(client, second.id), (e) => e instanceof RunFailedError && e.state === "cancelled");
    await waitForRun(client, first.id, { timeout: 60000 });
  });
});

describe("problems", () => {
  const body = { input: INPUT, deal: DOC_DEAL };
  const is = (C, status, type) => (e) => {
    assert.ok(e instanceof C && e instanceof ProblemError, `${e?.name}: ${e?.message}`);
    assert.equal(e.status, status);
    if (type) assert.equal(e.type, `/problems/${type}`);
    assert.ok(e.detail.length > 0);
    return true;
  };

  test("401: no token, an unknown token", async () => {
    await assert.rejects(createTradebal({ baseUrl: server.url }).call("GET", "/v1/runs"), is(UnauthorizedError, 401, "unauthorized"));
    await assert.rejects(evaluateDeals(createTradebal({ baseUrl: server.url, token: "tb_0000" }), [DOC_DEAL], { input: INPUT }),
      is(UnauthorizedError, 401));
  });

  test("403: a read token submitting; a path outside the data root", async () => {
    await assert.rejects(submitRun(reader, { config: SMALL_RUN, input: INPUT }), is(ForbiddenError, 403, "forbidden"));
    await assert.rejects(evaluateDeals(reader, [DOC_DEAL], { input: "../small.h5" }), is(ForbiddenError, 403, "outside-data-root"));
  });

  test("404: no such run, no such file", async () => {
    await assert.rejects(waitForRun(reader, 999999), is(NotFoundError, 404, "no-run"));
    await assert.rejects(evaluateDeals(reader, [DOC_DEAL], { input: "inputs/missing.h5" }), is(NotFoundError, 404, "not-found"));
  });

  test("422: a broken rule, at the index of the flattened batch", async () => {
    const bad = [DOC_DEAL, DOC_DEAL, DOC_DEAL].map((d) => structuredClone(d));
    bad[1].parties[1].components[0].prob = 1.5; // components: deal 0 has 2, so this is comp_prob[3]
    await assert.rejects(evaluateDeals(reader, bad, { input: INPUT }), (e) =>
      is(InvalidInputError, 422, "invalid-input")(e) && /comp_prob\[3\].*1\.5/.test(e.detail));
    // NaN travels as "NaN" (JSON.stringify would send null, a 400): the model's rule refuses it, at flow_amount[7]
    const nan = [DOC_DEAL, DOC_DEAL, DOC_DEAL].map((d) => structuredClone(d));
    nan[2].parties[0].components[0].flows[1].amount = NaN;
    await assert.rejects(evaluateDeals(reader, nan, { input: INPUT }), (e) =>
      is(InvalidInputError, 422, "invalid-input")(e) && /flow_amount\[7\].*a_f finite/.test(e.detail));
    await assert.rejects(submitRun(client, { config: "[assessment]\ndraws = 1\n", input: INPUT }), is(InvalidInputError, 422));
  });

  test("400 and 413", async () => {
    await assert.rejects(reader.call("POST", "/v1/deals/evaluate", { body: { ...body, deals: [DOC_DEAL] } }), is(BadRequestError, 400, "bad-field"));
    await assert.rejects(reader.call("POST", "/v1/deals/evaluate", { body: { ...body, nonsense: 1 } }), is(BadRequestError, 400, "unknown-field"));
    const many = Array.from({ length: K + 1 }, () => DOC_DEAL); // over [limits] max_batch
    await assert.rejects(evaluateDeals(reader, many, { input: INPUT }), is(TooLargeError, 413, "too-large"));
  });
});
