// Runs and sweeps (docs/api.md "Runs and sweeps"): submit, cancel, resume, and waiting on a run with the
// server's long poll (GET /v1/runs/{id}?wait=S&since=STATE). Durations in milliseconds.
import { RunFailedError, WaitTimeoutError } from "./errors.js";
import { BACKOFF, sleep, withRetry } from "./retry.js";

/** The states a run stays in until someone resumes it. */
export const TERMINAL_STATES = Object.freeze(["done", "failed", "checkpointed", "cancelled", "lost"]);

const idPath = (id) => ({ path: { id: String(id) } });

/**
 * Submit a run or a sweep (POST /v1/runs, answered 202 at once); resolves to the run as queued.
 * @param {import("./index.js").TradebalClient} client
 * @param {object} submission RunSubmit: {config, input, output, overwrite, kind, set, report, ranks, threads, shards}
 */
export function submitRun(client, submission, { signal } = {}) {
  return client.call("POST", "/v1/runs", { body: submission, signal });
}

/** A run's state now (GET /v1/runs/{id}). */
export function getRun(client, id, { signal } = {}) {
  return client.call("GET", "/v1/runs/{id}", { params: idPath(id), signal });
}

/** Cancel a run (a queued one at once, a running one at its next safe point; again: force it). Resolves to the run. */
export function cancelRun(client, id, { signal } = {}) {
  return client.call("POST", "/v1/runs/{id}/cancel", { params: idPath(id), signal });
}

/** Queue a checkpointed, cancelled, failed or lost run again; `set` adds or replaces overrides. Resolves to the run. */
export function resumeRun(client, id, { set, signal } = {}) {
  return client.call("POST", "/v1/runs/{id}/resume", { params: idPath(id), body: set ? { set } : {}, signal });
}

/**
 * Wait until a run ends, with the server's long poll: each request is answered as soon as the state changes
 * (or after `longPoll`), and the next one asks from the state last seen. A 503, another 5xx or a network error
 * is retried with exponential backoff and jitter (at least Retry-After), up to `retries` times in a row; any
 * other error is thrown at once. A long poll answered early with the state unchanged (a server shutting down, or
 * holding too many long polls) is asked again only `minPoll` ms after the previous one, so the wait never spins.
 * The token callback runs before every request, so a token that changes during
 * the wait is picked up. Resolves to the final run when it is `done`; throws RunFailedError (with `.run`) when
 * it ends failed, lost, cancelled or checkpointed, WaitTimeoutError after `timeout` ms, and the signal's reason
 * when `signal` aborts.
 * @param {import("./index.js").TradebalClient} client
 * @param {number | string} id
 * @param {{timeout?: number, onProgress?: (run: any) => void, signal?: AbortSignal, longPoll?: number, minPoll?: number,
 *          retries?: number, base?: number, cap?: number, onRetry?: (e: unknown, attempt: number, delay: number) => void}} [opts]
 */
export async function waitForRun(client, id, opts = {}) {
  const { timeout, onProgress, signal, longPoll = 30000, minPoll = 1000, retries = BACKOFF.retries, base, cap, onRetry } = opts;
  const ctl = new AbortController();
  let run; // the last answer
  const onAbort = () => ctl.abort(signal.reason);
  if (signal?.aborted) throw signal.reason;
  signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = timeout != null ? Date.now() + timeout : Infinity;
  const timer = timeout != null ? setTimeout(() => ctl.abort(new WaitTimeoutError(id, timeout, run)), timeout) : null;
  const retry = { retries, base, cap, onRetry, signal: ctl.signal };
  const get = (query) => client.call("GET", "/v1/runs/{id}", {
    params: { ...idPath(id), ...(query ? { query } : {}) }, signal: ctl.signal,
  });
  try {
    run = await withRetry(() => get(), retry);
    onProgress?.(run);
    while (!TERMINAL_STATES.includes(run.state)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(id, timeout, run);
      const wait = Math.max(0.001, Math.min(longPoll, left) / 1000); // seconds, as the server reads ?wait=
      const since = run.state, asked = Date.now();
      run = await withRetry(() => get({ wait: Number(wait.toFixed(3)), since }), retry);
      onProgress?.(run);
      const early = minPoll - (Date.now() - asked);
      if (run.state === since && early > 0) await sleep(early * (0.9 + 0.2 * Math.random()), ctl.signal);
    }
  } catch (e) {
    if (ctl.signal.aborted && ctl.signal.reason instanceof WaitTimeoutError) {
      ctl.signal.reason.run = run;
      throw ctl.signal.reason;
    }
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  if (run.state !== "done") throw new RunFailedError(run);
  return run;
}
