"""tradebal.Input: an input file (MODEL.md section 1, docs/formats.md) built from pandas tables.

Entities are rows 0..N-1 of the entities table, in its order. Deals, their parties, components and cash flows
come in long form and are turned into the CSR arrays of section 1 by a stable sort on the deal id (then party,
then component), so rows of one deal keep the order they were given in:

  deals       deal, importer, period, sector, export_region, import_region, trade_value, cost (default 0)
  parties     deal, entity                         (party order within a deal = row order)
  components  deal, party, dim, prob               (party: 0-based within the deal; dim 0..4 or a name)
  flows       deal, party, component, period, amount   (component: 0-based within the party)

Deal ids may be any sortable labels; deal k of the file is the k-th smallest id (`Input.deal_ids`).
"""
import os
import tempfile

import numpy as np
import pandas as pd

from . import errors

TYPES = ["government", "corporate", "ngo", "civilian"]
DIMS = ["economic", "social", "environmental", "security", "other"]
# MODEL.md section 2: default sub-dimension weights by entity type
DEFAULT_WEIGHTS = np.array([[.3, .3, .3, .1], [.4, .3, .2, .1], [.5, .3, .1, .1], [.5, .3, .1, .1]])

# dataset -> dtype, as `tradebal generate` writes them (MODEL.md section 1)
DTYPES = {
    "/entities/type": np.uint8, "/entities/region": np.int32, "/entities/weights": np.float64,
    "/entities/discount_rate": np.float64, "/entities/risk_aversion": np.float64, "/entities/pay_cap": np.float64,
    "/entities/bargaining_weight": np.float64,
    "/deals/importer": np.int32, "/deals/party_ptr": np.int64, "/deals/party_entity": np.int64,
    "/deals/comp_ptr": np.int64, "/deals/comp_dim": np.uint8, "/deals/comp_prob": np.float64,
    "/deals/flow_ptr": np.int64, "/deals/flow_period": np.int32, "/deals/flow_amount": np.float64,
    "/deals/period": np.int32, "/deals/sector": np.int32, "/deals/export_region": np.int32,
    "/deals/import_region": np.int32, "/deals/trade_value": np.float64, "/deals/cost": np.float64,
    "/model/translation": np.float64,
    "/network/col": np.int64, "/network/ptr": np.int64, "/network/weight": np.float64,
    "/trade/base_exports": np.float64, "/trade/base_imports": np.float64,
    "/io/A": np.float64, "/io/value_added": np.float64, "/io/employment": np.float64, "/io/import_share": np.float64,
}
DEAL_COLUMNS = ["importer", "period", "sector", "export_region", "import_region", "trade_value", "cost"]


def _in_range(table, values, limits, rule):
    """Raise _table_error at the first row whose value is not in 0..limit-1."""
    bad = (values < 0) | (values >= limits)
    if bad.any():
        k = int(np.argmax(bad))
        raise _table_error(table, k, rule, values[k])


def _table_error(table, row, rule, value=None):
    """A table that cannot become section 1's arrays at all (a reference to a missing party or component)."""
    e = errors.InputError(f"{table}[{row}]: value {value} breaks rule: {rule}", dataset=table, index=row, rule=rule)
    e.file, e.value = None, None if value is None else str(value)
    return e


def _codes(values, names, table, column):
    """Integer codes from ints or names (case-insensitive)."""
    s = pd.Series(values)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        lookup = {n: i for i, n in enumerate(names)}
        out = []
        for k, v in enumerate(s):
            if isinstance(v, str):
                if v.lower() not in lookup:
                    raise _table_error(table, k, f"{column} is one of {', '.join(names)} or 0..{len(names) - 1}", v)
                out.append(lookup[v.lower()])
            else:
                out.append(int(v))
        return np.asarray(out, dtype=np.int64)
    return s.to_numpy().astype(np.int64)


def _matrix(x, dtype=np.float64):
    return np.asarray(x.to_numpy() if isinstance(x, (pd.DataFrame, pd.Series)) else x, dtype=dtype)


