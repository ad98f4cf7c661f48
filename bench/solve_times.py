"""Solver benchmarks (figures printed, not asserted).

1. Time per solve at dps 15, 30, 50 for M = 10^3, 10^6, 10^9 and infinity.
2. The ratio, in one run, of an M = inf solve at dps 30 to a float64 NumPy
   solve of the same derived equations with the spectrum truncated at 10^5.
3. The cost at M = 10^9 against M = 10^4.
4. A sweep at dps 30 on all cores, extrapolated to 10^4 points.

    python bench/solve_times.py
"""

import math
import os
import time

import numpy as np

from diagrams import mrs
from solver import Spectrum
from solver.solve import _Compiled, _follow, _scaled_solve, solve
from solver.sweep import sweep

POINT = dict(N=200, P=300, gamma="1e-3")


def timed(function, repeat=1):
    start = time.perf_counter()
    for _ in range(repeat):
        result = function()
    return result, (time.perf_counter() - start) / repeat


def float64_solve(M):
    """The same derived equations solved and evaluated in float64 with NumPy only."""
    model = mrs()
    bound = model.bind({**POINT, "M": M})
    compiled = _Compiled(model, bound)
    floats = Spectrum.power_law(1, M).array()
    s = [-1e-30] * 4
    for _ in range(40):
        s = [min(float(x), -1e-300) for x in compiled.evaluate(s, 1e4, floats, "numpy")["rhs"]]
    s, _ = _follow(compiled, s, 1e4, float(bound[model.regression.ridge]), floats, "numpy", 1e-12)
    q = compiled.evaluate(s, float(bound[model.regression.ridge]), floats, "numpy")
    rates = _scaled_solve(q, s, q["d_beta"], "numpy")
    return q["E_beta"][0] + sum(a * b * c for a, b, c in zip(q["E_s"], rates, s))


def main():
    solve(dps=15, M=1000, **POINT)  # derive once: the timings below are of solving
    print("time per solve (seconds; each includes the second, certifying evaluation)")
    print(f"{'M':>10} " + " ".join(f"{'dps ' + str(d):>9}" for d in (15, 30, 50)))
    for M in (10**3, 10**6, 10**9, math.inf):
        row = [timed(lambda: solve(dps=d, M=M, **POINT))[1] for d in (15, 30, 50)]
        print(f"{M!s:>10} " + " ".join(f"{t:9.2f}" for t in row))
    _, t_inf = timed(lambda: solve(dps=30, M="inf", **POINT))
    loss64, t_64 = timed(lambda: float64_solve(10**5), repeat=3)
    print(f"M = inf at dps 30: {t_inf:.2f} s; float64 NumPy at M = 1e5: {t_64:.3f} s; ratio {t_inf / t_64:.1f} (target <= 3)")
    _, t_4 = timed(lambda: solve(dps=30, M=10**4, **POINT))
    _, t_9 = timed(lambda: solve(dps=30, M=10**9, **POINT))
    print(f"M = 1e9 against M = 1e4 at dps 30: {t_9:.2f} s / {t_4:.2f} s = {t_9 / t_4:.2f} (target <= 2)")
    grid = {"N": list(np.unique(np.geomspace(20, 400, 10).astype(int))), "gamma": ["1e-2", "1e-4"]}
    points = len(grid["N"]) * len(grid["gamma"])
    _, t_sweep = timed(lambda: sweep(grid=grid, P=300, M=1000, dps=30, progress=False))
    print(f"sweep of {points} points at dps 30 on {os.cpu_count()} cores: {t_sweep:.1f} s, "
          f"{t_sweep / points * 1e4 / 60:.0f} minutes for 10^4 points (target < 1)")


if __name__ == "__main__":
    main()
