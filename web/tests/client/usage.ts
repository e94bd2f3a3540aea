// A TypeScript user of @tradebal/client, for `tsc --noEmit` (types.test.mjs): the examples of the README, typed.
// Lines marked @ts-expect-error must stay errors: they check that the types refuse what the server refuses.
import {
  BusyError, ProblemError, RunFailedError, UnauthorizedError, WaitTimeoutError, buildDealBatch, cancelRun,
  createTradebal, evaluateDeals, resumeRun, submitRun, toNumber, waitForRun, withRetry,
  type DealColumns, type NestedDealInput, type Run, type RunState, type TradebalClient,
} from "@tradebal/client";

declare function renew(): Promise<string>;

export async function usage(baseUrl: string): Promise<void> {
  const client: TradebalClient = createTradebal({ baseUrl, token: async () => await renew() });
  const staticClient = createTradebal({ baseUrl, token: "tb_..." });

  // openapi-fetch's typed calls
  const { data: health } = await staticClient.GET("/v1/health");
  const busy: number | undefined = health?.workers_busy;
  const { data: run1 } = await client.GET("/v1/runs/{id}", { params: { path: { id: "1" }, query: { wait: 30, since: "queued" } } });
  const state1: RunState | undefined = run1?.state;
  // @ts-expect-error: no such path
  await client.GET("/v1/nope");
  // @ts-expect-error: since must be a state
  await client.GET("/v1/runs/{id}", { params: { path: { id: "1" }, query: { since: "sleeping" } } });

  // runs
  const run: Run = await submitRun(client, { config: "[assessment]\ndraws = 3\n", input: "inputs/small.h5", set: { "market.elasticity": 2 } });
  // @ts-expect-error: config is required
  await submitRun(client, { input: "inputs/small.h5" });
  const ac = new AbortController();
  try {
    const done: Run = await waitForRun(client, run.id, {
      timeout: 600_000, longPoll: 20_000, signal: ac.signal, retries: 5, base: 100, cap: 5000,
      onProgress: (r) => console.log(r.state, r.attempts),
      onRetry: (e, attempt, delay) => console.log(attempt, delay, e instanceof BusyError ? e.retryAfter : e),
    });
    const code: number | null = done.exit_code;
  } catch (e) {
    if (e instanceof RunFailedError) {
      const s: RunState = e.state;
      const r: Run = e.run;
      if (s === "checkpointed" || s === "cancelled") await resumeRun(client, r.id, { set: { "checkpoint.walltime": 0 } });
    } else if (e instanceof WaitTimeoutError) {
      await cancelRun(client, run.id);
      const last: Run | undefined = e.run;
    } else throw e;
  }
  // @ts-expect-error: timeout is a number of milliseconds
  await waitForRun(client, 1, { timeout: "10s" });

  // deals
  const deals: NestedDealInput[] = [{
    importer: 0, trade_value: 10, parties: [
      { entity: 0, components: [{ dim: 0, prob: 0.9, flows: [{ period: 0, amount: 4 }, { period: 1, amount: 2 }] }] },
      { entity: 1, components: [{ dim: 2, prob: 0.8, flows: [{ period: 1, amount: -1.5 }] }] },
    ],
  }];
  const batch: DealColumns = buildDealBatch(deals);
  const res = await evaluateDeals(client, deals, { input: "inputs/small.h5", split: { rule: "nash", scope: "repair" } });
  const again = await evaluateDeals(client, batch, { input: "inputs/small.h5", charge: [0] });
  const surplus: number = toNumber(res.deals[0].surplus);
  const name: "WIN_WIN" | "REPAIRABLE" | "NOT_WIN_WIN" = again.deals[0].status_name;
  const values = res.columns.value.map(toNumber);
  // @ts-expect-error: a split rule the server does not know
  await evaluateDeals(client, deals, { input: "inputs/small.h5", split: { rule: "fair" } });
  // @ts-expect-error: a party needs its entity
  buildDealBatch([{ importer: 0, trade_value: 1, parties: [{ components: [] }] }]);

  // errors
  try {
    await withRetry(() => evaluateDeals(client, batch, { input: "inputs/small.h5" }), { retries: 3 });
  } catch (e) {
    if (e instanceof UnauthorizedError) console.log("renew the token");
    else if (e instanceof ProblemError) console.log(e.status, e.type, e.detail, e.retryAfter, e.problem?.title);
  }
  const data = await client.call("GET", "/v1/runs/{id}/summary", { params: { path: { id: String(run.id) } } });
  void [busy, state1, surplus, name, values, data];
}
