"""The cost of a solve with a teacher spectrum against the isotropic solve (figures printed, not asserted).

In one run, on the same points (N = 200..209, P = 300, gamma = 1e-3, alpha = 1): the mean time per
certified solve of the MRS model with the isotropic teacher and with a power-law teacher
omega_I = I^-delta, at dps 15, 30 and 50 and M = 10^3, 10^6 and infinity. The target is a ratio
of at most 2: the teacher adds one family of weighted moments at the same pole.

    python bench/teacher.py [--delta 0.5]
"""

import argparse
import time

from solver import solve

POINT = dict(P=300, gamma="1e-3", alpha=1)
WIDTHS = range(200, 210)


def per_solve(M, dps, delta):
    extra = {} if delta is None else {"delta": delta}
    solve(N=WIDTHS[0] - 1, M=M, dps=dps, **POINT, **extra)  # the caches of this precision filled first
    start = time.perf_counter()
    for N in WIDTHS:
        solve(N=N, M=M, dps=dps, **POINT, **extra)
    return (time.perf_counter() - start) / len(WIDTHS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delta", default="0.5", help="the teacher exponent [0.5]")
    args = parser.parse_args()
    for delta in (None, args.delta):  # derive and compile both first: the timings are of solving
        solve(N=200, M=1000, dps=15, **POINT, **({} if delta is None else {"delta": delta}))
    print(f"{'M':>8} {'dps':>4} {'isotropic (s)':>14} {'delta=' + args.delta + ' (s)':>16} {'ratio':>6}")
    for M in (10**3, 10**6, "inf"):
        for dps in (15, 30, 50):
            plain, teacher = per_solve(M, dps, None), per_solve(M, dps, args.delta)
            print(f"{M!s:>8} {dps:>4} {plain:>14.4f} {teacher:>16.4f} {teacher / plain:>6.2f}")


if __name__ == "__main__":
    main()
