#!/usr/bin/python3
"""Writes the corpus of hostile inputs (issue 8) into DIR, from a small valid input BASE made by
`tradebal generate`: files that are not HDF5, truncated or with seeded byte flips; missing, extra,
mistyped, misshapen, empty, absurdly large or inconsistent datasets; NaN and Inf; out-of-range ids,
non-monotone CSR pointers, duplicate parties; external and soft links, virtual datasets, external raw
storage and unknown filters. DIR/cases.json lists each file with the words its one-line error must hold
(the dataset and the rule). Two controls must pass: BASE itself and BASE stored big-endian and compressed.
Usage: make_corpus.py BASE DIR [SEED]"""
import json
import os
import random
import shutil
import sys

import h5py
import numpy as np

BASE, DIR = sys.argv[1], sys.argv[2]
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 20261124
os.makedirs(DIR, exist_ok=True)
CASES = []


def path(name):
    return os.path.join(DIR, name + ".h5")


def case(name, words, valid=False):
    CASES.append({"file": name + ".h5", "words": words, "valid": valid})


def mutate(name, words, fn):
    """A copy of BASE changed by fn(h5py.File)."""
    shutil.copy(BASE, path(name))
    with h5py.File(path(name), "r+") as f:
        fn(f)
    case(name, words)


def replace(f, name, data, **kw):
    del f[name]
    f.create_dataset(name, data=data, **kw)


def set_at(name, index, value):
    def fn(f):
        d = f[name][...]
        d[index] = value
        replace(f, name, d)
    return fn


def raw(name, data):
    open(path(name), "wb").write(data)


base = open(BASE, "rb").read()
rng = random.Random(SEED)

# ---- not HDF5, truncated, flipped bytes ----
raw("not_hdf5", b"region,sector,value\n0,1,2.5\n" * 40)
case("not_hdf5", ["not an HDF5 file"])
raw("empty", b"")
case("empty", ["not an HDF5 file"])
for frac in (0.001, 0.02, 0.3, 0.7, 0.999):
    cut = max(1, int(len(base) * frac))
    raw(f"truncated_{cut}", base[:cut])
    case(f"truncated_{cut}", ["truncated"] if frac > 0.01 else ["not an HDF5 file"])
with h5py.File(BASE, "r") as f:  # object header addresses of the groups and datasets
    headers = []
    f.visit(lambda n: headers.append((n, h5py.h5o.get_info(f[n].id).addr)))
for i in range(6):  # the superblock: signature, versions, sizes, addresses
    b = bytearray(base)
    at = rng.randrange(8, 96) if i else 0
    b[at] ^= 1 << rng.randrange(8)
    raw(f"flip_superblock_{i}", bytes(b))
    case(f"flip_superblock_{i}", [])
for i in range(12):  # object headers: dataspace, datatype, layout messages
    b = bytearray(base)
    name, addr = rng.choice(headers)
    for _ in range(3):
        at = addr + rng.randrange(0, 160)
        b[at] ^= 1 << rng.randrange(8)
    raw(f"flip_header_{i}", bytes(b))
    case(f"flip_header_{i}", [])

# ---- datasets missing, extra, mistyped, misshapen ----
mutate("missing_cost", ["/deals/cost", "required dataset"], lambda f: f.__delitem__("/deals/cost"))
mutate("missing_group", ["/io/A", "required dataset"], lambda f: f.__delitem__("/io"))
mutate("extra_dataset", ["/entities/bargaining_weights", "not a dataset of the model"],
       lambda f: f.create_dataset("/entities/bargaining_weights", data=np.ones(f["/entities/type"].shape[0])))
mutate("extra_group", ["/deals/v2", "not a dataset of the model"], lambda f: f.create_group("/deals/v2"))
mutate("type_float_ids", ["/deals/party_entity", "integer"],
       lambda f: replace(f, "/deals/party_entity", f["/deals/party_entity"][...].astype(np.float64)))
mutate("type_string", ["/entities/type", "integer"],
       lambda f: replace(f, "/entities/type", np.array([b"gov"] * f["/entities/type"].shape[0])))
mutate("type_compound", ["/deals/cost", "float"], lambda f: replace(
    f, "/deals/cost", np.zeros(f["/deals/cost"].shape[0], dtype=[("a", "f8"), ("b", "f8")])))
