"""Errors as exceptions: one class per exit code of the README (and of the C library's error codes, which are
the same numbers), so a caller can catch exactly what it can handle."""
import re


class TradebalError(Exception):
    """Any tradebal failure. `code` is the exit code (README, "exit codes"); `message` its one-line text."""

    code = 1

    def __init__(self, message="", code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InternalError(TradebalError):
    """Exit 1: a bug or an unexpected failure inside tradebal."""
    code = 1


class UsageError(TradebalError):
    """Exit 2: a bad command line or configuration value."""
    code = 2


class InputError(TradebalError):
    """Exit 3: the input breaks a rule of MODEL.md section 1. `dataset`, `index` and `rule` where the message
    names them."""
    code = 3

    def __init__(self, message="", code=None, dataset=None, index=None, rule=None):
        super().__init__(message, code)
        self.dataset, self.index, self.rule = dataset, index, rule


class OutputError(TradebalError):
    """Exit 4: the output cannot be written (exists without overwrite, disk full, ...); no partial file is left."""
    code = 4


class GPUError(TradebalError):
    """Exit 5: the GPU backend failed or is not available."""
    code = 5


class MPIError(TradebalError):
    """Exit 6: MPI failed (a rank died, the launcher failed)."""
    code = 6


class Checkpointed(TradebalError):
    """Exit 7: the run stopped at a safe point and left a checkpoint; `resume()` on the handle continues it."""
    code = 7


class OutOfMemory(TradebalError):
    """Exit 8: out of memory, or over run.memory_limit."""
    code = 8


BY_CODE = {c.code: c for c in (InternalError, UsageError, InputError, OutputError, GPUError, MPIError,
                               Checkpointed, OutOfMemory)}


def from_code(code, message=""):
    """The exception for an exit or error code (InternalError for an unknown one)."""
    return BY_CODE.get(code, InternalError)(message, code)


_PREFIX = re.compile(r"^(?:tradebal(?: [a-z]+)?: error: )")
# FILE: /dataset[index]: WHAT   or   FILE: /dataset: WHAT   (host/io/tb_validate.c); FILE may itself start with /
# "FILE: /dataset[index]: what"; libtradebal's check of in-memory arrays words it without "FILE: "
_WHERE = re.compile(r"^(?:(?P<file>.*?): )?(?P<dataset>/[A-Za-z0-9_/]*)(?:\[(?P<index>[^\]]*)\])?: (?P<what>.*)$")


def _index(text):
    """'3' -> 3; '3,1' -> (3, 1); ':,2' -> (None, 2) (a whole row or column)."""
    if text is None:
        return None
    parts = [None if p.strip() == ":" else int(p) for p in text.split(",")]
    return parts[0] if len(parts) == 1 else tuple(parts)


def parse_input_message(message):
    """The parts of one of the validator's messages (host/io/tb_validate.c): a dict with file, dataset, index
    (an int, a tuple for [i,j] or [i,j,k], None in a tuple for `:`, None when the message names no element),
    value (the text after `value`, where given) and rule; the values are None where the message lacks them."""
    line = _PREFIX.sub("", message.strip().splitlines()[-1] if message.strip() else "")
    out = {"file": None, "dataset": None, "index": None, "value": None, "rule": None}
    m = _WHERE.match(line)
    if not m:
        r = re.search(r"\(rule: (.*)\)\s*$", line)
        out["rule"] = r.group(1) if r else None
        return out
    out["file"], out["dataset"] = m.group("file"), m.group("dataset")
    try:
        out["index"] = _index(m.group("index"))
    except ValueError:
        out["index"] = m.group("index")
    what = m.group("what")
    if " breaks rule: " in what:
        head, out["rule"] = what.split(" breaks rule: ", 1)
        v = re.match(r"^value (\S+)", head)
        out["value"] = v.group(1) if v else head
    else:
        r = re.search(r"\(rule: (.*)\)\s*$", what)
        out["rule"] = r.group(1) if r else what
    return out


def input_error(message, code=3):
    """An InputError from the one-line message of `tradebal validate` or `run` (its `tradebal: error: ` prefix
    may be left on), with dataset, index, rule (and file, value) parsed from it."""
    text = _PREFIX.sub("", message.strip().splitlines()[-1]) if message.strip() else message
    p = parse_input_message(text)
    e = InputError(text, code, dataset=p["dataset"], index=p["index"], rule=p["rule"])
    e.file, e.value = p["file"], p["value"]
    return e


def from_message(code, message):
    """The exception of an exit code with the tool's one-line message; an InputError gets its parsed parts."""
    return input_error(message, code) if code == InputError.code else from_code(code, message)
