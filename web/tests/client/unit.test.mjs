// The client's logic without a server: a scripted fetch answers, so backoff, Retry-After, the long poll's
// parameters, the token callback and the error classes are checked exactly. server.test.mjs and the others
// check the same against a real `tradebal serve`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tb from "@tradebal/client";

const PROBLEM = "application/problem+json";
const problem = (status, type, detail, headers = {}) =>
  new Response(JSON.stringify({ type: `/problems/${type}`, title: "t", status, detail }), {
    status, headers: { "Content-Type": PROBLEM, ...headers },
  });
const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const RUN = { id: 7, kind: "run", state: "queued", exit_code: null, message: null };

/** A fetch that answers from a script: each entry a Response, an Error to throw, or a function (request) => either. */
function scripted(script) {
  const requests = [];
  const fetch = async (request) => {
    const step = script.shift();
    requests.push({ url: new URL(request.url), auth: request.headers.get("Authorization"), at: Date.now(), method: request.method });
    assert.ok(step !== undefined, `unexpected request ${request.method} ${request.url}`);
    const r = typeof step === "function" ? await step(request) : step;
    if (r instanceof Error) throw r;
    return r;
  };
  return { fetch, requests };
}

describe("errors", () => {
  test("a class per problem type, else per status", () => {
    const cases = [
      [400, "bad-field", tb.BadRequestError], [400, "unknown-field", tb.BadRequestError], [400, "too-deep", tb.BadRequestError],
      [401, "unauthorized", tb.UnauthorizedError], [403, "forbidden", tb.ForbiddenError],
      [403, "outside-data-root", tb.ForbiddenError], [404, "no-run", tb.NotFoundError], [404, "not-found", tb.NotFoundError],
      [409, "finished", tb.ConflictError], [413, "too-large", tb.TooLargeError], [422, "invalid-input", tb.InvalidInputError],
      [422, "bad-config", tb.InvalidInputError], [503, "busy", tb.BusyError], [500, "internal", tb.ServerError],
      [502, "something-new", tb.ServerError], [418, "teapot", tb.ProblemError], [422, "something-new", tb.InvalidInputError],
    ];
    for (const [status, type, C] of cases) {
      const e = tb.problemError(status, { type: `/problems/${type}`, title: "x", status, detail: "d" });
      assert.equal(e.constructor, C, `${status} ${type}`);
      assert.ok(e instanceof tb.ProblemError && e instanceof Error);
      assert.equal(e.name, C.name);
      assert.equal(e.status, status);
      assert.equal(e.type, `/problems/${type}`);
      assert.equal(e.detail, "d");
    }
    // a 503 that is not "busy" (a server without a job store) is no BusyError and is not retried
    const noRuns = tb.problemError(503, { type: "/problems/no-runs", title: "x", status: 503, detail: "d" });
    assert.equal(noRuns.constructor, tb.ProblemError);
    assert.equal(tb.isRetryable(noRuns), false);
    // an answer that is no problem object (a proxy's HTML page): the status decides, the text is the detail
    const proxy = tb.problemError(502, "<html>Bad Gateway</html>\n...");
    assert.ok(proxy instanceof tb.ServerError);
    assert.equal(proxy.type, "/problems/http-502");
    assert.equal(proxy.detail, "<html>Bad Gateway</html>");
    assert.equal(proxy.problem, undefined);
  });

  test("Retry-After: seconds or an HTTP date", () => {
    assert.equal(tb.parseRetryAfter("1"), 1);
    assert.equal(tb.parseRetryAfter("0"), 0);
    assert.equal(tb.parseRetryAfter(null), undefined);
    assert.equal(tb.parseRetryAfter("soon"), undefined);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(tb.parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5);
  });

  test("what is retried", () => {
    assert.ok(tb.isRetryable(new tb.BusyError(503, undefined, 1)));
    assert.ok(tb.isRetryable(new tb.ServerError(500)));
    assert.ok(tb.isRetryable(new tb.NetworkError(new TypeError("fetch failed"))));
    for (const C of [tb.BadRequestError, tb.UnauthorizedError, tb.ForbiddenError, tb.NotFoundError, tb.InvalidInputError, tb.TooLargeError]) {
      assert.equal(tb.isRetryable(new C(400)), false, C.name);
    }
    assert.equal(tb.isRetryable(new TypeError("x is not a function")), false); // a bug is no network error
    assert.equal(tb.isRetryable(new DOMException("aborted", "AbortError")), false);
  });
});

