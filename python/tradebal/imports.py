"""The importers of public data (`tradebal import`, tools/tb_import.py) from Python: BEA input-output tables,
Census goods trade by partner, and the assembly of an input from synthetic deals and those two; `us_example`
does what jobs/us2023.sh does (docs/worked-example.md) up to the input file, `us_example_run` runs it too.
Each function runs the program (so its checks and exit codes are the CLI's) and raises the exit code's
exception on failure."""
import os

from . import runner


def _run(args, out, overwrite):
    args = ["import"] + args + ["-o", os.fspath(out)]
    if overwrite:
        args.append("--overwrite")
    runner.Job(args, out).wait()
    return os.fspath(out)


def bea(out, total=None, direct=None, make=None, use=None, codes=None, employment=None, overwrite=False):
    """`tradebal import bea`: the BEA summary input-output tables to an /io file. Either direct (the direct
    requirements table) with make (and optionally use, total, codes), or total alone; employment: a CSV of jobs
    by industry. Returns out."""
    args = ["bea"]
    for opt, v in (("--direct", direct), ("--make", make), ("--use", use), ("--total", total), ("--codes", codes),
                   ("--employment", employment)):
        if v is not None:
            args += [opt, os.fspath(v)]
    return _run(args, out, overwrite)


def census(file, out, year=2023, partners=10, annual=False, overwrite=False):
    """`tradebal import census`: Census goods trade by country (country.csv or .xlsx) to /trade, the largest
    `partners` partners as regions (with the US and the rest of the world), by month unless annual. Returns out."""
    args = ["census", os.fspath(file), "--year", str(int(year)), "--partners", str(int(partners))]
    if annual:
        args.append("--annual")
    return _run(args, out, overwrite)


def assemble(deals, out, io=None, trade=None, overwrite=False):
    """`tradebal import assemble`: an input from a file of deals and entities (e.g. tradebal.generate) with /io
    and /trade replaced by an imported io and trade file. Returns out."""
    args = ["assemble", os.fspath(deals)]
    if io is not None:
        args += ["--io", os.fspath(io)]
    if trade is not None:
        args += ["--trade", os.fspath(trade)]
    return _run(args, out, overwrite)


def bea_files(bea_dir):
    """The BEA 1997 summary files of a folder, as jobs/us2023.sh names them, for bea(**...)."""
    return {"direct": os.path.join(bea_dir, "IODirectRequirements.txt"),
            "make": os.path.join(bea_dir, "IOMakeSummary.txt"), "use": os.path.join(bea_dir, "iousesummary.txt"),
            "total": os.path.join(bea_dir, "IndbyIndTRSum.txt"), "codes": os.path.join(bea_dir, "IO-CodeSummary.txt")}


def us_example(real_dir, out_dir, deals=200000, entities=20000, partners=10, year=2023, seed=2023, periods=12,
               bea_dir=None, census_file=None, overwrite=True):
    """The worked example's input (jobs/us2023.sh, docs/worked-example.md): BEA 1997 summary IO table and Census
    goods trade from real_dir (the shared data folder: bea-io-1997-summary/raw, us-census-goods-by-country/
    country.csv, or bea_dir and census_file), seeded synthetic deals on 131 sectors and partners + 2 regions,
    assembled and validated. Returns the path of OUT_DIR/us2023.h5."""
    bea_dir = bea_dir or os.path.join(real_dir, "bea-io-1997-summary", "raw")
    census_file = census_file or os.path.join(real_dir, "us-census-goods-by-country", "country.csv")
    os.makedirs(out_dir, exist_ok=True)
    io = bea(os.path.join(out_dir, "io.h5"), overwrite=overwrite, **bea_files(bea_dir))
    trade = census(census_file, os.path.join(out_dir, "trade.h5"), year=year, partners=partners, overwrite=overwrite)
    import h5py
    with h5py.File(io, "r") as f:
        sectors = f["/io/A"].shape[0]
    gen = runner.generate(os.path.join(out_dir, "deals.h5"), entities=entities, deals=deals, regions=partners + 2,
                          periods=periods, sectors=sectors, seed=seed, overwrite=overwrite)
    path = assemble(gen, os.path.join(out_dir, "us2023.h5"), io=io, trade=trade, overwrite=overwrite)
    runner.validate(path)
    return path


def us_example_run(real_dir, out_dir, deals=200000, entities=20000, config=None, ranks=1, overrides=None, **kw):
    """us_example, then `tradebal run` on it with config (default: configs/us2023.ini of the source tree the
    package sits in; give config when the package is installed) at `ranks` ranks, with `overrides` as run()
    takes them; the other keywords go to us_example. Returns the run's Job (done); its output is
    OUT_DIR/us2023_out.h5."""
    path = us_example(real_dir, out_dir, deals=deals, entities=entities, **kw)
    config = config or os.path.join(runner.SOURCE_ROOT, "configs", "us2023.ini")
    return runner.run(config, input=path, output=os.path.join(out_dir, "us2023_out.h5"), ranks=ranks,
                      overrides=overrides, overwrite=True)
