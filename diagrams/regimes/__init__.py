"""Scaling regimes of a power-law spectrum: the asymptotics of spectral sums (``asymptotics``), the
dominance of monomials (``dominance``), the regime families (``families``), the optimal ridge and
budgets (``optima``), the regimes piecewise in the teacher exponent (``delta_ranges``) and the scatter of
one run in the ridgeless regimes (``scatter_laws``), behind one verb (``derive``).

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.printing`,
:mod:`largen.diagrams.engine`, :mod:`largen.diagrams.theory`.
"""

from largen.diagrams.regimes.derive import derive_regimes

__all__ = ["derive_regimes"]
