"""The ``largen`` command line.

Every command takes the model's parameters as flags (``--N 100 --P 300
--gamma 1e-3 --alpha 1 --M 800``) or as ``--set NAME=VALUE`` for any symbol of
the model, and ``--json`` for scripts. Bad input ends with one line on stderr
and exit status 2; a sweep whose points partly fail prints every row (the
failed ones with their error), says "largen: K of N points failed" on stderr
and exits with status 3. A warning (LargenWarning) is one line on stderr.
Ctrl-C exits with status 130, a closed output pipe quietly with 141.
"""

import argparse
import json
import math
import os
import re
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import mpmath
import sympy

from largen.diagrams import load_model, mrs
from largen.diagrams.engine.model import gaussian_equivalent, with_teacher
from largen.diagrams.theory.duality import dual_pairs, noise_breaks_duality, parameter_map, symmetry, verdicts
from largen.diagrams.errors import LargenError, LargenWarning, ModelError, ParameterError, UsageError
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.printing.latex import latex
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.theory.series import diagram_coefficients, diagram_count, loss_observables, theory_coefficients
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.printing.tikz import caption, tikz_document
from largen.diagrams.engine.wick import MAX_DIAGRAMS, contractions, isomorphism_classes

from largen.diagrams.regimes.asymptotics import ALPHA, TEACHER_DELTA
from largen.diagrams.engine.grammar import parse_number

from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.numerics.evaluate import check_finite, evaluate
from largen.solver.percolation.fit import percolation_report, percolation_spectrum
from largen.solver.report.build import derivation_document, derivation_text, rate_names, write_report
from largen.solver.numerics.scaling import (delta_diagram, exponents, latex_table, phase_diagram, piecewise_latex, piecewise_regimes,
                      regimes_at, teacher_exponent)
from largen.solver.numerics.point import bind, noise_parameters, short
from largen.solver.simulation.montecarlo import GIB, MAX_MEMORY, simulate
from largen.solver.numerics.solution import MAX_DPS, solve
from largen.solver.numerics.spectrum import PowerLaw, Spectrum
from largen.solver.numerics.grid import check_output, failures, sweep

__all__ = ["main", "build_parser"]

PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away
INTERRUPTED = 130  # 128 + SIGINT
SOME_POINTS_FAILED = 3
SCHEDULER_TIMEOUT = "3s"

# Flags that name a symbol of the model directly: flag -> symbol.
PARAMETER_FLAGS = {"N": "N", "P": "P", "M": "M", "gamma": "gamma", "sigma_u": "sigma_u", "sigma_w": "sigma_w"}


class Parser(argparse.ArgumentParser):
    def _parse_optional(self, arg_string):
        # '-Trace(X*X.T)' is an expression, not a flag: no flag holds these characters
        if arg_string.startswith("-") and any(c in arg_string for c in "()*+/ "):
            return None
        return super()._parse_optional(arg_string)

    def error(self, message):
        if "required: EXPR" in message:
            message += " (an expression beginning with '-' goes last, after '--': largen expect --P 2 -- -N)"
        command = self.prog.partition(" ")[2]  # the handler names largen itself; a subcommand says which
        raise UsageError(f"{command}: {message}" if command else message)


@dataclass(frozen=True)
class Partial:
    """A result some of whose points failed: printed, then counted on stderr with status 3."""

    result: object
    failed: int
    total: int


