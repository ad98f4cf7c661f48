"""Exception types of largen.

Every refusal of bad input is one of these, so that the command line can turn
it into a single line on stderr and exit status 2, and a script can catch a
specific kind of mistake.
"""


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
