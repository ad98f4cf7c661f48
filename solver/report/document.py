"""The report as a document: equations, sections and the report itself, immutable and printable.

An :class:`Equation` is a derived sympy equation and how a physicist writes it
(its terms, signs made plain, a prefactor pulled out of a spectral sum); a
:class:`Statement` is a sentence of words and inline maths; a :class:`Section`
is a title and its parts (LaTeX prose, statements, equations); a
:class:`Report` is its sections and the figures written with them. None of
them assembles text: their layout is in the ``_print_Equation``,
``_print_Statement``, ``_print_Section`` and ``_print_Report`` methods of
:class:`largen.diagrams.printing.latex.LatexPrinter` and
:class:`largen.diagrams.printing.pretty.PrettyPrinter`, so that ``latex(report)``
is the LaTeX document and ``pretty(report)`` the text for a terminal.

Examples
--------
>>> import sympy
>>> from largen.diagrams.printing.latex import latex
>>> N, n1 = sympy.symbols("N n1")
>>> eq = equation(sympy.Symbol("sigma_eps") ** 2, -(n1 - N) ** 2 / (2 * N))
>>> print(latex(eq))
\\sigma_{\\varepsilon}^{2} = - \\frac{\\left(N - n_{1}\\right)^{2}}{2 N}
>>> print(latex(Section("Noise", ("Written as", eq))))
\\section{Noise}
<BLANKLINE>
Written as
<BLANKLINE>
\\begin{fitequation}
\\sigma_{\\varepsilon}^{2} = - \\frac{\\left(N - n_{1}\\right)^{2}}{2 N}
\\end{fitequation}
"""

from dataclasses import dataclass
from pathlib import Path

import sympy

from largen.diagrams.engine.spectral import EIGENVALUE, SOURCE, spectral_sum, summand
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.printing.latex import latex
from largen.diagrams.printing.pretty import pretty

__all__ = ["Equation", "Statement", "Section", "Figure", "Report", "equation", "sum_equation", "spectral_equation",
           "plain"]


@dataclass(frozen=True)
class Equation:
    """A display equation: the derived ``expression`` (an ``Eq``) and how it is written.

    It is written ``lhs = terms``: each term is ``(negative, factors)``, its
    factors (sympy expressions: a prefactor, a spectral sum) side by side, its
    sign in front. ``caption`` says in words what it is, for a terminal.
    """

    expression: sympy.Eq
    lhs: sympy.Expr
    terms: tuple
    caption: str = ""

    @property
    def tex(self):
        """The equation in LaTeX."""
        return latex(self)

    def pretty(self):
        """The equation in Unicode, for a terminal, without trailing spaces.

        Examples
        --------
        >>> N, n1 = sympy.symbols("N n1")
        >>> print(equation(sympy.Symbol("sigma_eps") ** 2, -(n1 - N) ** 2 / (2 * N)).pretty())
                         2
           2     (N - n₁)
        σ_ε  = - ─────────
                    2⋅N
        """
        return _trimmed(pretty(self))

    def _repr_latex_(self):
        return rf"$\displaystyle {latex(self)}$"


@dataclass(frozen=True)
class Statement:
    """A sentence of running text: ``words`` are plain text (str) and inline maths (sympy objects).

    Unlike a paragraph of LaTeX prose, a statement prints in a terminal too.

    Examples
    --------
    >>> statement = Statement(("on the physical branch ", sympy.Symbol("Delta") > 0))
    >>> print(latex(statement)); print(pretty(statement))
    on the physical branch $\\Delta > 0$
    on the physical branch Δ > 0
    """

    words: tuple


@dataclass(frozen=True)
class Section:
    """A titled section: its parts, each LaTeX prose (str), a :class:`Statement` or an :class:`Equation`."""

    title: str
    parts: tuple

    @property
    def equations(self):
        """The section's display equations, in order."""
        return [part for part in self.parts if isinstance(part, Equation)]


@dataclass(frozen=True)
class Figure:
    """A figure the report wrote: its name and the files (the drawing in each format, its data)."""

    name: str
    paths: tuple


@dataclass(frozen=True)
class Report:
    """The sections of a model's report, the figures written with them, and the model's convention.

    ``convention`` (a :class:`largen.diagrams.theory.duality.Symmetry`, or None) heads the
    report in a terminal; the LaTeX document states it in its first section.
    """

    model: object
    sections: tuple
    figures: tuple = ()
    convention: object = None

    @property
    def equations(self):
        """Every display equation, in the order of the document."""
        return [e for s in self.sections for e in s.equations]

    def figure(self, name):
        """The files of the figure ``name`` (empty when it was not drawn)."""
        return next((f.paths for f in self.figures if f.name == name), ())

    @property
    def paths(self):
        """Every file of every figure."""
        return tuple(Path(p) for f in self.figures for p in f.paths)

    def __str__(self):
        return _trimmed(pretty(self))


def _trimmed(text):
    """``text`` without the spaces a picture pads its lines with."""
    return "\n".join(line.rstrip() for line in text.splitlines())


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


def sum_equation(lhs, parts, caption=""):
    """lhs = part_1 + part_2 + ..., each part written factored, in this order (parts that vanish left out).

    Examples
    --------
    >>> a, b = sympy.symbols("a b")
    >>> print(latex(sum_equation(sympy.Symbol("L"), [a / 2, 0, -b])))
    L = \\frac{a}{2} - b
    """
    parts = [p for p in parts if p != 0]
    return Equation(sympy.Eq(lhs, sympy.Add(*parts), evaluate=False), lhs, tuple(map(_term, parts)), caption)


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
        The equation at ``beta = 0``.

    Examples
    --------
    >>> from largen.diagrams import mrs, planar_theory
    >>> print(latex(spectral_equation(planar_theory(mrs()).equations[0])))
    \\Sigma_{\\theta} = \\frac{\\Sigma_{\\rho M} \\sigma_{u}^{2}}{M} \\sum_{I=1}^{M} \\frac{\\lambda_{I}}{\\Sigma_{\\mu M} \\Sigma_{\\rho M} \\lambda_{I} + 1}
    """
    rhs = eq.rhs.subs(SOURCE, 0)
    terms = sympy.Add.make_args(sympy.expand(rhs, deep=False, mul=True, power_base=False, log=False)
                                if rhs.is_Add else rhs)
    return Equation(sympy.Eq(eq.lhs, rhs, evaluate=False), eq.lhs, tuple(map(_spectral_term, terms)))
