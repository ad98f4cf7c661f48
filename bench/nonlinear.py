"""Nonlinear features against linear ones: the cost of a solve, in one run (figures printed, not asserted).

For each activation (relu: closed-form coefficients; tanh: quadrature) and each
precision: the time of the activation's coefficients at the point, computed
afresh (they depend on the pre-activation variance, which is the same for every
N, and are cached after); then the mean time of a certified solve of the
Gaussian-equivalent model over a few widths N with the coefficients cached,
against the mean time of the linear (MRS) solve at the same points, in the same
process. Both models are derived once before the clock starts. The target is a
solve ratio <= 2.

    python bench/nonlinear.py [--M inf] [--repeats 3]
"""

import argparse
import time
import warnings

from largen.diagrams import mrs
from largen.solver import solve
from largen.solver.numerics.activation import _coefficients, coefficients

POINT = dict(P=300, gamma="1e-3", alpha=1)
WIDTHS = (200, 400, 800)


def mean_time(repeats, **params):
    start = time.perf_counter()
    for _ in range(repeats):
        for N in WIDTHS:
            solve(N=N, **POINT, **params)
    return (time.perf_counter() - start) / (repeats * len(WIDTHS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--M", default="inf", help="latent size [inf]")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the widths [3]")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the warning that alpha = 1 stretches Gaussian equivalence: timings only
    solve(N=100, M=args.M, **POINT)  # derive both models before timing
    solve(mrs(nonlinear=True), N=100, M=args.M, mu_1=1, mu_star="0.5", **POINT)
    print(f"M = {args.M}, P = {POINT['P']}, gamma = {POINT['gamma']}, alpha = {POINT['alpha']}, N in {WIDTHS}")
    print(f"{'dps':>4} {'activation':>10} {'coefficients s':>15} {'linear s':>10} {'nonlinear s':>12} {'ratio':>6}")
    for dps in (15, 30, 60):
        linear = mean_time(args.repeats, M=args.M, dps=dps)
        for name in ("relu", "tanh"):
            _coefficients.cache_clear()
            start = time.perf_counter()
            coefficients(name, "1.6449", dps + 10)  # about sigma_u^2 tr Lambda at alpha = 1, M = inf
            fresh = time.perf_counter() - start
            solve(N=WIDTHS[0], M=args.M, dps=dps, activation=name, **POINT)  # the point's coefficients, cached
            nonlinear = mean_time(args.repeats, M=args.M, dps=dps, activation=name)
            print(f"{dps:>4} {name:>10} {fresh:>15.3f} {linear:>10.3f} {nonlinear:>12.3f} {nonlinear / linear:>6.2f}")


if __name__ == "__main__":
    main()
