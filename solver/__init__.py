"""largen.solver: numerics on top of what :mod:`largen.diagrams` derives.

Its sub-packages, each importing only those before it (and :mod:`largen.diagrams`):

* :mod:`~largen.solver.numerics` -- spectra, moments, the certified solve, sweeps;
* :mod:`~largen.solver.simulation` -- the Monte Carlo of the actual regression;
* :mod:`~largen.solver.percolation` -- Brill's data model;
* :mod:`~largen.solver.report` -- the derivation as a compiled paper;
* :mod:`~largen.solver.cli` -- the command line.
"""

from largen.solver.numerics import *  # noqa: F403
from largen.solver.numerics import __all__ as _numerics
from largen.solver.report import *  # noqa: F403
from largen.solver.report import __all__ as _report
from largen.solver.simulation import *  # noqa: F403
from largen.solver.simulation import __all__ as _simulation

__all__ = [*_numerics, *_simulation, *_report]
