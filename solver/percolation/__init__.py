"""Brill's percolation model of the data distribution (Brill 2024).

What it holds, one concept per module:

* :mod:`~largen.solver.percolation.clusters` -- clusters on the Bethe lattice and in boxes of Z^d;
* :mod:`~largen.solver.percolation.forest` -- many Bethe clusters as one array forest, and its tree sweeps;
* :mod:`~largen.solver.percolation.fit` -- tau, alpha, D and p_c measured with errors;
* :mod:`~largen.solver.percolation.laws` -- the model- and data-scaling laws derived by dominant balance;
* :mod:`~largen.solver.percolation.brill` -- Brill's regressors, allocation and scans;
* :mod:`~largen.solver.percolation.experiment` -- the experiment at the paper's size, cached;
* :mod:`~largen.solver.percolation.figures` -- its figures (loss against N and P, the allocation scan);
* :mod:`~largen.solver.percolation.spectrum` -- the data as a covariance spectrum for the random-feature theory;
* :mod:`~largen.solver.percolation.dimensions` -- the exponents across lattice dimensions, both theories.

May import: :mod:`largen.diagrams`, :mod:`largen.solver.numerics`, :mod:`largen.solver.simulation`
(the numerics never import it: a spectrum of percolation data is built here).
"""

from largen.solver.percolation.experiment import FULL, SMALL, TINY, run
from largen.solver.percolation.fit import percolation_report, percolation_spectrum
from largen.solver.percolation.laws import data_scaling, model_scaling
from largen.solver.percolation.spectrum import data_spectrum, law_spectrum, subtask_spectrum

__all__ = ["percolation_report", "percolation_spectrum", "model_scaling", "data_scaling", "run", "FULL", "SMALL",
           "TINY", "data_spectrum", "law_spectrum", "subtask_spectrum"]
