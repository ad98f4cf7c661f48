"""Solver benchmarks (figures printed, not asserted).

1. Time per solve at dps 15, 30, 50 for M = 10^3, 10^6, 10^9 and infinity.
2. The ratio, in one run, of an M = inf solve at dps 30 to a float64 NumPy
   solve of the same derived equations with the spectrum truncated at 10^5
   (its 10^5 eigenvalues summed one by one).
3. The cost at M = 10^9 against M = 10^4.
4. A sweep of 10^4 points (100 widths N x 100 ridges) at dps 30 on all cores.

    python bench/solve_times.py [--points 10000]
"""

import argparse
import math
import os
import time

import numpy as np

from diagrams import mrs
from solver import Spectrum
from solver.solve import _Compiled, _follow, _scaled_solve, solve
from solver.spectrum import Listed
from solver.sweep import sweep

POINT = dict(P=300, gamma="1e-3")
WIDTHS = range(200, 210)  # each figure is the mean over these N


def timed(function, repeat=1):
    start = time.perf_counter()
    for _ in range(repeat):
        result = function()
    return result, (time.perf_counter() - start) / repeat


def per_solve(M, dps):
    return timed(lambda: [solve(dps=dps, M=M, N=N, **POINT) for N in WIDTHS])[1] / len(WIDTHS)


def float64_solve(spectrum, N):
    """The same derived equations solved and evaluated in float64 with NumPy only."""
    model = mrs()
    bound = model.bind({**POINT, "N": N, "M": spectrum.size})
    compiled = _Compiled(model, bound)
    s = [-1e-30] * 4
    for _ in range(10):
        s = [min(float(x), -1e-300) for x in compiled.evaluate(s, 1e4, spectrum, "numpy")["rhs"]]
    s, _ = _follow(compiled, s, 1e4, float(bound[model.regression.ridge]), spectrum, "numpy", 1e-12)
    q = compiled.evaluate(s, float(bound[model.regression.ridge]), spectrum, "numpy")
    rates = _scaled_solve(q, s, q["d_beta"])
    return q["E_beta"][0] + sum(a * b * c for a, b, c in zip(q["E_s"], rates, s))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000, help="points of the sweep [10000]")
    points = parser.parse_args().points
    solve(dps=15, M=1000, N=200, **POINT)  # derive once: the timings below are of solving
    print(f"time per solve in ms (mean over N = {WIDTHS.start}..{WIDTHS.stop - 1}, P = 300, gamma = 1e-3; "
          "each includes the certifying second evaluation)")
    print(f"{'M':>10} " + " ".join(f"{'dps ' + str(d):>9}" for d in (15, 30, 50)))
    for M in (10**3, 10**6, 10**9, math.inf):
        print(f"{M!s:>10} " + " ".join(f"{1e3 * per_solve(M, d):9.1f}" for d in (15, 30, 50)))
    t_inf = per_solve("inf", 30)
    truncated = Spectrum([Listed(tuple(repr(float(x)) for x in Spectrum.power_law(1, 10**5).array()))])
    float64_solve(truncated, 200)
    _, t_64 = timed(lambda: [float64_solve(truncated, N) for N in WIDTHS])
    t_64 /= len(WIDTHS)
    print(f"M = inf at dps 30: {1e3 * t_inf:.1f} ms; float64 NumPy at M = 1e5: {1e3 * t_64:.1f} ms; "
          f"ratio {t_inf / t_64:.2f} (target <= 3)")
    t_4, t_9 = per_solve(10**4, 30), per_solve(10**9, 30)
    print(f"M = 1e9 against M = 1e4 at dps 30: {1e3 * t_9:.1f} ms / {1e3 * t_4:.1f} ms = {t_9 / t_4:.2f} (target <= 2)")
    side = int(round(math.sqrt(points)))
    grid = {"N": [int(n) for n in np.geomspace(10, 2000, side)],
            "gamma": [f"{g:.4e}" for g in np.geomspace(1e-8, 1e-1, side)]}
    rows, t_sweep = timed(lambda: sweep(grid=grid, P=300, M="inf", dps=30, progress=False))
    failed = sum("error" in row for row in rows)
    print(f"sweep of {len(rows)} points at dps 30, M = inf, on {os.cpu_count()} cores: {t_sweep:.1f} s "
          f"({failed} points failed; target < 60 s for 10^4 points on two cores)")


if __name__ == "__main__":
    main()
