"""The ``percolation`` command: percolation clusters as data (Brill 2024), their exponents, and a spectrum file;
Brill's experiment run end to end (``--experiment``), and the exponents across lattice dimensions
(``--dimensions``)."""

import math
import os
import shutil
import sys
import tempfile

from largen.diagrams.errors import UsageError
from largen.solver.cli.options import Command, add_force_option, add_json_option, count_argument, path_argument
from largen.solver.numerics.spectrum import Listed, Spectrum
from largen.solver.percolation import experiment
from largen.solver.percolation.dimensions import LITERATURE, comparison
from largen.solver.percolation.figures import draw
from largen.solver.percolation.fit import percolation_report, percolation_spectrum

__all__ = ["COMMANDS"]


def options(parser, model):
    parser.add_argument("--lattice", choices=("bethe", "square", "cubic"),
                        help="grow clusters on this lattice and measure tau, alpha, D (or give --experiment or "
                             "--dimensions)")
    parser.add_argument("--z", type=int, help="coordination of the Bethe lattice [2d]")
    parser.add_argument("--d", type=int, help="dimension [100 for the Bethe lattice]")
    parser.add_argument("--p", metavar="P", help="occupation probability [p_c]")
    parser.add_argument("--clusters", type=count_argument, default=100000, help="clusters to grow [1e5]")
    parser.add_argument("--max-clusters", type=count_argument, default=10**6,
                        help="refuse more clusters than this [1e6]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random generator [0]")
    parser.add_argument("--out", metavar="FILE", type=path_argument,
                        help="write the subtask frequencies as a spectrum file for --spectrum")
    parser.add_argument("--source", choices=("simulation", "measured", "exact"), default="simulation",
                        help="--out lists the simulated frequencies, or writes the power law of the measured "
                             "or the exact exponent [simulation]")
    add_force_option(parser, "an existing --out file")
    add_json_option(parser)
    group = parser.add_argument_group("Brill's experiment and the lattice dimensions")
    group.add_argument("--experiment", choices=tuple(CONFIGURATIONS),
                       help="run Brill's experiment (the regressor, the model-size, data-size and allocation scans, "
                            "fitted and derived exponents): 'full' at the paper's sizes (needs --long), 'small' or "
                            "'tiny'")
    group.add_argument("--long", action="store_true",
                       help="run --experiment full (Brill's sizes: 6 datasets, about 8 CPU-minutes in all)")
    group.add_argument("--cache", metavar="DIR", type=path_argument, default="percolation",
                       help="where --experiment stores its result (a rerun reads it back) and draws its figures "
                            "[percolation]")
    group.add_argument("--workers", type=count_argument, default=2,
                       help="processes running datasets side by side (the result does not depend on it) [2]")
    group.add_argument("--dimensions", metavar="D,D", nargs="?", const="2,3,4,5,6,7,8",
                       help="the exponents across hypercubic lattices (d = 2..8 by default) and the Bethe lattice: "
                            "measured tau and D against the literature, and both theories' exponents")
    group.add_argument("--smoothness", metavar="C,C", default="2,4",
                       help="the target's smoothness c of the --dimensions table [2,4]")


def run(args, outputs):
    chosen = [flag for flag, given in (("--lattice", args.lattice), ("--experiment", args.experiment),
                                       ("--dimensions", args.dimensions)) if given]
    if len(chosen) != 1:
        raise UsageError("give one of --lattice, --experiment and --dimensions" +
                         (f", not {' and '.join(chosen)}" if chosen else ""))
    if args.experiment:
        return run_experiment(args, outputs)
    if args.dimensions:
        return run_dimensions(args)
    if args.long:
        raise UsageError("--long runs --experiment full")
    if args.out:
        outputs.reserve(args.out, force=args.force)
    result = percolation_report(args.lattice, z=args.z, d=args.d, p=args.p, clusters=args.clusters, seed=args.seed,
                                max_clusters=args.max_clusters)
    if args.out:
        found = percolation_spectrum(args.lattice, args.z, args.d, args.p, args.clusters, args.seed, args.source,
                                     max_clusters=args.max_clusters)
        # the subtask frequencies listed, or the power law of the fitted or the exact exponent
        spectrum = (Spectrum([Listed(tuple(found))]) if args.source == "simulation"
                    else Spectrum.power_law(found[0], math.inf, lam_plus=found[1]))
        outputs.write(args.out, spectrum.text())
        result["spectrum"] = args.out
    if args.json:
        return result
    return "\n".join(f"{k:24} {v}" for k, v in result.items())


CONFIGURATIONS = {"full": experiment.FULL, "small": experiment.SMALL, "tiny": experiment.TINY}


def _size(configuration):
    c = configuration
    return (f"{c.datasets} dataset{'s' if c.datasets > 1 else ''} of {c.clusters} clusters of {c.min_size:,} to "
            f"{c.max_size:,} sites, N up to {max(c.model_sizes):,}, P up to {max(c.data_sizes):,}")


