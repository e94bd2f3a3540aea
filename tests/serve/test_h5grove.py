"""The h5grove endpoints (issue 23, point 4) driven the way H5Web's H5GroveProvider drives them (github
silx-kit/h5web, packages/app/src/providers/h5grove/h5grove-api.ts): meta of "/", of a group, of a dataset; attr of
an entity; data with format=bin&dtype=safe decoded as the typed array H5Web picks from the type metadata, strings
with flatten=true as JSON; slices with H5Web's selections ("1,:,:"). Every answer is compared with h5py reading
the same file: the metadata with a re-statement of h5grove's own content.py/utils.py over h5py, the values with
h5py's arrays. Files: a real `tradebal run` output and a hand-made file of known contents (several dtypes and
byte orders, 0-D to 3-D, string attributes, nested and ordered groups, links, a named type)."""
import io
import json
import os
import subprocess
import urllib.parse

import h5py
import numpy as np
import pytest

from conftest import TB, Server


# ---- h5grove's metadata, restated over h5py (h5grove utils.get_type_metadata, content.py) ----

def dtype_str(dt):
    return dt.str if dt.fields is None else {k: dtype_str(v[0]) for k, v in dt.fields.items()}


def type_meta(t):
    m = {"class": t.get_class(), "dtype": dtype_str(t.dtype), "size": t.get_size()}
    if isinstance(t, h5py.h5t.TypeIntegerID):
        m.update(order=t.get_order(), sign=t.get_sign())
    elif isinstance(t, h5py.h5t.TypeFloatID):
        m.update(order=t.get_order())
    elif isinstance(t, h5py.h5t.TypeStringID):
        m.update(cset=t.get_cset(), strpad=t.get_strpad(), vlen=bool(t.is_variable_str()))
    elif isinstance(t, h5py.h5t.TypeBitfieldID):
        m.update(order=t.get_order())
    elif isinstance(t, h5py.h5t.TypeOpaqueID):
        m.update(tag=t.get_tag().decode())
    elif isinstance(t, h5py.h5t.TypeCompoundID):
        m["members"] = [{"name": t.get_member_name(i).decode(), **type_meta(t.get_member_type(i))}
                        for i in range(t.get_nmembers())]
    elif isinstance(t, h5py.h5t.TypeEnumID):
        m["members"] = {t.get_member_name(i).decode(): t.get_member_value(i) for i in range(t.get_nmembers())}
        m["base"] = type_meta(t.get_super())
    elif isinstance(t, h5py.h5t.TypeVlenID):
        m["base"] = type_meta(t.get_super())
    elif isinstance(t, h5py.h5t.TypeArrayID):
        m.update(dims=list(t.get_array_dims()), base=type_meta(t.get_super()))
    return m


def shape_of(s):
    return None if s is None else list(s)


def expected_meta(f, path, depth=1):
    name = path.split("/")[-1]
    if path != "/":
        link = f.get(path, getlink=True)
        if isinstance(link, h5py.ExternalLink):  # listed, never followed (a safety difference from h5grove)
            return {"name": name, "kind": "external_link", "target_file": link.filename, "target_path": link.path}
        if isinstance(link, h5py.SoftLink) and link.path.lstrip("/") not in f:
            return {"name": name, "kind": "soft_link", "target_path": link.path}
    obj = f[path]
    m = {"name": name, "attributes": [{"name": a, "shape": shape_of(obj.attrs.get_id(a).shape),
                                       "type": type_meta(obj.attrs.get_id(a).get_type())} for a in sorted(obj.attrs)]}
    if isinstance(obj, h5py.Dataset):
        pl = obj.id.get_create_plist()
        filters = [{"id": pl.get_filter(i)[0], "name": pl.get_filter(i)[3].decode()} for i in range(pl.get_nfilters())]
        m.update(kind="dataset", shape=shape_of(obj.shape), type=type_meta(obj.id.get_type()),
                 chunks=list(obj.chunks) if obj.chunks else None, filters=filters or None)
    elif isinstance(obj, h5py.Group):
        m["kind"] = "group"
        if depth > 0:
            m["children"] = [expected_meta(f, path.rstrip("/") + "/" + k, depth - 1) for k in obj.keys()]
    else:
        m.update(kind="datatype", type=type_meta(obj.id))
    return m


