// A long wait across a token change, against real servers. The server reads its token file at start, so the change
// is a restart: server 1 knows token A only; while a client waits on a run (the program behind a script that sleeps
// first, so the run lasts), server 1 stops, the token callback starts returning B, and server 2 starts on the same
// port and state folder with a token file that knows B only. The wait rides out the refused connections (backoff)
// and ends `done` with B; a client that keeps A gets 401 from server 2. Also: timeout and abort on a real run.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { UnauthorizedError, WaitTimeoutError, createTradebal, getRun, submitRun, waitForRun } from "@tradebal/client";
import { SMALL_RUN, makeDataRoot, makeTokens, slowProgram, startServer, stopAll } from "./harness.mjs";

const INPUT = "inputs/small.h5";
let root, sets;

before(() => {
  root = makeDataRoot();
  sets = [`runs.tradebal=${slowProgram(root, 1.5)}`]; // each run sleeps 1.5 s before the program starts
});
after(stopAll);

test("timeout and abort while a run is still going", async () => {
  const s = await startServer(root, { name: "short", sets });
  try {
    const client = createTradebal({ baseUrl: s.url, token: s.tokens.submit });
    const run = await submitRun(client, { config: SMALL_RUN, input: INPUT });
    const t0 = Date.now();
    await assert.rejects(waitForRun(client, run.id, { timeout: 300 }),
      (e) => e instanceof WaitTimeoutError && ["queued", "running"].includes(e.run.state));
    assert.ok(Date.now() - t0 < 2000, `the timeout came after ${Date.now() - t0} ms`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("stop waiting")), 200);
    await assert.rejects(waitForRun(client, run.id, { signal: ac.signal }), /stop waiting/);
    assert.ok(["queued", "running"].includes((await getRun(client, run.id)).state), "the run goes on");
    await waitForRun(client, run.id, { timeout: 60000 });
  } finally {
    await s.stop();
  }
});

test("a wait spanning a token change succeeds when the callback returns the new token", async () => {
  const tokensA = join(root, "tokens-a"), tokensB = join(root, "tokens-b");
  const { a } = makeTokens(tokensA, { a: "submit" });
  const { b } = makeTokens(tokensB, { b: "submit" });
  const s1 = await startServer(root, { name: "renew", sets, tokenFile: tokensA, tokens: { a } });
  let current = a;
  const sent = []; // the token of each request, in order
  const client = createTradebal({ baseUrl: s1.url, token: async () => (sent.push(current), current) });
  const run = await submitRun(client, { config: SMALL_RUN, input: INPUT });

  const states = [];
  let parked;
  const firstAnswer = new Promise((resolve) => (parked = resolve));
  const retried = [];
  const waiting = waitForRun(client, run.id, {
    timeout: 60000, base: 50, cap: 400, retries: 100, minPoll: 100,
    onProgress: (r) => (states.push(r.state), parked()),
    onRetry: (e) => retried.push(e.name),
  });
  await firstAnswer;
  await new Promise((r) => setTimeout(r, 100)); // the long poll is parked on server 1
  await s1.stop();
  current = b; // the token changes: A is known to no server from now on
  await new Promise((r) => setTimeout(r, 300)); // no server: the wait's polls are refused and retried
  const s2 = await startServer(root, { name: "renew", sets, tokenFile: tokensB, tokens: { b }, port: s1.port });

  const done = await waiting;
  assert.equal(done.state, "done");
  assert.equal(done.id, run.id);
  const firstB = sent.indexOf(b);
  assert.ok(firstB > 1 && sent.slice(0, firstB).every((t) => t === a) && sent.slice(firstB).every((t) => t === b),
    "A until the change, then B");
  assert.ok(retried.includes("NetworkError"), `the wait rode out the restart (${retried.join()})`);
  assert.ok(!states.slice(0, -1).includes("done"));
  // the change was real: server 2 refuses A
  await assert.rejects(getRun(createTradebal({ baseUrl: s2.url, token: a }), run.id), UnauthorizedError);
  await s2.stop();
});
