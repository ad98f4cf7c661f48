"""The kernel route against actual nonlinear features, and what its spectra cost (figures printed, not asserted).

1. Power-law Gaussian data (lambda_I = I^-2, M = 400, sigma_u = 2), ReLU: the actual features' Monte Carlo
   against the white route and the kernel route at the issue's points.
2. The local N-slope of the actual ReLU loss at P = 4000, M = 2000, gamma = 1e-4 against the kernel route's.
3. Digits: linear features (sigma_u = 1) and ReLU features (kernel route) against the regression on the
   empirical distribution, the loss against the labels.
4. Costs: the kernel spectrum of digits (the Gram matrix of 1797 points), and a power-law Gaussian kernel
   spectrum at M = 1000 (Hermite blocks), in seconds on this machine as it is loaded.

    python bench/kernel.py [--quick]
"""

import argparse
import math
import time
import warnings

import numpy as np

from largen.solver import simulate, solve
from largen.solver.data import digits, kernel_spectrum

POWER_LAW = dict(M=400, sigma_u=2)
POINTS = [(200, 100, "0.01"), (100, 400, "1e-3"), (50, 200, "1e-2")]
SLOPE = dict(P=4000, M=2000, gamma="1e-4", sigma_u=2)
WIDTHS = (25, 50, 100, 200, 400)
DIGIT_POINTS = [(20, 100, "1e-3"), (40, 200, "1e-2"), (60, 60, "1e-2"), (64, 500, "1e-3")]
RELU_DIGIT_POINTS = DIGIT_POINTS + [(200, 500, "1e-3"), (400, 1000, "1e-4")]


def routes(seeds):
    print("1. lambda_I = I^-2, M = 400, sigma_u = 2, ReLU: actual / theory")
    print(f"{'N':>5} {'P':>5} {'gamma':>6} {'actual':>11} {'+-':>9} {'white':>11} {'ratio':>6} {'kernel':>11} "
          f"{'ratio':>6} {'listing':>8} {'s':>5}")
    for N, P, gamma in POINTS:
        run = simulate(N=N, P=P, gamma=gamma, activation="relu", seeds=seeds, seed=1, test_points=2048, **POWER_LAW)
        white = float(solve(N=N, P=P, gamma=gamma, activation="relu", dps=10, **POWER_LAW).loss)
        start = time.perf_counter()
        kernel = solve(N=N, P=P, gamma=gamma, activation="relu", equivalence="kernel", dps=10, **POWER_LAW)
        took = time.perf_counter() - start
        print(f"{N:>5} {P:>5} {gamma:>6} {run.mean:>11.4e} {run.stderr:>9.1e} {white:>11.4e} {run.mean / white:>6.3f} "
              f"{float(kernel.loss):>11.4e} {run.mean / float(kernel.loss):>6.3f} "
              f"{float(kernel.equivalence_error):>8.1e} {took:>5.1f}")


def slope(seeds):
    print("\n2. the local N-slope at alpha = 1, P = 4000, M = 2000, gamma = 1e-4, sigma_u = 2, ReLU")
    actual, theory = [], []
    print(f"{'N':>5} {'actual':>11} {'+-':>9} {'kernel':>11} {'listing':>8} {'ratio':>6}")
    for N in WIDTHS:
        run = simulate(N=N, activation="relu", seeds=seeds, seed=7, test_points=2048, **SLOPE)
        kernel = solve(N=N, activation="relu", equivalence="kernel", dps=8, **SLOPE)
        actual.append(run.mean)
        theory.append(float(kernel.loss))
        print(f"{N:>5} {run.mean:>11.4e} {run.stderr:>9.1e} {theory[-1]:>11.4e} "
              f"{float(kernel.equivalence_error):>8.1e} {run.mean / theory[-1]:>6.3f}")
    x = np.log(WIDTHS)
    for name, y in (("actual", actual), ("kernel", theory)):
        fitted = np.polyfit(x, np.log(y), 1)[0]
        local = np.diff(np.log(y)) / np.diff(x)
        print(f"{name:>7}: least-squares slope {fitted:.3f}; local slopes " + " ".join(f"{v:.3f}" for v in local))


def digit_tables(seeds):
    data = digits()
    print("\n3. digits, linear features (sigma_u = 1): loss per output against the labels (and the linear teacher)")
    print(f"{'N':>5} {'P':>5} {'gamma':>6} {'actual':>10} {'+-':>8} {'theory':>10} {'ratio':>6} {'teacher':>10} "
          f"{'theory':>10} {'ratio':>6}")
    for N, P, gamma in DIGIT_POINTS:
        run = simulate(data=data, N=N, P=P, gamma=gamma, seeds=seeds, seed=2)
        theory = solve(data=data, N=N, P=P, gamma=gamma, dps=10)
        target = float(theory.target_loss)
        print(f"{N:>5} {P:>5} {gamma:>6} {run.mean:>10.4e} {run.stderr:>8.1e} {target:>10.4e} {run.mean / target:>6.3f} "
              f"{run.teacher_mean:>10.4e} {float(theory.loss):>10.4e} {run.teacher_mean / float(theory.loss):>6.3f}")
    print("   digits, ReLU features (sigma_u = 1): against the labels, white and kernel routes")
    print(f"{'N':>5} {'P':>5} {'gamma':>6} {'actual':>10} {'+-':>8} {'white':>10} {'ratio':>6} {'kernel':>10} {'ratio':>6}")
    for N, P, gamma in RELU_DIGIT_POINTS:
        run = simulate(data=data, N=N, P=P, gamma=gamma, activation="relu", seeds=seeds, seed=2)
        white = float(solve(data=data, N=N, P=P, gamma=gamma, activation="relu", dps=10).target_loss)
        kernel = float(solve(data=data, N=N, P=P, gamma=gamma, activation="relu", equivalence="kernel",
                             dps=10).target_loss)
        print(f"{N:>5} {P:>5} {gamma:>6} {run.mean:>10.4e} {run.stderr:>8.1e} {white:>10.4e} {run.mean / white:>6.3f} "
              f"{kernel:>10.4e} {run.mean / kernel:>6.3f}")


def costs():
    print("\n4. costs (seconds, on this machine as loaded)")
    data = digits()
    start = time.perf_counter()
    found = kernel_spectrum("relu", data=data, entry_variance=1 / 64)
    print(f"   digits, ReLU kernel spectrum ({found.method}): {time.perf_counter() - start:.2f} s")
    lam = np.arange(1, 1001, dtype=float) ** -2
    for cutoff in (1e-9, 1e-10):
        start = time.perf_counter()
        found = kernel_spectrum("relu", lam, entry_variance=4 / 1000, teacher=lam / 1000, cutoff=cutoff, max_degree=8)
        print(f"   power law M = 1000, ReLU, cutoff {cutoff:g}: {found.size} eigenvalues in {found.blocks} blocks "
              f"(largest {found.largest_block}), white {found.white / found.trace:.2e} of the trace: "
              f"{time.perf_counter() - start:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, and no slope (about a minute)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the white route's warning at alpha = 1: the table shows what it means
    seeds = 4 if args.quick else 10
    routes(seeds)
    if not args.quick:
        slope(4)
    digit_tables(10 if args.quick else 40)
    costs()


if __name__ == "__main__":
    main()