mutate("type_long_double", ["/deals/cost", "8-byte"],
       lambda f: replace(f, "/deals/cost", f["/deals/cost"][...].astype(np.longdouble)))
mutate("rank_2d", ["/deals/period", "rank"],
       lambda f: replace(f, "/deals/period", f["/deals/period"][...].reshape(-1, 1)))
mutate("rank_scalar", ["/io/employment", "rank"], lambda f: replace(f, "/io/employment", 1.0))
# a writer that got the byte order wrong: the right bytes labelled big-endian
mutate("byteswapped_ids", ["/deals/party_entity", "entity id"], lambda f: replace(
    f, "/deals/party_entity", f["/deals/party_entity"][...].view(">i8")))
mutate("byteswapped_money", ["/deals/trade_value", "m_d"], lambda f: replace(
    f, "/deals/trade_value", -np.abs(f["/deals/trade_value"][...]).view(">f8")))

# ---- dimensions ----
def zero_entities(f):
    for n in list(f["/entities"]):
        d = f["/entities/" + n]
        replace(f, "/entities/" + n, np.zeros((0,) + d.shape[1:], d.dtype))


mutate("zero_entities", ["/entities/type", ">= 1"], zero_entities)
mutate("zero_sectors", ["/io/A", ">= 1"], lambda f: [replace(f, "/io/" + n, np.zeros(
    (0,) * f["/io/" + n].ndim)) for n in ("A", "value_added", "employment", "import_share")])
mutate("absurd_unstored", ["/deals/cost", "stored in the file"], lambda f: (f.__delitem__("/deals/cost"), f.create_dataset(
    "/deals/cost", shape=(2 ** 40,), dtype="f8", chunks=(2 ** 16,))))
mutate("absurd_consistent", ["/network/col", "stored in the file"], lambda f: [
    (f.__delitem__(n), f.create_dataset(n, shape=(2 ** 40,), dtype=t, chunks=(2 ** 16,)))
    for n, t in (("/network/col", "i8"), ("/network/weight", "f8"))])


def absurd_deals(f):  # every deal dataset 2^40 rows long and consistent: only the storage rule stops a scan
    m = 2 ** 40
    for n in list(f["/deals"]):
        d = f["/deals/" + n]
        if d.shape[0] in (f["/deals/importer"].shape[0], f["/deals/importer"].shape[0] + 1):
            rows = m + (d.shape[0] - f["/deals/importer"].shape[0])
            t = d.dtype
            del f["/deals/" + n]
            f.create_dataset("/deals/" + n, shape=(rows,), dtype=t, chunks=(2 ** 16,))


mutate("absurd_deals", ["/deals/", "stored in the file"], absurd_deals)
mutate("absurd_2d", ["/entities/weights", "stored in the file"], lambda f: (f.__delitem__("/entities/weights"), f.create_dataset(
    "/entities/weights", shape=(f["/entities/type"].shape[0], 2 ** 40), dtype="f8", chunks=(1, 1024))))
mutate("inconsistent_m", ["/deals/sector", "M"],
       lambda f: replace(f, "/deals/sector", f["/deals/sector"][:-1]))
mutate("inconsistent_rt", ["/trade/base_imports", "T"],
       lambda f: replace(f, "/trade/base_imports", f["/trade/base_imports"][:, :-1]))
mutate("inconsistent_ptr", ["/deals/comp_ptr", "P+1"],
       lambda f: replace(f, "/deals/comp_ptr", f["/deals/comp_ptr"][:-1]))

# ---- values ----
mutate("nan_prob", ["/deals/comp_prob", "p_c in [0,1]"], set_at("/deals/comp_prob", 17, np.nan))
mutate("inf_amount", ["/deals/flow_amount", "finite"], set_at("/deals/flow_amount", 5, np.inf))
mutate("nan_weight", ["/entities/weights", "[3,"], set_at("/entities/weights", (3, 1), np.nan))
mutate("inf_trade", ["/trade/base_exports", "finite"], set_at("/trade/base_exports", (1, 2), -np.inf))
mutate("nan_io", ["/io/A", ""], set_at("/io/A", (0, 1), np.nan))
mutate("id_range", ["/deals/party_entity", "entity id in 0..N-1"], set_at("/deals/party_entity", 9, 2 ** 40))
mutate("id_negative", ["/network/col", "entity id in 0..N-1"], set_at("/network/col", 3, -1))
mutate("region_range", ["/deals/export_region", "region"], set_at("/deals/export_region", 0, 99))
mutate("csr_decreasing", ["/deals/flow_ptr", ""], set_at("/deals/flow_ptr", 10, 0))
mutate("csr_first", ["/network/ptr", ""], set_at("/network/ptr", 0, 5))


