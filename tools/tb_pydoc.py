#!/usr/bin/python3
"""The API reference of the Python SDK and of libtradebal (docs/python-api.md), generated from the docstrings of
python/tradebal/ (inspect) and the comments of host/api/tradebal.h (parsed), so the page cannot drift from the
code: CTest `docs_current` compares the committed page with this program's output.

Usage: tools/tb_pydoc.py [-o FILE]     write the page (stdout by default)
       tools/tb_pydoc.py --missing     list every public name without a docstring (C: function without a
                                       comment); exit 1 when there is one

It imports the package from python/ beside this folder (not an installed copy) and loads no library: the page
depends on the source alone, and the same source always gives the same bytes."""
import argparse
import inspect
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = os.path.join(REPO, "host", "api", "tradebal.h")
REGENERATE = "/usr/bin/python3 tools/tb_pydoc.py -o docs/python-api.md"

# the SDK's modules in the page's order; each module's public names: those of tradebal.__all__ defined in it
# first, then its other public functions and classes (reached as tradebal.<module>.<name>)
MODULES = ["results", "input", "runner", "evaluate", "imports", "errors"]
# classes whose public methods and properties are listed one by one
CLASSES_WITH_MEMBERS = {"Result", "Input", "Job", "SlurmJob", "SweepJob", "Evaluation"}
# public constants worth a line (module -> names)
CONSTANTS = {"results": ["STATUS", "OUTCOME"], "input": ["TYPES", "DIMS"], "runner": ["STATES"],
             "evaluate": ["VALUE_RULES", "SPLIT_RULES", "SCOPES", "ORDER_REASONS"]}


def load():
    sys.path.insert(0, os.path.join(REPO, "python"))
    import tradebal
    return tradebal


def submodule(name):
    """tradebal.<name> the module (tradebal.evaluate, the attribute, is the function of that name)."""
    import importlib
    return importlib.import_module("tradebal." + name)


# ---- docstrings as Markdown -------------------------------------------------------------------------------------
def _inline(text):
    """Plain docstring text made safe for Markdown outside code spans: <...> shown, not taken as HTML; a lone *
    not taken as emphasis; | escaped (tables)."""
    parts = re.split(r"(`[^`]*`)", text)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", r"\*")
    return "".join(parts).replace("|", r"\|")


def markdown(doc):
    """A docstring as Markdown. Paragraphs are blank-line separated; a paragraph whose lines are all indented is
    a code block; one whose first line is flush and some later lines indented is a list (each flush line an
    item, indented lines continuing it); any other paragraph is text."""
    if not doc:
        return ""
    out = []
    for para in re.split(r"\n\s*\n", inspect.cleandoc(doc)):
        lines = para.splitlines()
        indented = [ln.startswith(" ") for ln in lines]
        if all(indented):
            out.append("```\n" + inspect.cleandoc(para) + "\n```")
        elif any(indented[1:]):
            items = []
            for ln, ind in zip(lines, indented):
                if ind and items:
                    items[-1] += " " + ln.strip()
                else:
                    items.append(ln.strip())
            out.append("\n".join("- " + _inline(x) for x in items))
        else:
            out.append(_inline(" ".join(ln.strip() for ln in lines)))
    return "\n\n".join(out)


def first_line(doc):
    """The first sentence-ish line of a docstring, for tables."""
    text = " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split())
    return _inline(text)


# ---- Python ----------------------------------------------------------------------------------------------------
def signature(obj, name):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    return f"{name}{sig}"


def module_names(tb, modname):
    """(qualified name, object) of a module's public functions and classes, tradebal.__all__ ones first."""
    mod = submodule(modname)
    full = mod.__name__
    exported = [n for n in tb.__all__ if getattr(getattr(tb, n), "__module__", None) == full]
    own = sorted((n for n, o in vars(mod).items()
                  if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
                  and o.__module__ == full and n not in exported),
                 key=lambda n: inspect.getsourcelines(getattr(mod, n))[1])  # source order
    return [(f"tradebal.{n}", getattr(tb, n)) for n in exported] + [(f"{full}.{n}", getattr(mod, n)) for n in own]


def members(cls):
    """(name, kind, object) of a class's public methods and properties defined in it (not inherited)."""
    out = []
    for n, o in vars(cls).items():
        if n.startswith("_"):
            continue
        if isinstance(o, property):
            out.append((n, "property", o))
        elif isinstance(o, classmethod):
            out.append((n, "classmethod", o.__func__))
        elif isinstance(o, staticmethod):
            out.append((n, "staticmethod", o.__func__))
        elif inspect.isfunction(o):
            out.append((n, "method", o))
    return out