def to_json_value(a):
    """h5grove's JSON of a value (orjson): NaN and infinities null, bytes decoded."""
    if isinstance(a, h5py.Empty):
        return None
    if isinstance(a, np.ndarray):
        return [to_json_value(x) for x in a]
    if isinstance(a, (bytes, np.bytes_)):
        return a.decode()
    if isinstance(a, (np.floating, float)):
        return float(a) if np.isfinite(a) else None
    if isinstance(a, np.generic):
        return a.item()
    return a


# ---- the client side, as H5Web's H5GroveApi ----

def q(*pairs, **params):
    """A query string: keyword parameters, or (key, value) pairs where a key repeats (attr_keys)."""
    return urllib.parse.urlencode(list(pairs) + list(params.items()))


class H5Web:
    """H5GroveApi's calls: getEntity -> meta, getAttrValues -> attr, getValue -> data."""

    def __init__(self, server, filepath, base="/v1/h5grove"):
        self.s, self.file, self.base = server, filepath, base

    def get(self, endpoint, **params):
        r = self.s.get(f"{self.base}/{endpoint}?" + q(file=self.file, **params), token="read")
        assert r.status == 200, (endpoint, params, r)
        return r

    def entity(self, path):
        return self.get("meta", path=path).json()

    def attr_values(self, entity_path, entity):
        if not entity["attributes"]:
            return {}
        return self.get("attr", path=entity_path).json()

    def value(self, path, meta, selection=None):
        extra = {"selection": selection} if selection else {}
        typed = typed_array(meta["type"])
        if typed is not None:  # format=bin&dtype=safe into the typed array H5Web picks
            r = self.get("data", path=path, format="bin", dtype="safe", **extra)
            assert r.headers["Content-Type"] == "application/octet-stream"
            arr = np.frombuffer(r.body, dtype=typed)
            return arr[0] if meta["shape"] == [] else arr
        return self.get("data", path=path, flatten="true", **extra).json()


def typed_array(t):
    """H5Web's h5groveTypedArrayFromDType over its parseDType (enum and bool: their base)."""
    if t["class"] == 8:
        t = t["base"]
    if t["class"] == 0 and t["size"] in (1, 2, 4, 8):
        return np.dtype(f"<{'i' if t['sign'] else 'u'}{t['size']}")
    if t["class"] == 1:
        return np.dtype("<f4") if t["size"] <= 4 else np.dtype("<f8")
    return None


def same_values(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64))  # NaN equals NaN here
    else:
        assert (got == want).all(), (got, want)


# ---- files ----

