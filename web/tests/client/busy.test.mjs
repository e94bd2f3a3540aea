// 503 from a real server: one worker and no queue (`--set limits.workers=1 --set limits.queue=0`), and a burst of
// concurrent batch evaluations. Those that find the worker busy are BusyError with Retry-After; withRetry (backoff
// with jitter, at least Retry-After) gets every one of them through, with the same numbers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BusyError, createTradebal, evaluateDeals, withRetry } from "@tradebal/client";
import { makeDataRoot, startServer, stopAll } from "./harness.mjs";

const INPUT = "inputs/small.h5";
const N = 8; // concurrent requests
let server, client, batch;

before(async () => {
  server = await startServer(makeDataRoot(), { sets: ["limits.workers=1", "limits.queue=0"] });
  client = createTradebal({ baseUrl: server.url, token: server.tokens.read });
  // a batch that keeps the worker busy some ms: the file's first 500 deals, as columns (read one by one)
  const read = (name) => client.call("GET", "/v1/h5grove/data", { params: { query: { file: INPUT, path: `/deals/${name}` } } });
  const names = ["party_ptr", "party_entity", "importer", "trade_value", "comp_ptr", "comp_dim", "comp_prob", "flow_ptr", "flow_period", "flow_amount"];
  const f = {};
  for (const n of names) f[n] = await read(n);
  const M = 500, P = f.party_ptr[M], C = f.comp_ptr[P], F = f.flow_ptr[C];
  const upto = { party_ptr: M + 1, party_entity: P, importer: M, trade_value: M, comp_ptr: P + 1, comp_dim: C, comp_prob: C,
    flow_ptr: C + 1, flow_period: F, flow_amount: F };
  batch = Object.fromEntries(names.map((n) => [n, f[n].slice(0, upto[n])]));
});
after(stopAll);

test("a burst on one worker without a queue: BusyError with retryAfter; withRetry gets all through", async () => {
  const burst = await Promise.allSettled(Array.from({ length: N }, () => evaluateDeals(client, batch, { input: INPUT })));
  const refused = burst.filter((r) => r.status === "rejected").map((r) => r.reason);
  const answered = burst.filter((r) => r.status === "fulfilled").map((r) => r.value);
  assert.ok(refused.length > 0, "some requests were refused");
  assert.ok(answered.length > 0, "the worker answered some");
  for (const e of refused) {
    assert.ok(e instanceof BusyError, `${e.name}: ${e.message}`);
    assert.equal(e.status, 503);
    assert.equal(e.type, "/problems/busy");
    assert.ok(Number.isInteger(e.retryAfter) && e.retryAfter >= 1, `retryAfter ${e.retryAfter}`);
  }
  // the same burst, each request retried: all answer, with the same numbers
  let retries = 0, minDelay = Infinity;
  const all = await Promise.all(Array.from({ length: N }, () => withRetry(() => evaluateDeals(client, batch, { input: INPUT }), {
    retries: 20, base: 500, cap: 2000, // jitter spreads the retries over 0.5 s, then 1 s ...: most get through at once
    onRetry: (e, _attempt, delay) => {
      assert.ok(e instanceof BusyError);
      retries++;
      minDelay = Math.min(minDelay, delay);
    },
  })));
  assert.ok(retries > 0, "the second burst was refused too, then retried");
  assert.ok(minDelay >= 1000, `every retry waited Retry-After (${minDelay} ms)`);
  for (const r of all) assert.deepEqual(r.columns, answered[0].columns);
  assert.equal(all[0].n_deals, 500);
});