def member_doc(cls, name, obj):
    """A member's docstring, the base class's where an override has none (inspect.getdoc's rule)."""
    doc = inspect.getdoc(obj)
    if doc is None:
        for base in cls.__mro__[1:]:
            o = vars(base).get(name)
            if o is not None:
                doc = inspect.getdoc(o.fget if isinstance(o, property) else o)
                if doc:
                    break
    return doc


def is_exception(o):
    return inspect.isclass(o) and issubclass(o, BaseException)


def python_items(tb):
    """Every documented Python name: (qualified name, object, docstring) including class members as
    Class.member; used for the page and for --missing."""
    items = []
    for m in MODULES:
        mod = submodule(m)
        items.append((mod.__name__, mod, mod.__doc__))
        for q, o in module_names(tb, m):
            items.append((q, o, inspect.getdoc(o)))
            if inspect.isclass(o) and o.__name__ in CLASSES_WITH_MEMBERS:
                for n, kind, f in members(o):
                    items.append((f"{q}.{n}", f, member_doc(o, n, f.fget if kind == "property" else f)))
    items.append(("tradebal", tb, tb.__doc__))
    return items


def render_python(tb, lines):
    lines += ["## The Python package", "",
              f"`import tradebal` (version {tb.__version__}). {markdown(tb.__doc__)}", "",
              "Names of `tradebal.__all__`: " + ", ".join(f"`{n}`" for n in tb.__all__) + ".", ""]
    for m in MODULES:
        mod = submodule(m)
        lines += [f"### {mod.__name__}", "", markdown(mod.__doc__), ""]
        for q, o in module_names(tb, m):
            if is_exception(o):
                continue  # the exceptions have their own table below
            kind = "class" if inspect.isclass(o) else "function"
            lines += [f"#### `{q}`", "", "```python", f"{kind} {signature(o, q)}", "```", "",
                      markdown(inspect.getdoc(o)), ""]
            if inspect.isclass(o) and o.__name__ in CLASSES_WITH_MEMBERS:
                for n, kind, f in members(o):
                    fn = f.fget if kind == "property" else f
                    doc = member_doc(o, n, fn)
                    if kind == "property":
                        head = f"{o.__name__}.{n}  (property)"
                    else:
                        sig = inspect.signature(f)
                        params = list(sig.parameters.values())
                        if kind in ("method", "classmethod") and params:  # self, cls
                            sig = sig.replace(parameters=params[1:])
                        if kind == "classmethod":
                            head = f"{o.__name__}.{n}{sig}  (classmethod)"
                        else:
                            head = f"{o.__name__}.{n}{sig}"
                    lines += [f"- `{head}`", ""]
                    body = markdown(doc)
                    if body:
                        lines += ["  " + x if x else "" for x in body.splitlines()] + [""]
        for c in CONSTANTS.get(m, []):
            lines += [f"- `{mod.__name__}.{c}` = `{getattr(mod, c)!r}`"]
        if CONSTANTS.get(m):
            lines.append("")
    # the exceptions, by exit code
    errs = submodule("errors")
    lines += ["### Exceptions and exit codes", "",
              "Every failure raises a subclass of `tradebal.TradebalError`; its `code` is the exit code of the "
              "README's table (the C library's error codes are the same numbers). A failed `Job` sets the "
              "exception's `job` to its handle.", "",
              "| exit code | class | meaning |", "|---|---|---|"]
    classes = [errs.TradebalError] + sorted(set(errs.BY_CODE.values()), key=lambda c: c.code)
    for c in classes:
        code = "any" if c is errs.TradebalError else str(c.code)
        lines.append(f"| {code} | `tradebal.{c.__name__}` | {first_line(c.__doc__)} |")
    lines.append("")
    for c in classes:
        extra = markdown(inspect.getdoc(c))
        lines += [f"#### `tradebal.{c.__name__}`", "", "```python",
                  f"class {signature(c, 'tradebal.' + c.__name__)}"
                  + ("" if c is errs.TradebalError else f"   # {c.__bases__[0].__name__}, code {c.code}"),
                  "```", "", extra, ""]


# ---- C ---------------------------------------------------------------------------------------------------------
def _comment_text(c):
    """The text of a /* ... */ comment, its leading stars and spaces removed, lines joined."""
    body = c.strip()[2:-2]
    return " ".join(re.sub(r"^\s*\*\s?", "", ln).strip() for ln in body.splitlines()).strip()


