// Data browser: any HDF5 file under the data root (a run's output by default) as a plain tree (h5grove meta) and a
// table of a dataset's slice (h5grove data), with attributes (h5grove attr).
import { listRuns, h5meta, h5attr, h5data, isAbort, errorText } from "../api.js";
import { h, message, field, section, table, numCell } from "../dom.js";
import { setHashQuery, rerender } from "../router.js";

const MAX_ROWS = 100, MAX_COLS = 50;
const TYPE_CLASSES = { 0: "integer", 1: "float", 2: "time", 3: "string", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 9: "vlen", 10: "array" };

/** NumPy's indices of one selection member over a dimension of n (null for an index: the dimension is dropped). */
export function memberIndices(member, n) {
  const m = member.trim();
  if (!m.includes(":")) return null;
  const [a, b, s] = m.split(":").map((x) => x.trim());
  const step = s ? Number(s) : 1;
  const norm = (v, dflt) => (v === "" || v === undefined ? dflt : Math.max(0, Math.min(n, Number(v) < 0 ? n + Number(v) : Number(v))));
  const out = [];
  for (let i = norm(a, 0); i < norm(b, n); i += step) out.push(i);
  return out;
}

/** The default selection of a shape: at most MAX_ROWS rows and MAX_COLS columns of the last two dimensions. */
export function defaultSelection(shape) {
  if (!shape || shape.length === 0) return "";
  const lead = shape.slice(0, -2).map(() => "0");
  const last = shape.length === 1 ? [`0:${Math.min(shape[0], MAX_ROWS)}`]
    : [`0:${Math.min(shape[shape.length - 2], MAX_ROWS)}`, `0:${Math.min(shape[shape.length - 1], MAX_COLS)}`];
  return [...lead, ...last].join(",");
}