describe("backoff", () => {
  test("full jitter, doubling, capped; Retry-After as a floor", () => {
    const opts = { base: 100, cap: 1000 };
    assert.equal(tb.backoffDelay(0, undefined, { ...opts, random: () => 0.999999 }) < 100, true);
    assert.equal(Math.round(tb.backoffDelay(3, undefined, { ...opts, random: () => 0.5 })), 400);
    assert.equal(Math.round(tb.backoffDelay(10, undefined, { ...opts, random: () => 0.5 })), 500); // capped at 1000
    assert.equal(tb.backoffDelay(5, undefined, { ...opts, random: () => 0 }), 0);
    const busy = new tb.BusyError(503, undefined, 2);
    assert.equal(tb.backoffDelay(0, busy, { ...opts, random: () => 0 }), 2000);
    assert.equal(Math.round(tb.backoffDelay(1, busy, { ...opts, random: () => 0.5 })), 2100);
  });

  test("withRetry waits out Retry-After on 503, retries network errors, gives up after `retries`", async () => {
    const { fetch, requests } = scripted([
      problem(503, "busy", "every worker is busy", { "Retry-After": "0.2" }),
      new TypeError("fetch failed"),
      json({ status: "ok" }),
    ]);
    const client = tb.createTradebal({ baseUrl: "http://x", token: "t", fetch });
    const retried = [];
    const health = await tb.withRetry(() => client.call("GET", "/v1/health"), {
      base: 10, cap: 20, onRetry: (e, attempt, delay) => retried.push([e.name, attempt, delay]),
    });
    assert.deepEqual(health, { status: "ok" });
    assert.deepEqual(retried.map((r) => r.slice(0, 2)), [["BusyError", 0], ["NetworkError", 1]]);
    assert.ok(retried[0][2] >= 200, "Retry-After is a floor");
    assert.ok(requests[1].at - requests[0].at >= 195, `second request ${requests[1].at - requests[0].at} ms after the first`);

    const always = scripted(Array.from({ length: 4 }, () => problem(503, "busy", "busy", { "Retry-After": "0" })));
    const c2 = tb.createTradebal({ baseUrl: "http://x", fetch: always.fetch });
    await assert.rejects(tb.withRetry(() => c2.call("GET", "/v1/health"), { retries: 3, base: 1, cap: 2 }),
      (e) => e instanceof tb.BusyError && e.retryAfter === 0);
    assert.equal(always.requests.length, 4);

    const denied = scripted([problem(401, "unauthorized", "a bearer token is required")]);
    const c3 = tb.createTradebal({ baseUrl: "http://x", fetch: denied.fetch });
    await assert.rejects(tb.withRetry(() => c3.call("GET", "/v1/runs"), { base: 1 }), tb.UnauthorizedError);
    assert.equal(denied.requests.length, 1, "a 401 is not retried");
  });
});

