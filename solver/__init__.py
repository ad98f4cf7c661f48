"""largen.solver: numerics on top of what :mod:`diagrams` derives.

Spectra, the Monte Carlo of the actual regression, and the ``largen`` command.
"""

from .simulate import Simulation, simulate
from .spectrum import Spectrum

__all__ = ["Simulation", "Spectrum", "simulate"]