def path_argument(text):
    """A path flag's value: an empty path is refused, not ignored."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return text


def limit_argument(text):
    """--max-diagrams: a positive integer, or 'none' for no limit."""
    if text.strip().lower() in ("none", "inf"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}")
    return value


def add_model_options(parser, *, spectrum=True):
    parser.add_argument("--model", metavar="FILE", type=path_argument, help="a TOML model file (default: the MRS model)")
    for flag, name in PARAMETER_FLAGS.items():
        parser.add_argument(f"--{flag.replace('_', '-')}", dest=flag, metavar="VALUE", help=f"value of the symbol {name}")
    parser.add_argument("--noise", metavar="VAR", help="label-noise variance of the training labels "
                                                       "(sets the symbol of the model's noise variance)")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                        help="value of any symbol of the model (repeatable)")
    if spectrum:
        parser.add_argument("--alpha", metavar="A", help="power-law exponent: lambda_I = I^-(1+alpha) [1]")
        parser.add_argument("--spectrum", metavar="FILE", action="append", type=path_argument,
                            help="eigenvalues of Lambda, one per line (a second column: the teacher's omega_I), "
                                 "and 'power_law alpha=A M=SIZE [delta=D]' lines; repeated, the pieces add")
        add_teacher_options(parser, spectrum=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_activation_option(parser):
    parser.add_argument("--activation", metavar="NAME",
                        help="nonlinear features s(F x) by Gaussian equivalence: linear, relu, tanh, erf or x^K "
                             "(the Monte Carlo uses s itself)")


def add_teacher_options(parser, *, spectrum=False, symbolic=False):
    """--delta (and --teacher-spectrum): a teacher covariance, E w_I^2 = (sigma_w^2/M) omega_I; with
    ``symbolic``, --delta may be the word 'symbolic'."""
    parser.add_argument("--delta", metavar="D|symbolic" if symbolic else "D",
                        help="teacher exponent: omega_I = I^-delta, the teacher covariance in the latent basis "
                             "[0: the isotropic teacher]" + ("; 'symbolic': the regimes piecewise in delta"
                                                             if symbolic else ""))
    if spectrum:
        parser.add_argument("--teacher-spectrum", metavar="FILE", type=path_argument,
                            help="the teacher's omega_I, one per line, paired with the listed eigenvalues")


def add_limit_option(parser):
    parser.add_argument("--max-diagrams", type=limit_argument, default=MAX_DIAGRAMS, metavar="COUNT",
                        help=f"refuse work estimated past COUNT diagrams ('none': no limit) [{MAX_DIAGRAMS}]")


def model_of(args):
    """The model of --model (MRS by default); with --activation, its Gaussian equivalent for nonlinear
    features; with a teacher covariance when --delta (not 0) or --teacher-spectrum asks for one."""
    model = load_model(args.model) if args.model else mrs()
    if getattr(args, "activation", None) is not None:
        parse_activation(args.activation)  # an unknown name is refused before any work
        if model.regression.equivalent is None:
            model = gaussian_equivalent(model)
    delta = getattr(args, "delta", None)
    if getattr(args, "teacher_spectrum", None) or (delta is not None and parse_number(delta, what="delta") != 0):
        model = with_teacher(model)
    return model


def parameters_of(args, model, lists=False):
    """The symbol values the flags give, by name (as text or sympy numbers); the spectrum's ``alpha`` too.

    A symbol given twice (``--M 5 --set M=6``, ``--noise`` and ``--set`` of the
    noise symbol) is refused. With ``lists``, a value with commas is a list of
    values (a sweep's grid).
    """
    values, sources = {}, {}

    def put(name, value, source):
        if name in sources:
            raise UsageError(f"{name} is given twice: by {sources[name]} and by {source}")
        values[name], sources[name] = value, source

    for flag, name in PARAMETER_FLAGS.items():
        if getattr(args, flag) is not None:
            put(name, getattr(args, flag), f"--{flag.replace('_', '-')}")
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        put(name.strip(), value.strip(), f"--set {name.strip()}")
    if args.noise is not None:
        for name, value in noise_parameters(model, args.noise).items():
            put(name, value, "--noise")
    if getattr(args, "alpha", None) is not None:
        if args.spectrum:
            raise UsageError("give either --spectrum or --alpha, not both")
        put("alpha", args.alpha, "--alpha")
    if getattr(args, "delta", None) is not None:
        if args.spectrum:
            raise UsageError("give either --spectrum or --delta, not both (a file's power_law lines take delta=D)")
        put("delta", args.delta, "--delta")
    if lists:
        values = {k: v.split(",") if isinstance(v, str) and "," in v else v for k, v in values.items()}
    return values


def spectrum_of(args):
    """The spectrum the --spectrum files give (their pieces added), with the --teacher-spectrum, or None."""
    teacher = getattr(args, "teacher_spectrum", None)
    if not args.spectrum:
        if teacher:
            raise UsageError("--teacher-spectrum pairs with the listed eigenvalues of --spectrum FILE; "
                             "for a power law give --delta")
        return None
    spectrum = sum((Spectrum.from_file(path) for path in args.spectrum[1:]), Spectrum.from_file(args.spectrum[0]))
    return spectrum.with_teacher_file(teacher) if teacher else spectrum


def dps_of(args):
    if args.dps < 1:
        raise ParameterError(f"--dps must be at least 1, got {args.dps}")
    if args.dps > MAX_DPS:
        raise ParameterError(f"--dps must be at most {MAX_DPS}, got {short(args.dps)}")
    return args.dps


def cmd_simulate(args):
    model = model_of(args)
    values = parameters_of(args, model)
    if args.max_memory is not None and not args.max_memory > 0:
        raise ParameterError(f"--max-memory must be positive, got {args.max_memory}")
    max_memory = MAX_MEMORY if args.max_memory is None else args.max_memory * GIB
    run = simulate(model, spectrum=spectrum_of(args), seeds=args.seeds, seed=args.seed, max_memory=max_memory,
                   activation=args.activation, **values)
    if args.json:
        return run.as_dict()
    shown = ", ".join(f"{k}={v}" for k, v in run.parameters.items())
    return (f"model {model.name} ({shown}; {run.spectrum})\n"
            f"test loss      {run.mean:.6g} ± {run.stderr:.2g}  ({len(run.losses)} seeds)\n"
            f"training loss  {run.train_mean:.6g} ± {run.train_stderr:.2g}")


def cmd_expect(args):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    point = bind(model, spectrum=spectrum_of(args), complete=False, **values)
    expr = check_finite(expectation(args.expr, model, planar=args.planar, max_diagrams=args.max_diagrams))
    result = {"expression": sympy.sstr(expr), "planar": args.planar}
    value = evaluate(expr, point, dps)
    if value is not None:
        result.update(value.as_dict())
    if args.json:
        return result
    lines = [f"E[{args.expr}]{' (planar)' if args.planar else ''} =", sympy.pretty(expr)]
    if value is not None:
        lines.append(f"= {result['value']}")
    return "\n".join(lines)


def cmd_diagrams(args):
    model = model_of(args)
    if args.tikz:
        check_output(args.tikz, force=args.force)
    classes, count = [], 0
    for coefficient, words in parse_observable(args.expr, model, max_diagrams=args.max_diagrams):
        if args.planar:
            graphs = list(planar_contractions(words, model, max_diagrams=args.max_diagrams))
        else:
            graphs = list(contractions(words, model, max_diagrams=args.max_diagrams))
        count += len(graphs)
        for graph, multiplicity in isomorphism_classes(graphs, words, max_diagrams=args.max_diagrams):
            classes.append((coefficient, graph, multiplicity))
    if args.tikz:
        write(args.tikz, tikz_document([(g, caption(g, m)) for _, g, m in classes]))
    listing = [{
        "coefficient": sympy.sstr(c),
        "multiplicity": m,
        "weight": sympy.sstr(g.weight),
        "euler": g.euler,
        "genus": g.genus,
        "orientable": g.orientable,
        "faces": g.face_counts(),
    } for c, g, m in classes]
    if args.json:
        return {"expression": args.expr, "planar": args.planar, "contractions": count, "diagrams": listing}
    rows = [f"{count} contractions of {args.expr}{' (planar)' if args.planar else ''} in {len(listing)} classes:"]
    for d in listing:
        genus = d["genus"] if d["orientable"] else "non-orientable"
        rows.append(f"  x{d['multiplicity']:<4} chi={d['euler']:<3} genus={genus!s:<15} {d['weight']}")
    return "\n".join(rows)


def write(path, text):
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def cmd_derive(args):
    model = model_of(args)
    if args.latex:
        check_output(args.latex, force=args.force)
    theory = planar_theory(model)
    loss, _, ladder = theory.test_loss
    train, _, train_ladder = theory.train_loss
    parts = {
        "equations": list(theory.equations),
        "unknowns": list(theory.unknowns),
        "conditions": list(theory.conditions),
        "Delta": [theory.renormalized_ridge],
        "loss": [loss],
        "ladder": list(ladder),
        "train_loss": [train],
        "train_ladder": list(train_ladder),
    }
    convention = str(symmetry(model))
    result = {"model": model.name, "convention": convention}
    result.update({k: [sympy.sstr(e) for e in v] for k, v in parts.items()})
    for key in ("Delta", "loss", "train_loss"):
        (result[key],) = result[key]
    if args.latex:
        write(args.latex, derivation_document(model))
        names = rate_names(theory)
        result["latex"] = {k: [latex(e, symbol_names=names) for e in v] for k, v in parts.items()}
    if args.json:
        return result
    return derivation_text(model).rstrip("\n")


def cmd_series(args):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    point = bind(model, spectrum=spectrum_of(args), complete=False, **values)
    exprs = diagram_coefficients(model, args.order, args.planar, max_diagrams=args.max_diagrams)
    resummed = theory_coefficients(model, args.order, max_diagrams=args.max_diagrams) if args.planar else None
    coefficients = []
    for k, observable in enumerate(loss_observables(model, args.order, max_diagrams=args.max_diagrams)):
        expr = check_finite(exprs[k])
        entry = {"order": k, "expression": sympy.sstr(expr),
                 "diagrams": diagram_count(observable, model, args.planar, max_diagrams=args.max_diagrams)}
        value = evaluate(expr, point, dps, normalized=True)
        if value is not None:
            entry["value"] = value.decimal
        if resummed is not None:
            entry["resummed_agrees"] = sympy.expand(expr - resummed[k]) == 0
        coefficients.append(entry)
    result = {"model": model.name, "planar": args.planar, "coefficients": coefficients}
    if point.normalization:
        result["normalization"] = point.normalization
    if model.regression.equivalent is not None and not args.planar:
        result["note"] = ("exact for the Gaussian-equivalent model (xi Gaussian); beyond the planar part an "
                          "activation's mu_0 and non-Gaussian part also enter, and are not derived")
    if args.json:
        return result
    lines = [f"<L> = sum_k c_k {model.regression.ridge}^-k for model {model.name}{' (planar)' if args.planar else ''}:"]
    for c in coefficients:
        lines.append(f"  c_{c['order']} ({c['diagrams']} diagrams) = {c['expression']}" +
                     (f" = {c['value']}" if "value" in c else ""))
    lines += [result[key] for key in ("normalization", "note") if result.get(key)]
    return "\n".join(lines)


def cmd_loss(args):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    spectrum = spectrum_of(args)
    order = int(args.finite_size)
    solution = solve(model, dps=dps, spectrum=spectrum, order=order, activation=args.activation, **values)
    result = solution.as_dict()
    convention = str(symmetry(model))
    result["convention"] = convention
    if args.json:
        return result
    missing = result.get("uncertified", {})
    theory = "planar theory and its first finite-size correction" if order else "planar theory"
    lines = [f"model {model.name}, {theory} at {dps} digits ({convention})"]
    shown = {**result, **result.get("finite_size", {})}
    rows = (("loss", "test loss"), ("train_loss", "training loss"), ("Delta", "Delta"))
    if order:
        rows += (("loss_correction", "test loss, 1/size correction"), ("corrected_loss", "test loss, corrected"),
                 ("train_loss_correction", "training loss, 1/size correction"),
                 ("corrected_train_loss", "training loss, corrected"))
    width = max(len(label) for _, label in rows) + 2
    for name, label in rows:
        value = shown[name] if shown[name] is not None else f"not certified: {missing.get(name, '')}"
        lines.append(f"{label:<{width}}{value}")
    if "normalization" in result:
        lines.append(result["normalization"])
    if solution.condition is not None:
        lines.append(f"condition number {mpmath.nstr(solution.condition, 3)} in the listed eigenvalues: exact to the "
                     f"{spectrum.digits} digits written, they support {solution.supported_digits} digits of the loss"
                     + (" (fewer than shown)" if solution.supported_digits < dps else ""))
    return "\n".join(lines)


def cmd_duality(args):
    model = model_of(args)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    mapping = parameter_map(model, args.convention)
    result = {"model": model.name, "convention": args.convention, "order": args.order,
              "parameter_map": {str(k): sympy.sstr(v) for k, v in mapping.items()}}
    try:
        pairs = dual_pairs(model, args.order, max_diagrams=args.max_diagrams)
    except ModelError as exc:
        pairs, result["diagram_map"] = [], str(exc)
    else:
        result["noise_breaks"] = [{"word": repr(w), "dual": repr(d)}
                                  for w, d in noise_breaks_duality(model, max(args.order, 2),
                                                                   max_diagrams=args.max_diagrams)]

    def describe(graph, weight, coefficient):
        return {"weight": sympy.sstr(weight), "coefficient": sympy.sstr(coefficient), "euler": graph.euler,
                "word": repr(graph.words[0]), "faces": graph.face_counts()}

    result["pairs"] = [{"diagram": {**describe(p.diagram, p.weight, p.coefficient), "multiplicity": p.multiplicity},
                        "dual": None if p.dual is None else describe(p.dual, p.dual_weight, p.dual_coefficient)}
                       for p in pairs]
    result["contractions"] = sum(p.multiplicity for p in pairs)
    found = verdicts(model, args.order, max_diagrams=args.max_diagrams)
    key = lambda v: v.exchange.replace(" ", "")  # noqa: E731  "N<->P", as the JSON keys have always been
    result["rescalings"] = {key(v): sympy.sstr(v.rescaling) for v in found if v.rescaling is not None}
    result["verdicts"] = {f"{key(v)}: {v.quantity}": {"invariant": v.invariant, "remainder": sympy.sstr(v.remainder),
                                                      **({"cause": v.cause} if v.cause else {})}
                          for v in found}
    if args.json:
        return result
    lines = [f"duality of model {model.name}: " + ", ".join(f"{k} -> {v}" for k, v in result["parameter_map"].items())]
    if "diagram_map" in result:
        lines.append(f"diagrams: {result['diagram_map']}")
    else:
        unpaired = sum(p.dual is None for p in pairs)
        lines.append(f"{model.regression.ridge}^-{args.order}: {len(pairs)} planar classes ({result['contractions']} diagrams), "
                     + ("each mapped to a planar diagram of the same coefficient" if not unpaired else
                        f"{unpaired} of them with a dual word that is no word of the coefficient"))
    for v in found:
        lines.append(f"  {v.exchange}: {v.quantity}: " +
                     ("invariant" if v.invariant else f"changes by {sympy.sstr(v.remainder)}")
                     + (f"; broken by {v.cause}" if v.cause else ""))
        if v.rescaling is not None:
            lines.append(f"  {v.exchange}: the same Delta solves the exchanged problem at {v.ridge} * "
                         f"{sympy.sstr(v.rescaling)}")
    return "\n".join(lines)


def cmd_sweep(args):
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
    if args.out:
        check_output(args.out, force=args.force, formats=(".csv", ".json"))
    if args.scheduler:
        client = connect(args.scheduler)
        executor, close, abort = client.get_executor(), client.close, client.close
    else:
        executor = ProcessPoolExecutor(max_workers=args.workers)
        close, abort = executor.shutdown, lambda: executor.shutdown(wait=False, cancel_futures=True)
    try:
        rows = sweep(model, grid=grid, dps=dps, spectrum=spectrum_of(args), executor=executor, output=args.out,
                     force=args.force, activation=args.activation, **fixed)
    except BaseException:
        abort()  # Ctrl-C must not wait for the rest of the grid
        raise
    close()
    if args.json:
        result = {"model": model.name, "rows": rows}
    else:
        columns = list(dict.fromkeys(k for row in rows for k in row))
        result = "\n".join(["  ".join(columns)] + ["  ".join(str(row.get(c, "")) for c in columns) for row in rows])
    failed = failures(rows)
    return Partial(result, failed, len(rows)) if failed else result


def connect(address):
    """A dask.distributed client of the scheduler at ``address``; one line if there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'largen[dask]' or distributed") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot connect to a Dask scheduler at {address} within {SCHEDULER_TIMEOUT}: "
                         f"{reason}") from None


