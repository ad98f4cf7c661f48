"""Scaling regimes of a power-law spectrum: the asymptotics of spectral sums, dominant balance
on the derived theory, the regime families, optima and budgets, and regimes piecewise in the
teacher exponent.

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.printing`,
:mod:`largen.diagrams.engine`, :mod:`largen.diagrams.theory`.
"""

from largen.diagrams.regimes.families import derive_regimes

__all__ = ["derive_regimes"]
