#!/usr/bin/python3
"""Join docs/openapi/*.json (base.json first, then one fragment per area) into docs/openapi.json, the OpenAPI
3.1 document of `tradebal serve`. A fragment holds "paths" and "components" to add; a name defined twice is
an error. Usage: tb_openapi.py [--check]  (--check: exit 1 when docs/openapi.json is not the join)."""
import json
import os
import sys

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def join():
    folder = os.path.join(DOCS, "openapi")
    names = ["base.json"] + sorted(n for n in os.listdir(folder) if n.endswith(".json") and n != "base.json")
    doc = None
    for n in names:
        with open(os.path.join(folder, n)) as fh:
            part = json.load(fh)
        if doc is None:
            doc = part
            continue
        for path, ops in part.get("paths", {}).items():
            have = doc["paths"].setdefault(path, {})
            for method, op in ops.items():
                if method in have:
                    raise SystemExit(f"{n}: {method.upper()} {path} is defined twice")
                have[method] = op
        for kind, items in part.get("components", {}).items():
            have = doc.setdefault("components", {}).setdefault(kind, {})
            for k, v in items.items():
                if k in have:
                    raise SystemExit(f"{n}: components.{kind}.{k} is defined twice")
                have[k] = v
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def main():
    text = join()
    out = os.path.join(DOCS, "openapi.json")
    if "--check" in sys.argv:
        with open(out) as fh:
            if fh.read() != text:
                print("docs/openapi.json is not the join of docs/openapi/*.json: run tools/tb_openapi.py",
                      file=sys.stderr)
                return 1
        return 0
    with open(out, "w") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
