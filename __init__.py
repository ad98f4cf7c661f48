"""largen: large-N Feynman diagrams for neural scaling laws.

A model is a quiver of index spaces and independent Gaussian matrices; its
observables are traces of words and ridge-regression losses. :mod:`largen.diagrams`
derives (Wick contractions, ribbon graphs, planar resummation, duality, regimes),
:mod:`largen.solver` evaluates (certified numerics, Monte Carlo, percolation data,
the report, the command line).

Examples
--------
>>> import largen
>>> model = largen.mrs()
>>> float(largen.solve(model, N=50, P=80, M=100, gamma="1e-3", dps=15).loss) > 0
True
"""

from largen.diagrams import *  # noqa: F403
from largen.diagrams import __all__ as _diagrams
from largen.solver import *  # noqa: F403
from largen.solver import __all__ as _solver

__version__ = "0.1.0"
__all__ = [*_diagrams, *_solver]
