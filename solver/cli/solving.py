"""The numerical commands: ``loss`` (the certified planar solve), ``sweep`` (a grid of them), ``simulate``
(the Monte Carlo of the regression)."""

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import mpmath

from largen.diagrams.errors import ParameterError, UsageError
from largen.solver.cli.messages import convention_of
from largen.solver.cli.options import (Command, add_activation_option, add_data_options, add_dps_option,
                                       add_equivalence_option, add_force_option, add_json_option,
                                       add_parameter_options, add_spectrum_options, count_argument, dataset_of,
                                       dps_of, model_of, parameters_of, path_argument, spectrum_of)
from largen.solver.numerics.grid import failures, sweep
from largen.solver.numerics.point import bind
from largen.solver.numerics.solution import solve
from largen.solver.simulation.montecarlo import GIB, MAX_MEMORY, simulate

__all__ = ["COMMANDS", "Partial"]

SCHEDULER_TIMEOUT = "3s"
SWEEP_FORMATS = (".csv", ".json")


@dataclass(frozen=True)
class Partial:
    """A result some of whose points failed: printed, then counted on stderr with status 3."""

    result: object
    failed: int
    total: int


# -- simulate ------------------------------------------------------------------------------------
def simulate_options(parser, model):
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    add_json_option(parser)
    add_activation_option(parser)
    add_data_options(parser)
    parser.add_argument("--seeds", type=count_argument, default=8, help="number of independent draws [8]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random generator, non-negative [0]")
    parser.add_argument("--max-memory", type=float, metavar="GIB",
                        help=f"memory one draw may hold, in GiB [{MAX_MEMORY / GIB:g}]")


def run_simulate(args, outputs):
    model = model_of(args)
    values = parameters_of(args, model)
    if args.max_memory is not None and not args.max_memory > 0:
        raise ParameterError(f"--max-memory must be positive, got {args.max_memory}")
    max_memory = MAX_MEMORY if args.max_memory is None else args.max_memory * GIB
    data = dataset_of(args)
    run = simulate(model, spectrum=spectrum_of(args), seeds=args.seeds, seed=args.seed, max_memory=max_memory,
                   activation=args.activation, data=data, **values)
    if args.json:
        return run.as_dict()
    shown = ", ".join(f"{k}={v}" for k, v in run.parameters.items())
    lines = [f"model {model.name} ({shown}; {run.spectrum})"]
    if data is not None:
        lines += [f"P training points drawn i.i.d. from the {data.size} points of {data.name}; the loss is over all of "
                  "them",
                  f"test loss, against the labels          {run.mean:.6g} ± {run.stderr:.2g}  ({len(run.losses)} seeds)",
                  f"test loss, against the linear teacher  {run.teacher_mean:.6g} ± {run.teacher_stderr:.2g}"]
    else:
        lines.append(f"test loss      {run.mean:.6g} ± {run.stderr:.2g}  ({len(run.losses)} seeds)")
    lines.append(f"training loss  {run.train_mean:.6g} ± {run.train_stderr:.2g}")
    return "\n".join(lines)


# -- loss ----------------------------------------------------------------------------------------
def loss_options(parser, model):
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    add_json_option(parser)
    add_activation_option(parser)
    add_dps_option(parser)
    add_data_options(parser)
    add_equivalence_option(parser)
    parser.add_argument("--finite-size", action="store_true",
                        help="add the first finite-size correction (relative order 1/size) of both losses")
    parser.add_argument("--variance", action="store_true",
                        help="also the standard deviation of one run's loss about the mean, over the draws of "
                             "features, data, teacher and noise (loss_std)")
    parser.add_argument("--outputs", metavar="C", type=count_argument,
                        help="the teacher's outputs C, which the scatter depends on (with --variance) [1]")


def run_loss(args, outputs):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    spectrum = spectrum_of(args)
    order = int(args.finite_size)
    data = dataset_of(args)
    if args.outputs is not None and not args.variance:
        raise UsageError("--outputs C sets the outputs of the scatter: give it with --variance")
    scatter = {"variance": True, "outputs": 1 if args.outputs is None else args.outputs} if args.variance else {}
    solution = solve(model, dps=dps, spectrum=spectrum, order=order, activation=args.activation,
                     equivalence=args.equivalence, data=data, **scatter, **values)
    # the statement of the model solved: a teacher from the spectrum or its flags gives the model its covariance
    solved = bind(model, spectrum=spectrum, complete=False, data=data, **values).model
    result = {**solution.as_dict(), "convention": convention_of(solved)}
    if args.json:
        return result
    return _loss_text(result, solution, model, spectrum, order)


