"""The ``fit`` command: the model's parameters fitted to measured learning curves (a CSV file), beside the
free power law plus constant that has no N <-> P structure, and optionally the data against the fitted theory."""

import math

import sympy

from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import UsageError
from largen.solver.cli.files import PLOT_FORMATS
from largen.solver.cli.options import (Command, add_force_option, add_json_option, add_parameter_options,
                                       add_spectrum_options, model_of, parameters_of, path_argument, spectrum_of)
from largen.solver.numerics.fit import fit, read_curves
from largen.solver.report.plotting import plot_fit

__all__ = ["COMMANDS"]


def options(parser, model):
    parser.add_argument("curves", metavar="CURVES.csv", type=path_argument,
                        help="a header naming the points' symbols (N, P, gamma, ...), 'loss' and optionally "
                             "'loss_error' (its standard error), then a row per measured point")
    parser.add_argument("--params", required=True, metavar="NAME,NAME",
                        help="the parameters to fit: symbols of the model that are not sizes (sigma_w, "
                             "sigma_eps, ...) and, without --spectrum, the power law's alpha, delta, lam_plus")
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    parser.add_argument("--plot", metavar="FILE", type=path_argument,
                        help=f"draw the data against the fitted theory and power law ({', '.join(PLOT_FORMATS)})")
    add_force_option(parser, "an existing --plot file")
    add_json_option(parser)


def _float(name, value):
    number = parse_number(value, what=name) if isinstance(value, str) else as_expr(value)
    return math.inf if number == sympy.oo else float(number)


def run(args, outputs):
    model = model_of(args)
    held = {name: _float(name, value) for name, value in parameters_of(args, model).items()}
    names = [name.strip() for name in args.params.split(",")]
    if "" in names:
        raise UsageError(f"--params expects NAME,NAME, got {args.params!r}")
    plot = outputs.reserve(args.plot, force=args.force, formats=PLOT_FORMATS) if args.plot else None
    curves = read_curves(args.curves, model)
    found = fit(curves, model, params=names, spectrum=spectrum_of(args), **held)
    if plot:
        plot_fit(curves, found, plot)
    result = _finite({"points": len(curves["loss"]), **found.as_dict(), **({"plot": args.plot} if plot else {})})
    if args.json:
        return result
    law = found.power_law
    lines = [f"model {model.name} fitted to {result['points']} points of {args.curves} "
             f"(weighted by {found.weighting.value})"]
    lines += [_estimate(name, estimate) for name, estimate in found.parameters.items()]
    lines.append(f"  chi2 = {found.chi2:.4g} for {found.dof} degrees of freedom"
                 + (f" (relative scatter {found.scatter:.2g})" if found.scatter is not None else ""))
    lines.append("free power law plus constant, L = C + A N^-a + B P^-b (no N <-> P structure):")
    lines += [_estimate(name, estimate) for name, estimate in law.parameters.items()]
    lines.append(f"  chi2 = {law.chi2:.4g} for {law.dof} degrees of freedom (same weights)")
    if plot:
        lines.append(f"drew {args.plot}")
    return "\n".join(lines)


def _estimate(name, estimate):
    if math.isfinite(estimate.error):
        return f"  {name:10} {estimate.value:.6g} ± {estimate.error:.2g}"
    return f"  {name:10} {estimate.value:.6g} (error undetermined: the fit's covariance is singular there)"


def _finite(data):
    """JSON values with an undetermined (infinite) error as null."""
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


COMMANDS = {
    "fit": Command(help="fit the model's parameters to measured learning curves (CSV), beside a free power law",
                   options=options, run=run),
}