def parse_header(path=HEADER):
    """The header as (intro, items): intro the file's first comment; each item a dict with kind (function,
    type, macros), names, comment (the comment before it, '' if none) and code (the declaration verbatim).
    Preprocessor guards and extern "C" are left out; consecutive #defines form one item; a comment before
    several declarations (the enums and struct of the parameters) belongs to all of them, one item."""
    text = open(path).read()
    m = re.match(r"\s*(/\*.*?\*/)", text, re.S)
    intro = _comment_text(m.group(1)) if m else ""
    text = text[m.end():] if m else text
    skip = re.compile(r'^\s*(#ifndef|#ifdef|#endif|#include|#define TRADEBAL_H|extern "C" \{|\}\s*$)')
    items, comment, code, depth = [], "", [], 0

    def close():
        nonlocal comment, code
        if code:
            block = "\n".join(code).strip("\n")
            names = re.findall(r"\b(tb_api_\w+)\s*\(", block) or re.findall(r"\}\s*(tb_api_\w+)\s*;", block) \
                or re.findall(r"#define\s+(\w+)", block)
            kind = "function" if re.search(r"\btb_api_\w+\s*\(", block) and "typedef" not in block else \
                "macros" if block.lstrip().startswith("#define") else "type"
            items.append({"kind": kind, "names": names, "comment": comment, "code": block})
        comment, code = "", []

    lines = text.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if depth == 0 and ln.lstrip().startswith("/*"):
            close()
            buf = [ln]
            while "*/" not in buf[-1]:
                i += 1
                buf.append(lines[i])
            comment = _comment_text("\n".join(buf))
        elif depth == 0 and (not ln.strip() or skip.match(ln)):
            close()
        elif depth == 0 and ln.startswith("#define"):
            if code and not code[-1].startswith("#define"):
                close()
            code.append(ln)
        else:
            code.append(ln)
            depth += ln.count("{") - ln.count("}")
            if depth == 0 and ln.rstrip().endswith(";") and re.search(r"\btb_api_\w+\s*\(", "\n".join(code)) \
                    and "typedef" not in "\n".join(code):
                close()  # one function per item, each with its own comment
        i += 1
    close()
    return intro, items


def python_callers(tb):
    """{C function: [Python names whose source calls it]} from the SDK's source."""
    import tradebal._lib as lib
    out = {}
    for q, o, _ in python_items(tb) + [(f"tradebal._lib.{n}", f, None) for n, f in vars(lib).items()
                                       if inspect.isfunction(f) and not n.startswith("_")]:
        if not (inspect.isfunction(o) or inspect.ismethod(o)):
            continue
        try:
            src = inspect.getsource(o)
        except (OSError, TypeError):
            continue
        for c in sorted(set(re.findall(r"\b(tb_api_\w+)\b", src))):
            out.setdefault(c, []).append(q)
    return out


def render_c(tb, lines):
    intro, items = parse_header()
    callers = python_callers(tb)
    lines += ["## The C library (host/api/tradebal.h)", "",
              "`libtradebal.so.0` (CMake target `tradebal_lib`, built into the build folder) exports these "
              "functions alone; the package calls them through ctypes (`tradebal/_lib.py` mirrors the structures "
              "field by field). From the header:", "", _inline(intro), ""]
    funcs = [it for it in items if it["kind"] == "function"]
    lines += ["| function | what | called from Python by |", "|---|---|---|"]
    for it in funcs:
        n = it["names"][0]
        who = ", ".join(f"`{q}`" for q in callers.get(n, [])) or "-"
        lines.append(f"| [`{n}`](#{n}) | {_inline(it['comment'])} | {who} |")
    lines.append("")
    for it in items:
        title = {"function": "", "type": " (type)", "macros": " (macros)"}[it["kind"]]
        lines += [f"### {', '.join(it['names'])}{title}", "", "```c", it["code"], "```", ""]
        if it["comment"]:
            lines += [_inline(it["comment"]), ""]


def page(tb):
    lines = ["# Python and C API reference", "",
             "Generated from the docstrings of `python/tradebal/` and the comments of `host/api/tradebal.h` by "
             f"`tools/tb_pydoc.py`; do not edit by hand: regenerate with `{REGENERATE}` (CTest `docs_current` "
             "fails when this page and the code differ). The guide with the worked example is "
             "[python.md](python.md).", ""]
    render_python(tb, lines)
    render_c(tb, lines)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
    return text


def missing(tb):
    """Public names without a docstring, and C functions without a comment."""
    out = [q for q, o, doc in python_items(tb) if not (doc or "").strip()]
    _, items = parse_header()
    out += [f"C {n}" for it in items if it["kind"] == "function" and not it["comment"] for n in it["names"]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", help="write the page here (default: stdout)")
    ap.add_argument("--missing", action="store_true", help="list public names without a docstring; exit 1 if any")
    a = ap.parse_args()
    tb = load()
    if a.missing:
        names = missing(tb)
        for n in names:
            print(n)
        return 1 if names else 0
    text = page(tb)
    if a.output:
        with open(a.output, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
