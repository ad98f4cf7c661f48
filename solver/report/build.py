"""The report: a model's derivation written as a theorist would put it in a paper.

:func:`build_report` assembles, from the derived objects only, the sections of the
report of a model: its quiver and conventions, its planar diagrams and how
many there are, the Schwinger-Dyson equations, the closed forms in the
renormalised ridge Delta and the effective dimensions n_k, the ridgeless
regimes and the threshold, the duality, the scaling laws and the loss
against the model size from the solver with Monte Carlo points.
:func:`write_report` writes it as ``report.tex`` with its figures and
compiles it with LuaLaTeX when LuaLaTeX is installed.

Every display equation is a :class:`Equation`: the derived sympy equation and
its LaTeX, printed by :mod:`largen.diagrams.printing.latex` from that equation (or from parts
of it, a prefactor pulled out of a spectral sum), never typed in.

Examples
--------
>>> from largen.diagrams import mrs
>>> equation = spectral_equation(planar_theory(mrs()).equations[0])
>>> print(equation.tex)
\\Sigma_{\\theta} = \\frac{\\Sigma_{\\rho M} \\sigma_{u}^{2}}{M} \\sum_{I=1}^{M} \\frac{\\lambda_{I}}{\\Sigma_{\\mu M} \\Sigma_{\\rho M} \\lambda_{I} + 1}
"""

import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from sympy.printing.pretty.stringpict import prettyForm

from largen.diagrams.theory.duality import Quantity, next_order_verdicts, parameter_map, symmetry, verdicts
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import LargenError, UsageError
from largen.diagrams.theory.finite_size import finite_size_theory
from largen.diagrams.printing.latex import LatexPrinter, escape, latex
from largen.diagrams.printing.pretty import PrettyPrinter
from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.printing.quiver import quiver_picture
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.theory.series import diagram_count, loss_observable
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.engine.spectral import DELTA, EIGENVALUE, SOURCE, TRAIN_SOURCE, dimension_order, effective_dimension, spectral_sum, summand
from largen.diagrams.printing.tikz import caption, space_colours, tikz_picture
from largen.diagrams.engine.wick import isomorphism_classes

from largen.solver.simulation.montecarlo import simulate
from largen.solver.numerics.point import normalization
from largen.solver.numerics.scaling import latex_table, phase_diagram, regimes_at
from largen.solver.numerics.solution import solve
from largen.solver.numerics.spectrum import PowerLaw, Spectrum

__all__ = ["Equation", "Section", "Report", "Written", "build_report", "write_report", "compile_pdf", "spectral_equation",
           "derivation", "derivation_text", "derivation_document", "rate_names", "described",
           "loss_curves", "plain", "equation", "LOSS", "TRAIN_LOSS"]

LOSS = sympy.Symbol("L")
TRAIN_LOSS = sympy.Symbol("L_train")
INFINITY = r"$\infty$"
DENOMINATOR = sympy.Symbol("D")  # the long denominator the closed forms share, named once

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{graphicx,booktabs,adjustbox,environ}
\usepackage{tikz-feynman}
\usetikzlibrary{arrows.meta,positioning}
\allowdisplaybreaks
% a display equation scaled down to the line width when it is wider
\NewEnviron{fitequation}{\begin{equation}\adjustbox{max width=\linewidth}{$\displaystyle\BODY$}\end{equation}}
"""


@dataclass(frozen=True)
class Equation:
    """A display equation: the derived ``expression`` (an ``Eq``) and how it is written.

    It is written ``lhs = terms``: each term is ``(negative, factors)``, its
    factors (sympy expressions: a prefactor, a spectral sum) side by side, its
    sign in front. Both printers write the same terms: :attr:`tex` in LaTeX
    (:mod:`largen.diagrams.printing.latex`), :meth:`pretty` in Unicode (:mod:`largen.diagrams.printing.pretty`).
    ``caption`` says in words what it is, for a terminal.
    """

    expression: sympy.Eq
    lhs: sympy.Expr
    terms: tuple
    caption: str = ""

    @property
    def tex(self):
        """The equation in LaTeX."""
        out = ""
        for i, (negative, factors) in enumerate(self.terms):
            out += ((" - " if i else "- ") if negative else (" + " if i else "")) + " ".join(map(latex, factors))
        return f"{latex(self.lhs)} = {out}"

    def pretty(self):
        """The equation in Unicode, for a terminal.

        Examples
        --------
        >>> N, n1 = sympy.symbols("N n1")
        >>> print(equation(sympy.Symbol("sigma_eps") ** 2, -(n1 - N) ** 2 / (2 * N)).pretty())
                         2
           2     (N - n₁)
        σ_ε  = - ─────────
                    2⋅N
        """
        printer = PrettyPrinter()
        picture = prettyForm(*printer._print(self.lhs).right(" = "))
        for i, (negative, factors) in enumerate(self.terms):
            term = printer._print(factors[0])
            for factor in factors[1:]:
                term = prettyForm(*term.right(" ", printer._print(factor)))
            sign = (" - " if i else "- ") if negative else (" + " if i else "")
            picture = prettyForm(*picture.right(sign, term))
        return "\n".join(line.rstrip() for line in str(picture).splitlines())

    def latex(self):
        return "\\begin{fitequation}\n" + self.tex + "\n\\end{fitequation}"

    def _repr_latex_(self):
        return rf"$\displaystyle {self.tex}$"


@dataclass(frozen=True)
class Section:
    """A titled section: a list of parts, each LaTeX text or an :class:`Equation`."""

    title: str
    parts: tuple

    def latex(self):
        body = [p.latex() if isinstance(p, Equation) else p for p in self.parts]
        return "\n\n".join([rf"\section{{{self.title}}}", *body])


@dataclass(frozen=True)
class Report:
    """The sections of a model's report, and the data behind its figures."""

    model: object
    sections: tuple
    figures: dict = field(default_factory=dict)

    @property
    def equations(self):
        """Every display equation, in the order of the document."""
        return [p for s in self.sections for p in s.parts if isinstance(p, Equation)]

    def latex(self):
        title = rf"\title{{Planar theory of the model \texttt{{{escape(self.model.name)}}}}}"
        body = "\n\n".join(s.latex() for s in self.sections)
        return f"{PREAMBLE}{title}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n{body}\n\n\\end{{document}}\n"


