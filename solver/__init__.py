"""largen.solver: numerics on top of what :mod:`diagrams` derives.

Spectra and their moments, the Monte Carlo of the actual regression, the
high-precision solution of the derived equations (``solver.solve``), grids
of solutions (``solver.sweep``), and the ``largen`` command.
"""

from diagrams.errors import SolverError

from .simulate import Simulation, simulate
from .solution import Solution, solve
from .spectrum import Spectrum
from .sweep import sweep

__all__ = ["Simulation", "Solution", "SolverError", "Spectrum", "simulate", "solve", "sweep"]
