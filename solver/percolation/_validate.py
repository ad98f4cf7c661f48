"""Argument validators shared by the percolation modules: one clear ParameterError per bad argument.

Examples
--------
>>> integer_argument(np.int64(3), "seed", 0)
3
>>> choice_argument("site", "weighting", ("cluster", "site"))
'site'
"""

import numbers

import numpy as np

from largen.diagrams.errors import ParameterError
from largen.diagrams.engine.grammar import parse_number

__all__ = ["integer_argument", "probability_argument", "positive_argument", "choice_argument"]


def integer_argument(value, what, low):
    """``value`` as an int if it is a Python or numpy integer (not a bool) of at least ``low``.

    Examples
    --------
    >>> integer_argument(1.5, "seed", 0)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: seed must be an integer, got 1.5
    >>> integer_argument(-1, "seed", 0)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: seed must be >= 0, got -1
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ParameterError(f"{what} must be an integer, got {value!r}")
    if value < low:
        raise ParameterError(f"{what} must be >= {low}, got {value}")
    return int(value)


def probability_argument(p, what="p"):
    """An occupation probability read exactly (text, float or sympy number) and checked to lie in [0, 1].

    Examples
    --------
    >>> probability_argument("0.5"), probability_argument(1)
    (0.5, 1.0)
    >>> probability_argument(1.5)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: p must be in [0, 1], got 3/2
    """
    value = parse_number(p, what=what)
    if not (value.is_finite and 0 <= value <= 1):
        raise ParameterError(f"{what} must be in [0, 1], got {value}")
    return float(value)


def positive_argument(value, what):
    """A positive finite number (text, int, float or sympy number) as an exact sympy number.

    Examples
    --------
    >>> positive_argument("2.5", "tau")
    5/2
    >>> positive_argument(0, "D")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: D must be positive and finite, got 0
    """
    number = parse_number(value, what=what)
    if not (number.is_finite and number > 0):
        raise ParameterError(f"{what} must be positive and finite, got {number}")
    return number


def choice_argument(value, what, allowed):
    """``value`` if it is one of ``allowed``, else a ParameterError naming them.

    Examples
    --------
    >>> choice_argument("tiny", "scale", ("small", "full"))
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: scale must be 'small' or 'full', got 'tiny'
    """
    if value not in allowed:
        names = [repr(name) for name in allowed]
        listed = " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ParameterError(f"{what} must be {listed}, got {value!r}")
    return value