@dataclass(frozen=True)
class Written:
    """What :func:`write_report` wrote: the paths, and whether (or why not) a PDF was compiled."""

    tex: Path
    pdf: Path
    figures: tuple
    compiled: bool
    reason: str

    def as_dict(self):
        """For ``--json``: the paths as strings, ``pdf`` None when it was not compiled."""
        return {"tex": str(self.tex), "pdf": str(self.pdf) if self.compiled else None,
                "figures": [str(p) for p in self.figures], "compiled": self.compiled, "reason": self.reason}


# -- equations ---------------------------------------------------------------------------------
def plain(expr):
    r"""``expr`` with its signs made plain: ``(negative, written)``, ``written`` an unevaluated expression.

    A sum among the factors of the numerator or the denominator that reads
    better negated (``-N + n_1``) is negated, and the sign goes in front, once.

    Examples
    --------
    >>> M, N, P, n1 = sympy.symbols("M N P n1")
    >>> negative, written = plain((n1 - N) * (n1 - P) / M)
    >>> negative, print(latex(written))
    \frac{\left(N - n_{1}\right) {\left(P - n_{1}\right)}}{M}
    (False, None)
    >>> print(latex(plain(sympy.factor(N / (2 * (P - N))))[1]))
    \frac{N}{2 {\left(P - N\right)}}
    """
    negative = False
    top, bottom = [], []
    for f in sympy.Mul.make_args(as_expr(expr)):
        if f.is_Rational:
            negative ^= bool(f.is_negative)
            top += [abs(f.p)] * (abs(f.p) != 1)
            bottom += [f.q] * (f.q != 1)
            continue
        base, exponent = f.as_base_exp()
        side = bottom if exponent.is_negative else top
        exponent = -exponent if exponent.is_negative else exponent
        if base.is_Add and exponent.is_integer and base.could_extract_minus_sign():
            negative ^= bool(exponent % 2)
            base = -base
        side.append([base, exponent])
    if negative:  # a sign in front would double a minus inside: move it into a sum of odd power
        for base_exponent in (f for f in bottom + top if isinstance(f, list)):
            base, exponent = base_exponent
            if base.is_Add and exponent.is_integer and exponent % 2:
                base_exponent[0], negative = -base, False
                break

    def product(factors):
        factors = [f if isinstance(f, int) else (f[0] if f[1] == 1 else sympy.Pow(*f, evaluate=False))
                   for f in factors]
        factors = [sympy.Integer(f) if isinstance(f, int) else f for f in factors]
        return sympy.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0]

    result = product(top) if top else None
    if bottom:
        below = sympy.Pow(product(bottom), -1, evaluate=False)
        result = below if result is None else sympy.Mul(result, below, evaluate=False)
    result = sympy.Integer(1) if result is None else result
    return negative, result


def _term(expr):
    """A term of a written equation: (negative, factors), its signs made plain."""
    negative, written = plain(expr)
    return negative, (written,)


def equation(lhs, rhs, caption=""):
    """The display equation lhs = rhs, its signs made plain (:func:`plain`)."""
    return Equation(sympy.Eq(lhs, rhs, evaluate=False), lhs, (_term(rhs),), caption)


def _spectral_term(term):
    """A term c * Sum(f): the factors of f free of lambda pulled out of the sum, signs made plain.

    Returns (negative, factors).
    """
    sums = [f for f in sympy.Mul.make_args(term) if isinstance(f, sympy.Sum)]
    if len(sums) != 1:
        return _term(term)
    (total,) = sums
    function, size = summand(total)
    outside, inside = sympy.factor(sympy.cancel(function)).as_independent(EIGENVALUE, as_Add=False)
    prefactor = sympy.factor(term / total * outside)
    if inside.could_extract_minus_sign():
        prefactor, inside = -prefactor, -inside
    negative, written = plain(prefactor)
    total = spectral_sum(inside, size)
    return negative, (total,) if written == 1 else (written, total)


def spectral_equation(eq):
    """A Schwinger-Dyson equation at zero source, as a physicist writes it.

    Each spectral sum shows only what depends on the eigenvalue; the rest of
    the summand and the sum's coefficient are one prefactor in front, with the
    signs cancelled.

    Parameters
    ----------
    eq : Eq
        ``Eq(Sigma_p, rhs)`` from :func:`largen.diagrams.theory.dyson.planar_theory`.

    Returns
    -------
    Equation
        The equation at ``beta = 0`` and its LaTeX.
    """
    rhs = eq.rhs.subs(SOURCE, 0)
    terms = sympy.Add.make_args(sympy.expand(rhs, deep=False, mul=True, power_base=False, log=False)
                                if rhs.is_Add else rhs)
    return Equation(sympy.Eq(eq.lhs, rhs, evaluate=False), eq.lhs, tuple(map(_spectral_term, terms)))


def _split_noise(expr, noise):
    """``expr`` as (noiseless part, label-noise part), each factored."""
    quiet = {s: 0 for s in noise.free_symbols}
    clean = sympy.factor(expr.xreplace(quiet))
    return clean, sympy.factor(sympy.cancel(expr - clean))


def _shared_denominator(expr, least=4):
    """The longest sum (of at least ``least`` terms) among the factors of the denominator of ``expr``, or None.

    Examples
    --------
    >>> a, b, c, d = sympy.symbols("a b c d")
    >>> _shared_denominator(a / (2 * (a + b + c - d) * (a + b)))
    a + b + c - d
    """
    sums = [f for f in sympy.Mul.make_args(sympy.denom(sympy.factor(expr))) if f.is_Add and len(f.args) >= least]
    if not sums:
        return None
    longest = max(sums, key=lambda f: len(f.args))
    return -longest if longest.could_extract_minus_sign() else longest


