"""The ``largen`` command line.

Every command takes the model's parameters as flags (``--N 100 --P 300
--gamma 1e-3 --alpha 1 --M 800``) or as ``--set NAME=VALUE`` for any symbol of
the model, and ``--json`` for scripts. Bad input ends with one line on stderr
and exit status 2.
"""

import argparse
import json
import math
import sys

import sympy

from diagrams import load_model, mrs
from diagrams.errors import LargenError, ParameterError
from diagrams.symbols import number

from diagrams.expectation import expectation
from diagrams.observable import CovarianceTrace, parse_observable
from diagrams.planar import planar_contractions
from diagrams.tikz import caption, tikz_document
from diagrams.wick import contractions, isomorphism_classes

from .simulate import simulate
from .spectrum import Spectrum


class UsageError(LargenError):
    """The command line itself is malformed."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


# Flags that name a symbol of the model directly.
PARAMETER_FLAGS = ("N", "P", "M", "gamma")


def add_model_options(parser, *, spectrum=True):
    parser.add_argument("--model", metavar="FILE", help="a TOML model file (default: the MRS model)")
    for name in PARAMETER_FLAGS:
        parser.add_argument(f"--{name}", metavar="VALUE", help=f"value of the symbol {name}")
    parser.add_argument("--noise", metavar="VAR", help="label-noise variance sigma_eps^2 of the training labels")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                        help="value of any symbol of the model (repeatable)")
    if spectrum:
        parser.add_argument("--alpha", metavar="A", help="power-law exponent: lambda_I = I^-(1+alpha) [1]")
        parser.add_argument("--spectrum", metavar="FILE", help="eigenvalues of Lambda, one per line")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def model_of(args):
    return load_model(args.model) if args.model else mrs()


def parameters_of(args, model):
    """The symbol values the flags give, by name (as text or sympy numbers)."""
    values = {}
    for name in PARAMETER_FLAGS:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        values[name.strip()] = value.strip()
    if args.noise is not None:
        values.update(noise_parameters(model, args.noise))
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
        return Spectrum.from_file(args.spectrum)
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
    return sympy.nsimplify(value) if value.is_Rational else value


def decimal(value, digits):
    """A decimal string of ``value`` with ``digits`` significant digits."""
    if digits < 1:
        raise ParameterError(f"--dps must be at least 1, got {digits}")
    return sympy.N(value, digits).__str__()


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