@pytest.fixture(scope="module")
def files(data_root):
    """A `tradebal run` output and a hand-made file of known contents, both under the data root."""
    runs = os.path.join(data_root, "runs")
    os.makedirs(runs, exist_ok=True)
    with open(os.path.join(runs, "run.ini"), "w") as fh:
        fh.write("[input]\nfile = ../inputs/small.h5\n[output]\nfile = out.h5\n[assessment]\ndraws = 4\n"
                 "[policy.tariff10]\nkind = tariff\nrate = 0.1\n")
    p = subprocess.run([TB, "run", "-c", os.path.join(runs, "run.ini"), "--overwrite"], capture_output=True, text=True,
                       env=dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                                ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"))  # Open MPI's
    assert p.returncode == 0, p.stderr
    hand = os.path.join(data_root, "known.h5")
    with h5py.File(hand, "w") as f:
        f.attrs["title"] = "known contents"                        # variable-length UTF-8
        f.attrs["fixed"] = np.bytes_("fixed-width")                # fixed-width ASCII
        f.attrs["labels"] = np.array([b"a", b"bc", b"def"])        # fixed-width array
        f.attrs["scale"] = 2.5
        f.attrs["shape"] = np.array([[1, 2], [3, 4]], dtype=np.int16)
        f.attrs["nothing"] = h5py.Empty("f8")
        ints = f.create_dataset("ints", data=np.arange(100, dtype=np.int32) * 3 - 50)
        ints.attrs["units"] = "m"
        ints.attrs["flags"] = np.array([1, 2, 3], dtype=np.int16)
        f.create_dataset("matrix", data=np.linspace(-1, 1, 600).reshape(20, 30), chunks=(5, 10), compression="gzip",
                         shuffle=True)
        f.create_dataset("be", data=np.array([1.5, -2.25, 1e300, -0.0], dtype=">f8"))
        f.create_dataset("be_i", data=np.array([1, -2, 70000], dtype=">i4"))
        f.create_dataset("half", data=np.array([0.5, 1.5, -3.0], dtype=np.float16))
        f.create_dataset("f32", data=np.array([0.1, 1e-30, 3.4e38], dtype=np.float32))
        f.create_dataset("u8", data=np.arange(24, dtype=np.uint8).reshape(4, 6))
        f.create_dataset("u64", data=np.array([0, 2 ** 64 - 1, 12345678901234567890], dtype=np.uint64))
        f.create_dataset("i64", data=np.array([-2 ** 63, 2 ** 63 - 1, 0], dtype=np.int64))
        f.create_dataset("bools", data=np.array([True, False, True]))
        f.create_dataset("fixed_str", data=np.array([b"alpha", b"beta", b""], dtype="S10"))
        f.create_dataset("vlen_str", data=["\u03b1", "plain", "tab\tquote\""], dtype=h5py.string_dtype())
        f.create_dataset("scalar", data=3.25)
        f.create_dataset("empty", data=h5py.Empty("f8"))
        f.create_dataset("specials", data=np.array([np.nan, np.inf, -np.inf, 1.0]))
        f.create_dataset("cube", data=np.arange(120, dtype=np.int16).reshape(4, 5, 6))
        f.create_dataset("compound", data=np.array([(1, 2.5)], dtype=[("a", "<i4"), ("b", "<f8")]))
        f.create_dataset("enum", data=np.array([0, 2, 1], dtype=np.uint8),
                         dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype=np.uint8))
        leaf = f.create_group("nested/deeper").create_dataset("leaf", data=np.arange(5.0))
        leaf.attrs["note"] = "deep"
        f["nested"].attrs["level"] = 1
        ordered = f.create_group("ordered", track_order=True)
        for n in ("zeta", "alpha", "mid"):
            ordered.create_group(n)
        f["link_to_ints"] = h5py.SoftLink("/ints")
        f["dangling"] = h5py.SoftLink("/nowhere")
        f["ext"] = h5py.ExternalLink("other.h5", "/x")
        f["named_type"] = np.dtype("<i2")
    return {"run": os.path.join(data_root, "runs", "out.h5"), "run_rel": "runs/out.h5", "hand": hand,
            "hand_rel": "known.h5"}


# ---- H5Web's sequence ----

def browse(server, rel, path, h5):
    """getEntity(path) -> for a dataset getValue, for everything getAttrValues; compared with h5py."""
    api = H5Web(server, rel)
    meta = api.entity(path)
    assert meta == expected_meta(h5, path), path
    attrs = api.attr_values(path, meta)
    assert attrs == {k: to_json_value(v) for k, v in h5[path].attrs.items()}, path
    if meta["kind"] == "dataset":
        got = api.value(path, meta)
        want = h5[path][()]
        if isinstance(got, list) or meta["type"]["class"] == 3:
            assert got == to_json_value(np.asarray(want).ravel()), path
        else:  # a flat typed array, as H5Web holds it (the shape comes from the metadata)
            same_values(got, want if meta["shape"] == [] else np.asarray(want).ravel())
    return meta


def test_h5web_browses_a_run_output(server, files):
    with h5py.File(files["run"], "r") as h5:
        root = browse(server, files["run_rel"], "/", h5)
        assert [c["name"] for c in root["children"]] == list(h5.keys())
        pol = browse(server, files["run_rel"], "/policies", h5)
        assert {c["name"] for c in pol["children"]} >= {"metrics", "names", "deltas", "none", "tariff10"}
        for path in ("/policies/metrics", "/policies/names", "/deals/status", "/deals/value", "/deals/bid",
                     "/regions/balance", "/opportunities/deal", "/policies/tariff10/regions/exports"):
            browse(server, files["run_rel"], path, h5)
        # H5Web's slice of a 2-D dataset: one row ([1, 'x'] -> "1,:")
        api = H5Web(server, files["run_rel"])
        meta = api.entity("/policies/metrics")
        same_values(api.value("/policies/metrics", meta, selection="1,:"), h5["/policies/metrics"][1, :])
        # the attribute H5Web shows by the table's columns
        cols = server.get("/v1/h5grove/attr?" + q(file=files["run_rel"], path="/policies/metrics", attr_keys="columns"),
                          token="read").json()
        assert cols == {"columns": [c.decode() for c in h5["/policies/metrics"].attrs["columns"]]}