def _version():
    try:
        return version("largen")
    except PackageNotFoundError:
        return "unknown"


def cmd_exponents(args):
    lam_plus = file_delta = None
    if args.spectrum:
        if args.alpha is not None:
            raise UsageError("give either --spectrum or --alpha, not both")
        law = power_law_of(Spectrum.from_file(args.spectrum))
        if law.teacher and args.delta is not None:
            raise UsageError("give either --delta or a spectrum file's delta=D, not both")
        args.alpha, lam_plus = str(law.alpha), law.lam_plus
        args.M = "inf" if law.size == math.inf else str(law.size)
        file_delta = str(law.delta) if law.teacher else None
        args.delta = file_delta or args.delta
    symbolic = teacher_exponent(args.delta) == TEACHER_DELTA
    # model_of reads a numeric --delta; a symbolic one gets its teacher covariance in the derivation
    model = model_of(argparse.Namespace(**{**vars(args), "delta": None}) if symbolic else args)
    noise = (None if args.noise is None else True if args.noise.strip() == "symbolic"
             else parse_number(args.noise, what="noise variance"))
    for path in (args.latex, args.plot):
        if path:
            check_output(path, force=args.force)
    spectrum = None if lam_plus is None else {"file": args.spectrum, "alpha": args.alpha, "M": args.M,
                                              "lambda_+": str(lam_plus), "delta": file_delta}
    if symbolic:
        return _piecewise_exponents(args, model, noise, spectrum)
    result = exponents(model, alpha=args.alpha, M=args.M, noise=noise, check=args.check, dps=args.dps,
                       delta=args.delta)
    if spectrum:
        result["spectrum"] = spectrum
    if args.latex or args.plot:
        alpha = ALPHA if args.alpha is None else parse_number(args.alpha, what="alpha")
        latent = sympy.oo if args.M.strip() == "inf" else model.spaces[model.latent] if args.M.strip() == "symbolic" \
            else parse_number(args.M, what="M")
        delta = None if args.delta is None else parse_number(args.delta, what="delta")
        regimes = regimes_at(model, alpha=alpha, latent=latent, noise=noise, delta=delta)
        if args.latex:
            write(args.latex, latex_table(regimes))
        if args.plot:
            if alpha.free_symbols:
                raise ParameterError("the phase diagram needs a numeric --alpha")
            phase_diagram(regimes, args.plot, alpha=alpha, model=model, delta=delta)
    if args.json:
        return result
    lines = [f"regimes of model {model.name}" + (f" at alpha = {args.alpha}" if args.alpha else " (alpha symbolic)")
             + (f", teacher omega_I = I^-{args.delta}" if args.delta is not None else "")]
    for regime in result["regimes"]:
        conditions = ", ".join(f"{a} << {b}" for a, b in regime["conditions"])
        exps = ", ".join(f"{k}: {v}" for k, v in regime["exponents"].items())
        lines.append(f"  {regime['name']}: L = {regime['loss']}   [{exps}]   when {conditions}")
        for c in regime.get("check", []):
            lines.append(f"      depth {c['depth']}: solver/leading = {c['ratio']}, slopes {c['slopes']}")
    for o in result["optimal"]["ridge"]:
        lines.append(f"  optimal ridge in {o['regime']}: gamma* = {o['gamma']}, L = {o['loss']}")
    return "\n".join(lines)


