"""pytest set-up for the SDK's tests. Under the sanitizer build CTest preloads the ASan runtime so that this
interpreter can load a sanitized libtradebal; the programs the tests start (tradebal has its own runtime, Slurm's
daemons and shell tools have none) must not inherit it. TB_ASAN_PRELOAD keeps it for the tests to see."""
import os

preload = os.environ.pop("LD_PRELOAD", None)
if preload:
    os.environ["TB_ASAN_PRELOAD"] = preload


def sanitized():
    """Whether this is the sanitizer build's run (the library can be loaded only by this interpreter)."""
    return bool(os.environ.get("TB_ASAN_PRELOAD"))
