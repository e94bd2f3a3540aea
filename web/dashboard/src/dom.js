// A few DOM helpers: an element builder, numeric cells that carry their raw value, and tables.
import { fmtNum, rawValue } from "./fmt.js";

const PROPS = new Set(["value", "checked", "selected", "disabled", "indeterminate", "open"]);

/** h("button", {type: "button", onclick: f, class: "x"}, "text", child, [more]): an element. Attributes that are
 * null, undefined or false are left out; `on*` functions become listeners; `dataset` an object of data-*. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A table cell of a number: the formatted text, the raw value in data-value (tests compare it bitwise). */
export function numCell(x, fmt = fmtNum, tag = "td") {
  return h(tag, { class: "num", dataset: { value: rawValue(x) } }, fmt(x));
}

/**
 * A table inside a scrollable, focusable region (so a keyboard can scroll it).
 * columns: [{label, num?: true, title?, data?: {data-* of the header cell}}]; rows: arrays of cells: a Node (a <td>/<th> is used as is, another node is
 * wrapped), a number (a numCell), or text. rowAttrs(i): attributes of row i's <tr>.
 */
export function table({ caption, columns, rows, id, rowAttrs, className }) {
  const thead = h("thead", null, h("tr", null, columns.map((c) =>
    h("th", { scope: "col", class: c.num ? "num" : null, title: c.title, dataset: c.data }, c.label))));
  const tbody = h("tbody");
  rows.forEach((row, i) => tbody.append(tableRow(row, rowAttrs ? rowAttrs(i) : null)));
  const t = h("table", { id }, caption ? h("caption", null, caption) : null, thead, tbody);
  return h("div", { class: `table-wrap${className ? " " + className : ""}`, tabindex: 0, role: "region", "aria-label": caption || "table" }, t);
}

export function tableRow(row, attrs) {
  return h("tr", attrs, row.map((c) => cell(c)));
}

export function cell(c) {
  if (c instanceof HTMLTableCellElement) return c;
  if (typeof c === "number" || c === null) return numCell(c);
  return h("td", null, c);
}

/** A message box: kind "error" (role alert), "note" or "ok". */
export function message(kind, ...children) {
  return h("div", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : null }, children);
}

/** A labelled field: <div class=field><label for=id>label</label>control hint</div>. */
export function field(label, control, hint) {
  const hid = hint ? `${control.id}-hint` : null;
  if (hid) control.setAttribute("aria-describedby", hid);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control,
    hint ? h("div", { class: "hint", id: hid }, hint) : null);
}

/** A <section> with a heading (h2 by default) and a stable id for tests and links. */
export function section(id, title, ...children) {
  return h("section", { id, class: "card", "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), children);
}
