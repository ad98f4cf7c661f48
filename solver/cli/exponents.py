"""The ``exponents`` command: scaling regimes, exponents and prefactors of the planar theory, by dominant
balance, optionally proved by the solver, as a table (``--latex``) and a phase diagram (``--plot``)."""

import math
from dataclasses import dataclass

import sympy

from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.engine.model import with_teacher
from largen.diagrams.errors import ParameterError, UsageError
from largen.diagrams.regimes.asymptotics import TEACHER_DELTA
from largen.diagrams.regimes.crossover import Cost
from largen.solver.cli.files import PLOT_FORMATS
from largen.solver.cli.options import (Command, add_activation_option, add_equivalence_option, add_force_option,
                                       add_json_option,
                                       add_model_option, add_teacher_options, model_of, path_argument)
from largen.solver.cli.solving import Partial
from largen.solver.data.kernel_spectrum import kernel_asymptotics
from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.numerics.scaling import delta_diagram, exponents, latex_table, phase_diagram, piecewise_latex
from largen.solver.numerics.spectrum import Spectrum
from largen.solver.report.figures import power_law_of

__all__ = ["COMMANDS", "Law", "law_of", "regimes_of"]


@dataclass(frozen=True)
class Law:
    """What the regimes are asked at: the spectrum's alpha (None: a symbol), the latent size (oo, the model's
    symbol or a number), the teacher's delta (None, a number or the symbol), the label noise (None, True for
    a symbol, or a number), and the spectrum file's description when a file gave them."""

    alpha: object
    latent: object
    delta: object
    noise: object
    spectrum: dict = None


def options(parser, model):
    add_model_option(parser)
    parser.add_argument("--alpha", metavar="A", help="power-law exponent (default: a symbol)")
    parser.add_argument("--M", metavar="inf|SIZE|symbolic", help="the latent size [inf]")
    parser.add_argument("--spectrum", metavar="FILE", type=path_argument,
                        help="take alpha and M from a spectrum file that is one power law "
                             "(e.g. largen percolation --source measured --out FILE)")
    parser.add_argument("--noise", metavar="VAR|symbolic", help="label-noise variance of the training labels")
    parser.add_argument("--check", action="store_true",
                        help="prove each regime with the solver at points deeper and deeper inside it")
    parser.add_argument("--dps", type=int, default=30, help="digits of the check [30]")
    parser.add_argument("--variance", action="store_true",
                        help="add the scatter of one run about the mean in each ridgeless regime (C outputs)")
    parser.add_argument("--optimal", action="store_true",
                        help="only the optima: the optimal ridge and loss in each family, the budget splits")
    parser.add_argument("--budget", metavar="linear|product:W,W", action="append", default=[],
                        help="with --optimal, also the best split of c_N N + c_P P = B (linear:c_N,c_P) or of "
                             "N**a P**b = B (product:a,b), with its prefactor")
    parser.add_argument("--latex", metavar="FILE", type=path_argument, help="write the table of regimes")
    parser.add_argument("--plot", metavar="FILE", type=path_argument,
                        help=f"write the phase diagram ({', '.join(f[1:].upper() for f in PLOT_FORMATS)})")
    add_force_option(parser, "existing --latex and --plot files")
    add_json_option(parser)
    add_activation_option(parser)
    add_equivalence_option(parser, default="kernel")
    add_teacher_options(parser, symbolic=True)


def law_of(args, model):
    """The :class:`Law` of the flags, or of the spectrum file that is one power law (its alpha, M, delta)."""
    noise = None if args.noise is None else True if args.noise.strip() == "symbolic" else \
        parse_number(args.noise, what="noise variance")
    delta = None if args.delta is None else TEACHER_DELTA if args.delta.strip() == "symbolic" else \
        parse_number(args.delta, what="delta")
    if not args.spectrum:
        alpha = None if args.alpha is None else parse_number(args.alpha, what="alpha")
        text = "inf" if args.M is None else args.M.strip()
        latent = sympy.oo if text == "inf" else model.spaces[model.latent] if text == "symbolic" else \
            parse_number(text, what="M")
        return Law(alpha, latent, delta, noise)
    for flag, given in (("--alpha", args.alpha), ("--M", args.M)):
        if given is not None:
            raise UsageError(f"give either --spectrum or {flag}, not both")
    law = power_law_of(Spectrum.from_file(args.spectrum))
    if law is None:
        raise UsageError("the scaling laws need a spectrum that is one power law "
                         "(a file with one 'power_law alpha=A M=SIZE' line)")
    if law.teacher and delta is not None:
        raise UsageError("give either --delta or a spectrum file's delta=D, not both")
    latent = sympy.oo if law.size == math.inf else sympy.Integer(law.size)
    spectrum = {"file": args.spectrum, "alpha": str(law.alpha), "M": "inf" if law.size == math.inf else str(law.size),
                "lambda_+": str(law.lam_plus), "delta": str(law.delta) if law.teacher else None}
    return Law(law.alpha, latent, law.delta if law.teacher else delta, noise, spectrum)


def regimes_of(model, law, *, check, dps, variance=False, optimal=False, costs=()):
    """The :class:`~largen.solver.numerics.scaling.Exponents` of ``model`` at ``law``: the one call of
    :func:`largen.solver.exponents`."""
    return exponents(model, alpha=law.alpha, M=law.latent, noise=law.noise, check=check, dps=dps, delta=law.delta,
                     variance=variance, optimal=optimal, costs=costs)


