"""The report: the derivation of a model written as a paper, with its figures, compiled.

Its modules, each importing only those before it:

* :mod:`~largen.solver.report.document` -- equations, statements, sections and the report,
  immutable objects that the LaTeX and Unicode printers lay out;
* :mod:`~largen.solver.report.figures` -- the data of the figures (solver curves, Monte Carlo
  points, diagram classes, scaling laws), as dataclasses;
* :mod:`~largen.solver.report.plotting` -- the drawings (matplotlib);
* :mod:`~largen.solver.report.sections` -- the prose, each section a function of derived objects;
* :mod:`~largen.solver.report.build` -- the assembly, writing (all or nothing) and LuaLaTeX.

May import: :mod:`largen.diagrams`, :mod:`largen.solver.numerics`,
:mod:`largen.solver.simulation`, :mod:`largen.solver.percolation`.
"""

from largen.solver.report.build import write_report

__all__ = ["write_report"]
