"""Brill's percolation model of the data distribution: clusters on the Bethe lattice and on
hypercubic lattices, their critical exponents fitted with errors, the scaling laws derived
from the allocation problem, the nearest-neighbour experiment, and the spectrum of such data.

May import: :mod:`largen.diagrams`, :mod:`largen.solver.numerics`,
:mod:`largen.solver.simulation`.
"""

from largen.solver.percolation.fit import percolation_report, percolation_spectrum

__all__ = ["percolation_report", "percolation_spectrum"]
