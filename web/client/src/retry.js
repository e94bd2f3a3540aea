// Backoff with jitter for @tradebal/client: waitForRun's polls and withRetry. Durations in milliseconds.
import { isRetryable } from "./errors.js";

/** Defaults: first retry within 250 ms, doubling, never more than 10 s apart; 8 consecutive retries. */
export const BACKOFF = Object.freeze({ base: 250, cap: 10000, retries: 8 });

/**
 * The delay before retry number `attempt` (0 for the first) after error `e`, "full jitter": a uniformly random
 * time in [0, min(cap, base * 2^attempt)). A 503 with Retry-After waits at least that long, plus the jitter,
 * so that clients refused together do not come back together.
 * @param {number} attempt
 * @param {unknown} [e]
 * @param {{base?: number, cap?: number, random?: () => number}} [opts]
 */
export function backoffDelay(attempt, e, { base = BACKOFF.base, cap = BACKOFF.cap, random = Math.random } = {}) {
  const jitter = random() * Math.min(cap, base * 2 ** attempt);
  const after = e && typeof e === "object" && typeof e.retryAfter === "number" ? e.retryAfter * 1000 : 0;
  return after + jitter;
}

/** Resolve after `ms`; reject with the signal's reason as soon as it aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Call `fn` until it resolves, retrying what isRetryable says (503 busy, 5xx, network errors) with backoffDelay,
 * at most `retries` times; the last error is thrown. `onRetry(error, attempt, delay)` is told before each wait.
 * @template T
 * @param {(attempt: number) => Promise<T>} fn
 * @param {{retries?: number, base?: number, cap?: number, signal?: AbortSignal, random?: () => number,
 *          onRetry?: (error: unknown, attempt: number, delay: number) => void}} [opts]
 * @returns {Promise<T>}
 */
export async function withRetry(fn, opts = {}) {
  const { retries = BACKOFF.retries, signal, onRetry } = opts;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= retries || !isRetryable(e) || signal?.aborted) throw e;
      const delay = backoffDelay(attempt, e, opts);
      onRetry?.(e, attempt, delay);
      await sleep(delay, signal);
    }
  }
}