def _piecewise_exponents(args, model, noise, spectrum):
    """``exponents --delta symbolic``: the regimes in each range of delta, the marginal values named."""
    if args.check:
        raise UsageError("--check needs a numeric --delta")
    if args.plot and args.alpha is None:
        raise ParameterError("the phase diagram in delta needs a numeric --alpha")
    pieces = piecewise_regimes(model, alpha=args.alpha, M=args.M, noise=noise)
    if args.latex:
        write(args.latex, piecewise_latex(pieces))
    if args.plot:
        delta_diagram(pieces, args.plot, alpha=parse_number(args.alpha, what="alpha"))
    if args.json:
        return {**pieces.as_dict(), **({"spectrum": spectrum} if spectrum else {})}
    marginal = ", ".join(str(m) for m in pieces.marginal) or "none"
    lines = [f"regimes of model {model.name}" + (f" at alpha = {args.alpha}" if args.alpha else " (alpha symbolic)")
             + f", teacher omega_I = I^-delta, piecewise in delta; marginal at delta = {marginal} "
               f"(a logarithm, not derived)"]
    for case in pieces.cases:
        excluded = "".join(f", delta != {e}" for e in case.excluded)
        lines.append(f"  for {case.lower} < delta < {case.upper}{excluded}:")
        for regime in case.regimes:
            conditions = ", ".join(f"{a} << {b}" for a, b in regime.conditions)
            exps = ", ".join(f"{k}: {v}" for k, v in regime.exponents.items())
            lines.append(f"    {regime.name}: L = {regime.loss}   [{exps}]   when {conditions}")
    return "\n".join(lines)


