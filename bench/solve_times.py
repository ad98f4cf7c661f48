"""Solver benchmarks (figures printed, not asserted), the solver before a change against the current one.

1. Time per solve at dps 15, 30, 50 for M = 10^3, 10^6, 10^9 and infinity, for the
   solver at git revision ``--before`` (default: the commit before the solver's split;
   its packages extracted with ``git archive`` into a temporary directory) and the
   current one, in the same run on the same points, each in a process of its own.
   Each cell is the best of ``--rounds`` rounds, in the process's CPU time: the machine
   is shared, and a solve is one thread, so the time it waited for a core is not its cost.
   The garbage collector is paused while a cell is timed: a full collection walks every
   object the process holds (sympy's derivations) and lands on whichever cell triggers it.
2. The ratio, in one run, of an M = inf solve at dps 30 to a float64 solve of the same
   derived equations (``solve(..., context=mpmath.fp)``) with the spectrum truncated at
   10^5 (its 10^5 eigenvalues summed one by one).
3. The cost at M = 10^9 against M = 10^4.
4. A sweep of 10^4 points (100 widths N x 100 ridges) at dps 30 on all cores.

    python bench/solve_times.py [--points 10000] [--before cb9c13f] [--rounds 3]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mpmath
import numpy as np

from largen.solver import Spectrum, solve
from largen.solver.numerics.spectrum import Listed
from largen.solver.numerics.grid import sweep

POINT = dict(P=300, gamma="1e-3")
WIDTHS = range(200, 210)  # each figure is the mean over these N
BEFORE = "cb9c13f"  # main before the solver was split into equations / continuation / certification
ROOT = Path(__file__).resolve().parent.parent


TIMING = """
import gc, importlib, json, math, sys, time
point, widths, cells, rounds, package = json.loads(sys.argv[1])
solve = importlib.import_module(package).solve
solve(dps=15, M=1000, N=200, **point)  # derive once: the timings are of solving
times = {}
for _ in range(rounds):
    for M, dps in cells:
        solve(dps=dps, M=M, N=widths[0] - 1, **point)  # the caches of this precision filled first
        gc.collect()
        gc.disable()
        start = time.process_time()
        for N in widths:
            solve(dps=dps, M=M, N=N, **point)
        elapsed = (time.process_time() - start) / len(widths)
        gc.enable()
        times[f"{M} {dps}"] = min(times.get(f"{M} {dps}", math.inf), elapsed)
print(json.dumps({"file": sys.modules[package].__file__, "times": times}))
"""


def per_solve_in(tree, cells, rounds, package="largen.solver"):
    """Mean time per solve for each (M, dps) of ``cells``, the best of ``rounds``, by the solver of the
    source ``tree`` (its import name ``package``: revisions before the single namespace have a top-level
    ``solver``), in a fresh process (two revisions cannot share one)."""
    found = subprocess.run([sys.executable, "-c", TIMING, json.dumps([POINT, list(WIDTHS), cells, rounds, package])],
                           cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    if found.returncode:
        sys.exit(f"the solver in {tree} failed:\n{found.stderr[-3000:]}")
    result = json.loads(found.stdout.splitlines()[-1])
    assert Path(result["file"]).is_relative_to(tree), result["file"]  # the tree's solver, not the installed one
    return result["times"]


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def per_solve(M, dps):
    return timed(lambda: [solve(dps=dps, M=M, N=N, **POINT) for N in WIDTHS])[1] / len(WIDTHS)


def source_tree(revision, directory):
    """The packages of a git revision, extracted into ``directory``."""
    archive = subprocess.run(["git", "archive", revision, "diagrams", "solver"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    return Path(directory)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000, help="points of the sweep [10000]")
    parser.add_argument("--before", default=BEFORE, help=f"git revision of the solver to compare with [{BEFORE}]")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the comparison, the best one kept [3]")
    args = parser.parse_args()
    cells = [(M, d) for M in ("1000", "1000000", "1000000000", "inf") for d in (15, 30, 50)]
    with tempfile.TemporaryDirectory(prefix="largen-before-") as directory:
        old = per_solve_in(source_tree(args.before, directory), cells, args.rounds, package="solver")
    new = per_solve_in(ROOT, cells, args.rounds)
    print(f"time per solve in ms (mean over N = {WIDTHS.start}..{WIDTHS.stop - 1}, P = 300, gamma = 1e-3; "
          f"each includes the certifying second evaluation; CPU time, best of {args.rounds} rounds): "
          f"{args.before} -> current")
    print(f"{'M':>10} " + " ".join(f"{'dps ' + str(d):>17}" for d in (15, 30, 50)))
    for M in ("1000", "1000000", "1000000000", "inf"):
        cells = [f"{1e3 * old[M + ' ' + str(d)]:7.1f} -> {1e3 * new[M + ' ' + str(d)]:6.1f}" for d in (15, 30, 50)]
        print(f"{M:>10} " + " ".join(f"{c:>17}" for c in cells))
    solve(dps=15, M=1000, N=200, **POINT)
    t_inf = per_solve("inf", 30)
    truncated = Spectrum([Listed(tuple(repr(float(x)) for x in Spectrum.power_law(1, 10**5).array()))])
    solve(spectrum=truncated, N=200, context=mpmath.fp, **POINT)
    _, t_64 = timed(lambda: [solve(spectrum=truncated, N=N, context=mpmath.fp, **POINT) for N in WIDTHS])
    t_64 /= len(WIDTHS)
    print(f"M = inf at dps 30: {1e3 * t_inf:.1f} ms; float64 (context=mpmath.fp) at M = 1e5: {1e3 * t_64:.1f} ms; "
          f"ratio {t_inf / t_64:.2f} (target <= 3)")
    t_4, t_9 = per_solve(10**4, 30), per_solve(10**9, 30)
    print(f"M = 1e9 against M = 1e4 at dps 30: {1e3 * t_9:.1f} ms / {1e3 * t_4:.1f} ms = {t_9 / t_4:.2f} (target <= 2)")
    side = int(round(math.sqrt(args.points)))
    grid = {"N": [int(n) for n in np.geomspace(10, 2000, side)],
            "gamma": [f"{g:.4e}" for g in np.geomspace(1e-8, 1e-1, side)]}
    rows, t_sweep = timed(lambda: sweep(grid=grid, P=300, M="inf", dps=30, progress=False))
    failed = sum("error" in row for row in rows)
    print(f"sweep of {len(rows)} points at dps 30, M = inf, on {os.cpu_count()} cores: {t_sweep:.1f} s "
          f"({failed} points failed; target < 60 s for 10^4 points on two cores)")


if __name__ == "__main__":
    main()