describe("waitForRun", () => {
  test("long polls from the state last seen, rides out 503s and network errors, returns the final run", async () => {
    const { fetch, requests } = scripted([
      json({ ...RUN, state: "queued" }),
      problem(503, "busy", "busy", { "Retry-After": "0" }),
      json({ ...RUN, state: "running" }),
      new TypeError("fetch failed"),
      new TypeError("fetch failed"),
      json({ ...RUN, state: "done", exit_code: 0 }),
    ]);
    let n = 0;
    const client = tb.createTradebal({ baseUrl: "http://x", fetch, token: async () => `tok${++n}` });
    const seen = [];
    const retries = [];
    const run = await tb.waitForRun(client, 7, {
      longPoll: 20000, base: 5, cap: 10, onProgress: (r) => seen.push(r.state), onRetry: (e) => retries.push(e.name),
    });
    assert.equal(run.state, "done");
    assert.deepEqual(seen, ["queued", "running", "done"]);
    assert.deepEqual(retries, ["BusyError", "NetworkError", "NetworkError"]);
    assert.equal(requests[0].url.search, "", "the first request asks the state now");
    for (const i of [1, 2]) assert.deepEqual(Object.fromEntries(requests[i].url.searchParams), { wait: "20", since: "queued" });
    for (const i of [3, 4, 5]) assert.deepEqual(Object.fromEntries(requests[i].url.searchParams), { wait: "20", since: "running" });
    assert.ok(requests.every((r) => r.url.pathname === "/v1/runs/7"));
    // the token callback ran before every request, retries included
    assert.deepEqual(requests.map((r) => r.auth), ["tok1", "tok2", "tok3", "tok4", "tok5", "tok6"].map((t) => `Bearer ${t}`));
  });

  test("failed, lost, cancelled and checkpointed runs throw RunFailedError with the run", async () => {
    for (const state of ["failed", "lost", "cancelled", "checkpointed"]) {
      const { fetch } = scripted([json({ ...RUN, state: "running" }), json({ ...RUN, state, exit_code: 3, message: "boom" })]);
      const client = tb.createTradebal({ baseUrl: "http://x", fetch });
      await assert.rejects(tb.waitForRun(client, 7), (e) =>
        e instanceof tb.RunFailedError && e.state === state && e.run.message === "boom" && e.exitCode === 3 &&
        e.message === `run 7 ${state}: boom`);
    }
  });

  test("a 404 or 401 is thrown at once", async () => {
    const { fetch, requests } = scripted([problem(404, "no-run", "no run 7")]);
    await assert.rejects(tb.waitForRun(tb.createTradebal({ baseUrl: "http://x", fetch }), 7), tb.NotFoundError);
    assert.equal(requests.length, 1);
  });

  test("early answers with the state unchanged are spaced by minPoll, not spun on", async () => {
    const script = Array.from({ length: 4 }, () => json({ ...RUN, state: "running" }));
    script.push(json({ ...RUN, state: "done" }));
    const { fetch, requests } = scripted(script);
    await tb.waitForRun(tb.createTradebal({ baseUrl: "http://x", fetch }), 7, { minPoll: 100 });
    for (let i = 2; i < requests.length; i++) {
      assert.ok(requests[i].at - requests[i - 1].at >= 85, `poll ${i} came ${requests[i].at - requests[i - 1].at} ms after the last`);
    }
  });

  test("timeout: WaitTimeoutError with the last run, also while a poll is in flight; abort: the signal's reason", async () => {
    const hang = (request) => new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
    const { fetch } = scripted([json({ ...RUN, state: "running" }), hang]);
    const t0 = Date.now();
    await assert.rejects(tb.waitForRun(tb.createTradebal({ baseUrl: "http://x", fetch }), 7, { timeout: 150 }),
      (e) => e instanceof tb.WaitTimeoutError && e.run?.state === "running");
    assert.ok(Date.now() - t0 < 1000);

    const s2 = scripted([json({ ...RUN, state: "running" }), hang]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("user went away")), 50);
    await assert.rejects(tb.waitForRun(tb.createTradebal({ baseUrl: "http://x", fetch: s2.fetch }), 7, { signal: ac.signal }),
      /user went away/);
  });
});