def cmd_report(args):
    model = model_of(args)
    tex = os.path.join(args.out, "report.tex")
    if os.path.exists(tex) and not args.force:
        raise UsageError(f"{tex} exists: overwrite the report with --force")
    curves = {"activation": args.activation} if args.activation is not None else None
    written = write_report(model, args.out, spectrum=spectrum_of(args), curves=curves,
                           **({} if args.delta is None else {"delta": args.delta}))
    if args.json:
        return written.as_dict()
    lines = [f"wrote {written.tex} and {len(written.figures)} figures"]
    lines.append(f"compiled {written.pdf}" if written.compiled else written.reason)
    return "\n".join(lines)


def power_law_of(spectrum):
    """The one power law a spectrum is made of (the scaling laws are derived for power laws)."""
    (piece,) = spectrum.pieces if len(spectrum.pieces) == 1 else (None,)
    if not isinstance(piece, PowerLaw):
        raise UsageError("the scaling laws need a spectrum that is one power law "
                         "(a file with one 'power_law alpha=A M=SIZE' line)")
    return piece


def cmd_percolation(args):
    if args.out:
        check_output(args.out, force=args.force)
    result = percolation_report(args.lattice, z=args.z, d=args.d, p=args.p, clusters=args.clusters, seed=args.seed,
                                max_clusters=args.max_clusters)
    if args.out:
        found = percolation_spectrum(args.lattice, args.z, args.d, args.p, args.clusters, args.seed, args.source,
                                     max_clusters=args.max_clusters)
        if args.source == "simulation":  # the subtask frequencies, listed
            write(args.out, "".join(f"{v}\n" for v in found))
        else:  # the power law of the fitted or the exact exponent
            write(args.out, "power_law alpha={} M=inf lam_plus={}\n".format(*found))
        result["spectrum"] = args.out
    if args.json:
        return result
    return "\n".join(f"{k:24} {v}" for k, v in result.items())