def _loss_text(result, solution, model, spectrum, order):
    missing = result.get("uncertified", {})
    theory = "planar theory and its first finite-size correction" if order else "planar theory"
    lines = [f"model {model.name}, {theory} at {solution.dps} digits ({result['convention']})"]
    shown = {**result, **result.get("finite_size", {})}
    rows = (("loss", "test loss"), ("train_loss", "training loss"), ("Delta", "Delta"))
    if order:
        rows += (("loss_correction", "test loss, 1/size correction"), ("corrected_loss", "test loss, corrected"),
                 ("train_loss_correction", "training loss, 1/size correction"),
                 ("corrected_train_loss", "training loss, corrected"))
    extra = ("loss std (one run)",) * (result.get("variance") is not None) + ("test loss, labels",) * bool(
        result.get("route"))
    width = max(len(label) for label in (*(label for _, label in rows), *extra)) + 2
    for name, label in rows:
        value = shown[name] if shown[name] is not None else f"not certified: {missing.get(name, '')}"
        lines.append(f"{label:<{width}}{value}")
    if "normalization" in result:
        lines.append(result["normalization"])
    if result.get("variance") is not None:
        std = result["loss_std"] or "not certified: " + "; ".join(
            f"{name}: {missing.get(name, 'uncertified')}" for name, value in result["variance"].items() if value is None)
        parts = ", ".join(f"{name} {value}" for name, value in result["variance"].items())
        lines.append(f"{'loss std (one run)':<{width}}{std}")
        lines.append(f"  the scatter between draws of features, data, teacher and noise, {result['outputs']} "
                     f"output{'s' if result['outputs'] > 1 else ''}; variance parts: {parts}")
    if result.get("route"):
        lines += _route_text(result, width)
    if solution.condition is not None:
        written = f"exact to the {spectrum.digits} digits written" if spectrum is not None else \
            "computed in float64 from the data"
        lines.append(f"condition number {mpmath.nstr(solution.condition, 3)} in the listed eigenvalues: {written}, "
                     f"they support {solution.supported_digits} digits of the loss"
                     + (" (fewer than shown)" if solution.supported_digits < solution.dps else ""))
    return "\n".join(lines)


def _route_text(result, width):
    """What the route of a dataset or of the kernel says: which theory, on what, and the loss against the target."""
    route = result["route"]
    data = result["parameters"].get("data")
    on = f"dataset {data}" if data else "Gaussian data"
    said = {"linear": f"linear features on {on}: its covariance spectrum, best linear teacher and noise",
            "white": f"Gaussian equivalence with a white xi on {on} (its covariance spectrum)",
            "kernel": f"the features' kernel spectrum on {on}"}[route["equivalence"]]
    lines = [f"{'route':<{width}}{route['equivalence']}: {said}"]
    kernel = route.get("kernel")
    if kernel:
        lines.append(f"  kernel of {kernel['activation']}: {kernel['listed']} eigenvalues listed ({kernel['method']}), "
                     f"white remainder {kernel['white_fraction']} of its trace, {kernel['seconds']} s")
    if data:
        lines.append(f"{'test loss, labels':<{width}}{result['target_loss']}  (the loss plus the labels' part no "
                     f"{'listed eigenfunction' if kernel else 'linear function'} carries, {result['unexplained']})")
    elif float(result["unexplained"] or 0):
        lines.append(f"{'test loss, target':<{width}}{result['target_loss']}  (the teacher's part on no listed "
                     f"eigenfunction adds {result['unexplained']})")
    if result.get("equivalence_error"):
        lines.append(f"{'listing error':<{width}}{result['equivalence_error']}  (relative change of the loss with a "
                     "coarser listing of the kernel)")
    return lines


