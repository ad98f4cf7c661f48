"""The library's messages as the command line says them: keyword arguments become flags, long numbers short.

The library names what a caller of its functions can change (``force=True``,
``max_memory=BYTES``, ``solve``); the command line says the same with its
flags, through one table, :data:`FLAGS`.
"""

import re

import sympy

from largen.diagrams.derivation import derive
from largen.diagrams.errors import CostError
from largen.solver.numerics.point import short

__all__ = ["FLAGS", "for_the_command_line", "compact", "convention_of"]

# What the library says (a regular expression) -> what the command line says instead.
FLAGS = (
    (r"\bforce=True\b", "--force"),
    (r"\bmax_memory=BYTES\b", "--max-memory GIB"),
    (r"\bactivation=NAME\b", "--activation NAME"),
    (r"\(solve\)", "(largen loss)"),
    (r"\bequivalence='(\w+)'", r"--equivalence \1"),
)
_VALUE = re.compile(r"\bgive ([A-Za-z]\w*)=VALUE\b")  # the value of a model's symbol


def for_the_command_line(message, flags):
    """``message`` with the library's keyword arguments said as flags, and its long numbers short.

    Parameters
    ----------
    message : str
    flags : dict
        The flag of each symbol of the command's model (name -> flag); a symbol
        without one is set with ``--set``.

    Examples
    --------
    >>> for_the_command_line("no value for mu_1: give mu_1=VALUE (or an activation: activation=NAME)",
    ...                      {"mu_1": "--mu-1"})
    'no value for mu_1: give --mu-1 VALUE or --set mu_1=VALUE (or an activation: --activation NAME)'
    >>> for_the_command_line("x.tex exists: overwrite it with force=True", {})
    'x.tex exists: overwrite it with --force'
    """
    for pattern, flag in FLAGS:
        message = re.sub(pattern, flag, message)

    def value(match):
        name = match.group(1)
        return f"give {flags[name]} VALUE or --set {name}=VALUE" if name in flags else f"give --set {name}=VALUE"

    return compact(_VALUE.sub(value, message))


def compact(message):
    """An error message with long numbers shortened: 1e-300, not a 300-digit fraction.

    Examples
    --------
    >>> compact("gamma must be non-negative, got -1/" + "1" + "0" * 300)
    'gamma must be non-negative, got -1.0e-300'
    """
    return re.sub(r"-?\d{16,}(?:/\d+)?|-?\d+/\d{16,}", lambda match: short(sympy.Rational(match.group(0))), message)


def convention_of(model):
    """The derived convention and symmetry statement of ``model``, or why it is not derived.

    A command that solves or derives answers without the statement when the
    parametric form it rests on is refused for its cost (a :class:`CostError`).
    """
    try:
        return str(derive(model).symmetry)
    except CostError as refused:
        return f"symmetry not derived: {refused}"
