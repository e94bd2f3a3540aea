// The dashboard's link to the server: the token (asked once, kept in sessionStorage), the client of
// @tradebal/client, and what the pages need on top of it (h5grove reads, run lists, abortable waits).
import { createTradebal, ProblemError } from "@tradebal/client";

export { ProblemError };

const KEY = "tradebal.token";

export const token = {
  get: () => sessionStorage.getItem(KEY) || "",
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export const client = createTradebal({ baseUrl: "", token: () => token.get() });

/** Listeners called when the server refuses the token (401): the page asks for a token again. */
export const onUnauthorized = new Set();

/** client.call, and on 401 the token is forgotten. Aborts reject with an Error named AbortError. */
export async function call(method, path, init) {
  try {
    return await client.call(method, path, init);
  } catch (e) {
    if (e instanceof ProblemError && e.status === 401) {
      token.clear();
      for (const f of onUnauthorized) f(e);
    }
    throw e;
  }
}

export const isAbort = (e) => e?.name === "AbortError" || e?.name === "TimeoutError";

/** The text of an error for the page: a problem's detail with its status, or the message. */
export function errorText(e) {
  if (e instanceof ProblemError) return `${e.status} ${e.problem?.title ?? ""}: ${e.detail || e.type}`.trim();
  return e?.message ?? String(e);
}

/** Resolves after ms, or rejects with AbortError when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    const t = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(t); reject(signal.reason ?? new DOMException("aborted", "AbortError")); }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const ACTIVE = new Set(["queued", "running"]);

export const getRun = (id, signal) => call("GET", "/v1/runs/{id}", { params: { path: { id } }, signal });

/** Long poll: the run once its state differs from `since`, or after `wait` seconds. */
export const waitRun = (id, since, wait, signal) =>
  call("GET", "/v1/runs/{id}", { params: { path: { id }, query: { wait, since } }, signal });

export const listRuns = (query, signal) => call("GET", "/v1/runs", { params: { query }, signal });

/** Every run matching query (following `next`), newest first, at most max. */
export async function listAllRuns(query, max, signal) {
  const out = [];
  let before;
  while (out.length < max) {
    const page = await listRuns({ ...query, limit: Math.min(1000, max - out.length), ...(before ? { before } : {}) }, signal);
    out.push(...page.runs);
    if (!page.next || !page.runs.length) break;
    before = page.runs[page.runs.length - 1].id;
  }
  return out;
}

const summaries = new Map(); // run id -> summary (a finished run's output does not change)
export async function summary(id, signal) {
  if (!summaries.has(id)) summaries.set(id, await call("GET", "/v1/runs/{id}/summary", { params: { path: { id } }, signal }));
  return summaries.get(id);
}

// ---- h5grove --------------------------------------------------------------------------------------------------

export const h5meta = (file, path, signal) => call("GET", "/v1/h5grove/meta", { params: { query: { file, path } }, signal });

export const h5attr = (file, path, keys, signal) =>
  call("GET", "/v1/h5grove/attr", { params: { query: { file, path, ...(keys ? { attr_keys: keys } : {}) } }, signal });

/** A dataset (or a slice, NumPy-style `selection`) as JSON: nested lists, numbers exact, null for NaN/inf. */
export const h5data = (file, path, selection, signal) =>
  call("GET", "/v1/h5grove/data", { params: { query: { file, path, ...(selection !== undefined ? { selection } : {}) } }, signal });

/** The typed array that holds h5grove's `dtype=safe` bytes of an h5grove type. */
export function arrayTypeOf(type) {
  const cls = type?.class, size = type?.size;
  if (cls === 1) return size === 4 || size === 2 ? Float32Array : Float64Array;
  if (cls === 0 || cls === 8) {
    const signed = cls === 0 ? type.sign === 1 : false;
    const t = { 1: signed ? Int8Array : Uint8Array, 2: signed ? Int16Array : Uint16Array, 4: signed ? Int32Array : Uint32Array,
      8: signed ? BigInt64Array : BigUint64Array }[size];
    if (t) return t;
  }
  throw new Error(`type class ${cls} of size ${size} is not read as numbers`);
}

/** A 1-D numeric dataset of n elements as a typed array, read in slices of at most `chunk` elements (binary). */
export async function h5vector(file, path, meta, signal, chunk = 1 << 20) {
  const T = arrayTypeOf(meta.type);
  const n = meta.shape[0];
  const out = new T(n);
  for (let start = 0; start < n; start += chunk) {
    const stop = Math.min(n, start + chunk);
    const buf = await call("GET", "/v1/h5grove/data", {
      params: { query: { file, path, selection: `${start}:${stop}`, format: "bin", dtype: "safe" } },
      parseAs: "arrayBuffer", signal,
    });
    out.set(new T(buf), start);
  }
  return out;
}

/** The children of a group by name ({} when the group does not exist: its parent is checked first). */
export async function childrenOf(file, path, signal) {
  const parts = path.split("/").filter(Boolean);
  let meta = await h5meta(file, "/", signal);
  for (let i = 0; i < parts.length; i++) {
    const child = (meta.children || []).find((c) => c.name === parts[i]);
    if (!child || child.kind !== "group") return {};
    meta = await h5meta(file, "/" + parts.slice(0, i + 1).join("/"), signal);
  }
  return Object.fromEntries((meta.children || []).map((c) => [c.name, c]));
}
