"""tradebal's Python SDK: inputs from pandas tables, results as labelled tables, runs (local or Slurm) as
objects, and deals evaluated in process through libtradebal (ctypes; no compiled extension). See docs/python.md."""
from .errors import (TradebalError, InternalError, UsageError, InputError, OutputError, GPUError, MPIError,
                     Checkpointed, OutOfMemory)

__version__ = "0.1.0"
__all__ = ["TradebalError", "InternalError", "UsageError", "InputError", "OutputError", "GPUError", "MPIError",
           "Checkpointed", "OutOfMemory"]
from .input import Input  # noqa: E402
from .runner import run, sweep, merge, validate, generate, Job  # noqa: E402
from . import imports  # noqa: E402
__all__ += ["Input", "run", "sweep", "merge", "validate", "generate", "Job", "imports"]