export async function browserPage({ main, params, signal, ready }) {
  let file = params.file;
  const fileSources = [];
  try {
    const runs = await listRuns({ limit: 100 }, signal);
    for (const r of runs.runs) if (r.state === "done") fileSources.push(r.output);
    for (const r of runs.runs) if (!fileSources.includes(r.input)) fileSources.push(r.input);
    if (!file) file = runs.runs.find((r) => r.state === "done")?.output;
  } catch (e) {
    if (isAbort(e)) throw e;
  }
  const fileIn = h("input", { id: "browse-file", type: "text", value: file ?? "", list: "browse-files", spellcheck: "false", size: 40, placeholder: "runs/1/output.h5" });
  const openForm = h("form", { id: "browse-open", class: "toolbar" }, field("File (relative to the data root)", fileIn),
    h("button", { type: "submit" }, "Open"), h("datalist", { id: "browse-files" }, fileSources.map((f) => h("option", { value: f }))));
  openForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setHashQuery({ file: fileIn.value.trim() });
    rerender();
  });
  const tree = h("ul", { class: "tree", id: "browse-tree" });
  const details = h("div", { id: "browse-details" });
  main.append(h("h1", { tabindex: -1 }, "Data browser"), openForm);
  if (!file) {
    main.append(message("note", "No finished run yet: give a file."));
    return ready();
  }
  main.append(h("div", { class: "grid-browse" },
    section("browse-tree-box", file, h("nav", { "aria-label": "Objects of the file" }, tree)),
    section("browse-details-box", "Object", details)));

  const selectedPath = params.path || "/";
  let current = null; // the selected item's button

  async function select(path, meta, btn) {
    if (current) current.removeAttribute("aria-current");
    current = btn;
    btn?.setAttribute("aria-current", "true");
    setHashQuery({ file, path, selection: params.path === path ? params.selection : undefined });
    await showDetails(details, file, path, meta, path === params.path ? params.selection : undefined, signal);
  }

  async function node(path, meta, depth) {
    const name = path === "/" ? "/" : path.split("/").pop();
    const li = h("li", { dataset: { path } });
    const isGroup = meta.kind === "group";
    const btn = h("button", { type: "button", class: `node node-${meta.kind}`, dataset: { path },
      "aria-expanded": isGroup ? "false" : null, title: path },
      h("span", { class: "node-icon", "aria-hidden": "true" }, isGroup ? "▸" : meta.kind === "dataset" ? "■" : "↪"), ` ${name}`,
      meta.kind === "dataset" && meta.shape ? h("span", { class: "muted" }, ` [${meta.shape.join(", ")}]`) : null);
    li.append(btn);
    let childList = null;
    const activate = async () => {
      try {
        if (isGroup) {
          if (btn.getAttribute("aria-expanded") === "true" && current === btn) {
            btn.setAttribute("aria-expanded", "false");
            btn.firstChild.textContent = "▸";
            childList?.remove();
            childList = null;
            return;
          }
          const full = await h5meta(file, path, signal);
          if (!childList) {
            childList = h("ul", { role: "group" });
            for (const c of full.children || []) childList.append(await node(path === "/" ? `/${c.name}` : `${path}/${c.name}`, c, depth + 1));
            li.append(childList);
          }
          btn.setAttribute("aria-expanded", "true");
          btn.firstChild.textContent = "▾";
          await select(path, full, btn);
        } else {
          await select(path, meta, btn); // a group's listing holds its datasets' whole metadata
        }
      } catch (e) {
        if (isAbort(e)) return;
        details.replaceChildren(message("error", errorText(e)));
        details.dataset.path = path;
      }
    };
    btn.addEventListener("click", activate);
    li.activate = activate;
    return li;
  }

  const rootMeta = await h5meta(file, "/", signal);
  tree.append(await node("/", rootMeta, 0));
  // open the path of the address, group by group
  const parts = selectedPath.split("/").filter(Boolean);
  let li = tree.firstElementChild;
  await li.activate();
  for (let i = 0; i < parts.length; i++) {
    const p = "/" + parts.slice(0, i + 1).join("/");
    const next = [...li.querySelectorAll(":scope > ul > li")].find((x) => x.dataset.path === p);
    if (!next) {
      details.prepend(message("note", `${p} is not in the file.`));
      break;
    }
    li = next;
    await li.activate();
  }
  ready();
}

