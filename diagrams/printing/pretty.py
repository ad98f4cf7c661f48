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