describe("deals", () => {
  const deals = [
    { importer: 1, trade_value: 10, parties: [
      { entity: 3, components: [{ dim: 0, prob: 0.9, flows: [{ period: 0, amount: 4 }, { period: 1, amount: 2 }] }, { dim: 4, prob: 1 }] },
      { entity: 5, components: [{ dim: 2, prob: 0.8, flows: [{ period: 1, amount: -1.5 }] }] }] },
    { importer: 0, trade_value: 0, parties: [{ entity: 1 }, { entity: 2, components: [] }, { entity: 0, components: [{ dim: 1, prob: 0.5, flows: [] }] }] },
  ];

  test("buildDealBatch: the input file's CSR layout, flattened deal by deal, party by party", () => {
    assert.deepEqual(tb.buildDealBatch(deals), {
      party_ptr: [0, 2, 5], party_entity: [3, 5, 1, 2, 0], importer: [1, 0], trade_value: [10, 0],
      comp_ptr: [0, 2, 3, 3, 3, 4], comp_dim: [0, 4, 2, 1], comp_prob: [0.9, 1, 0.8, 0.5],
      flow_ptr: [0, 2, 2, 3, 3], flow_period: [0, 1, 1], flow_amount: [4, 2, -1.5],
    });
    assert.deepEqual(tb.buildDealBatch([]), { party_ptr: [0], party_entity: [], importer: [], trade_value: [], comp_ptr: [0],
      comp_dim: [], comp_prob: [], flow_ptr: [0], flow_period: [], flow_amount: [] });
  });

  test("non-finite numbers travel as strings; malformed deals are refused naming the field", () => {
    const b = tb.buildDealBatch([{ importer: 0, trade_value: Infinity, parties: [{ entity: 0, components: [{ dim: 0, prob: 1, flows: [{ period: 0, amount: -Infinity }] }] }] }]);
    assert.deepEqual([b.trade_value, b.flow_amount], [["Infinity"], ["-Infinity"]]);
    assert.equal(tb.stringifyBody({ a: [NaN, Infinity, -Infinity, 1.5] }), '{"a":["NaN","Infinity","-Infinity",1.5]}');
    assert.deepEqual([tb.toNumber("Infinity"), tb.toNumber("-Infinity"), tb.toNumber(2.5)], [Infinity, -Infinity, 2.5]);
    assert.ok(Number.isNaN(tb.toNumber("NaN")));
    const bad = structuredClone(deals);
    delete bad[1].parties[2].components[0].prob;
    assert.throws(() => tb.buildDealBatch(bad), { name: "TypeError", message: "deals[1].parties[2].components[0].prob is required" });
    assert.throws(() => tb.buildDealBatch([{ importer: 0.5, trade_value: 1, parties: [] }]), /deals\[0\]\.importer must be an integer/);
    assert.throws(() => tb.buildDealBatch([{ importer: 0, trade_value: "1", parties: [] }]), /deals\[0\]\.trade_value must be a number/);
    assert.throws(() => tb.buildDealBatch({}), /deals must be an array/);
  });

  test("splitDealColumns: a columnar answer per deal", () => {
    const batch = tb.buildDealBatch(deals);
    const cols = { status: [1, 2], status_name: ["REPAIRABLE", "NOT_WIN_WIN"], surplus: [4, -1], bid: [0.4, "Infinity"],
      value: [1, 2, 3, 4, 5], transfer: [0.1, -0.1, 0, 0, 0], final_value: [1.1, 1.9, 3, 4, 5] };
    const per = tb.splitDealColumns(cols, batch);
    assert.equal(per.length, 2);
    assert.deepEqual(per[0], { status: 1, status_name: "REPAIRABLE", surplus: 4, bid: 0.4, parties: [
      { entity: 3, value: 1, transfer: 0.1, final_value: 1.1 }, { entity: 5, value: 2, transfer: -0.1, final_value: 1.9 }] });
    assert.deepEqual(per[1].parties.map((p) => p.entity), [1, 2, 0]);
  });
});
