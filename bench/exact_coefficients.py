"""Exact (all-genus) coefficients of the large-ridge series: time per order (figures printed, not asserted).

For each order k of <L> = sum_k c_k gamma^-k, the time of the cut-and-join recursion
(largen.diagrams.engine.cutjoin, a fresh memo per order) and of the baseline, full enumeration of the
Wick pairings (diagrams.expectation with planar=False), measured in the same run while
the enumeration is estimated under a minute; the two polynomials are compared exactly
where both run. Above that, the recursion alone. Last line: the whole series to the top
order with one memo, as diagram_coefficients(model, order, planar=False) computes it.

    python bench/exact_coefficients.py [mrs_order [deep2_order]]
"""

import sys
import time

import sympy

from largen.diagrams import deep_linear, expectation, mrs
from largen.diagrams.engine.cutjoin import exact_expectation
from largen.diagrams.theory.series import diagram_coefficients, loss_observable, series_cost

ENUMERATION_BUDGET = 60.0  # seconds the baseline may take for one order
SECONDS_PER_DIAGRAM = 140e-6  # of the enumeration, as calibrated in diagrams/wick.py


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def run(model, top):
    print(f"model {model.name}")
    print(f"{'k':>3} {'contractions':>14} {'recursion':>10} {'enumeration':>12} {'ratio':>8}  agree")
    previous = 0
    for k in range(top + 1):
        total = series_cost(model, k, planar=False, max_diagrams=None)
        contractions, previous = total - previous, total
        observable = loss_observable(model, k)
        fast, t_fast = timed(lambda: exact_expectation(observable, model, max_diagrams=None))
        slow = ratio = agree = "-"
        if contractions * SECONDS_PER_DIAGRAM < ENUMERATION_BUDGET:
            reference, t_slow = timed(lambda: expectation(observable, model, planar=False, max_diagrams=None))
            slow, ratio = f"{t_slow:11.3f}s", f"{t_slow / t_fast:7.1f}x"
            agree = "yes" if sympy.expand(fast - reference) == 0 else "NO"
        print(f"{k:>3} {contractions:>14} {t_fast:9.3f}s {slow:>12} {ratio:>8}  {agree}")
    _, t_series = timed(lambda: diagram_coefficients(model, top, planar=False, max_diagrams=None))
    print(f"    the series to gamma^-{top} with one memo: {t_series:.3f}s")


def main(mrs_order=7, deep_order=5):
    run(mrs(), mrs_order)
    run(deep_linear(2), deep_order)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