def costs_of(texts, model):
    """The budgets of ``--budget linear:c_N,c_P`` / ``product:a,b`` over the model's two sizes."""
    sizes = sorted((v for v in model.sizes.values() if v != model.spaces[model.latent]), key=str)
    out = []
    for text in texts:
        kind, _, weights = text.partition(":")
        weights = [w for w in weights.split(",") if w.strip()]
        if kind.strip() not in ("linear", "product") or len(weights) != len(sizes) or len(sizes) != 2:
            raise UsageError(f"--budget {text!r}: expected linear:W,W or product:W,W (one weight for each of "
                             f"{', '.join(map(str, sizes))})")
        values = [parse_number(w, what="budget weight") for w in weights]
        out.append(getattr(Cost, kind.strip())(dict(zip(sizes, values))))
    return tuple(out)


def _nonlinear_route(args, law):
    """Nonlinear features on power-law data: the kernel route's law, or the reason there is none.

    The white route's regimes (``--equivalence white``) are those of the Gaussian-equivalent model,
    which the regression follows only where the pre-activation variance concentrates; a power law's
    few leading eigenvalues carry its trace, so by default the kernel spectrum decides, and a law
    with logarithms in the spectrum is not put through the regimes' derivation.
    """
    if args.equivalence == "white" or parse_activation(args.activation).name == "linear":
        return
    alpha = law.alpha if law.alpha is not None and not law.alpha.free_symbols else 1
    found = kernel_asymptotics(args.activation, float(alpha))  # relu, erf, tanh: the reason there is no law
    raise ParameterError(f"the kernel of {found.activation} on this power law has the spectrum "
                         f"{found.as_dict()['eigenvalue_law']} (its degree-{found.top_degree} block; the teacher lives "
                         f"on the degree-{found.teacher_degree} one): the regimes of a spectrum with logarithms are not "
                         "derived, so no exponent is stated; --equivalence white gives the Gaussian-equivalent "
                         "model's regimes, which the regression follows only where the pre-activation variance "
                         "concentrates")


def run(args, outputs):
    model = args.base_model
    law = law_of(args, model)
    symbolic = law.delta == TEACHER_DELTA
    teacher = law.delta is not None and not symbolic and law.delta != 0
    if args.activation is not None and parse_activation(args.activation).name == "linear":
        model = with_teacher(model) if teacher else model  # linear features are the model itself: no mu_star
    else:
        model = model_of(args, teacher=teacher)
    if args.activation is not None:
        _nonlinear_route(args, law)
    if args.check and symbolic:
        raise UsageError("--check needs a numeric --delta")
    if args.optimal and symbolic:
        raise UsageError("--optimal needs a numeric --delta")
    if args.budget and not args.optimal:
        raise UsageError("--budget goes with --optimal")
    costs = costs_of(args.budget, model)
    if args.variance and (symbolic or law.delta or law.noise or args.activation is not None):
        raise UsageError("--variance: the scatter's laws are derived for linear features, a noiseless isotropic teacher")
    if args.plot and (law.alpha is None or law.alpha.free_symbols):
        raise ParameterError("the phase diagram needs a numeric --alpha")
    latex_path = outputs.reserve(args.latex, force=args.force) if args.latex else None
    plot_path = outputs.reserve(args.plot, force=args.force, formats=PLOT_FORMATS) if args.plot else None
    result = regimes_of(model, law, check=args.check, dps=args.dps, variance=args.variance, optimal=args.optimal,
                        costs=costs)
    if symbolic:
        if args.latex:
            outputs.write(args.latex, piecewise_latex(result.pieces))
        if plot_path:
            delta_diagram(result.pieces, plot_path, alpha=law.alpha)
    else:
        if latex_path:
            outputs.write(args.latex, latex_table(result.regimes))
        if plot_path:
            phase_diagram(result.regimes, plot_path, alpha=law.alpha, model=model, delta=law.delta)
    if args.json:
        data = result.to_json()
        text = {**({"optimal": data["optimal"]} if args.optimal else data),
                **({"spectrum": law.spectrum} if law.spectrum else {})}
    elif args.optimal:
        text = "\n".join([_heading(model, law)] + result.optimal_text())
    else:
        heading = _heading(model, law)
        if symbolic:
            marginal = ", ".join(str(m) for m in result.pieces.marginal) or "none"
            heading += f"; marginal at delta = {marginal} (a logarithm, not derived)"
        text = "\n".join([heading] + result.text())
    if result.failed:
        return Partial(text, len(result.failed), len(result.checks))
    return text


def _heading(model, law):
    teacher = "" if law.delta is None else (", teacher omega_I = I^-delta, piecewise in delta"
                                            if law.delta == TEACHER_DELTA else f", teacher omega_I = I^-{law.delta}")
    return (f"regimes of model {model.name}" + (f" at alpha = {law.alpha}" if law.alpha is not None
                                                else " (alpha symbolic)") + teacher)


COMMANDS = {
    "exponents": Command(help="scaling regimes, exponents and prefactors of the planar theory", options=options,
                         run=run, description="scaling regimes, exponents and prefactors of the planar theory; "
                                              "with --delta symbolic, piecewise in the teacher exponent delta"),
}
