"""Unicode for what :mod:`diagrams` derives, for a terminal: sympy's pretty printer, named as a physicist writes.

:class:`PrettyPrinter` spells names by :mod:`largen.diagrams.printing.notation`, as the LaTeX
printer does: ``sigma_eps`` is σ_ε, the self-energy ``Sigma_mu_M`` of the field
mu on the space M is Σ_μM, ``n1`` is n₁, ``L_train`` is L_train; an indexed
eigenvalue is λ_I; a sum starts with a positive term where it has one. Subscripts
that Unicode has as subscript characters are written so (n₁, σᵤ), the others
after an underscore.

Examples
--------
>>> import sympy
>>> print(pretty(sympy.Symbol("sigma_eps") ** 2 + sympy.Symbol("n1") - sympy.Symbol("Sigma_mu_M")))  # doctest: +NORMALIZE_WHITESPACE
        2
n₁ + σ_ε  - Σ_μM
"""

from sympy.printing.pretty.pretty import PrettyPrinter as _SympyPrettyPrinter
from sympy.printing.pretty.pretty_symbology import greek_unicode, sub
from sympy.printing.pretty.stringpict import prettyForm
from sympy.printing.pretty.pretty_symbology import line_width

from largen.diagrams.printing.notation import positive_first, split_name

__all__ = ["PrettyPrinter", "pretty", "name_unicode"]

SETTINGS = {"use_unicode": True, "wrap_line": False}  # one equation a block: a terminal scrolls sideways


class PrettyPrinter(_SympyPrettyPrinter):
    """sympy's Unicode pretty printer with the names and the order of :mod:`largen.diagrams.printing.notation`."""

    def __init__(self, settings=None):
        super().__init__({**SETTINGS, **(settings or {})})

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        if (order or self.order) in (None, "lex"):
            terms = positive_first(terms)
        return terms

    def _print_Symbol(self, expr, bold_name=False):
        return prettyForm(name_unicode(expr.name))

    _print_Dummy = _print_Symbol

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        return prettyForm(str(base) + _subscript(["".join(str(self._print(i)) for i in expr.indices)]))

    # -- the report's document (largen.solver.report.document): dispatched by class name --------
    def _print_Equation(self, equation):
        # lhs = terms, each term's factors side by side and its sign in front
        picture = prettyForm(*self._print(equation.lhs).right(" = "))
        for i, (negative, factors) in enumerate(equation.terms):
            term = self._print(factors[0])
            for factor in factors[1:]:
                term = prettyForm(*term.right(" ", self._print(factor)))
            picture = prettyForm(*picture.right((" - " if i else "- ") if negative else (" + " if i else ""), term))
        return picture

    def _print_Statement(self, statement):
        return prettyForm("".join(w if isinstance(w, str) else self.doprint(w) for w in statement.words))

    def _print_Section(self, section):
        # a terminal shows the equations (each after its caption) and the statements; LaTeX prose is the paper's
        lines = [section.title.replace("--", "\u2013"), ""]  # the title's LaTeX en dash
        for part in section.parts:
            if isinstance(part, str):
                continue
            caption = getattr(part, "caption", "")
            lines += [f"{caption}:"] * bool(caption) + [self.doprint(part), ""]
        return _flush_left("\n".join(lines).rstrip("\n"))

    def _print_Report(self, report):
        heading = f"Planar theory of model {report.model.name}"
        if report.convention is not None:
            heading += f" ({self.doprint(report.convention)})"
        return _flush_left("\n\n".join([heading, *map(self.doprint, report.sections)]))


def _flush_left(text):
    """Lines of text as one picture, flush left (a picture would centre lines of unequal widths)."""
    lines = text.splitlines()
    width = max(map(line_width, lines), default=0)
    return prettyForm("\n".join(line + " " * (width - line_width(line)) for line in lines))


def name_unicode(name):
    """A symbol's name in Unicode: the first part the letter, the others subscripts.

    Examples
    --------
    >>> name_unicode("sigma_eps"), name_unicode("Sigma_rho_N1"), name_unicode("sigma_1"), name_unicode("lambda_+")
    ('σ_ε', 'Σ_ρN₁', 'σ₁', 'λ₊')
    >>> name_unicode("L_train"), name_unicode("sigma_u")
    ('L_train', 'σᵤ')
    """
    head, parts = split_name(name)
    words = any(kind == "word" for kind, *_ in parts)  # a word reads upright: L_train, not Lₜᵣₐᵢₙ
    return _spelled(head) + _subscript([_spelled(part) for part in parts], words)


def _subscript(parts, words=False):
    """Subscripts in subscript characters where Unicode has them all (and no word is among them), else
    after an underscore."""
    if not parts:
        return ""
    joined = "".join(parts)
    if not words and all(c in sub and sub[c] for c in joined):
        return "".join(sub[c] for c in joined)
    return "_" + joined


def _spelled(spelled):
    kind, text, *digits = spelled
    if kind == "greek":
        return greek_unicode[text]
    if kind == "numbered":
        return _spelled(text) + "".join(sub[d] for d in digits[0])
    return text


def pretty(expr, **settings):
    """Unicode of a sympy expression through :class:`PrettyPrinter`; ``settings`` as sympy's.

    Examples
    --------
    >>> import sympy
    >>> print(pretty(sympy.Symbol("Delta") * (sympy.Symbol("n1") - sympy.Symbol("P"))))
    Δ⋅(n₁ - P)
    """
    return PrettyPrinter(settings).doprint(expr)