def _at_a_physical_point(expr, model, latent=32, size=64, delta=0.1):
    """The value of ``expr`` (in Delta, the n_k and the model's symbols) at a point of the physical branch.

    The spectrum lambda_I = I**-2, I = 1..latent, at the given Delta, every other size
    ``size`` (so n_1 < latent is below every size, as on the physical branch), every
    other parameter 1.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> _at_a_physical_point(effective_dimension(1) - sympy.Symbol("N", positive=True, integer=True), mrs()) < 0
    True
    """
    values = {symbol: 1 for symbol in model.symbols.values()}
    values.update({symbol: size for symbol in model.sizes.values()})
    values[model.spaces[model.latent]] = latent
    values[DELTA] = delta
    ratios = [1 / (1 + delta * i**2) for i in range(1, latent + 1)]  # lambda/(lambda + Delta)
    for symbol in expr.free_symbols:
        order = dimension_order(symbol)
        if symbol not in values and order is not None and not order[1]:
            values[symbol] = sum(r ** order[0] for r in ratios)
    return float(expr.xreplace(values))


def _abbreviate(expr, short):
    """``expr`` with the shared denominator written as its name (``short``: value -> name)."""
    for value, name in short.items():
        expr = expr.xreplace({value: name, -value: -name})
    return expr


def _sum_equation(lhs, parts, caption=""):
    """lhs = part_1 + part_2 + ..., each part printed as factored, in this order."""
    parts = [p for p in parts if p != 0]
    return Equation(sympy.Eq(lhs, sympy.Add(*parts), evaluate=False), lhs, tuple(map(_term, parts)), caption)


# -- sections ----------------------------------------------------------------------------------
def _convention(model):
    """The derived convention and symmetry statement of ``model``, as text that breaks across lines."""
    def exchange(sizes):
        a, b = sizes
        return rf"${latex(a)} \leftrightarrow {latex(b)}$"

    return symmetry(model)._statement(exchange, lambda e: f"${latex(e)}$", escape,
                                      lambda a, b: rf"${latex(a)} \cdot {latex(b)}$")


def _inline(expr):
    """``expr`` as inline math in running text (a short fraction as a/b)."""
    return f"${latex(expr, fold_short_frac=True)}$"


def _model_section(model):
    r = model.regression
    theory = planar_theory(model)
    chain = " ".join(latex(sympy.Symbol(name)) for name in reversed(r.features))
    features = rf"$\phi = {chain}\, x$"
    if r.equivalent is not None:  # nonlinear features, by their Gaussian equivalent
        e = r.equivalent
        features = (rf"$\phi = s({chain}\, x)$, which in the planar limit acts like "
                    rf"$\mu_0 + {latex(e.linear)}\, {chain}\, x + {latex(sympy.Symbol(e.matrix))}$ "
                    rf"(Gaussian equivalence; the test point has its own ${latex(sympy.Symbol(e.matrix))}$, "
                    r"and the rank-one $\mu_0$ changes no planar quantity)")
    matrices = ", ".join(f"${latex(sympy.Symbol(name))}$" for name in model.matrices)
    variances = "; ".join(
        rf"${latex(sympy.Symbol(m.name))}$ is ${latex(model.spaces[m.rows])} \times {latex(model.spaces[m.cols])}$ "
        rf"with entry variance ${latex(m.variance)}$" for m in model.matrices.values())
    latent = model.spaces[model.latent]
    covariance = latex(sympy.Symbol(model.covariance(model.latent)))
    return Section("The model", (
        r"\begin{figure}[h]\centering" + "\n" + quiver_picture(model) + "\n"
        + r"\caption{The quiver of the model: index spaces (nodes) and independent Gaussian matrices (arrows).}"
        + "\n" + r"\end{figure}",
        rf"Data $x \sim \mathcal{{N}}(0, {covariance})$ in $\mathbb{{R}}^{{{latex(latent)}}}$, "
        rf"${covariance} = \mathrm{{diag}}(\lambda_1, \dots, \lambda_{{{latex(latent)}}})$; "
        rf"features {features}; {variances}. "
        rf"The teacher $y = w x$ has entries of variance ${latex(r.teacher_variance)}$"
        + (_teacher_sentence(model) if model.teacher(model.latent) else "") + "; "
        rf"the training labels carry noise of variance ${latex(r.noise_variance)}$. "
        rf"Ridge ${latex(r.ridge)}$.",
        rf"Convention: {_convention(model)}. "
        rf"The test loss is per output component, against the noiseless teacher; "
        rf"$\langle L \rangle$ averages over {matrices}, the teacher $w$ and the label noise. "
        f"At {normalization(model, _inline, INFINITY)}.",
        r"The planar theory has one self-energy per field of the regression's Gaussian pencil: "
        + ", ".join(rf"${latex(s)}$ on ${latex(model.spaces[f.space])}$"
                    for s, f in zip(theory.unknowns, theory.pencil.fields)) + ".",
    ))


def _teacher_sentence(model):
    """The teacher covariance, read off the model."""
    omega = latex(sympy.Symbol(model.teacher(model.latent)))
    return (rf" times $\omega_I$, its covariance ${omega} = \mathrm{{diag}}(\omega_1, \dots)$ in the latent "
            r"basis (the spectrum gives the $\omega_I$)")


