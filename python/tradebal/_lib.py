"""ctypes over libtradebal (host/api/tradebal.h), LAMMPS-style: no compiled extension. The library is found
through $TRADEBAL_LIB, then a build tree beside this package (../build, in place from a checkout), then the
system's library path. Structures mirror tradebal.h field by field."""
import ctypes
import ctypes.util
import os
import threading

import numpy as np

from .errors import from_message, TradebalError

API_MAJOR = 0
_i64, _f64, _u8, _i32 = ctypes.c_int64, ctypes.c_double, ctypes.c_uint8, ctypes.c_int32
P = ctypes.POINTER


class Error(ctypes.Structure):
    """tb_api_error: the code and one-line message of a failed call."""
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 1024)]


class Entities(ctypes.Structure):
    """tb_api_entities: pointers to the entity arrays of section 1."""
    _fields_ = [("n", _i64), ("type", P(_u8)), ("weights", P(_f64)), ("discount_rate", P(_f64)),
                ("risk_aversion", P(_f64)), ("pay_cap", P(_f64)), ("bargaining_weight", P(_f64)),
                ("translation", P(_f64))]


class Deals(ctypes.Structure):
    """tb_api_deals: sizes and pointers to the deal CSR arrays of section 1."""
    _fields_ = [("n_deals", _i64), ("n_parties", _i64), ("n_components", _i64), ("n_flows", _i64),
                ("party_ptr", P(_i64)), ("party_entity", P(_i64)), ("importer", P(_i32)), ("trade_value", P(_f64)),
                ("comp_ptr", P(_i64)), ("comp_dim", P(_u8)), ("comp_prob", P(_f64)), ("flow_ptr", P(_i64)),
                ("flow_period", P(_i32)), ("flow_amount", P(_f64))]


class Params(ctypes.Structure):
    """tb_api_params: value rule, split rule and scope, f_e(4), threads."""
    _fields_ = [("value_rule", ctypes.c_int), ("split_rule", ctypes.c_int), ("split_scope", ctypes.c_int),
                ("other_factor", _f64), ("threads", ctypes.c_int)]


class Results(ctypes.Structure):
    """tb_api_results: pointers to the caller's output arrays."""
    _fields_ = [("value", P(_f64)), ("transfer", P(_f64)), ("final_value", P(_f64)), ("status", P(_u8)),
                ("surplus", P(_f64)), ("bid", P(_f64))]


def _candidates():
    """Where the library is looked for, in order (see the module's docstring)."""
    env = os.environ.get("TRADEBAL_LIB")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    for build in ("build", "build-asan"):
        yield os.path.join(here, "..", "..", build, "libtradebal.so.%d" % API_MAJOR)
    found = ctypes.util.find_library("tradebal")
    if found:
        yield found


_lock = threading.Lock()
_handle = None


def library():
    """The loaded libtradebal (once per process), its API version checked."""
    global _handle
    with _lock:
        if _handle is None:
            tried = []
            for path in _candidates():
                tried.append(path)
                if os.path.sep in path and not os.path.exists(path):
                    continue
                try:
                    _handle = _declare(ctypes.CDLL(path))
                    break
                except OSError:
                    continue
            if _handle is None:
                raise TradebalError("libtradebal not found (set TRADEBAL_LIB; tried %s)" % ", ".join(tried), 1)
            major = ctypes.c_int()
            _handle.tb_api_version(ctypes.byref(major), None, None)
            if major.value != API_MAJOR:
                raise TradebalError("libtradebal API %d, this package speaks %d" % (major.value, API_MAJOR), 1)
    return _handle


def _declare(lib):
    lib.tb_api_version.restype = ctypes.c_char_p
    lib.tb_api_version.argtypes = [P(ctypes.c_int)] * 3
    lib.tb_api_params_default.restype = Params
    lib.tb_api_evaluate.argtypes = [P(Params), P(Entities), P(Deals), P(_f64), P(Results), P(Error)]
    lib.tb_api_cert_auction.argtypes = [_f64, _f64, _f64, _f64, _i64, P(_f64), P(_f64), P(_f64), P(Error)]
    lib.tb_api_leontief.argtypes = [_i64, P(_f64), P(_f64), P(_f64), _i64, P(_f64), P(_f64), P(_f64), P(_f64),
                                    P(_f64), P(Error)]
    lib.tb_api_order_check.argtypes = [ctypes.c_int, _f64, _f64, _f64]
    if hasattr(lib, "tb_api_check"):
        lib.tb_api_check.argtypes = [P(Entities), P(Deals), P(Error)]
    return lib


def version():
    """libtradebal's version string, e.g. '0.1.0'."""
    return library().tb_api_version(None, None, None).decode()


def ptr(a, ctype):
    """A pointer to the data of a C-contiguous array of the matching dtype (None for None)."""
    if a is None:
        return None
    return a.ctypes.data_as(P(ctype))


def contiguous(a, dtype):
    """A C-contiguous array of dtype (a copy only where needed; None for None)."""
    return None if a is None else np.ascontiguousarray(a, dtype=dtype)


def check(rc, err):
    """Raise the exception class of the error code, with the library's one-line message."""
    if rc:
        raise from_message(rc, err.message.decode("utf-8", "replace"))