async function showDetails(box, file, path, meta, selection, signal) {
  delete box.dataset.path;
  const parts = [h("h3", { class: "path" }, path)];
  const facts = [["Kind", meta.kind]];
  if (meta.shape !== undefined) facts.push(["Shape", meta.shape === null ? "empty" : meta.shape.length ? `[${meta.shape.join(", ")}]` : "scalar"]);
  if (meta.type) facts.push(["Type", `${TYPE_CLASSES[meta.type.class] ?? meta.type.class} ${meta.type.dtype ?? ""} (${meta.type.size} bytes)`]);
  if (meta.chunks) facts.push(["Chunks", `[${meta.chunks.join(", ")}]`]);
  if (meta.filters?.length) facts.push(["Filters", meta.filters.map((f) => f.name).join(", ")]);
  if (meta.target_path) facts.push(["Target", `${meta.target_file ? meta.target_file + ":" : ""}${meta.target_path}`]);
  if (meta.kind === "group") facts.push(["Members", String((meta.children || []).length)]);
  parts.push(h("dl", { class: "facts", id: "browse-facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])));
  let attrs = {};
  if ((meta.attributes || []).length) {
    attrs = await h5attr(file, path, null, signal);
    parts.push(table({
      id: "browse-attrs", caption: "Attributes",
      columns: [{ label: "Name" }, { label: "Value" }],
      rows: meta.attributes.map((a) => [h("th", { scope: "row" }, a.name), attrCell(attrs[a.name])]),
    }));
  }
  if (meta.kind === "dataset" && meta.shape !== null) {
    const selIn = h("input", { id: "browse-selection", type: "text", value: selection ?? defaultSelection(meta.shape), spellcheck: "false", size: 24 });
    const out = h("div", { id: "browse-slice" });
    const form = h("form", { id: "browse-slice-form", class: "toolbar" },
      field("Selection", selIn, "NumPy style, one member per dimension: 3 (an index), 0:10, ::2, : …"), h("button", { type: "submit" }, "Show"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      setHashQuery({ file, path, selection: selIn.value.trim() });
      await slice(out, file, path, meta, selIn.value.trim(), attrs, signal).catch((e) => { if (!isAbort(e)) out.replaceChildren(message("error", errorText(e))); });
    });
    parts.push(h("h3", null, "Values"), form, out);
    box.replaceChildren(...parts);
    await slice(out, file, path, meta, selIn.value.trim(), attrs, signal).catch((e) => { if (isAbort(e)) throw e; out.replaceChildren(message("error", errorText(e))); });
  } else {
    box.replaceChildren(...parts);
  }
  box.dataset.path = path;
}

function attrCell(v) {
  if (typeof v === "number" || v === null) return numCell(v);
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return h("td", null, text.includes("\n") || text.length > 80 ? h("pre", { class: "attr-text", tabindex: 0 }, text) : text);
}

async function slice(out, file, path, meta, selection, attrs, signal) {
  delete out.dataset.ready;
  out.replaceChildren(h("p", null, "Reading…"));
  const shape = meta.shape;
  const members = selection ? selection.split(",") : [];
  if (members.length > shape.length) throw new Error(`The selection has ${members.length} members; the dataset has ${shape.length} dimensions.`);
  const kept = shape.map((n, i) => (i < members.length ? memberIndices(members[i], n) : [...Array(n).keys()]));
  const dims = kept.map((k, i) => [k, i]).filter(([k]) => k !== null);
  if (dims.length > 2) throw new Error(`That selection keeps ${dims.length} dimensions: keep at most 2 (give an index for the others).`);
  const cells = dims.reduce((p, [k]) => p * k.length, 1);
  if (cells > 100000) throw new Error(`That selection holds ${cells} values: show at most 100,000 at once.`);
  const data = await h5data(file, path, selection || undefined, signal);
  let t;
  if (dims.length === 0) {
    t = table({ id: "browse-table", caption: "Value", columns: [{ label: "Value", num: true }], rows: [[valCell(data)]] });
  } else if (dims.length === 1) {
    const [rows] = dims[0];
    const label = colLabels(attrs, shape, dims[0][1]);
    t = table({ id: "browse-table", caption: `${path}[${selection}]`, columns: [{ label: "Index", num: true }, { label: "Value", num: true }],
      rows: data.map((v, i) => [h("th", { scope: "row", class: "num" }, label ? `${rows[i]} ${label[rows[i]] ?? ""}` : String(rows[i])), valCell(v)]) });
  } else {
    const [[rows], [cols, cdim]] = dims;
    const label = colLabels(attrs, shape, cdim);
    t = table({ id: "browse-table", caption: `${path}[${selection}]`,
      columns: [{ label: "Row", num: true }, ...cols.map((c) => ({ label: label ? label[c] ?? String(c) : String(c), num: true }))],
      rows: data.map((row, i) => [h("th", { scope: "row", class: "num" }, String(rows[i])), ...row.map((v) => valCell(v))]) });
  }
  out.replaceChildren(t);
  out.dataset.ready = selection || "all";
}

/** Column names of the last dimension from a `columns` attribute of that length (e.g. /policies/metrics). */
function colLabels(attrs, shape, dim) {
  const c = attrs?.columns;
  return Array.isArray(c) && dim === shape.length - 1 && c.length === shape[dim] ? c : null;
}

function valCell(v) {
  if (typeof v === "number" || v === null) return numCell(v);
  if (typeof v === "boolean") return h("td", { dataset: { value: String(v) } }, String(v));
  return h("td", { dataset: { value: typeof v === "string" ? v : JSON.stringify(v) } }, typeof v === "string" ? v : JSON.stringify(v));
}