def _diagram_section(model, draw_orders, count_orders):
    rows = []
    for k in range(count_orders + 1):
        observable = loss_observable(model, k)
        rows.append(rf"{k} & {diagram_count(observable, model)} & {diagram_count(observable, model, planar=False)} \\")
    table = "\n".join([r"\begin{table}[h]\centering", r"\begin{tabular}{rrr}", r"\toprule",
                       r"order $k$ & planar & all genera \\", r"\midrule", *rows, r"\bottomrule", r"\end{tabular}",
                       rf"\caption{{Wick contractions of the coefficient of ${latex(model.regression.ridge)}^{{-k}}$ "
                       r"of the test loss, counted by the engine.}", r"\label{tab:counts}", r"\end{table}"])
    parts = [rf"The test loss is a series in $1/{latex(model.regression.ridge)}$ whose coefficients are "
             r"polynomials in traces of the model's matrices; Wick's theorem turns each trace into ribbon graphs. "
             r"Table~\ref{tab:counts} counts them; the planar ones of the first orders are drawn below "
             r"(double lines coloured by index space: "
             + ", ".join(rf"\textcolor{{{c}}}{{${latex(model.spaces[space])}$}}" for space, c in space_colours(model).items())
             + r"; dots are covariance insertions"
             + (r", open circles teacher-covariance insertions" if model.teacher(model.latent) else "") + ").",
             table]
    for k in range(draw_orders + 1):
        pictures = []
        for coefficient, words in parse_observable(loss_observable(model, k), model).terms:
            graphs = planar_contractions(words, model)
            for graph, multiplicity in isomorphism_classes(graphs, words):
                pictures.append(r"\adjustbox{max width=0.45\linewidth}{" + tikz_picture(
                    graph, rf"${latex(coefficient)}$ \quad " + caption(graph, multiplicity)) + "}")
        parts.append(rf"\paragraph{{Order $k = {k}$.}} "
                     + f"Planar diagrams up to the symmetries of their traces: {len(pictures)}.\n\n"
                     + "\n\\hfill\n".join(pictures))
    return Section("The diagrams", tuple(parts))


def _dyson_section(model):
    theory = planar_theory(model)
    latent = model.spaces[model.latent]
    parts = [rf"Summing the planar (rainbow) diagrams of the resolvent closes into one equation per "
             rf"self-energy; the traces over the latent space are sums over its eigenvalues $\lambda_I$, "
             rf"$I = 1, \dots, {latex(latent)}$:"]
    parts += [spectral_equation(eq) for eq in theory.equations]
    parts.append(r"on the physical branch " + ", ".join(f"${latex(c)}$" for c in theory.conditions)
                 + r". The latent propagator has a single pole at $\lambda = -\Delta$, the renormalised ridge:")
    parts.append(equation(DELTA, theory.renormalized_ridge, "the renormalised ridge, the pole of the latent propagator"))
    return Section("Schwinger--Dyson equations", tuple(parts))


def _closed_section(model):
    limit = ridgeless(model)
    from largen.diagrams.regimes.families import parametric_losses  # the training loss in Delta and n_k is derived there

    train = parametric_losses(model).train_loss
    latent = model.spaces[model.latent]
    noise = model.regression.noise_variance
    found = set().union(limit.gamma.free_symbols, limit.loss.free_symbols, train.free_symbols)
    ks = sorted(order[0] for order in map(dimension_order, found) if order is not None and not order[1])
    x = EIGENVALUE / (EIGENVALUE + DELTA)
    parts = [r"Trading one self-energy for $\Delta$, every spectral sum becomes a combination of the "
             r"effective dimensions"]
    parts += [equation(effective_dimension(k), spectral_sum(x**k, latent), "an effective dimension") for k in ks]
    parts.append(r"and the equations are solved by")
    parts += [equation(s, v, "solved in Δ and the n_k") for s, v in limit.solution.items()]
    parts.append(r"with the ridge an explicit function of $\Delta$ (the ridge equation):")
    parts.append(equation(model.regression.ridge, limit.gamma, "the ridge equation"))
    clean, noisy = _split_noise(limit.loss, noise)
    denominator = _shared_denominator(clean)
    if denominator is not None and _at_a_physical_point(denominator, model) < 0:
        denominator = -denominator  # D > 0 on the physical branch, as a physicist would write it
    short = {denominator: DENOMINATOR} if denominator is not None else {}
    parts.append(r"The test loss, noiseless part and label-noise term:")
    parts.append(_sum_equation(LOSS, [_abbreviate(clean, short), _abbreviate(noisy, short)],
                               "the test loss: noiseless part + label-noise term"))
    clean, noisy = _split_noise(train, noise)
    parts.append(r"The training loss:")
    parts.append(_sum_equation(TRAIN_LOSS, [_abbreviate(clean, short), _abbreviate(noisy, short)],
                               "the training loss: noiseless part + label-noise term"))
    if short:
        parts.append(r"with the denominator they share")
        parts.append(equation(DENOMINATOR, denominator, "the denominator the losses share"))
    return Section("Closed forms", tuple(parts)), limit, short


def _ridgeless_section(limit, short):
    n1 = effective_dimension(1)
    ridge = limit.model.regression.ridge
    parts = [rf"The ridgeless limit ${latex(ridge)} \to 0$ is a zero of the ridge equation in ${latex(n1)}$; "
             rf"on the physical branch the smallest root is reached. One regime per root:"]
    for regime in limit.regimes:
        parts.append(rf"\paragraph{{${latex(n1)} \to {latex(regime.n1)}$}} when ${latex(regime.condition)}$:")
        parts.append(equation(LOSS, _abbreviate(regime.loss, short)))
    try:
        gamma, coefficients = limit.near_threshold()
    except LargenError as error:
        parts.append(rf"No threshold: {escape(error)}.")
        return Section("Ridgeless regimes and the threshold", tuple(parts))
    a, b = limit.regimes[0].n1, limit.regimes[1].n1
    # the distance of n_1 from the threshold: the one symbol of gamma's expansion the theory does not have
    known = set(limit.model.symbols.values()) | set(limit.gamma.free_symbols)
    (distance,) = gamma.free_symbols - known
    parts.append(rf"\paragraph{{Threshold.}} Where the regimes ${latex(n1)} \to {latex(a)}$ and "
                 rf"${latex(n1)} \to {latex(b)}$ meet (${latex(a)} = {latex(b)}$), with "
                 rf"${latex(n1)} = {latex(a)} - {latex(distance)}$, to leading order in ${latex(distance)}$:")
    parts.append(equation(ridge, gamma))
    parts.append(_sum_equation(LOSS, [_abbreviate(c, short) * distance**p for p, c in coefficients.items()]))
    coefficient, power = gamma.as_coeff_exponent(distance)
    if power == 2:
        parts.append(r"so that the distance to the threshold grows like the square root of the ridge:")
        parts.append(equation(distance**2, sympy.factor(ridge / coefficient)))
    return Section("Ridgeless regimes and the threshold", tuple(parts))


