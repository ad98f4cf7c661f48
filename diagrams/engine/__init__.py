"""The symbolic engine: models as quivers of Gaussian matrices, observables, Wick's theorem,
ribbon graphs, planar sums and the exact all-genus cut-and-join recursion.

Text becomes sympy only through :mod:`~largen.diagrams.engine.grammar`.

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.printing`.
"""

from largen.diagrams.engine.cutjoin import exact_expectation, graded_expectation
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.engine.model import Gaussian, Model, Regression, deep_linear, mrs, ridge_model, with_teacher
from largen.diagrams.engine.modelfile import load as load_model
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.engine.ribbon import RibbonGraph
from largen.diagrams.engine.wick import contractions

__all__ = ["Gaussian", "Model", "Regression", "RibbonGraph", "contractions", "deep_linear", "exact_expectation",
           "expectation", "graded_expectation", "load_model", "mrs", "parse_observable", "planar_contractions",
           "ridge_model", "with_teacher"]