def run_experiment(args, outputs):
    configuration = CONFIGURATIONS[args.experiment]
    path = experiment.cache_path(args.cache, configuration, args.seed)
    cached = experiment.load(path) is not None
    if args.experiment == "full" and not args.long and not cached:
        raise UsageError(f"the full experiment grows {_size(configuration)} (about 8 CPU-minutes, measured, on "
                         f"--workers processes): give --long to run it, or --experiment small")
    created = _cache_folder(args.cache)
    print(f"largen: Brill's experiment, {args.experiment}: {_size(configuration)}"
          + (f"; reading {path}" if cached else f"; storing it in {path}"), file=sys.stderr)
    try:
        result = experiment.run(configuration, args.seed, cache=args.cache, workers=args.workers, progress=True)
        figures = _draw(result, args.cache)
    except BaseException:
        if created:  # a cache made for this run holds nothing of it
            shutil.rmtree(args.cache, ignore_errors=True)
        raise
    found = {"experiment": args.experiment, "cached": cached, "result": path, "figures": figures,
             **_finite(result.as_dict())}
    if args.json:
        return found
    lines = [f"Brill's experiment, {args.experiment} ({_size(configuration)}), seed {args.seed}: "
             f"{result.sites.sum():,} sites, {result.seconds:.1f} s to run"
             + (" (read back from its cache)" if cached else "")]
    for name, key, size in (("model-size scan", "model_scan", "N"), ("data-size scan", "data_scan", "P")):
        lines.append(f"{name}: " + ", ".join(f"{size} = {row[size]:,}: L = {row['loss']:.3g} (functional "
                                             f"{row['theory']:.3g})" for row in found[key]))
    for name, key in (("model exponent", "model_exponent"), ("data exponent", "data_exponent")):
        e = found[key]
        error = "" if e["error"] is None else f" ± {e['error']:.2g}"
        corrected = "" if e["corrected_error"] is None else f" ± {e['corrected_error']:.2g}"
        lines.append(f"{name}: fitted {e['fitted']:.3f}{error}, derived {e['derived']:.3f}"
                     + (f" (log^{e['log_power']:g})" if e["log_power"] else "") + f", functional {e['functional']:.3f}; "
                     f"finite-size form {e['corrected']:.3f}{corrected}")
    best = found["allocation_exponent"]
    lines.append(f"allocation exponent: best {best['fitted']:.3f}, derived {best['derived']:.3f}")
    tau, D = found["tau"], found["D"]
    lines.append(f"clusters: tau = {tau['value']:.4g} ± {tau['error']:.2g}, D = {D['value']:.4g} ± {D['error']:.2g} "
                 "(twice the chemical dimension)")
    lines.append(f"stored {path}; figures {', '.join(figures)}")
    return "\n".join(lines)


def _cache_folder(folder):
    """Make sure the experiment can store its result in ``folder`` before it runs; whether it was created."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--cache {folder} is a file, not a directory")
    created = not os.path.exists(folder)
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()  # proves it can be written (permissions alone do not)
    except OSError as exc:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise UsageError(f"cannot store the experiment in --cache {folder}: {exc.strerror}") from None
    return created


def _finite(data):
    """JSON values with NaN (an error from one dataset) as null: there is no error to state."""
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    if isinstance(data, float) and math.isnan(data):
        return None
    return data


def _draw(result, folder):
    """The experiment's figures, drawn aside and moved into ``folder`` only when all are drawn."""
    os.makedirs(folder, exist_ok=True)
    aside = tempfile.mkdtemp(dir=folder, prefix=".figures.")
    try:
        drawn = draw(result, aside)
        paths = [os.path.join(folder, os.path.basename(path)) for path in drawn]
        for source, target in zip(drawn, paths):
            os.replace(source, target)
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return paths


def _integers(text, flag):
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"{flag} expects integers separated by commas, got {text!r}") from None


def run_dimensions(args):
    dimensions = _integers(args.dimensions, "--dimensions")
    unknown = [d for d in dimensions if d not in LITERATURE]
    if unknown:
        raise UsageError(f"--dimensions: no lattice of dimension {unknown[0]} (2 to 8, and the Bethe lattice)")
    smoothness = _integers(args.smoothness, "--smoothness")
    if any(c <= 0 for c in smoothness):
        raise UsageError(f"--smoothness must be positive, got {args.smoothness}")
    rows = comparison(dimensions, smoothness, seed=args.seed,
                      progress=lambda message: print(f"largen: {message}", file=sys.stderr))
    found = [{"lattice": row.lattice, "tau": [row.tau.value, row.tau.error], "D": [row.D.value, row.D.error],
              "literature": {"tau": row.literature.tau, "D": row.literature.D, "source": row.literature.source},
              "brill": {str(c): {"model": list(m), "data": list(d)} for c, (m, d) in row.brill.items()},
              "random_features": {str(c): {"model": m, "data": d} for c, (m, d) in row.random_features.items()},
              "note": row.note} for row in rows]
    if args.json:
        return {"rows": _finite(found)}
    lines = ["lattice  tau (measured | literature)   D (measured | literature)   c  Brill model, data   "
             "random features model, data"]
    for row in rows:
        for i, c in enumerate(smoothness):
            (m, me), (d, de) = row.brill[c]
            rm, rd = row.random_features[c]
            head = (f"{row.lattice!s:7}  {str(row.tau):13} | {row.literature.tau:<10.6g}  {str(row.D):13} | "
                    f"{row.literature.D:<10.6g}") if i == 0 else " " * 63
            lines.append(f"{head}  {c}  {m:.3f} ± {me:.2g}, {d:.3f} ± {de:.2g}   {rm:.3f}, {rd:.3f}")
        if row.note:
            lines.append(f"         {row.note}")
    return "\n".join(lines)


COMMANDS = {
    "percolation": Command(help="percolation clusters as data: exponents, a spectrum, Brill's experiment", options=options, run=run,
                        model=False),
}