def _duality_section(model, order, short):
    mapping = parameter_map(model)
    found = verdicts(model, order)
    statement = symmetry(model)
    parts = [rf"Convention: {_convention(model)}.",
             r"The map of the parameters tried (training loss summed over the samples): "
             + ", ".join(rf"${latex(k)} \mapsto {latex(v)}$" for k, v in mapping.items())
             + r"; with a per-sample mean training loss it is "
             + ", ".join(rf"${latex(k)} \mapsto {latex(v)}$" for k, v in parameter_map(model, "mean").items())
             + "."]
    rows = []
    for v in found:
        a, b = v.sizes
        verdict = "invariant" if v.invariant else "fails"
        if v.rescaling is not None:
            verdict += rf", invariant at ${latex(model.regression.ridge)} \cdot {latex(v.rescaling)}$"
        rows.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ & ${v.quantity_latex(LatexPrinter())}$ & {verdict} \\")
    parts.append("\n".join([r"\begin{center}", r"\begin{tabular}{lll}", r"\toprule",
                            r"exchange & quantity & verdict \\", r"\midrule", *rows, r"\bottomrule",
                            r"\end{tabular}", r"\end{center}"]))
    failed = [v for v in found if not v.invariant and v.kind is not Quantity.SERIES]
    if failed:
        parts.append(r"Where an exchange fails, the quantity minus its image:")
    for v in failed:
        a, b = v.sizes
        parts.append(rf"\paragraph{{${latex(a)} \leftrightarrow {latex(b)}$, {escape(v.quantity)}.}}")
        name = model.regression.ridge if v.kind is Quantity.RIDGE_EQUATION else LOSS
        image = sympy.Symbol(f"{name.name}_dual")
        parts.append(equation(sympy.Add(name, -image, evaluate=False), _abbreviate(v.remainder, short)))
    if not statement.exchanges:
        parts.append(rf"Hence no exchange of sizes is a duality of this model at fixed "
                     rf"${latex(model.regression.ridge)}$.")
    for (a, b), variance in statement.broken_by_test_xi:
        parts.append(rf"Under ${latex(a)} \leftrightarrow {latex(b)}$ the ridge equation is invariant and the test "
                     rf"loss fails only through the test point's own equivalent noise, of variance ${latex(variance)}$, "
                     r"independent of every training sample's: without it the loss is invariant.")
    return Section("Duality", tuple(parts))


def _finite_size_section(model, order):
    theory = finite_size_theory(model)
    found = next_order_verdicts(model, order)
    parts = [r"Gaussian integration by parts on $\langle Q_G R\rangle$ for a real block $A$ (coupling $c$, "
             r"entry variance $v$) between the fields $p$ and $q$ gives the planar rainbow and a twisted "
             r"contraction without a free index loop, one power of the size smaller. To that order, "
             r"$(Q_0 - \Sigma)\langle R\rangle = 1 + T$ with $T_{pk} = c^2 v\, w_p\, "
             r"\langle (R\, 1_q R)_{pk}\rangle = -c^2 v\, w_p\, \partial G_{pk}/\partial t_q$, where $t_q$ "
             r"shifts the diagonal of the field $q$ ($w_p = \lambda$ on the dressed side) and the rates "
             r"$\Sigma_{s\, t\, q} = \partial \Sigma_s/\partial t_q$ solve the planar ladder equations. "
             r"With $\langle R\rangle = G + \delta G$, $\delta G = G\, \delta\Sigma\, G + G\, T$, and the "
             r"corrections $\Sigma_{1\, p} = \delta\Sigma_p$ of the self-energies solve"]
    parts += [spectral_equation(eq) for eq in theory.equations]
    r = model.regression
    parts.append(rf"The corrections of the losses follow from $\delta E = \tfrac{{1}}{{2}} {latex(r.teacher_variance)} "
                 r"\operatorname{tr} \delta G_{\mu} + \tfrac{1}{2} " + latex(r.noise_variance)
                 + r" \operatorname{tr} \delta G_{\nu}$ by the same sources as the planar ones. Their large-ridge "
                 r"series equals, coefficient by coefficient, the one-crosscap part of the exact diagram sums. A "
                 r"complex matrix has no twisted contraction: its first correction is of genus one, relative "
                 r"order $1/\text{size}^2$.")
    rows = []
    for v in found:
        a, b = v.sizes
        verdict = "invariant" if v.invariant else "sum invariant" if v.remainder == 0 else "fails"
        rows.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ & ${v.quantity_latex(LatexPrinter())}$ & {verdict} \\")
    if r.equivalent is not None:
        parts.append(rf"The features of this model are nonlinear, replaced by their Gaussian equivalent (the linear part "
                     rf"${latex(r.equivalent.linear)}$ and the independent matrix ${latex(sympy.Symbol(r.equivalent.matrix))}$): these "
                     r"are the corrections of that equivalent model. For the nonlinear features themselves the rank-one "
                     r"mean of the activation and the non-Gaussian part of the features enter at the same order, and "
                     r"they are not derived.")
    diagrams = any(v.kind is Quantity.CROSSCAP_DIAGRAMS for v in found)
    parts.append(rf"The duality at next order, on the derived correction's coefficients of "
                 rf"$1/{latex(model.regression.ridge)}^k$, $k \le {order}$"
                 + (r", and on the one-crosscap diagrams paired one by one:" if diagrams else ":"))
    parts.append("\n".join([r"\begin{center}", r"\begin{tabular}{lll}", r"\toprule",
                            r"exchange & quantity & verdict \\", r"\midrule", *rows, r"\bottomrule",
                            r"\end{tabular}", r"\end{center}"]))
    failed = {}
    for v in found:
        if not v.invariant and v.remainder != 0:
            failed.setdefault((v.sizes, v.kind), v)
    for v in found:
        if not v.invariant and v.remainder == 0:
            parts.append(rf"For the ${v.quantity_latex(LatexPrinter())}$: {escape(v.cause)}, whose words' duals are no "
                         r"words of the coefficient; their sum is invariant.")
    for v in failed.values():
        a, b = v.sizes
        parts.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ fails first for the ${v.quantity_latex(LatexPrinter())}$.")
    return Section("The first finite-size correction", tuple(parts))


