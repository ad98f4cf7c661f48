"""largen.diagrams: models, Wick contractions, ribbon graphs and their resummation, exactly.

This package knows nothing of numerics; :mod:`solver` builds on it. Its verbs:
:func:`expectation` (an observable's Gaussian expectation as a sum of ribbon
graphs), :func:`contractions` and :func:`planar_contractions` (the graphs),
:func:`planar_theory` (the Schwinger-Dyson equations and losses of a model),
:func:`finite_size_theory` (their first finite-size correction),
:func:`ridgeless` (their parametric form in the renormalised ridge),
:func:`theory_coefficients` and :func:`diagram_coefficients` (the large-ridge
series two ways), :func:`exact_expectation` and :func:`graded_coefficients`
(all genera by the cut-and-join recursion, graded by Euler characteristic),
:func:`dual_pairs`, :func:`verdicts` and :func:`symmetry`
(the N <-> P duality), :func:`derive_regimes` (scaling regimes of a power-law
spectrum).
"""

from .cutjoin import exact_expectation, graded_expectation
from .duality import dual_pairs, symmetry, verdicts
from .dyson import planar_theory
from .errors import (CostError, ExpressionError, LargenError, LargenWarning, ModelError, ParameterError,
                     SolverError, SpectrumError, UsageError)
from .expectations import expectation
from .finite_size import correction_coefficients, finite_size_theory
from .model import Gaussian, Model, Regression, deep_linear, mrs, ridge_model, with_teacher
from .modelfile import load as load_model
from .observable import parse_observable
from .parametric import ridgeless
from .planar import planar_contractions
from .regimes import derive_regimes
from .ribbon import RibbonGraph
from .series import diagram_coefficients, graded_coefficients, subleading_coefficients, theory_coefficients
from .wick import contractions

__all__ = [
    "CostError", "ExpressionError", "Gaussian", "LargenError", "LargenWarning", "Model", "ModelError",
    "ParameterError", "Regression", "RibbonGraph", "SolverError", "SpectrumError", "UsageError",
    "contractions", "correction_coefficients", "deep_linear", "derive_regimes", "diagram_coefficients",
    "dual_pairs", "exact_expectation", "expectation", "finite_size_theory", "graded_coefficients", "graded_expectation", "load_model", "mrs", "parse_observable",
    "planar_contractions", "planar_theory", "ridge_model", "ridgeless", "subleading_coefficients", "symmetry",
    "theory_coefficients", "verdicts", "with_teacher",
]