def test_h5web_browses_known_contents(server, files):
    with h5py.File(files["hand"], "r") as h5:
        root = browse(server, files["hand_rel"], "/", h5)
        kinds = {c["name"]: c["kind"] for c in root["children"]}
        assert kinds["ints"] == "dataset" and kinds["nested"] == "group" and kinds["named_type"] == "datatype"
        assert kinds["link_to_ints"] == "dataset" and kinds["dangling"] == "soft_link" and kinds["ext"] == "external_link"
        for path in ("/ints", "/matrix", "/be", "/be_i", "/half", "/f32", "/u8", "/u64", "/i64", "/bools", "/fixed_str",
                     "/vlen_str", "/scalar", "/specials", "/cube", "/enum", "/nested", "/nested/deeper",
                     "/nested/deeper/leaf", "/ordered", "/link_to_ints", "/named_type"):
            browse(server, files["hand_rel"], path, h5)
        api = H5Web(server, files["hand_rel"])
        # H5Web's slice of a 3-D dataset: [1, 'y', 'x'] -> "1,:,:"
        meta = api.entity("/cube")
        same_values(api.value("/cube", meta, selection="1,:,:").reshape(5, 6), h5["cube"][1, :, :])
        # dtype=safe turned these into what JavaScript holds: float16 -> float32, big-endian -> little-endian
        assert typed_array(api.entity("/half")["type"]) == np.dtype("<f4")
        same_values(api.value("/be", api.entity("/be")), h5["be"][()])


def test_type_metadata_by_hand(server, files):
    """A few types spelled out (not only compared with the h5py restatement)."""
    api = H5Web(server, files["hand_rel"])
    t = {p: api.entity(p)["type"] for p in ("/ints", "/be", "/u8", "/fixed_str", "/vlen_str", "/bools", "/half")}
    assert t["/ints"] == {"class": 0, "dtype": "<i4", "size": 4, "order": 0, "sign": 1}
    assert t["/be"] == {"class": 1, "dtype": ">f8", "size": 8, "order": 1}
    assert t["/u8"]["dtype"] == "|u1" and t["/u8"]["sign"] == 0
    assert t["/fixed_str"] == {"class": 3, "dtype": "|S10", "size": 10, "cset": 0, "strpad": 1, "vlen": False}
    assert t["/vlen_str"]["dtype"] == "|O" and t["/vlen_str"]["vlen"] is True and t["/vlen_str"]["cset"] == 1
    assert t["/bools"]["class"] == 8 and t["/bools"]["dtype"] == "|b1" and t["/bools"]["members"] == {"FALSE": 0, "TRUE": 1}
    assert t["/half"]["dtype"] == "<f2"
    meta = api.entity("/matrix")
    assert meta["chunks"] == [5, 10] and [x["name"] for x in meta["filters"]] == ["shuffle", "deflate"]
    assert api.entity("/empty")["shape"] is None and api.entity("/scalar")["shape"] == []
    assert api.entity("/")["name"] == "" and api.entity("/nested/deeper")["name"] == "deeper"
    assert [c["name"] for c in api.entity("/ordered")["children"]] == ["zeta", "alpha", "mid"]  # creation order
    ext = api.entity("/ext")
    assert ext == {"name": "ext", "kind": "external_link", "target_file": "other.h5", "target_path": "/x"}


def data(server, rel, path, **params):
    return server.get("/v1/h5grove/data?" + q(file=rel, path=path, **params), token="read")