def described(spectrum):
    """A spectrum in words: its pieces.

    Examples
    --------
    >>> described(Spectrum.power_law(1, math.inf) + Spectrum.power_law("0.5", 3))
    'power law alpha = 1, M = inf + power law alpha = 1/2, M = 3'
    """
    return " + ".join(map(str, spectrum.pieces))


def _power_law(spectrum):
    """The one power law ``spectrum`` is made of, or None."""
    pieces = spectrum.pieces
    return pieces[0] if len(pieces) == 1 and isinstance(pieces[0], PowerLaw) else None


def _scaling_section(model, out, spectrum, grid):
    law = _power_law(spectrum)
    latent = model.spaces[model.latent]
    if law is None:
        return Section("Scaling laws", (
            rf"The spectrum of this report ({escape(described(spectrum))}) is not one power law: the scaling regimes are "
            rf"derived from the asymptotics of the spectral sums of $\lambda_I = \lambda_{{+}} I^{{-(1 + \alpha)}}$, "
            r"so their exponents do not apply to it. Give a spectrum file with one "
            r"\texttt{power\_law alpha=A M=SIZE} line (for percolation data, \texttt{largen percolation "
            r"--source measured}) for this section.",)), []
    size = sympy.oo if law.size == math.inf else sympy.Integer(law.size)
    parts = [rf"For the power-law spectrum $\lambda_I = \lambda_{{+}} I^{{-(1 + \alpha)}}$ with "
             rf"$\alpha = {latex(law.alpha)}$, $\lambda_{{+}} = {latex(law.lam_plus)}$ and "
             rf"${latex(latent)} = {latex(size)}$"
             + (rf", and the teacher's $\omega_I = I^{{-\delta}}$ with $\delta = {latex(law.delta)}$" if law.teacher
                else "") + r", the regimes of the planar loss by dominant balance (conditions, leading loss, exponents):"]
    try:
        regimes = regimes_at(model, alpha=law.alpha, latent=size, delta=law.delta if law.teacher else None)
        parts.append(r"\begin{center}\adjustbox{max width=\linewidth}{" + latex_table(regimes) + r"}\end{center}")
    except (LargenError, NotImplementedError) as error:
        return Section("Scaling laws", (rf"The regimes of this model are not derived: {escape(error)}.",)), []
    try:
        paths = [phase_diagram(regimes, str(out / "phase_diagram.pdf"), alpha=law.alpha, model=model, grid=grid,
                               spectrum=Spectrum([law]))]
    except LargenError as error:
        parts.append(rf"No phase diagram: {escape(error)}.")
        return Section("Scaling laws", tuple(parts)), []
    size_tex, samples = latex(_axis(model)[0]), latex(model.spaces[model.samples])
    parts.append(r"\begin{figure}[h]\centering\includegraphics[width=0.7\linewidth]{phase_diagram.pdf}"
                 rf"\caption{{The regimes at fixed ${size_tex} {samples}$: the measured local slope "
                 rf"$d \log L / d \log {latex(model.regression.ridge)}$.}}\end{{figure}}")
    return Section("Scaling laws", tuple(parts)), paths


# -- figures -----------------------------------------------------------------------------------
def _axis(model):
    """The size plotted along the x axis (the last feature width) and the other widths."""
    last = model.spaces[model.feature_spaces[-1]]
    others = [model.spaces[s] for s in model.feature_spaces[1:-1]]
    return last, others


