"""The derived theory of a model: its linear pencil, the planar Schwinger-Dyson equations,
their parametric (ridgeless) form, the first finite-size correction, the large-ridge series
by resummation and by diagrams, and the N <-> P duality.

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.printing`,
:mod:`largen.diagrams.engine`.
"""

from largen.diagrams.theory.duality import dual_pairs, symmetry, verdicts
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.theory.finite_size import correction_coefficients, finite_size_theory
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.theory.series import (diagram_coefficients, graded_coefficients, subleading_coefficients,
                                            theory_coefficients)

__all__ = ["correction_coefficients", "diagram_coefficients", "dual_pairs", "finite_size_theory",
           "graded_coefficients", "planar_theory", "ridgeless", "subleading_coefficients", "symmetry",
           "theory_coefficients", "verdicts"]
