"""Errors as exceptions: one class per exit code of the README (and of the C library's error codes, which are
the same numbers), so a caller can catch exactly what it can handle."""


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
