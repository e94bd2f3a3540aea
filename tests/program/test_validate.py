#!/usr/bin/python3
"""Every rule of MODEL.md section 1 broken once: `tradebal validate` must exit 3 with one
line naming the file, the dataset, the first bad index and the rule; `tradebal run` must
exit 3 and leave no output file. Usage: test_validate.py TRADEBAL WORKDIR [MPIEXEC...]"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tbcheck import Checks  # noqa: E402

TB, WORK = sys.argv[1], sys.argv[2]
check = Checks()
MPI = sys.argv[3:]
os.makedirs(WORK, exist_ok=True)
BASE = os.path.join(WORK, "base.h5")


def replace(f, name, data):
    del f[name]
    f[name] = data


def setval(name, index, value):
    def mut(f):
        d = f[name][...]
        d[index] = value
        replace(f, name, d)
    return mut


subprocess.run([TB, "generate", "-o", BASE, "--entities", "300", "--deals", "2000", "--regions", "4",
                "--periods", "3", "--sectors", "6", "--seed", "7", "--overwrite"], check=True,
               stdout=subprocess.DEVNULL)
with h5py.File(BASE, "r") as f:
    N = f["/entities/type"].shape[0]
    M = f["/deals/importer"].shape[0]
    pp = f["/deals/party_ptr"][:]
    pe = f["/deals/party_entity"][:]
    cptr = f["/deals/comp_ptr"][:]
    A = f["/io/A"][:]
    etype = f["/entities/type"][:]
nparty = np.diff(pp)


def set_kappa_zero(f):
    T = np.array(h5py.File(BASE, "r")["/entities/type"][:1])
    tr = np.full((4, 4, 4), 0.25)
    tr[int(T[0]), 0, :] = 0.0
    f["/model/translation"] = tr


def two_party_entity_dup(f):
    d = f["/deals/party_entity"][...]
    d[pp[10] + 1] = d[pp[10]]
    replace(f, "/deals/party_entity", d)


def io_colsum(f):
    a = A.copy()
    a[:, 2] = 0.0
    a[0, 2] = 1.0
    replace(f, "/io/A", a)


def drop(name):
    return lambda f: f.__delitem__(name)


def retype(name, dtype):
    def mut(f):
        d = f[name][...].astype(dtype)
        replace(f, name, d)
    return mut


def reshape_short(name):
    def mut(f):
        d = f[name][...]
        replace(f, name, d[:-1])
    return mut


def del_attr(f):
    del f["/io"].attrs["region"]


def bad_attr(f):
    f["/io"].attrs["region"] = np.int32(99)


imp_bad = setval("/deals/importer", 12, int(nparty[12]))
# (label, mutation, dataset, index text, rule fragment)
CASES = [
    ("type", setval("/entities/type", 7, 4), "/entities/type", "[7]", "type in 0..3"),
    ("first bad index", lambda f: (setval("/entities/type", 250, 9)(f), setval("/entities/type", 40, 9)(f)),
     "/entities/type", "[40]", "type in 0..3"),
    ("region", setval("/entities/region", 3, 4), "/entities/region", "[3]", "0..R-1"),
    ("weights sign", setval("/entities/weights", (5, 1), -0.1), "/entities/weights", "[5,1]", ">= 0"),
    ("weights sum", setval("/entities/weights", (6, 0), 0.0), "/entities/weights", "[6]", "row sum 1 within 1e-6"),
    ("translation", lambda f: f.create_dataset("/model/translation", data=np.full((4, 4, 4), -1.0)),
     "/model/translation", "[0,0,0]", ">= 0"),
    ("kappa", set_kappa_zero, "/entities/weights", "[0]", "kappa_e = f_e(0) > 0"),
    ("discount", setval("/entities/discount_rate", 9, -1.0), "/entities/discount_rate", "[9]", "r_e > -1"),
    ("discount nan", setval("/entities/discount_rate", 9, np.nan), "/entities/discount_rate", "[9]", "r_e > -1"),
    ("risk", setval("/entities/risk_aversion", 2, -0.5), "/entities/risk_aversion", "[2]", "rho_e >= 0"),
    ("cap nan", setval("/entities/pay_cap", 4, np.nan), "/entities/pay_cap", "[4]", "cap_e >= 0"),
    ("cap negative", setval("/entities/pay_cap", 4, -1.0), "/entities/pay_cap", "[4]", "cap_e >= 0"),
    ("beta", setval("/entities/bargaining_weight", 8, 0.0), "/entities/bargaining_weight", "[8]", "beta_e > 0"),
    ("party_ptr start", setval("/deals/party_ptr", 0, 1), "/deals/party_ptr", "[0]", "start at 0"),
    ("one party", setval("/deals/party_ptr", 5, int(pp[4]) + 1), "/deals/party_ptr", "[5]", "2 to 255 entries"),
    ("party_ptr end", setval("/deals/party_ptr", M, int(pp[M]) + 1), "/deals/party_ptr", "[%d]" % M, "last pointer"),
    ("entity id", setval("/deals/party_entity", 17, N), "/deals/party_entity", "[17]", "entity id in 0..N-1"),
    ("duplicate party", two_party_entity_dup, "/deals/party_entity", "[%d]" % (pp[10] + 1), "no entity twice"),
    ("importer", imp_bad, "/deals/importer", "[12]", "party index"),
    ("comp_ptr", setval("/deals/comp_ptr", 5, int(cptr[4]) - 1), "/deals/comp_ptr", "[5]", "non-decreasing"),
    ("comp_dim", setval("/deals/comp_dim", 11, 5), "/deals/comp_dim", "[11]", "dimension in 0..4"),
    ("comp_prob", setval("/deals/comp_prob", 11, 1.5), "/deals/comp_prob", "[11]", "p_c in [0,1]"),
    ("flow_ptr", setval("/deals/flow_ptr", 0, 3), "/deals/flow_ptr", "[0]", "start at 0"),
    ("flow_period", setval("/deals/flow_period", 21, -1), "/deals/flow_period", "[21]", "t >= 0"),
    ("flow_amount", setval("/deals/flow_amount", 21, np.inf), "/deals/flow_amount", "[21]", "finite"),
    ("period", setval("/deals/period", 3, 3), "/deals/period", "[3]", "0..T-1"),
    ("sector", setval("/deals/sector", 3, 6), "/deals/sector", "[3]", "0..S-1"),
    ("export_region", setval("/deals/export_region", 3, -1), "/deals/export_region", "[3]", "0..R-1"),
    ("import_region", setval("/deals/import_region", 3, -2), "/deals/import_region", "[3]", "or -1"),
    ("trade_value", setval("/deals/trade_value", 3, -1.0), "/deals/trade_value", "[3]", "m_d >= 0"),
    ("cost", setval("/deals/cost", 3, np.nan), "/deals/cost", "[3]", "k_d >= 0"),
    ("network ptr", setval("/network/ptr", 2, 10**6), "/network/ptr", "[3]", "non-decreasing"),
    ("network col", setval("/network/col", 2, N), "/network/col", "[2]", "0..N-1"),
    ("network weight", setval("/network/weight", 2, -1.0), "/network/weight", "[2]", "weight >= 0"),
    ("base exports", setval("/trade/base_exports", (1, 2), -5.0), "/trade/base_exports", "[1,2]", ">= 0"),
    ("base imports", setval("/trade/base_imports", (0, 1), np.nan), "/trade/base_imports", "[0,1]", ">= 0"),
    ("A sign", setval("/io/A", (1, 2), -0.1), "/io/A", "[1,2]", "A >= 0"),
    ("A column", io_colsum, "/io/A", "[:,2]", "column sum < 1"),
    ("value_added", setval("/io/value_added", 1, np.inf), "/io/value_added", "[1]", "finite"),
    ("employment", setval("/io/employment", 1, -1.0), "/io/employment", "[1]", ">= 0"),
    ("import_share", setval("/io/import_share", 0, 0.9), "/io/import_share", "", "sum to 1"),
    ("io region missing", del_attr, "/io", "", "attribute region"),
    ("io region range", bad_attr, "/io", "", "0..R-1"),
    ("missing dataset", drop("/deals/cost"), "/deals/cost", "", "required dataset"),
    ("wrong type", retype("/deals/flow_amount", np.int64), "/deals/flow_amount", "", "float of rank 1"),
    ("wrong length", reshape_short("/deals/sector"), "/deals/sector", "", "M = %d" % M),
    ("wrong rank", lambda f: replace(f, "/entities/weights", np.full(4 * N, .25)), "/entities/weights", "", "rank 2"),
]


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


for label, mutate, dataset, index, rule in CASES:
    path = os.path.join(WORK, "bad.h5")
    shutil.copy(BASE, path)
    with h5py.File(path, "r+") as f:
        mutate(f)
    rc, err = run([TB, "validate", path])
    lines = err.splitlines()
    check(rc == 3, f"{label}: exit {rc}, want 3 ({err})")
    check(len(lines) == 1, f"{label}: {len(lines)} lines of error")
    msg = lines[0] if lines else ""
    for part in (path, dataset + index, rule):
        check(part in msg, f"{label}: message lacks {part!r}: {msg}")
    if MPI and label in ("first bad index", "entity id", "duplicate party", "A column", "base exports"):
        rc2, err2 = run(MPI + ["-n", "2", TB, "validate", path])
        err2 = err2.splitlines()[0] if err2 else ""  # mpiexec adds its own banner after ours
        check(rc2 == 3 and err2 == err, f"{label}: 2 ranks gave {rc2} {err2!r}, 1 rank {err!r}")
    if label in ("type", "duplicate party", "wrong length"):
        ini = os.path.join(WORK, "bad.ini")
        out = os.path.join(WORK, "bad_out.h5")
        with open(ini, "w") as fp:
            fp.write("[input]\nfile = bad.h5\n")
        rc3, err3 = run([TB, "run", "-c", ini, "-o", out])
        check(rc3 == 3 and not os.path.exists(out), f"{label}: run exit {rc3}, output left: {os.path.exists(out)}")
        check(not any(n.startswith("bad_out.h5") for n in os.listdir(WORK)), f"{label}: temporary left behind")

# files that are not inputs at all
notfile = os.path.join(WORK, "notes.txt")
with open(notfile, "w") as fp:
    fp.write("not hdf5\n")
rc, err = run([TB, "validate", notfile])
check(rc == 3 and "not an HDF5 file" in err and notfile in err, f"text file: {rc} {err}")
rc, err = run([TB, "validate", os.path.join(WORK, "absent.h5")])
check(rc == 3 and "cannot read" in err, f"missing file: {rc} {err}")
# +inf caps are valid (MODEL.md: may be +inf)
shutil.copy(BASE, os.path.join(WORK, "ok.h5"))
with h5py.File(os.path.join(WORK, "ok.h5"), "r+") as f:
    setval("/entities/pay_cap", 3, np.inf)(f)
rc, err = run([TB, "validate", os.path.join(WORK, "ok.h5")])
check(rc == 0, f"+inf cap rejected: {err}")

check.finish()
