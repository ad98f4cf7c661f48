"""The examples in every docstring of the package run as written (the package's doctests).

They are collected from the installed modules, by import name, so that each module is the one
users import (``largen.diagrams.engine.model``), never a second copy loaded from its file path.
"""

import doctest
import importlib
import pkgutil

import mpmath
import pytest

import largen


def modules():
    names = ["largen"]
    for info in pkgutil.walk_packages(largen.__path__, prefix="largen."):
        if info.name.split(".")[1] in ("diagrams", "solver"):  # not tests, notebooks, bench
            names.append(info.name)
    return sorted(names)


SLOW = {"largen.diagrams.regimes.families", "largen.diagrams.regimes.derive", "largen.diagrams.regimes.optima",
        "largen.diagrams.regimes.delta_ranges", "largen.solver.numerics.scaling",
        "largen.diagrams.theory.fluctuations", "largen.diagrams.theory.fluctuation_duality",  # tens of seconds each
        # seconds each (a report's figures, the duality's verdicts, lattices, certified solves)
        "largen.solver.report.build", "largen.diagrams.theory.duality", "largen.solver.percolation.dimensions",
        "largen.solver.numerics.certification", "largen.solver.numerics.scatter", "largen.diagrams.regimes.asymptotics",
        "largen.solver.percolation.figures", "largen.diagrams.theory.fluctuation_series",
        "largen.solver.percolation.fit", "largen.solver.percolation.laws", "largen.diagrams.regimes.scatter_laws",
        "largen.solver.numerics.solution", "largen.diagrams.theory.parametric"}


@pytest.mark.parametrize("name", [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in modules()])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        with mpmath.workdps(15):
            runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} examples of {name} failed (their output is above)"
