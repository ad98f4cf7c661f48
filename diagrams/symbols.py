"""Reading text into sympy with a fixed vocabulary.

Model files, observables and ``--set NAME=VALUE`` flags are all text. They are
parsed here with an explicit namespace, so that a name such as ``N``, ``E``,
``I`` or ``S`` is never silently taken for one of sympy's own objects (the
numerical-evaluation function, Euler's number, the imaginary unit, ...).

Convention: names that begin with an upper-case letter are index-space sizes
and must be declared by the model; lower-case names are parameters.
"""

import re
from fractions import Fraction

import sympy

from .errors import LargenError

# A name not preceded by a digit (the "e" of 1e-3) or a dot (the "T" of U.T).
IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def size_symbol(name):
    """The symbol of an index space's size: a positive integer."""
    return sympy.Symbol(name, positive=True, integer=True)


def parameter_symbol(name):
    """The symbol of a scale, a ridge or a noise level: a positive real."""
    return sympy.Symbol(name, positive=True)


def is_size_name(name):
    return name[:1].isupper()


def parse(text, namespace, *, what, error=LargenError):
    """Parse ``text`` with every identifier looked up in ``namespace``.

    Parameters
    ----------
    text : str
        The expression, in sympy syntax.
    namespace : dict
        Identifier -> sympy object (symbols, matrix symbols, functions).
    what : str
        What the text is, for the error message ("variance of U", ...).
    error : type
        The exception raised when the text cannot be read.

    Examples
    --------
    >>> N = size_symbol("N")
    >>> parse("sigma**2/N", {"N": N, "sigma": parameter_symbol("sigma")}, what="variance")
    sigma**2/N
    """
    text = str(text).strip()
    if not text:
        raise error(f"{what} is empty")
    unknown = sorted(identifiers(text) - set(namespace))
    if unknown:
        raise error(f"{what}: undefined symbol {', '.join(map(repr, unknown))} in {text!r}")
    local = dict(namespace)
    try:
        return sympy.parse_expr(text, local_dict=local, global_dict=dict(_ARITHMETIC), evaluate=True)
    except LargenError:
        raise
    except Exception as exc:  # sympy reports syntax and shape errors with many types
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise error(f"{what}: cannot read {text!r} ({message})") from None


def identifiers(text):
    """The names a text uses, other than arithmetic (``sqrt``).

    Examples
    --------
    >>> sorted(identifiers("sqrt(sigma_1)**2/N1 + 1e-3*U.T"))
    ['N1', 'U', 'sigma_1']
    """
    return set(IDENTIFIER.findall(str(text))) - set(_ARITHMETIC)


def number(text, *, what, error=LargenError):
    """An exact sympy number from a decimal or fraction string; ``inf`` is ``oo``.

    Examples
    --------
    >>> number("1e-3", what="gamma")
    1/1000
    >>> number("inf", what="M")
    oo
    """
    if isinstance(text, sympy.Basic) and text.is_number:
        return text
    text = str(text).strip()
    if text.lower() in ("inf", "infinity", "oo"):
        return sympy.oo
    try:
        return sympy.Rational(Fraction(text))
    except (ValueError, ZeroDivisionError):
        raise error(f"{what}: {text!r} is not a number") from None


# Only what arithmetic on numbers needs; every name must come from a namespace.
_ARITHMETIC = {
    "Integer": sympy.Integer,
    "Float": sympy.Float,
    "Rational": sympy.Rational,
    "Symbol": sympy.Symbol,
    "sqrt": sympy.sqrt,
}