def build_parser():
    parser = Parser(prog="largen", description="Large-N diagrams and neural scaling laws.",
                    epilog="Exit status: 0 success, 2 bad input (one line on stderr), 3 some points of a sweep "
                           "failed, 130 interrupted, 141 the output pipe closed.")
    parser.add_argument("--version", action="version", version=f"largen {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    sim = commands.add_parser("simulate", help="Monte Carlo of the actual ridge regression")
    add_model_options(sim)
    add_activation_option(sim)
    sim.add_argument("--seeds", type=int, default=8, help="number of independent draws [8]")
    sim.add_argument("--seed", type=int, default=0, help="seed of the random generator, non-negative [0]")
    sim.add_argument("--max-memory", type=float, metavar="GIB",
                     help=f"memory one draw may hold, in GiB [{MAX_MEMORY / GIB:g}]")
    sim.set_defaults(run=cmd_simulate)

    expect = commands.add_parser("expect", help="exact (or planar) expectation of traces of matrix words")
    expect.add_argument("expr", metavar="EXPR", help="e.g. 'Trace(U.T*U*X*X.T)' (after '--' if it begins with '-')")
    expect.add_argument("--planar", action="store_true", help="planar (leading large-N) diagrams only")
    expect.add_argument("--dps", type=int, default=30, help="significant digits of the value [30]")
    add_model_options(expect)
    add_limit_option(expect)
    expect.set_defaults(run=cmd_expect)

    diagrams = commands.add_parser("diagrams", help="the Wick contractions of an observable, in classes")
    diagrams.add_argument("expr", metavar="EXPR", help="an observable (after '--' if it begins with '-')")
    diagrams.add_argument("--planar", action="store_true", help="planar diagrams only")
    diagrams.add_argument("--model", metavar="FILE", type=path_argument,
                          help="a TOML model file (default: the MRS model)")
    diagrams.add_argument("--tikz", metavar="FILE", type=path_argument,
                          help="write double-line drawings (LuaLaTeX) to FILE")
    diagrams.add_argument("--force", action="store_true", help="overwrite an existing --tikz file")
    diagrams.add_argument("--json", action="store_true", help="print one JSON object")
    add_limit_option(diagrams)
    diagrams.set_defaults(run=cmd_diagrams)

    derive = commands.add_parser("derive", help="derive the planar self-consistent equations and the losses")
    derive.add_argument("--model", metavar="FILE", type=path_argument,
                        help="a TOML model file (default: the MRS model)")
    derive.add_argument("--latex", metavar="FILE", type=path_argument,
                        help="also write a LaTeX document of the derivation")
    derive.add_argument("--force", action="store_true", help="overwrite an existing --latex file")
    derive.add_argument("--json", action="store_true", help="print one JSON object")
    add_activation_option(derive)
    add_teacher_options(derive)
    derive.set_defaults(run=cmd_derive)

    series = commands.add_parser("series", help="the large-ridge series of the test loss, from diagrams")
    series.add_argument("--order", type=int, required=True, metavar="K", help="highest power of 1/gamma")
    series.add_argument("--planar", action="store_true", help="planar diagrams (checked against the resummation)")
    series.add_argument("--dps", type=int, default=30, help="significant digits of values [30]")
    add_model_options(series)
    add_limit_option(series)
    series.set_defaults(run=cmd_series)

    loss = commands.add_parser("loss", help="the planar test loss, solved numerically")
    add_model_options(loss)
    add_activation_option(loss)
    loss.add_argument("--dps", type=int, default=30, help="significant digits [30]")
    loss.add_argument("--finite-size", action="store_true",
                      help="add the first finite-size correction (relative order 1/size) of both losses")
    loss.set_defaults(run=cmd_loss)

    sweep_ = commands.add_parser("sweep", help="the planar loss on a grid (comma-separated values), in parallel",
                                 epilog="A point that cannot be solved is a row with its error; then the command "
                                        "says 'largen: K of N points failed' on stderr and exits with status 3.")
    add_model_options(sweep_)
    add_activation_option(sweep_)
    sweep_.add_argument("--dps", type=int, default=30, help="significant digits [30]")
    sweep_.add_argument("--out", metavar="FILE", type=path_argument, help="write the rows to FILE (.csv or .json)")
    sweep_.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    sweep_.add_argument("--workers", type=int, default=os.cpu_count(), help="worker processes [all cores]")
    sweep_.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786)")
    sweep_.set_defaults(run=cmd_sweep)

    duality = commands.add_parser("duality", help="the N <-> P duality on diagrams and derived expressions")
    duality.add_argument("--model", metavar="FILE", type=path_argument,
                         help="a TOML model file (default: the MRS model)")
    duality.add_argument("--order", type=int, default=2, metavar="K", help="coefficient of gamma^-K [2]")
    duality.add_argument("--convention", choices=("sum", "mean"), default="sum",
                         help="training loss summed over samples (gamma fixed) or averaged (gamma rescaled)")
    duality.add_argument("--json", action="store_true", help="print one JSON object")
    add_activation_option(duality)
    add_teacher_options(duality)
    add_limit_option(duality)
    duality.set_defaults(run=cmd_duality)

    report = commands.add_parser("report", help="the derivation as a report: LaTeX, figures and a PDF (the main job)")
    report.add_argument("--model", metavar="FILE", type=path_argument, help="a TOML model file (default: the MRS model)")
    report.add_argument("--out", metavar="DIR", type=path_argument, default="report",
                        help="the directory of report.tex, its figures and report.pdf [report]")
    report.add_argument("--spectrum", metavar="FILE", action="append", type=path_argument,
                        help="the latent spectrum of the scaling laws and the figures: eigenvalues of Lambda, one per "
                             "line, and 'power_law alpha=A M=SIZE' lines; repeated, the pieces add "
                             "(default: lambda_I = I^-2)")
    report.add_argument("--force", action="store_true", help="overwrite an existing report")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    add_activation_option(report)
    add_teacher_options(report, spectrum=True)
    report.set_defaults(run=cmd_report)

    exponents_ = commands.add_parser("exponents", help="scaling regimes, exponents and prefactors of the planar theory",
                                     description="scaling regimes, exponents and prefactors of the planar theory; "
                                                 "with --delta symbolic, piecewise in the teacher exponent delta")
    exponents_.add_argument("--model", metavar="FILE", type=path_argument,
                            help="a TOML model file (default: the MRS model)")
    exponents_.add_argument("--alpha", metavar="A", help="power-law exponent (default: a symbol)")
    exponents_.add_argument("--M", default="inf", metavar="inf|SIZE|symbolic", help="the latent size [inf]")
    exponents_.add_argument("--spectrum", metavar="FILE", type=path_argument,
                            help="take alpha and M from a spectrum file that is one power law "
                                 "(e.g. largen percolation --source measured --out FILE)")
    exponents_.add_argument("--noise", metavar="VAR|symbolic", help="label-noise variance of the training labels")
    exponents_.add_argument("--check", action="store_true",
                            help="prove each regime with the solver at points deeper and deeper inside it")
    exponents_.add_argument("--dps", type=int, default=30, help="digits of the check [30]")
    exponents_.add_argument("--latex", metavar="FILE", type=path_argument, help="write the table of regimes")
    exponents_.add_argument("--plot", metavar="FILE", type=path_argument, help="write the phase diagram (PDF or PNG)")
    exponents_.add_argument("--force", action="store_true", help="overwrite existing --latex and --plot files")
    exponents_.add_argument("--json", action="store_true", help="print one JSON object")
    add_activation_option(exponents_)
    add_teacher_options(exponents_, symbolic=True)
    exponents_.set_defaults(run=cmd_exponents)

    percolation = commands.add_parser("percolation", help="percolation clusters as data: exponents and a spectrum")
    percolation.add_argument("--lattice", required=True, choices=("bethe", "square", "cubic"))
    percolation.add_argument("--z", type=int, help="coordination of the Bethe lattice [2d]")
    percolation.add_argument("--d", type=int, help="dimension [100 for the Bethe lattice]")
    percolation.add_argument("--p", metavar="P", help="occupation probability [p_c]")
    percolation.add_argument("--clusters", type=int, default=100000, help="clusters to grow [100000]")
    percolation.add_argument("--max-clusters", type=int, default=10**6, help="refuse more clusters than this [1e6]")
    percolation.add_argument("--seed", type=int, default=0, help="seed of the random generator [0]")
    percolation.add_argument("--out", metavar="FILE", type=path_argument,
                             help="write the subtask frequencies as a spectrum file for --spectrum")
    percolation.add_argument("--source", choices=("simulation", "measured", "exact"), default="simulation",
                             help="--out lists the simulated frequencies, or writes the power law of the measured "
                                  "or the exact exponent [simulation]")
    percolation.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    percolation.add_argument("--json", action="store_true", help="print one JSON object")
    percolation.set_defaults(run=cmd_percolation)
    return parser