# -- sweep ---------------------------------------------------------------------------------------
def sweep_options(parser, model):
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    add_json_option(parser)
    add_activation_option(parser)
    add_dps_option(parser)
    add_data_options(parser)
    add_equivalence_option(parser)
    parser.add_argument("--fast", action="store_true",
                        help="solve every point at once in float64 (vouched points to 1e-10); the certified solver "
                             "answers the points it does not vouch for and --check points drawn at random; a "
                             "column 'fast' says which")
    parser.add_argument("--check", type=count_argument, metavar="COUNT",
                        help="with --fast: vouched points re-solved by the certified solver [max(20, 1%%)]")
    parser.add_argument("--out", metavar="FILE", type=path_argument, help="write the rows to FILE (.csv or .json)")
    add_force_option(parser, "an existing --out file")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="worker processes [all cores]")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786)")


def run_sweep(args, outputs):
    model = model_of(args)
    values = parameters_of(args, model, lists=True)
    grid = {name: value for name, value in values.items() if isinstance(value, list)}
    fixed = {name: value for name, value in values.items() if not isinstance(value, list)}
    for name in (model.latent, "alpha", "delta"):
        if name in grid:
            raise UsageError(f"{name} cannot be swept: run one sweep per spectrum")
    if args.workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {args.workers}")
    dps = dps_of(args)
    data = dataset_of(args)
    if args.check is not None and not args.fast:
        raise UsageError("--check sets how many of --fast's points the certified solver re-solves: give --fast")
    if args.equivalence == "kernel" and args.activation is None:  # said once, not on every row
        raise UsageError("the kernel route is for nonlinear features: give --activation NAME")
    if args.fast and (data is not None or args.equivalence == "kernel"):
        raise UsageError("--fast solves the Gaussian theory on a given spectrum: --data and --equivalence kernel "
                         "need the certified solver (drop --fast)")
    route = {"data": data, "equivalence": args.equivalence} if data is not None or args.equivalence != "white" else {}
    fast = {"fast": True, "check": args.check} if args.fast else {}
    output = outputs.reserve(args.out, force=args.force, formats=SWEEP_FORMATS) if args.out else None
    if args.scheduler:
        client = connect(args.scheduler)
        executor, close, abort = client.get_executor(), client.close, client.close
    else:
        executor = ProcessPoolExecutor(max_workers=args.workers)
        close, abort = executor.shutdown, lambda: executor.shutdown(wait=False, cancel_futures=True)
    try:
        rows = sweep(model, grid=grid, dps=dps, spectrum=spectrum_of(args), executor=executor, output=output,
                     force=True, activation=args.activation, **route, **fast, **fixed)
    except BaseException:
        abort()  # Ctrl-C must not wait for the rest of the grid
        raise
    close()
    said = _sweep_route(data, args)
    if args.json:
        result = {"model": model.name, **({"route": said} if said else {}), "rows": rows}
    else:
        columns = list(dict.fromkeys(k for row in rows for k in row))
        result = "\n".join(([f"# {said}"] if said else []) + ["  ".join(columns)]
                           + ["  ".join(str(row.get(c, "")) for c in columns) for row in rows])
    failed = failures(rows)
    return Partial(result, failed, len(rows)) if failed else result


def _sweep_route(data, args):
    """The route of a sweep's points in words (a dataset, the kernel), or "" for the Gaussian theory."""
    if data is None and args.equivalence == "white":
        return ""
    if args.equivalence == "kernel":
        theory = "the features' kernel spectrum"
    else:
        theory = "Gaussian equivalence with a white xi" if args.activation else "linear features"
    return f"route {args.equivalence if args.activation else 'linear'}: {theory} on " + (
        f"dataset {data.name} (loss against its best {'kernel' if args.equivalence == 'kernel' else 'linear'} "
        "teacher; the labels add half the unexplained variance, see largen loss)" if data is not None
        else "Gaussian data")


def connect(address):
    """A dask.distributed client of the scheduler at ``address``; one line if there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'largen[distributed]'") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot connect to a Dask scheduler at {address} within {SCHEDULER_TIMEOUT}: "
                         f"{reason}") from None


COMMANDS = {
    "simulate": Command(help="Monte Carlo of the actual ridge regression", options=simulate_options, run=run_simulate),
    "loss": Command(help="the planar test loss, solved numerically", options=loss_options, run=run_loss),
    "sweep": Command(help="the planar loss on a grid (comma-separated values), in parallel", options=sweep_options,
                  run=run_sweep,
                  epilog="A point that cannot be solved is a row with its error; then the command says "
                         "'largen: K of N points failed' on stderr and exits with status 3."),
}
