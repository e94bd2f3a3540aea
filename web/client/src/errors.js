// Typed errors of @tradebal/client: every answer that is not 2xx becomes a ProblemError (RFC 9457 problem
// object, docs/api.md "Paths, errors and limits"), of a subclass chosen by the problem's `type` and, for a
// type this client does not know, by the HTTP status. A waited run that ends in any state but `done` is a
// RunFailedError; a wait that runs out of time a WaitTimeoutError.

/** An answer that is an RFC 9457 problem object, as an exception: `status`, `type` ("/problems/busy"), `detail`. */
export class ProblemError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {any} problem the answer's body: a problem object, or text when the answer was not JSON
   * @param {number} [retryAfter] seconds, from Retry-After
   */
  constructor(status, problem, retryAfter) {
    const obj = problem && typeof problem === "object" ? problem : undefined;
    const text = typeof problem === "string" ? problem.trim().split("\n")[0].slice(0, 300) : "";
    super(`${status} ${obj?.type ?? ""}: ${obj?.detail ?? obj?.title ?? (text || "request failed")}`);
    this.status = status;
    this.type = obj?.type ?? `/problems/http-${status}`;
    this.detail = obj?.detail ?? text;
    this.problem = obj;
    this.retryAfter = retryAfter; // seconds, from Retry-After (503)
  }
}

/** 400: a malformed request (bad-json, bad-field, missing-field, unknown-field, bad-parameter, bad-path, too-deep). */
export class BadRequestError extends ProblemError {}
/** 401: no bearer token, or an unknown one. */
export class UnauthorizedError extends ProblemError {}
/** 403: the token lacks the scope (forbidden), or a path leaves the data root (outside-data-root). */
export class ForbiddenError extends ProblemError {}
/** 404: no such route, run, file or object (not-found, no-run, no-route). */
export class NotFoundError extends ProblemError {}
/** 409: the run is not in a state for this (exists, finished, no-output, not-resumable). */
export class ConflictError extends ProblemError {}
/** 413: a body, batch or slice over its limit (too-large). */
export class TooLargeError extends ProblemError {}
/** 422: well-formed but breaks a rule of MODEL.md or of the config (invalid-input, bad-config, bad-shards, kind-mismatch). */
export class InvalidInputError extends ProblemError {}
/** 503 busy: every worker is busy and the queue is full; `retryAfter` says when to try again. */
export class BusyError extends ProblemError {}
/** 500 and other 5xx: the server failed (its log has the details). */
export class ServerError extends ProblemError {}

// Names as literals (a minifier may rename the classes): e.name is "BusyError" etc.
for (const [C, name] of [[BadRequestError, "BadRequestError"], [UnauthorizedError, "UnauthorizedError"],
  [ForbiddenError, "ForbiddenError"], [NotFoundError, "NotFoundError"], [ConflictError, "ConflictError"],
  [TooLargeError, "TooLargeError"], [InvalidInputError, "InvalidInputError"], [BusyError, "BusyError"],
  [ServerError, "ServerError"]]) {
  Object.defineProperty(C.prototype, "name", { value: name, writable: true, configurable: true });
}
Object.defineProperty(ProblemError.prototype, "name", { value: "ProblemError", writable: true, configurable: true });

// The server's problem types (host/serve: tb_resp_problem calls), then the status for any other type.
const BY_TYPE = {
  "bad-json": BadRequestError, "bad-field": BadRequestError, "missing-field": BadRequestError,
  "unknown-field": BadRequestError, "bad-parameter": BadRequestError, "bad-path": BadRequestError,
  "too-deep": BadRequestError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError, "outside-data-root": ForbiddenError,
  "not-found": NotFoundError, "no-run": NotFoundError, "no-route": NotFoundError,
  exists: ConflictError, finished: ConflictError, "no-output": ConflictError, "not-resumable": ConflictError,
  "too-large": TooLargeError,
  "invalid-input": InvalidInputError, "bad-config": InvalidInputError, "bad-shards": InvalidInputError,
  "kind-mismatch": InvalidInputError,
  busy: BusyError,
  internal: ServerError,
  "no-runs": ProblemError, // 503, but not a busy server: this server keeps no job store, retrying will not help
};
const BY_STATUS = {
  400: BadRequestError, 401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError,
  413: TooLargeError, 422: InvalidInputError, 503: BusyError,
};

/** Parse a Retry-After header (seconds, or an HTTP date) into seconds; undefined when absent or unreadable. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === "") return undefined;
  const s = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, (t - now) / 1000);
}

/**
 * The ProblemError of the right class for an answer: by the problem's `type` ("/problems/busy" -> BusyError),
 * else by status (5xx other than 503: ServerError), else ProblemError itself.
 * @param {number} status
 * @param {any} problem
 * @param {number} [retryAfter]
 */
export function problemError(status, problem, retryAfter) {
  const type = problem && typeof problem === "object" && typeof problem.type === "string" ? problem.type : "";
  const key = type.startsWith("/problems/") ? type.slice("/problems/".length) : "";
  const C = (Object.hasOwn(BY_TYPE, key) && BY_TYPE[key]) || BY_STATUS[status] || (status >= 500 ? ServerError : ProblemError);
  return new C(status, problem, retryAfter);
}

/** A waited run ended in a state other than `done` (failed, lost, cancelled, checkpointed); `run` is its last answer. */
export class RunFailedError extends Error {
  constructor(run) {
    const why = run?.message ? `: ${run.message}` : run?.exit_code != null ? ` (exit ${run.exit_code})` : "";
    super(`run ${run?.id} ${run?.state}${why}`);
    this.name = "RunFailedError";
    this.run = run;
    this.state = run?.state;
    this.exitCode = run?.exit_code ?? null;
  }
}

/** The request never got an answer: connection refused or reset, DNS, TLS (fetch rejected); `cause` is fetch's error. */
export class NetworkError extends Error {
  constructor(cause, url) {
    super(`${url ?? "request"}: ${cause?.cause?.code ?? cause?.message ?? "network error"}`, { cause });
    this.name = "NetworkError";
  }
}

/** waitForRun's timeout passed before the run ended; `run` is the last answer (undefined if none came). */
export class WaitTimeoutError extends Error {
  constructor(id, timeout, run) {
    super(`run ${id} still ${run?.state ?? "unknown"} after ${timeout} ms`);
    this.name = "WaitTimeoutError";
    this.run = run;
  }
}

/**
 * Whether an error is worth retrying: a 503 busy, another 5xx (except a server that keeps no job store), a 429,
 * or a NetworkError (connection refused or reset). Aborts, 4xx and the rest are not.
 * @param {unknown} e
 */
export function isRetryable(e) {
  if (e instanceof ProblemError) {
    if (e.type === "/problems/no-runs") return false;
    return e.status >= 500 || e.status === 429;
  }
  return e instanceof NetworkError;
}
