"""The first finite-size correction against the exact one-crosscap coefficients: time and agreement (printed).

For MRS and two layers, the large-ridge series of the derived correction
(largen.diagrams.theory.finite_size.correction_coefficients, the loop equations iterated as
series in 1/gamma) and the exact one-crosscap part of the diagram sums
(largen.diagrams.theory.series.subleading_coefficients, by the cut-and-join recursion), each to
the top order in one run; the polynomials are compared exactly, order by order.
The planar series of the same order (theory_coefficients) is timed as the baseline.

    python bench/finite_size_series.py [mrs_order [deep2_order]]
"""

import sys
import time

import sympy

from largen.diagrams import deep_linear, mrs
from largen.diagrams.theory.finite_size import correction_coefficients
from largen.diagrams.theory.series import subleading_coefficients, theory_coefficients


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def run(model, top):
    _, planar = timed(lambda: theory_coefficients(model, top, max_diagrams=None))
    derived, t_derived = timed(lambda: correction_coefficients(model, top))
    exact, t_exact = timed(lambda: subleading_coefficients(model, top, max_diagrams=None))
    same = [sympy.expand(a - b) == 0 for a, b in zip(derived, exact)]
    print(f"model {model.name} to gamma^-{top}: correction series {t_derived:.1f} s "
          f"({t_derived / planar:.1f}x the planar series, {planar:.1f} s), exact one-crosscap part {t_exact:.1f} s")
    print("  equal at orders " + ", ".join(f"{k}: {'yes' if s else 'NO'}" for k, s in enumerate(same)))


if __name__ == "__main__":
    orders = [int(a) for a in sys.argv[1:]] + [6, 4][len(sys.argv) - 1:]
    run(mrs(), orders[0])
    run(deep_linear(2), orders[1])
