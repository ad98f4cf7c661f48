"""largen.diagrams: models, Wick contractions and ribbon graphs, exactly.

This package knows nothing of numerics; :mod:`solver` builds on it.
"""

from . import modelfile
from .errors import ExpressionError, LargenError, ModelError, ParameterError, SpectrumError
from .model import Gaussian, Model, Regression, deep_linear, mrs, ridge_model

load_model = modelfile.load

__all__ = [
    "ExpressionError", "Gaussian", "LargenError", "Model", "ModelError", "ParameterError",
    "Regression", "SpectrumError", "deep_linear", "load_model", "mrs", "ridge_model",
]
