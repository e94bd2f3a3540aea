// How the dashboard writes numbers, times and codes. Pure functions (no DOM): the browser tests import this
// module to format the API's and the file's numbers the same way and compare them with the page.

/** The raw value a numeric cell carries in its data-value attribute: JavaScript's shortest round-trip text of
 * the number (so equal attributes mean bitwise equal doubles), `null` for null, the string itself for the API's
 * "Infinity", "-Infinity", "NaN". */
export function rawValue(x) {
  if (x === null || x === undefined) return "null";
  if (typeof x === "bigint") return x.toString();
  return String(x);
}

/** A number for reading: integers as they are, others with `digits` significant digits (exponent notation below
 * 1e-4 and from 1e9 on). null (a value that is not finite in the API's JSON) reads "n/a". */
export function fmtNum(x, digits = 6) {
  if (x === null || x === undefined) return "n/a";
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "string") {
    if (x === "Infinity") return "∞";
    if (x === "-Infinity") return "−∞";
    return x;
  }
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "∞";
  if (x === -Infinity) return "−∞";
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e9) return x.toExponential(digits - 1).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(digits)));
}

/** A fraction as a percentage with 3 significant digits (0.0123 -> "1.23%"); null -> "n/a". */
export function fmtPct(x) {
  if (x === null || x === undefined || typeof x !== "number" || !Number.isFinite(x)) return "n/a";
  return `${Number((x * 100).toPrecision(3))}%`;
}

/** An ISO 8601 time as "YYYY-MM-DD HH:MM:SS" in UTC (the API's times are UTC); "" for null. */
export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/** Seconds as "42 s", "3 min 05 s", "2 h 07 min"; null -> "". */
export function fmtDuration(s) {
  if (s === null || s === undefined || typeof s !== "number" || !Number.isFinite(s) || s < 0) return "";
  s = Math.round(s);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Bytes as "307 KB" style text. */
export function fmtBytes(n) {
  if (typeof n !== "number") return "";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) (n /= 1000), i++;
  return `${i ? Number(n.toPrecision(3)) : n} ${u[i]}`;
}

/** /deals/status codes (MODEL.md section 3). */
export const STATUS_NAMES = ["WIN_WIN", "REPAIRABLE", "NOT_WIN_WIN"];
/** /deals/outcome codes. */
export const OUTCOME_NAMES = ["traded", "not win-win", "unfunded", "blocked by certificates", "blocked by tariff"];
/** Component dimensions. */
export const DIM_NAMES = ["economic", "social", "environmental", "security", "other"];

export function statusName(code) {
  return STATUS_NAMES[code] ?? `status ${code}`;
}

/** Run progress as the run JSON may carry it ({stage, done, total, percent, eta_s}, or null/absent): the text
 * shown, or "" when there is none. */
export function fmtProgress(p) {
  if (!p || typeof p !== "object") return "";
  const parts = [];
  if (p.stage) parts.push(String(p.stage));
  if (Number.isFinite(p.done) && Number.isFinite(p.total)) parts.push(`${p.done}/${p.total}`);
  const pct = progressPercent(p);
  if (pct !== null) parts.push(`${Number(pct.toFixed(1))}%`);
  return parts.join(" ");
}

/** The percent of a progress object (from `percent`, else done/total), or null. */
export function progressPercent(p) {
  if (!p || typeof p !== "object") return null;
  if (typeof p.percent === "number" && Number.isFinite(p.percent)) return Math.max(0, Math.min(100, p.percent));
  if (Number.isFinite(p.done) && Number.isFinite(p.total) && p.total > 0) return Math.min(100, (100 * p.done) / p.total);
  return null;
}

/** The time left of a progress object ("" when unknown). */
export function fmtEta(p) {
  return p && typeof p === "object" ? fmtDuration(p.eta_s) : "";
}
