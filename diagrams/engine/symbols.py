"""The symbols of a model: sizes of index spaces and parameters.

Convention: names that begin with an upper-case letter are index-space sizes
and must be declared by the model; lower-case names are parameters. Text is
read into these symbols by :mod:`largen.diagrams.engine.grammar`; :func:`parse` and
:func:`number` are its two readers, under the names the rest of the package
imports.

Examples
--------
>>> N = size_symbol("N")
>>> parse("sigma**2/N", {"N": N, "sigma": parameter_symbol("sigma")}, what="variance")
sigma**2/N
>>> number("1e-3", what="gamma")
1/1000
"""

import sympy

from largen.diagrams.errors import ExpressionError
from largen.diagrams.engine.grammar import parse_expression as parse
from largen.diagrams.engine.grammar import parse_number as number

__all__ = ["size_symbol", "parameter_symbol", "is_size_name", "parse", "number", "as_expr"]


def as_expr(value):
    """A sympy object from a sympy object or a Python number, never from text.

    sympy's own conversion evaluates a string as Python; text reaches sympy
    only through :func:`parse` and :func:`number`, and here it is refused.

    Examples
    --------
    >>> as_expr(2) + as_expr(size_symbol("N"))
    N + 2
    >>> as_expr("sqrt(2)")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: expected a number or a sympy expression, got text 'sqrt(2)' (text is read by the parser)
    """
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        what = "text" if isinstance(value, str) else type(value).__name__
        raise ExpressionError(f"expected a number or a sympy expression, got {what} {str(value)[:40]!r}"
                              " (text is read by the parser)") from None


def size_symbol(name):
    """The symbol of an index space's size: a positive integer.

    Examples
    --------
    >>> size_symbol("N").is_integer, size_symbol("N").is_positive
    (True, True)
    """
    return sympy.Symbol(name, positive=True, integer=True)


def parameter_symbol(name):
    """The symbol of a scale, a ridge or a noise level: a positive real.

    Examples
    --------
    >>> parameter_symbol("gamma").is_positive
    True
    """
    return sympy.Symbol(name, positive=True)


def is_size_name(name):
    """Whether ``name`` names a size (it begins with an upper-case letter).

    Examples
    --------
    >>> is_size_name("N1"), is_size_name("sigma_u")
    (True, False)
    """
    return name[:1].isupper()