def loss_curves(model=None, *, P=(50, 100, 200), gammas=(1e-6, 1e-3, 1e-1), fixed_P=100, fixed_gamma=1e-3,
                widths=None, M=400, alpha=1, spectrum=None, points=16, mc_points=5, seeds=4, dps=15,
                activation=None, delta=0):
    """The data of the loss-against-size figure: the solver's curves and Monte Carlo points.

    Parameters
    ----------
    model : Model, optional
        MRS by default; the x axis is the last feature width, other widths fixed (``widths``,
        default twice ``fixed_P``).
    P, gammas : tuples
        The sample sizes (at ``fixed_gamma``) and ridges (at ``fixed_P``) of the two panels.
    M, alpha : number
        The power-law spectrum lambda_I = I^-(1+alpha), I = 1..M (finite, for the Monte Carlo).
    spectrum : Spectrum, optional
        Another spectrum instead (an infinite one has no Monte Carlo points).
    delta : number
        With the power law, the teacher's omega_I = I^-delta (0: the isotropic teacher).
    points, mc_points, seeds : int
        Solver points per curve, Monte Carlo points per curve (0: none) and seeds per point.
    activation : str, optional
        Nonlinear features (:func:`solver.solve`); the Monte Carlo uses the activation itself.

    Returns
    -------
    dict
        ``axis`` (the size's name), ``spectrum`` (its description), ``M`` (its size, "inf" if
        infinite), ``alpha`` (None with ``spectrum``), ``curves``: a list of ``{"panel", "label",
        "params", "x", "loss", "mc": [[x, mean, stderr], ...]}``.

    Examples
    --------
    >>> data = loss_curves(P=(50,), gammas=(0.1,), points=2, mc_points=0)
    >>> data["axis"], [(c["panel"], c["x"]) for c in data["curves"]]
    ('N', [('gamma', [10, 400]), ('P', [10, 400])])
    """
    model = model or mrs()
    last, others = _axis(model)
    samples = model.spaces[model.samples]
    ridge = model.regression.ridge
    fixed = {str(s): widths or 2 * fixed_P for s in others}
    lo, hi = 10, 4 * max(max(P), fixed_P)
    xs = sorted({round(lo * (hi / lo) ** (i / (points - 1))) for i in range(points)})
    law = Spectrum.power_law(alpha, M, delta=delta) if spectrum is None else None
    latent = str(model.spaces[model.latent])
    source = {latent: M, "alpha": alpha} if law is not None and not law.teacher else {"spectrum": spectrum or law}
    size = M if spectrum is None else spectrum.size
    if size == math.inf:  # the Monte Carlo needs a finite spectrum
        mc_points = 0
    mc_xs = sorted({round(lo * (hi / lo) ** ((i + 0.5) / mc_points)) for i in range(mc_points)}) if mc_points else []
    curves = []
    for panel, values in (("gamma", [(fixed_P, g) for g in gammas]), ("P", [(p, fixed_gamma) for p in P])):
        for p, g in values:
            params = {str(samples): p, str(ridge): g, **fixed}
            loss = [float(solve(model, dps=dps, activation=activation, **source, **params, **{str(last): x}).loss)
                    for x in xs]
            mc = []
            for x in mc_xs:
                run = simulate(model, seeds=seeds, activation=activation, **source, **params, **{str(last): x})
                mc.append([x, run.mean, run.stderr])
            label = rf"${latex(ridge)} = {_tex_number(g)}$" if panel == "gamma" else rf"${latex(samples)} = {p}$"
            curves.append({"panel": panel, "label": label, "params": params, "x": xs, "loss": loss, "mc": mc})
    shown = described(law if spectrum is None else spectrum)
    return {"axis": str(last), "spectrum": shown, "M": "inf" if size == math.inf else size,
            "alpha": alpha if spectrum is None else None, "curves": curves}


def _tex_number(value):
    exponent = math.floor(math.log10(value))
    return rf"10^{{{exponent}}}" if value == 10.0**exponent else f"{value:g}"


def _plot(data, model, paths):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    axis_tex = latex(sympy.Symbol(data["axis"]))
    for ax, panel in zip(axes, ("gamma", "P")):
        for i, curve in enumerate(c for c in data["curves"] if c["panel"] == panel):
            colour = f"C{i}"
            ax.loglog(curve["x"], curve["loss"], "-", color=colour, label=curve["label"])
            if curve["mc"]:
                x, mean, err = zip(*curve["mc"])
                ax.errorbar(x, mean, yerr=err, fmt="o", ms=4, capsize=2, color=colour)
        ax.set_xlabel(f"${axis_tex}$")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(r"test loss $L$")
    fig.suptitle(f"model {model.name}: {data['spectrum']}", fontsize=10)
    fig.tight_layout()
    for path in paths:
        fig.savefig(path)
    plt.close(fig)


def _figure_section(data, model):
    samples = latex(model.spaces[model.samples])
    ridge = latex(model.regression.ridge)
    axis = latex(sympy.Symbol(data["axis"]))
    points = r"points the Monte Carlo of the regression with standard errors"
    if not any(c["mc"] for c in data["curves"]):
        points = "no Monte Carlo points" + (" (it needs a finite spectrum)" if data["M"] == "inf" else "")
    return Section("The loss against the model size", (
        r"\begin{figure}[h]\centering\includegraphics[width=\linewidth]{loss_vs_size.pdf}"
        rf"\caption{{The test loss against ${axis}$ for the spectrum: {escape(data['spectrum'])}. Lines are the "
        rf"planar theory (the solver), {points}. Left: several ${ridge}$ (double descent at "
        rf"${axis} = {samples}$ and its regularisation); right: several ${samples}$.}}\end{{figure}}",
    ))


# -- assembly ----------------------------------------------------------------------------------
def derivation(model):
    """The derivation of ``model`` as the report writes it: its Schwinger-Dyson and closed-form sections.

    Returns
    -------
    (Section, Section), Ridgeless, dict
        The two sections, the parametric solution, and the abbreviation of the
        denominator the losses share (value -> name; empty when there is none).
    """
    closed, limit, short = _closed_section(model)
    return (_dyson_section(model), closed), limit, short


def derivation_text(model):
    """The equations of :func:`derivation` in Unicode, for a terminal (``largen derive``).

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> print(derivation_text(mrs()).splitlines()[0])  # doctest: +ELLIPSIS
    Planar theory of model mrs (training loss summed over the P samples (no 1/P): ...)
    """
    sections, _, _ = derivation(model)
    theory = planar_theory(model)
    printer = PrettyPrinter()
    lines = [f"Planar theory of model {model.name} ({symmetry(model)})"]
    for section in sections:
        lines += ["", section.title.replace("--", "\u2013"), ""]  # the title's LaTeX en dash
        for part in section.parts:
            if isinstance(part, Equation):
                lines += [f"{part.caption}:"] * bool(part.caption) + [part.pretty(), ""]
        if section is sections[0]:
            lines.append("on the physical branch " + ", ".join(map(printer.doprint, theory.conditions)))
    return "\n".join(lines).rstrip() + "\n"


def derivation_document(model):
    """The equations of :func:`derivation` as a LaTeX document (``largen derive --latex``).

    Examples
    --------
    >>> from largen.diagrams.engine.model import ridge_model
    >>> model = ridge_model(r"x}\\input{/etc/hostname}\\texttt{", [("U", "N", "sigma_u**2/M")])
    >>> text = derivation_document(model)
    >>> r"\\input{/etc" in text, r"\\texttt{x\\}\\textbackslash{}input" in text
    (False, True)
    """
    sections, _, _ = derivation(model)
    convention = Section("The model", (rf"Convention: {_convention(model)}.",))
    return Report(model, (convention, *sections)).latex()


