// The address: #/PAGE?key=value&...
export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/runs";
  const [path, query = ""] = raw.split("?");
  return { path, params: Object.fromEntries(new URLSearchParams(query)) };
}

/** Change the query of the current page's address without rendering the page again (it already shows it). */
export function setHashQuery(params) {
  const { path } = parseHash();
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString();
  history.replaceState(null, "", `#${path}${q ? "?" + q : ""}`);
}

/** Render the current address again (after a change through setHashQuery that needs new data). */
export function rerender() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