@pytest.mark.parametrize("path,selection,index", [
    ("/ints", "0:10", np.s_[0:10]),
    ("/ints", "::7", np.s_[::7]),
    ("/ints", "-1", np.s_[-1]),
    ("/ints", "90:", np.s_[90:]),
    ("/ints", "5:-5:13", np.s_[5:-5:13]),
    ("/ints", "200:300", np.s_[200:300]),
    ("/matrix", "2,:", np.s_[2, :]),
    ("/matrix", "3", np.s_[3]),
    ("/matrix", ":,4", np.s_[:, 4]),
    ("/matrix", "1:19:3, 2:30:9", np.s_[1:19:3, 2:30:9]),
    ("/cube", "1,:,2", np.s_[1, :, 2]),
    ("/cube", "-1,-1,-1", np.s_[-1, -1, -1]),
    ("/u8", ":0", np.s_[:0]),
])
def test_selections_match_numpy(server, files, path, selection, index):
    with h5py.File(files["hand"], "r") as h5:
        want = h5[path][()][index]
    r = data(server, files["hand_rel"], path, selection=selection)
    assert r.status == 200, r
    if np.ndim(want):
        assert r.json() == to_json_value(np.asarray(want))
    else:  # an index in every dimension: a scalar
        assert r.json() == want.item()
    r = data(server, files["hand_rel"], path, selection=selection, format="npy")
    assert r.status == 200 and 'filename="data.npy"' in r.headers["Content-Disposition"]
    got = np.load(io.BytesIO(r.body))
    assert got.dtype == np.asarray(want).dtype and got.shape == np.shape(want)
    same_values(got, want)


def test_formats_dtypes_and_flatten(server, files):
    rel = files["hand_rel"]
    with h5py.File(files["hand"], "r") as h5:
        # origin keeps the stored bytes (big-endian here); safe makes them little-endian
        assert data(server, rel, "/be", format="bin").body == h5["be"][()].tobytes()
        assert data(server, rel, "/be", format="bin", dtype="safe").body == h5["be"][()].astype("<f8").tobytes()
        assert data(server, rel, "/be_i", format="bin", dtype="safe").body == h5["be_i"][()].astype("<i4").tobytes()
        assert data(server, rel, "/half", format="bin", dtype="safe").body == h5["half"][()].astype("<f4").tobytes()
        assert data(server, rel, "/half", format="bin").body == h5["half"][()].tobytes()
        assert data(server, rel, "/bools", format="bin").body == h5["bools"][()].tobytes()
        np.testing.assert_array_equal(np.load(io.BytesIO(data(server, rel, "/be", format="npy").body)), h5["be"][()])
        assert np.load(io.BytesIO(data(server, rel, "/be", format="npy").body)).dtype == np.dtype(">f8")
        # JSON: exact integers of 64 bits, floats that read back bitwise, null for non-numbers
        assert data(server, rel, "/u64").json() == [0, 2 ** 64 - 1, 12345678901234567890]
        assert data(server, rel, "/i64").json() == [-2 ** 63, 2 ** 63 - 1, 0]
        assert data(server, rel, "/specials").json() == [None, None, None, 1.0]
        assert [np.float32(x) for x in data(server, rel, "/f32").json()] == list(h5["f32"][()])
        assert data(server, rel, "/matrix").json() == h5["matrix"][()].tolist()
        assert data(server, rel, "/matrix", flatten="true").json() == h5["matrix"][()].ravel().tolist()
        assert data(server, rel, "/matrix", flatten="false").json() == h5["matrix"][()].tolist()
        assert data(server, rel, "/bools").json() == [True, False, True]
        assert data(server, rel, "/enum").json() == [0, 2, 1]
        assert data(server, rel, "/scalar").json() == 3.25
        assert data(server, rel, "/scalar", format="bin").body == np.float64(3.25).tobytes()
        assert data(server, rel, "/empty").json() is None
        assert data(server, rel, "/fixed_str").json() == ["alpha", "beta", ""]
        assert data(server, rel, "/vlen_str").json() == ["\u03b1", "plain", "tab\tquote\""]
        assert data(server, rel, "/fixed_str", format="bin").body == h5["fixed_str"][()].tobytes()
        attrs = server.get("/v1/h5grove/attr?" + q(file=rel, path="/"), token="read").json()
        assert attrs == {"title": "known contents", "fixed": "fixed-width", "labels": ["a", "bc", "def"], "scale": 2.5,
                         "shape": [[1, 2], [3, 4]], "nothing": None}
        two = server.get("/v1/h5grove/attr?" + q(("file", rel), ("path", "/"), ("attr_keys", "scale"),
                                                   ("attr_keys", "title")), token="read").json()
        assert two == {"scale": 2.5, "title": "known contents"}