def rate_names(theory):
    """LaTeX for the rates of the self-energies in the sources of the two losses: d Sigma / d beta.

    Examples
    --------
    >>> theory = planar_theory(mrs())
    >>> rate_names(theory)[theory.test_loss[1][0]]
    '\\\\partial_{\\\\beta} \\\\Sigma_{\\\\theta}'
    """
    names = {}
    for (_, rates, _), source in ((theory.test_loss, SOURCE), (theory.train_loss, TRAIN_SOURCE)):
        for rate, unknown in zip(rates, theory.unknowns):
            names[rate] = rf"\partial_{{{latex(source)}}} {latex(unknown)}"
    return names


def build_report(model=None, *, out=None, spectrum=None, draw_orders=2, count_orders=4, duality_order=2, curves=None,
                 scaling=True, phase_grid=8, delta=None):
    """Assemble the report of ``model`` (MRS by default) from the derived objects.

    Parameters
    ----------
    model : Model, optional
    out : Path, optional
        Where figures are written; without it the report has no figures.
    draw_orders, count_orders : int
        The orders of 1/gamma whose planar diagrams are drawn, and counted.
    duality_order : int
        The last large-ridge coefficient compared by the duality's verdicts.
    spectrum : Spectrum, optional
        The latent spectrum of the scaling laws and the figures. The scaling laws
        need one power law (another spectrum: the section says why there are
        none). By default lambda_I = I^-2: at M = inf for the scaling laws, at the
        finite M of :func:`loss_curves` for the figures (the Monte Carlo needs one).
    curves : dict, optional
        Keyword arguments of :func:`loss_curves`.
    scaling : bool
        Whether to include the scaling-law section (it runs the solver on a grid).
    phase_grid : int
        Points per axis of the phase diagram.
    delta : number, optional
        Without a spectrum: a teacher covariance omega_I = I^-delta, for the figures and the
        scaling laws. A teacher (this, or a spectrum that weighs it) gives the model its
        covariance (:func:`largen.diagrams.engine.model.with_teacher`).

    Returns
    -------
    Report

    Examples
    --------
    >>> [section.title for section in build_report().sections]  # doctest: +NORMALIZE_WHITESPACE
    ['The model', 'The diagrams', 'Schwinger--Dyson equations', 'Closed forms',
     'Ridgeless regimes and the threshold', 'Duality', 'The first finite-size correction']
    """
    model = model or mrs()
    if delta is not None and spectrum is not None:
        raise UsageError("give either a spectrum or delta, not both (a file's power_law lines take delta=D)")
    if delta is not None or (spectrum is not None and spectrum.teacher):
        model = with_teacher(model)
    (dyson, closed), limit, short = derivation(model)
    sections = [_model_section(model), _diagram_section(model, draw_orders, count_orders), dyson,
                closed, _ridgeless_section(limit, short), _duality_section(model, duality_order, short),
                _finite_size_section(model, duality_order + 1)]
    figures = {}
    if out is not None and scaling:
        law = spectrum or Spectrum.power_law(1, math.inf, delta=delta or 0)
        section, paths = _scaling_section(model, out, law, phase_grid)
        sections.append(section)
        figures["phase_diagram"] = paths
    if out is not None:
        data = loss_curves(model, **{**(curves or {}), **({"spectrum": spectrum} if spectrum else {}),
                                     **({"delta": delta} if delta is not None else {})})
        paths = [out / "loss_vs_size.pdf", out / "loss_vs_size.png"]
        _plot(data, model, paths)
        (out / "loss_vs_size.json").write_text(json.dumps(data, indent=1))
        figures["loss_vs_size"] = paths + [out / "loss_vs_size.json"]
        sections.append(_figure_section(data, model))
    return Report(model, tuple(sections), figures)


def write_report(model=None, out="report", *, compile=True, **options):
    """Write ``out/report.tex`` with its figures, and compile it to ``out/report.pdf`` with LuaLaTeX.

    Parameters
    ----------
    model : Model, optional
        MRS by default.
    out : str or Path
        The directory (created if missing).
    compile : bool
        Run ``lualatex`` (skipped, with the reason, when it is not installed).
    **options
        Passed to :func:`build_report`.

    Returns
    -------
    Written

    Raises
    ------
    UsageError
        If ``out`` cannot be made a directory and written to (before any work is done).

    Examples
    --------
    >>> write_report(out="/dev/null/report")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.UsageError: cannot write the report in /dev/null/report: Not a directory
    """
    out = Path(out)
    try:  # before the work: a directory that cannot be written is refused at once
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot write the report in {out}: {error.strerror}") from None
    if not os.access(out, os.W_OK):
        raise UsageError(f"cannot write the report in {out}: permission denied")
    built = build_report(model, out=out, **options)
    tex = out / "report.tex"
    tex.write_text(built.latex(), encoding="utf-8")
    figures = tuple(p for paths in built.figures.values() for p in map(Path, paths))
    if not compile:
        return Written(tex, out / "report.pdf", figures, False, "compilation not asked for")
    compiled, reason = compile_pdf(tex)
    return Written(tex, out / "report.pdf", figures, compiled, reason)


def compile_pdf(tex):
    """Compile ``tex`` with LuaLaTeX in its directory: ``(compiled, reason)``, the reason in one line.

    Without LuaLaTeX nothing is run and the reason says how to compile later.

    Examples
    --------
    >>> compile_pdf("no/such/report.tex")[0]
    False
    """
    tex = Path(tex)
    if shutil.which("lualatex") is None:
        return False, f"lualatex not found: compile with `cd {tex.parent} && lualatex {tex.name}`"
    if not tex.exists():
        return False, f"{tex} does not exist"
    for _ in range(2):  # the second run resolves the references
        run = subprocess.run(["lualatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                             cwd=tex.parent, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
            log = tex.with_suffix(".log")
            return False, f"lualatex failed ({errors[0] if errors else 'no error line'}); see {log}"
    return True, ""