def _csr_counts(owner, n):
    """CSR pointers from the owner index of each child (already sorted by owner)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return ptr


class Input:
    """An input of tradebal built from tables; `write(path)` makes the HDF5 file and validates it.

    entities: DataFrame with type (0..3 or government/corporate/ngo/civilian), region, discount_rate,
      risk_aversion, optional w0..w3 (default: MODEL.md section 2's weights of the type), pay_cap (default inf),
      bargaining_weight (optional; the file then has no such dataset and tradebal uses 1).
    deals, parties, components, flows: the long tables described in the module's docstring.
    network: DataFrame with source, target, weight (edges of the entity graph; None: no edges).
    base_exports, base_imports: [R,T] arrays or DataFrames (rows regions, columns periods).
    A: the SxS technical coefficients (DataFrame or array; a DataFrame's index names the sectors);
    value_added, employment, import_share: length-S sequences; home_region: the /io region attribute.
    translation: optional [4,4,4] T[type][dim][k]; attrs: extra root attributes (provenance).
    """

    def __init__(self, entities, deals, parties, components, flows, base_exports, base_imports, A, value_added,
                 employment, import_share, network=None, home_region=0, translation=None, attrs=None):
        self.entities = pd.DataFrame(entities).reset_index(drop=True)
        self.deals = pd.DataFrame(deals)
        self.parties = pd.DataFrame(parties)
        self.components = pd.DataFrame(components)
        self.flows = pd.DataFrame(flows)
        self.network = pd.DataFrame(network if network is not None else {"source": [], "target": [], "weight": []})
        self.base_exports, self.base_imports = base_exports, base_imports
        self.A, self.value_added, self.employment, self.import_share = A, value_added, employment, import_share
        self.home_region = int(home_region)
        self.translation = translation
        self.attrs = dict(attrs or {})
        self._arrays = None

    # ---- tables -> arrays ---------------------------------------------------------------------------------------
    @property
    def deal_ids(self):
        """Deal ids in file order (deal k of the file and of the output is deal_ids[k])."""
        if "deal" not in self.deals:
            return np.arange(len(self.deals))
        return np.asarray(self.deals["deal"].sort_values(kind="stable").to_numpy())

    def arrays(self):
        """The datasets of section 1 as {"/group/name": numpy array}, with the dtypes `tradebal generate` uses."""
        if self._arrays is None:
            self._arrays = self._build()
        return self._arrays

    def _build(self):
        out = {}
        E = self.entities
        for c in ("type", "region", "discount_rate", "risk_aversion"):
            if c not in E:
                raise _table_error("entities", 0, f"column {c} present", "missing")
        typ = _codes(E["type"], TYPES, "entities", "type")
        N = len(E)
        out["/entities/type"] = typ
        out["/entities/region"] = E["region"].to_numpy()
        wcols = ["w0", "w1", "w2", "w3"]
        if all(c in E for c in wcols):
            w = E[wcols].to_numpy(dtype=np.float64)
        else:
            if any(c in E for c in wcols):
                raise _table_error("entities", 0, "all of w0..w3 or none", "partial")
            w = DEFAULT_WEIGHTS[np.clip(typ, 0, 3)]
        out["/entities/weights"] = w
        out["/entities/discount_rate"] = E["discount_rate"].to_numpy()
        out["/entities/risk_aversion"] = E["risk_aversion"].to_numpy()
        out["/entities/pay_cap"] = E["pay_cap"].to_numpy() if "pay_cap" in E else np.full(N, np.inf)
        if "bargaining_weight" in E:
            out["/entities/bargaining_weight"] = E["bargaining_weight"].to_numpy()

        # deals: file order = stable sort by deal id
        D = self.deals.copy()
        if "deal" not in D:
            D["deal"] = np.arange(len(D))
        if D["deal"].duplicated().any():
            raise _table_error("deals", int(np.argmax(D["deal"].duplicated().to_numpy())), "deal ids are unique",
                               D["deal"][D["deal"].duplicated()].iloc[0])
        if "cost" not in D:
            D["cost"] = 0.0
        D = D.sort_values("deal", kind="stable").reset_index(drop=True)
        M = len(D)
        pos = pd.Series(np.arange(M), index=D["deal"].to_numpy())
        for c in DEAL_COLUMNS:
            if c not in D:
                raise _table_error("deals", 0, f"column {c} present", "missing")
            out[f"/deals/{c}"] = D[c].to_numpy()

        def deal_index(table, name):
            missing = ~table["deal"].isin(pos.index)
            if missing.any():
                k = int(np.argmax(missing.to_numpy()))
                raise _table_error(name, k, "deal is a deal id of the deals table", table["deal"].iloc[k])
            return pos[table["deal"].to_numpy()].to_numpy()

        # parties: per deal in row order
        P = self.parties.reset_index(drop=True)
        pd_ = deal_index(P, "parties")
        order = np.argsort(pd_, kind="stable")
        pdeal = pd_[order]
        out["/deals/party_entity"] = P["entity"].to_numpy()[order]
        out["/deals/party_ptr"] = _csr_counts(pdeal, M)
        nparty = np.diff(out["/deals/party_ptr"])
        pbase = out["/deals/party_ptr"][:-1]

        # components: per (deal, party) in row order; global party index = party_ptr[deal] + party
        C = self.components.reset_index(drop=True)
        cd = deal_index(C, "components") if len(C) else np.zeros(0, np.int64)
        cp = C["party"].to_numpy().astype(np.int64) if len(C) else np.zeros(0, np.int64)
        _in_range("components", cp, nparty[cd], "party is a party index 0..k-1 of its deal")
        cglob = pbase[cd] + cp
        corder = np.argsort(cglob, kind="stable")
        Pn = len(pdeal)
        out["/deals/comp_ptr"] = _csr_counts(cglob[corder], Pn)
        out["/deals/comp_dim"] = (_codes(C["dim"], DIMS, "components", "dim") if len(C)
                                  else np.zeros(0, np.int64))[corder]
        out["/deals/comp_prob"] = (C["prob"].to_numpy() if len(C) else np.zeros(0))[corder]
        # rank of each component within its party, in file order
        cfile = np.empty_like(corder)
        cfile[corder] = np.arange(len(corder))  # file position of table row k
        ncomp = np.diff(out["/deals/comp_ptr"])
        cbase = out["/deals/comp_ptr"][:-1]

        # flows: per component in row order
        F = self.flows.reset_index(drop=True)
        if len(F):
            fd = deal_index(F, "flows")
            fp = F["party"].to_numpy().astype(np.int64)
            _in_range("flows", fp, nparty[fd], "party is a party index 0..k-1 of its deal")
            fg = pbase[fd] + fp
            fc = F["component"].to_numpy().astype(np.int64)
            _in_range("flows", fc, ncomp[fg], "component is a component index 0..c-1 of its party")
            fglob = cbase[fg] + fc
            forder = np.argsort(fglob, kind="stable")
            out["/deals/flow_ptr"] = _csr_counts(fglob[forder], len(corder))
            out["/deals/flow_period"] = F["period"].to_numpy()[forder]
            out["/deals/flow_amount"] = F["amount"].to_numpy()[forder]
        else:
            out["/deals/flow_ptr"] = np.zeros(len(corder) + 1, np.int64)
            out["/deals/flow_period"] = np.zeros(0, np.int32)
            out["/deals/flow_amount"] = np.zeros(0)

        if self.translation is not None:
            out["/model/translation"] = np.asarray(self.translation, dtype=np.float64).reshape(4, 4, 4)

        # network: CSR by source, edges of one source in row order
        G = self.network.reset_index(drop=True)
        src = G["source"].to_numpy().astype(np.int64) if len(G) else np.zeros(0, np.int64)
        bad = (src < 0) | (src >= N)
        if bad.any():
            k = int(np.argmax(bad))
            raise _table_error("network", k, "source is an entity id in 0..N-1", src[k])
        gorder = np.argsort(src, kind="stable")
        out["/network/ptr"] = _csr_counts(src[gorder], N)
        out["/network/col"] = (G["target"].to_numpy() if len(G) else np.zeros(0, np.int64))[gorder]
        out["/network/weight"] = (G["weight"].to_numpy() if len(G) else np.zeros(0))[gorder]

        out["/trade/base_exports"] = _matrix(self.base_exports)
        out["/trade/base_imports"] = _matrix(self.base_imports)
        out["/io/A"] = _matrix(self.A)
        out["/io/value_added"] = _matrix(self.value_added)
        out["/io/employment"] = _matrix(self.employment)
        out["/io/import_share"] = _matrix(self.import_share)
        for name, a in out.items():
            a = np.asarray(a)
            want = DTYPES[name]
            if np.issubdtype(want, np.integer) and not np.issubdtype(a.dtype, np.integer):
                f = a.astype(np.float64)
                if len(f) and (not np.all(np.isfinite(f)) or np.any(f != np.round(f))):
                    k = int(np.argmax(~np.isfinite(f) | (f != np.round(f))))
                    raise _table_error(name, k, "a whole number", f.flat[k])
            if np.issubdtype(want, np.integer):
                info = np.iinfo(want)
                a64 = a.astype(np.int64)
                bad = (a64 < info.min) | (a64 > info.max)
                if bad.any():  # would wrap: keep the value the validator then rejects
                    want = np.int64
            out[name] = np.ascontiguousarray(a, dtype=want)
        return out

    # ---- files --------------------------------------------------------------------------------------------------
    def _write_h5(self, path):
        import h5py
        arrays = self.arrays()
        with h5py.File(path, "w") as f:
            for name, a in arrays.items():
                f.create_dataset(name, data=a)
            f["/io"].attrs.create("region", self.home_region, dtype=np.int32)
            f.attrs["software"] = "tradebal python"
            from . import __version__
            f.attrs["version"] = __version__
            for k, v in self.attrs.items():
                f.attrs[k] = v

    def write(self, path, overwrite=False, validate=True):
        """Write the input file (through a temporary file renamed into place) and validate it; an invalid one is
        removed and raises InputError with dataset, index and rule. OutputError when path exists and not
        overwrite. Returns the path."""
        path = os.fspath(path)
        if os.path.lexists(path) and not overwrite:
            raise errors.OutputError(f"{path}: exists (use overwrite=True)")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise errors.OutputError(f"{path}: folder {folder} does not exist")
        arrays_first = self.arrays()  # a table that cannot become arrays raises before anything is written
        del arrays_first
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            self._write_h5(tmp)
            os.replace(tmp, path)
        except OSError as e:
            raise errors.OutputError(f"{path}: cannot write ({e})") from e
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        if validate:
            try:
                check_file(path)
            except errors.InputError:
                os.remove(path)
                raise
        return path

    def check(self):
        """Check the tables against MODEL.md section 1's rules; raises InputError (dataset, index, rule).
        Entities and deals first, in process through libtradebal (tb_api_check); then the whole file as
        `tradebal validate` sees it (the network, trade and input-output tables too)."""
        from .evaluate import check as check_arrays
        check_arrays(self.arrays())
        with tempfile.TemporaryDirectory(prefix="tradebal-check-") as d:
            path = os.path.join(d, "input.h5")
            self._write_h5(path)
            check_file(path)
        return True

    @classmethod
    def from_file(cls, path):
        """The tables of an input file (the inverse of write: writing them again gives the same datasets)."""
        import h5py
        with h5py.File(path, "r") as f:
            g = {name: f[name][()] for name in DTYPES if name in f}
            home = int(f["/io"].attrs["region"]) if "region" in f["/io"].attrs else 0
            attrs = {k: v for k, v in f.attrs.items() if k not in ("software", "version")}
        N = len(g["/entities/type"])
        w = g["/entities/weights"]
        ent = pd.DataFrame({"type": g["/entities/type"], "region": g["/entities/region"],
                            "w0": w[:, 0], "w1": w[:, 1], "w2": w[:, 2], "w3": w[:, 3],
                            "discount_rate": g["/entities/discount_rate"],
                            "risk_aversion": g["/entities/risk_aversion"], "pay_cap": g["/entities/pay_cap"]})
        if "/entities/bargaining_weight" in g:
            ent["bargaining_weight"] = g["/entities/bargaining_weight"]
        M = len(g["/deals/importer"])
        deals = pd.DataFrame({"deal": np.arange(M), **{c: g[f"/deals/{c}"] for c in DEAL_COLUMNS}})
        pptr, cptr, fptr = g["/deals/party_ptr"], g["/deals/comp_ptr"], g["/deals/flow_ptr"]
        pdeal = np.repeat(np.arange(M), np.diff(pptr))
        pidx = np.arange(len(pdeal)) - pptr[:-1][pdeal]
        parties = pd.DataFrame({"deal": pdeal, "entity": g["/deals/party_entity"]})
        cparty = np.repeat(np.arange(len(pdeal)), np.diff(cptr))
        cidx = np.arange(len(cparty)) - cptr[:-1][cparty]
        comps = pd.DataFrame({"deal": pdeal[cparty], "party": pidx[cparty], "dim": g["/deals/comp_dim"],
                              "prob": g["/deals/comp_prob"]})
        fcomp = np.repeat(np.arange(len(cparty)), np.diff(fptr))
        flows = pd.DataFrame({"deal": pdeal[cparty[fcomp]], "party": pidx[cparty[fcomp]], "component": cidx[fcomp],
                              "period": g["/deals/flow_period"], "amount": g["/deals/flow_amount"]})
        src = np.repeat(np.arange(N), np.diff(g["/network/ptr"]))
        net = pd.DataFrame({"source": src, "target": g["/network/col"], "weight": g["/network/weight"]})
        S = g["/io/A"].shape[0]
        sectors = pd.RangeIndex(S, name="sector")
        return cls(ent, deals, parties, comps, flows,
                   base_exports=pd.DataFrame(g["/trade/base_exports"]),
                   base_imports=pd.DataFrame(g["/trade/base_imports"]),
                   A=pd.DataFrame(g["/io/A"], index=sectors, columns=sectors),
                   value_added=pd.Series(g["/io/value_added"], index=sectors),
                   employment=pd.Series(g["/io/employment"], index=sectors),
                   import_share=pd.Series(g["/io/import_share"], index=sectors),
                   network=net, home_region=home, translation=g.get("/model/translation"), attrs=attrs)


def check_file(path):
    """Validate a whole input file against MODEL.md section 1 as `tradebal validate` does (the network, trade
    and input-output tables too, which the library's in-process check does not see); raises InputError
    (dataset, index, rule). Returns validate's one-line summary."""
    from .runner import validate
    return validate(path)
