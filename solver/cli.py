"""The ``largen`` command line.

Every command takes the model's parameters as flags (``--N 100 --P 300
--gamma 1e-3 --alpha 1 --M 800``) or as ``--set NAME=VALUE`` for any symbol of
the model, and ``--json`` for scripts. Bad input ends with one line on stderr
and exit status 2.
"""

import argparse
import json
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import mpmath
import sympy

from diagrams import load_model, mrs
from diagrams.errors import LargenError, ModelError, ParameterError
from diagrams.symbols import number

from diagrams.expectation import expectation
from diagrams.observable import CovarianceTrace, parse_observable
from diagrams.planar import planar_contractions
from diagrams.tikz import caption, tikz_document
from diagrams.wick import contractions, isomorphism_classes

from diagrams.duality import RESCALING, dual_pairs, noise_breaks_duality, parameter_map, verdicts
from diagrams.dyson import planar_theory
from diagrams.series import diagram_count, loss_observables, theory_coefficients

from .simulate import simulate
from .solution import solve
from .sweep import sweep
from .spectrum import Spectrum


CONVENTION = "training loss summed over samples (no 1/P): the planar loss is symmetric under N <-> P at fixed gamma"


class UsageError(LargenError):
    """The command line itself is malformed."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


# Flags that name a symbol of the model directly: flag -> symbol.
PARAMETER_FLAGS = {"N": "N", "P": "P", "M": "M", "gamma": "gamma", "sigma_u": "sigma_u", "sigma_w": "sigma_w"}


def add_model_options(parser, *, spectrum=True):
    parser.add_argument("--model", metavar="FILE", help="a TOML model file (default: the MRS model)")
    for flag, name in PARAMETER_FLAGS.items():
        parser.add_argument(f"--{flag.replace('_', '-')}", dest=flag, metavar="VALUE", help=f"value of the symbol {name}")
    parser.add_argument("--noise", metavar="VAR", help="label-noise variance sigma_eps^2 of the training labels")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                        help="value of any symbol of the model (repeatable)")
    if spectrum:
        parser.add_argument("--alpha", metavar="A", help="power-law exponent: lambda_I = I^-(1+alpha) [1]")
        parser.add_argument("--spectrum", metavar="FILE", action="append",
                            help="eigenvalues of Lambda, one per line, and 'power_law alpha=A M=SIZE' lines; "
                                 "repeated, the pieces add")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def model_of(args):
    return load_model(args.model) if args.model else mrs()


def parameters_of(args, model, lists=False):
    """The symbol values the flags give, by name (as text or sympy numbers).

    With ``lists``, a value with commas is a list of values (a sweep's grid).
    """
    values = {}
    for flag, name in PARAMETER_FLAGS.items():
        if getattr(args, flag) is not None:
            values[name] = getattr(args, flag)
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        values[name.strip()] = value.strip()
    if args.noise is not None:
        values.update(noise_parameters(model, args.noise))
    if lists:
        values = {k: v.split(",") if isinstance(v, str) and "," in v else v for k, v in values.items()}
        for k, v in values.items():
            for item in v if isinstance(v, list) else [v]:
                model.bind({k: item}, defaults=False)
        return values
    model.bind(values, defaults=False)
    return values


def noise_parameters(model, variance):
    """The value of the noise symbol that gives the label-noise variance ``variance``."""
    variance = number(variance, what="noise variance", error=ParameterError)
    if variance < 0:
        raise ParameterError(f"noise variance must be non-negative, got {variance}")
    expr = model.regression.noise_variance
    (symbol,) = expr.free_symbols
    roots = [root for root in sympy.solve(sympy.Eq(expr, variance), symbol) if root.is_nonnegative]
    return {symbol.name: roots[0]}


def spectrum_of(args, values, model, *, required=True):
    """The spectrum the flags give; None when none is given and none is ``required``."""
    latent = model.latent
    if not required and not args.spectrum and args.alpha is None and latent not in values:
        return None
    if args.spectrum:
        if args.alpha is not None:
            raise UsageError("give either --spectrum or --alpha, not both")
        return sum((Spectrum.from_file(path) for path in args.spectrum[1:]), Spectrum.from_file(args.spectrum[0]))
    if latent not in values:
        raise ParameterError(f"no value for {latent}: give --{latent} (or --spectrum FILE)")
    alpha = number(args.alpha if args.alpha is not None else 1, what="alpha", error=ParameterError)
    return Spectrum.power_law(alpha, values[latent])


def cmd_simulate(args):
    model = model_of(args)
    values = parameters_of(args, model)
    spectrum = spectrum_of(args, values, model)
    if args.seeds < 2:
        raise ParameterError(f"--seeds must be at least 2, got {args.seeds}")
    run = simulate(model, spectrum=spectrum, seeds=args.seeds, seed=args.seed, **values)
    if args.json:
        return run.as_dict()
    shown = ", ".join(f"{k}={v}" for k, v in run.parameters.items())
    return (f"model {model.name} ({shown}; {spectrum})\n"
            f"test loss      {run.mean:.6g} ± {run.stderr:.2g}  ({len(run.losses)} seeds)\n"
            f"training loss  {run.train_mean:.6g} ± {run.train_stderr:.2g}")


def cmd_expect(args):
    model = model_of(args)
    values = parameters_of(args, model)
    spectrum = spectrum_of(args, values, model, required=False)
    expr = expectation(args.expr, model, planar=args.planar)
    result = {"expression": sympy.sstr(expr), "planar": args.planar}
    value = evaluate(expr, model, values, spectrum)
    if value is not None:
        result["value"] = decimal(value, args.dps)
        if value.is_Rational:
            result["exact"] = str(value)
    if args.json:
        return result
    lines = [f"E[{args.expr}]{' (planar)' if args.planar else ''} =", sympy.pretty(expr)]
    if value is not None:
        lines.append(f"= {result['value']}")
    return "\n".join(lines)


def cmd_diagrams(args):
    model = model_of(args)
    classes, count = [], 0
    for coefficient, words in parse_observable(args.expr, model):
        graphs = list(planar_contractions(words, model) if args.planar else contractions(words, model))
        count += len(graphs)
        for graph, multiplicity in isomorphism_classes(graphs, words):
            classes.append((coefficient, graph, multiplicity))
    if args.tikz:
        try:
            with open(args.tikz, "w", encoding="utf-8") as handle:
                handle.write(tikz_document([(g, caption(g, m)) for _, g, m in classes]))
        except OSError as exc:
            raise UsageError(f"cannot write {args.tikz}: {exc.strerror}") from None
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


def evaluate(expr, model, values, spectrum):
    """The exact value of ``expr`` at the given parameters, or None if a symbol has no value."""
    bound = model.bind(values)
    latent = model.spaces[model.latent]
    if bound.get(latent) == sympy.oo:
        if expr.has(latent):
            raise ParameterError(f"the expression depends on {latent} itself: it has no value at {latent} = inf")
        del bound[latent]
    elif spectrum is not None and latent in expr.free_symbols | set(bound) and spectrum.size != bound.get(latent, spectrum.size):
        raise ParameterError(f"{latent} = {bound[latent]} but the spectrum has {spectrum.size} eigenvalues")
    if spectrum is not None and spectrum.size != math.inf:
        bound.setdefault(latent, sympy.Integer(spectrum.size))
    value = expr.xreplace(bound)
    if spectrum is not None:
        value = value.replace(lambda e: isinstance(e, CovarianceTrace), lambda e: spectrum.power_sum(e.args[0]))
    if value.free_symbols or value.has(CovarianceTrace):
        return None
    return value


def decimal(value, digits):
    """A decimal string of ``value`` with ``digits`` significant digits."""
    if digits < 1:
        raise ParameterError(f"--dps must be at least 1, got {digits}")
    return sympy.N(value, digits).__str__()


def cmd_derive(args):
    model = model_of(args)
    theory = planar_theory(model)
    loss, rates, ladder = theory.test_loss
    train, train_rates, train_ladder = theory.train_loss
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
    result = {"model": model.name, "convention": CONVENTION}
    result.update({k: [sympy.sstr(e) for e in v] for k, v in parts.items()})
    for key in ("Delta", "loss", "train_loss"):
        (result[key],) = result[key]
    if args.latex:
        try:
            with open(args.latex, "w", encoding="utf-8") as handle:
                handle.write(latex_document(model, parts, rate_names(rates, train_rates, theory)))
        except OSError as exc:
            raise UsageError(f"cannot write {args.latex}: {exc.strerror}") from None
        names = rate_names(rates, train_rates, theory)
        result["latex"] = {k: [sympy.latex(e, symbol_names=names) for e in v] for k, v in parts.items()}
    if args.json:
        return result
    lines = [f"Planar Schwinger-Dyson equations of model {model.name} ({CONVENTION}):"]
    lines += [f"  {e}" for e in result["equations"]]
    lines += [f"physical branch: {', '.join(result['conditions'])}", f"Delta = {result['Delta']}",
              f"test loss = {result['loss']}", "  with the ladder equations"]
    lines += [f"  {e}" for e in result["ladder"]]
    return "\n".join(lines)


def rate_names(rates, train_rates, theory):
    """LaTeX for the rates of the self-energies: d Sigma / d beta and d Sigma / d gamma."""
    names = {}
    for symbols, variable in ((rates, r"\beta"), (train_rates, r"\gamma")):
        for rate, unknown in zip(symbols, theory.unknowns):
            names[rate] = rf"\partial_{{{variable}}} {sympy.latex(unknown)}"
    return names


def latex_document(model, parts, names):
    """A LaTeX document with the derived equations and losses."""
    def block(exprs):
        rows = []
        for e in exprs:
            tex = sympy.latex(e, symbol_names=names)
            rows.append(tex.replace("=", "&=", 1) if isinstance(e, sympy.Eq) else tex)
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage[margin=1.5cm,landscape]{geometry}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        rf"\section*{{Planar theory of the model \texttt{{{model.name}}}}}",
        "Convention: " + CONVENTION.replace("<->", r"$\leftrightarrow$") +
        r". The sums run over the latent eigenvalues $\lambda_I$.",
        r"\subsection*{Schwinger--Dyson equations}", block(parts["equations"]),
        r"Physical branch: " + ", ".join(f"${sympy.latex(c)}$" for c in parts["conditions"]) + ".",
        r"\subsection*{Renormalised ridge}", block([sympy.Eq(sympy.Symbol("Delta"), parts["Delta"][0])]),
        r"\subsection*{Test loss}", block([sympy.Eq(sympy.Symbol("L"), parts["loss"][0])]),
        r"with the rates given by the ladder equations", block(parts["ladder"]),
        r"\subsection*{Training loss}", block([sympy.Eq(sympy.Symbol("L_train"), parts["train_loss"][0])]),
        r"with", block(parts["train_ladder"]),
        r"\end{document}",
        "",
    ])


def cmd_series(args):
    model = model_of(args)
    values = parameters_of(args, model)
    spectrum = spectrum_of(args, values, model, required=False)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    observables = loss_observables(model, args.order)
    resummed = theory_coefficients(model, args.order) if args.planar else None
    coefficients = []
    for k, observable in enumerate(observables):
        expr = expectation(observable, model, planar=args.planar)
        entry = {"order": k, "expression": sympy.sstr(expr), "diagrams": diagram_count(observable, model, args.planar)}
        value = evaluate(expr, model, values, spectrum)
        if value is not None:
            entry["value"] = decimal(value, args.dps)
        if resummed is not None:
            entry["resummed_agrees"] = sympy.expand(expr - resummed[k]) == 0
        coefficients.append(entry)
    if args.json:
        return {"model": model.name, "planar": args.planar, "coefficients": coefficients}
    lines = [f"<L> = sum_k c_k gamma^-k for model {model.name}{' (planar)' if args.planar else ''}:"]
    for c in coefficients:
        lines.append(f"  c_{c['order']} ({c['diagrams']} diagrams) = {c['expression']}" +
                     (f" = {c['value']}" if "value" in c else ""))
    return "\n".join(lines)


def cmd_loss(args):
    model = model_of(args)
    values = parameters_of(args, model)
    spectrum = spectrum_of(args, values, model)
    solution = solve(model, dps=args.dps, spectrum=spectrum, **values)
    result = solution.as_dict()
    result["convention"] = CONVENTION
    if args.json:
        return result
    lines = [f"model {model.name}, planar theory at {args.dps} digits ({CONVENTION})",
             f"test loss      {result['loss']}", f"training loss  {result['train_loss']}",
             f"Delta          {result['Delta']}"]
    if "normalization" in result:
        lines.append(result["normalization"])
    if solution.condition is not None:
        lines.append(f"condition number {mpmath.nstr(solution.condition, 3)} in the listed eigenvalues: exact to the "
                     f"{spectrum.digits} digits written, they support {solution.supported_digits} digits of the loss"
                     + (" (fewer than shown)" if solution.supported_digits < args.dps else ""))
    return "\n".join(lines)


def cmd_duality(args):
    model = model_of(args)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    mapping = parameter_map(model, args.convention)
    result = {"model": model.name, "convention": args.convention, "order": args.order,
              "parameter_map": {str(k): sympy.sstr(v) for k, v in mapping.items()}}
    try:
        pairs = dual_pairs(model, args.order)
    except ModelError as exc:
        pairs, result["diagram_map"] = [], str(exc)
    else:
        result["noise_breaks"] = [{"word": repr(w), "dual": repr(d)} for w, d in noise_breaks_duality(model, max(args.order, 2))]

    def describe(graph, weight, coefficient):
        return {"weight": sympy.sstr(weight), "coefficient": sympy.sstr(coefficient), "euler": graph.euler,
                "word": repr(graph.words[0]), "faces": graph.face_counts()}

    result["pairs"] = [{"diagram": {**describe(p.diagram, p.weight, p.coefficient), "multiplicity": p.multiplicity},
                        "dual": describe(p.dual, p.dual_weight, p.dual_coefficient)} for p in pairs]
    result["contractions"] = sum(p.multiplicity for p in pairs)
    found = verdicts(model, args.order)
    result["rescalings"] = {name.split(":")[0]: sympy.sstr(v) for name, v in found.items() if name.endswith(RESCALING)}
    result["verdicts"] = {name: {"invariant": remainder == 0, "remainder": sympy.sstr(remainder)}
                          for name, remainder in found.items() if not name.endswith(RESCALING)}
    if args.json:
        return result
    lines = [f"duality of model {model.name}: " + ", ".join(f"{k} -> {v}" for k, v in result["parameter_map"].items())]
    if "diagram_map" in result:
        lines.append(f"diagrams: {result['diagram_map']}")
    else:
        lines.append(f"gamma^-{args.order}: {len(pairs)} planar classes ({result['contractions']} diagrams), "
                     "each mapped to a planar diagram of the same coefficient")
    for name, verdict in result["verdicts"].items():
        lines.append(f"  {name}: " + ("invariant" if verdict["invariant"] else f"changes by {verdict['remainder']}"))
    for name, factor in result["rescalings"].items():
        lines.append(f"  {name}: the same Delta solves the exchanged problem at gamma * {factor}")
    return "\n".join(lines)


def cmd_sweep(args):
    model = model_of(args)
    values = parameters_of(args, model, lists=True)
    grid = {name: value for name, value in values.items() if isinstance(value, list)}
    fixed = {name: value for name, value in values.items() if not isinstance(value, list)}
    if model.latent in grid:
        raise UsageError(f"{model.latent} cannot be swept: run one sweep per spectrum")
    spectrum = spectrum_of(args, fixed, model)
    if args.workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {args.workers}")
    executor = ProcessPoolExecutor(max_workers=args.workers)
    try:
        rows = sweep(model, grid=grid, dps=args.dps, spectrum=spectrum, executor=executor, output=args.out, **fixed)
    finally:
        executor.shutdown()
    if args.json:
        return {"model": model.name, "rows": rows}
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return "\n".join(["  ".join(columns)] + ["  ".join(str(row.get(c, "")) for c in columns) for row in rows])


def build_parser():
    parser = Parser(prog="largen", description="Large-N diagrams and neural scaling laws.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    sim = commands.add_parser("simulate", help="Monte Carlo of the actual ridge regression")
    add_model_options(sim)
    sim.add_argument("--seeds", type=int, default=8, help="number of independent draws [8]")
    sim.add_argument("--seed", type=int, default=0, help="seed of the random generator [0]")
    sim.set_defaults(run=cmd_simulate)

    expect = commands.add_parser("expect", help="exact (or planar) expectation of traces of matrix words")
    expect.add_argument("expr", metavar="EXPR", help="e.g. 'Trace(U.T*U*X*X.T)'")
    expect.add_argument("--planar", action="store_true", help="planar (leading large-N) diagrams only")
    expect.add_argument("--dps", type=int, default=30, help="significant digits of the value [30]")
    add_model_options(expect)
    expect.set_defaults(run=cmd_expect)

    diagrams = commands.add_parser("diagrams", help="the Wick contractions of an observable, in classes")
    diagrams.add_argument("expr", metavar="EXPR")
    diagrams.add_argument("--planar", action="store_true", help="planar diagrams only")
    diagrams.add_argument("--model", metavar="FILE", help="a TOML model file (default: the MRS model)")
    diagrams.add_argument("--tikz", metavar="FILE", help="write double-line drawings (LuaLaTeX) to FILE")
    diagrams.add_argument("--json", action="store_true", help="print one JSON object")
    diagrams.set_defaults(run=cmd_diagrams)

    derive = commands.add_parser("derive", help="derive the planar self-consistent equations and the losses")
    derive.add_argument("--model", metavar="FILE", help="a TOML model file (default: the MRS model)")
    derive.add_argument("--latex", metavar="FILE", help="also write a LaTeX document of the derivation")
    derive.add_argument("--json", action="store_true", help="print one JSON object")
    derive.set_defaults(run=cmd_derive)

    series = commands.add_parser("series", help="the large-ridge series of the test loss, from diagrams")
    series.add_argument("--order", type=int, required=True, metavar="K", help="highest power of 1/gamma")
    series.add_argument("--planar", action="store_true", help="planar diagrams (checked against the resummation)")
    series.add_argument("--dps", type=int, default=30, help="significant digits of values [30]")
    add_model_options(series)
    series.set_defaults(run=cmd_series)

    loss = commands.add_parser("loss", help="the planar test loss, solved numerically")
    add_model_options(loss)
    loss.add_argument("--dps", type=int, default=30, help="significant digits [30]")
    loss.set_defaults(run=cmd_loss)

    sweep_ = commands.add_parser("sweep", help="the planar loss on a grid (comma-separated values), in parallel")
    add_model_options(sweep_)
    sweep_.add_argument("--dps", type=int, default=30, help="significant digits [30]")
    sweep_.add_argument("--out", metavar="FILE", help="write the rows to FILE (.csv or .json)")
    sweep_.add_argument("--workers", type=int, default=os.cpu_count(), help="worker processes [all cores]")
    sweep_.set_defaults(run=cmd_sweep)

    duality = commands.add_parser("duality", help="the N <-> P duality on diagrams and derived expressions")
    duality.add_argument("--model", metavar="FILE", help="a TOML model file (default: the MRS model)")
    duality.add_argument("--order", type=int, default=2, metavar="K", help="coefficient of gamma^-K [2]")
    duality.add_argument("--convention", choices=("sum", "mean"), default="sum",
                         help="training loss summed over samples (gamma fixed) or averaged (gamma rescaled)")
    duality.add_argument("--json", action="store_true", help="print one JSON object")
    duality.set_defaults(run=cmd_duality)
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        result = args.run(args)
    except LargenError as exc:
        print(f"largen: error: {exc}", file=sys.stderr)
        return 2
    if isinstance(result, str):
        print(result)
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
