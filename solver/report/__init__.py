"""The report: the derivation of a model written as a paper, with its figures, compiled.

May import: :mod:`largen.diagrams`, :mod:`largen.solver.numerics`,
:mod:`largen.solver.simulation`, :mod:`largen.solver.percolation`.
"""

from largen.solver.report.build import write_report

__all__ = ["write_report"]
