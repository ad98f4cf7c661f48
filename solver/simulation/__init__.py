"""The actual ridge regression, by Monte Carlo: the ground truth of the planar theory.

May import: :mod:`largen.diagrams`, :mod:`largen.solver.numerics`.
"""

from largen.solver.simulation.montecarlo import Simulation, simulate

__all__ = ["Simulation", "simulate"]