def test_errors_are_problems(server, files):
    rel = files["hand_rel"]

    def problem(endpoint, status, **params):
        r = server.get(f"/v1/h5grove/{endpoint}?" + q(**params), token="read")
        assert r.status == status, (endpoint, params, r)
        p = r.json()
        assert p["status"] == status and p["message"].endswith(p["detail"])
        return p["detail"]

    assert "not a valid path" in problem("meta", 404, file=rel, path="/missing")
    assert "not a valid path" in problem("meta", 404, file=rel, path="/ext/x")  # never through an external link
    assert "not a dataset" in problem("data", 422, file=rel, path="/nested")
    assert "not a dataset" in problem("data", 422, file=rel, path="/ext")
    assert "no attribute" in problem("attr", 404, file=rel, path="/ints", attr_keys="nope")
    assert "out of range" in problem("data", 422, file=rel, path="/ints", selection="100")
    assert "too many members" in problem("data", 422, file=rel, path="/ints", selection="1,2")
    assert "step" in problem("data", 422, file=rel, path="/ints", selection="::0")
    assert "step" in problem("data", 422, file=rel, path="/ints", selection="::-1")
    problem("data", 422, file=rel, path="/ints", selection="a:b")
    problem("data", 422, file=rel, path="/ints", selection="")
    problem("data", 422, file=rel, path="/ints", format="csv")
    problem("data", 422, file=rel, path="/ints", dtype="double")
    problem("data", 422, file=rel, path="/compound")
    problem("data", 422, file=rel, path="/vlen_str", format="bin")
    problem("data", 422, file=rel, path="/fixed_str", format="npy")
    problem("data", 422, file=rel, path="/vlen_str", dtype="safe")
    problem("meta", 422, file=rel, resolve_links="sometimes")
    problem("meta", 404, file=rel, path="/dangling", resolve_links="all")
    assert "File not found" in server.get("/v1/h5grove/meta?" + q(file="nope.h5"), token="read").json()["message"]
    problem("meta", 400)
    # a name that is not UTF-8 is echoed as '?', the answer still JSON (found by fuzz_request)
    r = server.get("/v1/h5grove/meta?file=%ff%fe.h5", token="read")
    assert r.status == 404 and "'??.h5'" in r.json()["detail"]
    with open(os.path.join(server.data_root, "notes.txt"), "w") as fh:
        fh.write("not HDF5")
    problem("meta", 422, file="notes.txt")
    problem("meta", 422, file="runs")  # a folder


def test_resolve_links_none_and_trailing_slash(server, files):
    rel = files["hand_rel"]
    r = server.get("/v1/h5grove/meta/?" + q(file=rel, path="/link_to_ints", resolve_links="none"), token="read")
    assert r.status == 200 and r.json() == {"name": "link_to_ints", "kind": "soft_link", "target_path": "/ints"}
    r = server.get("/v1/h5grove/data/?" + q(file=rel, path="link_to_ints", selection="0:3"), token="read")
    assert r.status == 200 and r.json() == [-50, -47, -44]


def test_max_slice(data_root, files):
    s = Server(data_root, sets=["limits.max_slice=50"], name="small-slice").start()
    try:
        r = data(s, files["hand_rel"], "/ints")
        assert r.status == 413 and r.json()["type"] == "/problems/too-large" and "max_slice" in r.json()["detail"]
        r = data(s, files["hand_rel"], "/ints", selection="0:50")
        assert r.status == 200 and len(r.json()) == 50
        assert data(s, files["hand_rel"], "/ints", selection="::2").status == 200  # 50 elements
        assert data(s, files["hand_rel"], "/ints", selection="::1").status == 413
        assert data(s, files["hand_rel"], "/matrix", format="bin").status == 413
    finally:
        s.stop()


def test_concurrent_readers(server, files):
    """Workers share one HDF5 lock: many parallel reads all answer right."""
    from concurrent.futures import ThreadPoolExecutor
    with h5py.File(files["run"], "r") as h5:
        want = h5["/deals/value"][()]

    def one(i):
        r = data(server, files["run_rel"], "/deals/value", format="bin", dtype="safe", selection=f"{i}:{i + 500}")
        return r.status, np.frombuffer(r.body, "<f8")

    with ThreadPoolExecutor(8) as ex:
        for i, (status, got) in enumerate(ex.map(one, range(0, 4000, 100))):
            assert status == 200
            np.testing.assert_array_equal(got, want[i * 100:i * 100 + 500])
