"""largen.solver: numerics on top of what :mod:`diagrams` derives.

Its verbs: :func:`bind` (a point: parameters, spectrum and normalisation),
:func:`solve` (the planar theory at any precision, every digit certified),
:func:`simulate` (the Monte Carlo of the actual regression), :func:`sweep`
(grids of solutions on any executor), :func:`exponents` (scaling regimes
checked by the solver), :func:`write_report` (the derivation as a compiled
report); :class:`Spectrum` holds the latent spectra.
"""

from diagrams.errors import SolverError

from .grid import sweep
from .montecarlo import Simulation, simulate
from .point import Point, bind
from .report import write_report
from .scaling import exponents
from .solution import Solution, solve
from .spectrum import Spectrum

__all__ = ["Point", "Simulation", "Solution", "SolverError", "Spectrum", "bind", "exponents", "simulate",
           "solve", "sweep", "write_report"]
