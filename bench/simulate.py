"""Time one Monte Carlo draw of the MRS model at M = 1000, and at M = 100000 where no M x M
matrix is formed (figures printed, not asserted).

    python bench/simulate.py
"""

import time

from largen.solver import simulate


def main():
    for N, P in [(250, 500), (500, 500), (1000, 500)]:
        simulate(N=N, P=P, M=1000, gamma=1e-3, seeds=2)  # warm-up: BLAS threads, imports
        start = time.perf_counter()
        run = simulate(N=N, P=P, M=1000, gamma=1e-3, seeds=4)
        per_draw = (time.perf_counter() - start) / 4
        print(f"M=1000 N={N:5d} P={P}: {per_draw * 1e3:7.1f} ms per draw   (loss {run.mean:.4e} ± {run.stderr:.1e})")
    start = time.perf_counter()
    run = simulate(N=10, P=10, M=100000, gamma=0.1, seeds=4)
    per_draw = (time.perf_counter() - start) / 4
    print(f"M=100000 N=10 P=10: {per_draw * 1e3:7.1f} ms per draw   (loss {run.mean:.4e} ± {run.stderr:.1e})")


if __name__ == "__main__":
    main()