def duplicate_party(f):
    ptr, ent = f["/deals/party_ptr"][...], f["/deals/party_entity"][...]
    ent[ptr[4] + 1] = ent[ptr[4]]
    replace(f, "/deals/party_entity", ent)


mutate("duplicate_party", ["/deals/party_entity", "twice"], duplicate_party)

# ---- links, virtual datasets, external storage, filters ----
shutil.copy(BASE, path("elsewhere"))  # a target that exists: a link to it must still be refused
CASES.append({"file": "elsewhere.h5", "words": [], "valid": True})


def external(f):
    del f["/deals/cost"]
    f["/deals/cost"] = h5py.ExternalLink("elsewhere.h5", "/deals/cost")


mutate("external_link", ["/deals/cost", "link"], external)


def soft(f):
    del f["/deals/cost"]
    f["/deals/cost"] = h5py.SoftLink("/deals/trade_value")


mutate("soft_link", ["/deals/cost", "link"], soft)


def external_group(f):
    del f["/network"]
    f["/network"] = h5py.ExternalLink("elsewhere.h5", "/network")


mutate("external_group", ["/network", "link"], external_group)


def virtual(f):
    n = f["/deals/cost"].shape[0]
    layout = h5py.VirtualLayout(shape=(n,), dtype="f8")
    layout[:] = h5py.VirtualSource("elsewhere.h5", "/deals/cost", shape=(n,))
    del f["/deals/cost"]
    f.create_virtual_dataset("/deals/cost", layout)


mutate("virtual_dataset", ["/deals/cost", "virtual"], virtual)


def external_raw(f):
    d = f["/deals/trade_value"][...]
    open(path("raw_cost").replace(".h5", ".bin"), "wb").write(d.tobytes())
    del f["/deals/trade_value"]
    f.create_dataset("/deals/trade_value", shape=d.shape, dtype="<f8", external=[("raw_cost.bin", 0, d.nbytes)])


mutate("external_raw", ["/deals/trade_value", "external"], external_raw)


def unknown_filter(f):
    d = f["/deals/cost"][...]
    del f["/deals/cost"]
    c = min(1024, d.shape[0])
    ds = f.create_dataset("/deals/cost", shape=d.shape, dtype="f8", chunks=(c,), compression=32001,
                          compression_opts=(0, 0, 0, 0, 5, 1, 1), allow_unknown_filter=True)
    for i in range(0, d.shape[0], c):
        ds.id.write_direct_chunk((i,), d[i:i + c].tobytes())


mutate("unknown_filter", ["/deals/cost", "filter 32001"], unknown_filter)

# ---- what fuzzing found (tests/corpus/found: inputs that once crashed or tripped a sanitizer) ----
FOUND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "found")
for name in sorted(os.listdir(FOUND)):
    shutil.copy(os.path.join(FOUND, name), path("found_" + name.rsplit(".", 1)[0]))
    case("found_" + name.rsplit(".", 1)[0], [])

# ---- controls: valid files that must pass ----
CASES.append({"file": os.path.basename(BASE), "words": [], "valid": True, "abs": os.path.abspath(BASE)})


def big_endian_compressed(f):
    for n in ("/deals/trade_value", "/deals/party_entity", "/entities/weights", "/network/weight"):
        d = f[n][...]
        replace(f, n, d.astype(d.dtype.newbyteorder(">")), compression="gzip", shuffle=True, chunks=True)


shutil.copy(BASE, path("control_big_endian_gzip"))
with h5py.File(path("control_big_endian_gzip"), "r+") as f:
    big_endian_compressed(f)
case("control_big_endian_gzip", [], valid=True)

json.dump(CASES, open(os.path.join(DIR, "cases.json"), "w"), indent=1)
print(f"{len(CASES)} files in {DIR}")
