"""tradebal's Python SDK: inputs from pandas tables, results as labelled tables, runs (local or Slurm) as
objects, and deals evaluated in process through libtradebal (ctypes; no compiled extension). See docs/python.md."""
from .errors import (TradebalError, InternalError, UsageError, InputError, OutputError, GPUError, MPIError,
                     Checkpointed, OutOfMemory)
from .results import open, Result
from .input import Input
from .runner import run, sweep, merge, validate, generate, Job
from .evaluate import evaluate, check, Evaluation, cert_auction, leontief, order_check
from . import imports

__version__ = "0.1.0"
__all__ = ["TradebalError", "InternalError", "UsageError", "InputError", "OutputError", "GPUError", "MPIError",
           "Checkpointed", "OutOfMemory", "open", "Result", "Input", "run", "sweep", "merge", "validate", "generate",
           "Job", "evaluate", "check", "Evaluation", "cert_auction", "leontief", "order_check", "imports"]
