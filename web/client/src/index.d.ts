import type { Client } from "openapi-fetch";
import type { paths, components } from "./schema";

export type { paths, components };
export type Schemas = components["schemas"];
/** A number of the API: a non-finite one travels as "Infinity", "-Infinity" or "NaN". */
export type Real = Schemas["Real"];
export type Problem = Schemas["Problem"];
export type Run = Schemas["Run"];
export type RunState = Run["state"];
export type RunSubmit = Schemas["RunSubmit"];
export type NestedDeal = Schemas["NestedDeal"];
export type DealColumns = Schemas["DealColumns"];
export type DealResult = Schemas["DealResult"];
export type DealColumnsResult = Schemas["DealColumnsResult"];
export type EvaluateRequest = Schemas["EvaluateRequest"];
export type EvaluateParams = Schemas["EvaluateAnswer"]["params"];

// ---- errors ----

/** An answer that is an RFC 9457 problem object, as an exception. The base of every typed problem error. */
export declare class ProblemError extends Error {
  constructor(status: number, problem?: unknown, retryAfter?: number);
  /** HTTP status */
  status: number;
  /** the problem's type, e.g. "/problems/busy" ("/problems/http-STATUS" when the answer was no problem object) */
  type: string;
  detail: string;
  problem: Problem | undefined;
  /** seconds, from Retry-After (503) */
  retryAfter: number | undefined;
}
/** 400 */
export declare class BadRequestError extends ProblemError {}
/** 401 */
export declare class UnauthorizedError extends ProblemError {}
/** 403 */
export declare class ForbiddenError extends ProblemError {}
/** 404 */
export declare class NotFoundError extends ProblemError {}
/** 409 */
export declare class ConflictError extends ProblemError {}
/** 413 */
export declare class TooLargeError extends ProblemError {}
/** 422 */
export declare class InvalidInputError extends ProblemError {}
/** 503 busy: retry after `retryAfter` seconds */
export declare class BusyError extends ProblemError {}
/** 500 and other 5xx */
export declare class ServerError extends ProblemError {}

/** The request got no answer (connection refused or reset ...); `cause` is fetch's error. */
export declare class NetworkError extends Error {
  constructor(cause: unknown, url?: string);
}
/** A waited run ended in a state other than done. */
export declare class RunFailedError extends Error {
  constructor(run: Run);
  run: Run;
  state: RunState;
  exitCode: number | null;
}
/** waitForRun's timeout passed; `run` is the last answer. */
export declare class WaitTimeoutError extends Error {
  constructor(id: number | string, timeout: number, run?: Run);
  run: Run | undefined;
}

/** The ProblemError subclass for an answer: by problem type, else by status. */
export declare function problemError(status: number, problem?: unknown, retryAfter?: number): ProblemError;
/** Retry-After (seconds or an HTTP date) in seconds. */
export declare function parseRetryAfter(value: string | null | undefined, now?: number): number | undefined;
/** A 503 busy, another 5xx (not no-runs), a 429 or a NetworkError. */
export declare function isRetryable(e: unknown): boolean;

// ---- the client ----

export interface TradebalOptions {
  baseUrl?: string;
  /** a bearer token, or a function returning one, called before every request */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  fetch?: typeof fetch;
}

export type TradebalClient = Client<paths> & {
  call(method: "GET" | "POST" | "PUT" | "DELETE", path: keyof paths, init?: unknown): Promise<any>;
};

export declare function createTradebal(options?: TradebalOptions): TradebalClient;
/** JSON.stringify with non-finite numbers as the API's strings ("Infinity", "-Infinity", "NaN"). */
export declare function stringifyBody(body: unknown): string;

// ---- retries (milliseconds) ----

export interface BackoffOptions {
  /** the first retry's longest delay, ms (default 250); doubles each retry */
  base?: number;
  /** the longest delay, ms (default 10000), Retry-After aside */
  cap?: number;
  random?: () => number;
}
export interface RetryOptions extends BackoffOptions {
  /** retries in a row before the error is thrown (default 8) */
  retries?: number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delay: number) => void;
}
export declare const BACKOFF: Readonly<{ base: number; cap: number; retries: number }>;
export declare function backoffDelay(attempt: number, error?: unknown, options?: BackoffOptions): number;
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
export declare function withRetry<T>(fn: (attempt: number) => Promise<T>, options?: RetryOptions): Promise<T>;

// ---- runs ----

export interface RequestOptions {
  signal?: AbortSignal;
}
export interface WaitOptions extends Omit<RetryOptions, "signal" | "random"> {
  /** give up after this many ms (WaitTimeoutError); default: never */
  timeout?: number;
  /** told every answer: the first, and one per long poll */
  onProgress?: (run: Run) => void;
  signal?: AbortSignal;
  /** longest single long poll, ms (default 30000; the server caps it at [limits] max_wait) */
  longPoll?: number;
  /** least time between two polls that find the state unchanged, ms (default 1000): no spinning on early answers */
  minPoll?: number;
}
export declare const TERMINAL_STATES: readonly RunState[];
export declare function submitRun(client: TradebalClient, submission: RunSubmit, options?: RequestOptions): Promise<Run>;
export declare function getRun(client: TradebalClient, id: number | string, options?: RequestOptions): Promise<Run>;
export declare function cancelRun(client: TradebalClient, id: number | string, options?: RequestOptions): Promise<Run>;
export declare function resumeRun(
  client: TradebalClient,
  id: number | string,
  options?: RequestOptions & { set?: Record<string, string | number | boolean> },
): Promise<Run>;
/** Resolves to the run when done; RunFailedError for failed, lost, cancelled, checkpointed. */
export declare function waitForRun(client: TradebalClient, id: number | string, options?: WaitOptions): Promise<Run>;

// ---- deals ----

export interface EvaluateOptions extends RequestOptions {
  input?: string;
  entities?: Schemas["Entities"];
  model?: EvaluateRequest["model"];
  split?: EvaluateRequest["split"];
  charge?: EvaluateRequest["charge"];
}
export interface EvaluateResult {
  n_deals: number;
  n_parties: number;
  params: EvaluateParams;
  /** the server's columnar answer */
  columns: DealColumnsResult;
  /** the same numbers per deal, in the nested answer's form */
  deals: DealResult[];
}
/** A number as the API's Real; a non-finite one as its string. */
export type RealInput = number | Real;
/** A nested deal whose numbers may be any JS number (non-finite ones are sent as strings). */
export interface NestedDealInput {
  importer: number;
  trade_value: RealInput;
  parties: {
    entity: number;
    components?: { dim: number; prob: RealInput; flows?: { period: number; amount: RealInput }[] }[];
  }[];
}
export declare function buildDealBatch(deals: readonly NestedDealInput[]): DealColumns;
export declare function splitDealColumns(
  columns: DealColumnsResult,
  batch?: Pick<DealColumns, "party_ptr" | "party_entity">,
): DealResult[];
export declare function evaluateDeals(
  client: TradebalClient,
  deals: readonly NestedDealInput[] | DealColumns,
  options?: EvaluateOptions,
): Promise<EvaluateResult>;
export declare function toNumber(x: Real): number;
export declare function toReal(x: number | Real): Real;
