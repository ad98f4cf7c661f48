"""Exception and warning types of largen.

Every refusal of bad input is one of these, so that the command line can turn
it into a single line on stderr and exit status 2, and a script can catch a
specific kind of mistake.
"""

__all__ = [
    "LargenError",
    "ModelError",
    "ExpressionError",
    "ParameterError",
    "SpectrumError",
    "SolverError",
    "CostError",
    "UsageError",
    "LargenWarning",
]


class LargenError(ValueError):
    """Base class: the input cannot be turned into a meaningful result."""


class ModelError(LargenError):
    """A model (quiver or model file) is malformed."""


class ExpressionError(LargenError):
    """An observable names an unknown matrix, or its shapes do not match."""


class ParameterError(LargenError):
    """A parameter is unknown to the model, missing, or out of its range."""


class SpectrumError(LargenError):
    """A covariance spectrum is unreadable, non-positive or divergent."""


class SolverError(LargenError):
    """The planar equations have no certified solution at this point.

    Raised when the numerical solution cannot be found or its digits cannot be
    certified (the fixed point does not converge, two precisions disagree).
    """


class CostError(LargenError):
    """An estimated cost exceeds a limit.

    Expensive enumerations (Wick pairings, planar sums, orders of a series)
    estimate their size before starting; past the limit they raise this, with
    the estimate in the message and the keyword or flag that raises the limit.
    """


class UsageError(LargenError):
    """The command line is malformed: a missing or contradictory option."""


class LargenWarning(UserWarning):
    """The theory or the arithmetic is stretched here.

    Issued with :func:`warnings.warn` where a careful physicist would warn: the
    planar limit far from large sizes, a Monte Carlo below its cancellation
    floor, an answer that holds only in a limit.
    """