def compact(message):
    """An error message with long numbers shortened: 1e-300, not a 300-digit fraction.

    Examples
    --------
    >>> compact("gamma must be non-negative, got -1/" + "1" + "0" * 300)
    'gamma must be non-negative, got -1.0e-300'
    """
    return re.sub(r"-?\d{16,}(?:/\d+)?|-?\d+/\d{16,}", lambda match: short(sympy.Rational(match.group(0))), message)


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("default", LargenWarning)
            warnings.showwarning = _warning_line
            args = parser.parse_args(argv)
            result = args.run(args)
            failed = result if isinstance(result, Partial) else None
            if failed is not None:
                result = failed.result
            text = result if isinstance(result, str) else json.dumps(result, indent=2, allow_nan=False)
        print(text)
        sys.stdout.flush()
    except SystemExit as exc:  # --help and --version
        return exc.code
    except LargenError as exc:
        print(f"largen: error: {compact(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away: nothing more can be said, and the interpreter must not say it at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except KeyboardInterrupt:
        print("largen: interrupted", file=sys.stderr)
        return INTERRUPTED
    except ValueError as exc:
        if "Out of range float values are not JSON compliant" not in str(exc):
            raise
        print("largen: error: the result holds a number that is not finite", file=sys.stderr)
        return 2
    if failed is not None:
        print(f"largen: {failed.failed} of {failed.total} points failed (their rows give the errors)", file=sys.stderr)
        return SOME_POINTS_FAILED
    return 0


def _warning_line(message, category, filename, lineno, file=None, line=None):
    print(f"largen: warning: {compact(str(message))}", file=sys.stderr)

