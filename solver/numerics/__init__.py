"""Numerics of the derived theory: spectra and their exact moments, a bound point, the
equations compiled at it, continuation, certification, the solve, exact values of
expressions, sweeps, and the regimes checked by the solver.

May import: :mod:`largen.diagrams`.
"""

from largen.solver.numerics.grid import sweep
from largen.solver.numerics.point import Point, bind
from largen.solver.numerics.scaling import exponents
from largen.solver.numerics.solution import Solution, solve
from largen.solver.numerics.spectrum import Spectrum

__all__ = ["Point", "Solution", "Spectrum", "bind", "exponents", "solve", "sweep"]
