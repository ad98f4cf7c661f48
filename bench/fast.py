"""The float64 path (largen.solver.numerics.fast) against the certified solver and a numpy reference, in one run.

1. Time per point at M = 10^3, 10^4, 10^6 and inf (N = 300..309, P = 700, gamma = 1e-3,
   lambda_I = I**-2): a numpy deterministic-equivalent code written here (Brent's bracketing
   root finder on the MRS equations reduced to the renormalised ridge, the loss by implicit
   differentiation; no code of largen), ``solve(..., context=mpmath.fp)``, the certified
   ``solve`` at dps 15 and 30, the float64 path on one point, and the float64 path on a batch
   of 10^4 random points (N, P over three decades, gamma over nine) at the same M. CPU time,
   the best of ``--rounds``, one BLAS thread: one core.
2. The float64 path on ``--points`` random points (MRS and two layers, finite M and M = inf,
   label noise at half of them, a teacher exponent at half): how many it marks, and the largest
   relative difference from the certified solver (dps 20, on ``--workers`` processes) over the
   points it vouches for.
3. The report's surface: 200 x 200 points of loss and slope with the regimes at alpha = 1, and its phase
   diagram drawn from them.

After the table, where the single solves' time goes at M = 10^3 and 10^4: the evaluations of the equations
in float64 (approximate moments: the continuation, and at dps 15 the two float64 outputs that move the
first evaluation's outputs to its root) and at the working precision (exact moments), their number and
CPU time, and the rest (binding, compiling, linear algebra, the outputs).

    python bench/fast.py [--points 10000] [--workers 2] [--rounds 3] [--skip-accuracy]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core: set before numpy loads its BLAS

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import sympy  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from largen.diagrams.engine.model import deep_linear, mrs  # noqa: E402
from largen.solver import solve  # noqa: E402
from largen.solver.numerics.equations import Equations  # noqa: E402
from largen.solver.numerics.fast import TOLERANCE, solve_many  # noqa: E402
from largen.solver.numerics.grid import loss_surface  # noqa: E402
from largen.solver.numerics.scaling import phase_diagram, regimes_at  # noqa: E402

POINT = dict(P=700, gamma=1e-3)
WIDTHS = range(300, 310)
SIZES = (10**3, 10**4, 10**6, math.inf)
BATCH = 10**4


def reference(N, P, gamma, M):
    """loss and Delta of the MRS model (sigma_u = sigma_w = 1, no label noise) at lambda_I = I**-2, I = 1..M.

    With t(p) = sum lambda/(lambda + p), the equations reduce to p (N - t)(P - t) = M gamma on the
    branch t < min(N, P), where p = Delta; the loss is dE/dbeta, E = -gamma t/(2 (t - N)), through
    p(beta): the source enters (q + beta)(t - q) = P q with q = M gamma/(p (t - N)).
    """
    lam = np.arange(1, M + 1, dtype=float) ** -2.0

    def t(p):
        return np.sum(lam / (lam + p))

    least = min(N, P)
    low = 0.0
    if M > least:  # below p* (t(p*) = min(N, P)) lie the roots of other branches
        high = 1.0
        while t(high) > least:
            high *= 10
        low = brentq(lambda p: t(p) - least, 0.0, high, xtol=1e-300, rtol=1e-15)

    def f(p):
        return p * (N - t(p)) * (P - t(p)) - M * gamma

    high = max(2 * low, 1e-300)
    while f(high) <= 0:
        high *= 4
    p = brentq(f, low, high, xtol=1e-300, rtol=1e-15)
    t1, t2 = t(p), np.sum(lam / (lam + p) ** 2)
    q = M * gamma / (p * (t1 - N))
    dq = q * (-1 / p + t2 / (t1 - N))
    dE = -gamma * N * t2 / (2 * (t1 - N) ** 2)
    return dE * (-P / (q * (-t2 - dq))), p


def per_point(function, rounds):
    """The mean CPU time per call of ``function(N)`` over the widths, the best of ``rounds``."""
    function(WIDTHS[0] - 1)  # caches of this kind of call filled first
    best = math.inf
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        start = time.process_time()
        for N in WIDTHS:
            function(N)
        best = min(best, (time.process_time() - start) / len(WIDTHS))
        gc.enable()
    return best


def batch(M, rng):
    n = BATCH
    return dict(N=np.round(10 ** rng.uniform(1, 4, n)), P=np.round(10 ** rng.uniform(1, 4, n)),
                gamma=10 ** rng.uniform(-8, 1, n), M=M)


def timings(rounds):
    rng = np.random.default_rng(0)
    print(f"time per point, ms (CPU, best of {rounds}; N = {WIDTHS.start}..{WIDTHS.stop - 1}, P = 700, gamma = 1e-3, "
          "lambda_I = I^-2; the batch: 10^4 random points at the same M)")
    head = ("M", "numpy ref", "fp solve", "dps 15", "dps 30", "fast, 1 pt", "fast batch/pt", "pts/s", "marked",
            "fp/ref", "dps15/ref", "dps15/batch")
    print("".join(f"{h:>14}" for h in head))
    for M in SIZES:
        size = "inf" if M == math.inf else M
        ref = math.nan if M == math.inf else per_point(lambda N: reference(N, 700, 1e-3, M), rounds)
        fp = per_point(lambda N: solve(N=N, M=size, P=700, gamma="1e-3", context=mpmath.fp), rounds)
        d15 = per_point(lambda N: solve(N=N, M=size, P=700, gamma="1e-3", dps=15), rounds)
        d30 = per_point(lambda N: solve(N=N, M=size, P=700, gamma="1e-3", dps=30), rounds)
        one = per_point(lambda N: solve_many(N=N, M=M, **POINT), rounds)
        points = batch(M, rng)
        solve_many(**{k: v[:10] if np.ndim(v) else v for k, v in points.items()})
        best, found = math.inf, None
        for _ in range(rounds):
            start = time.process_time()
            found = solve_many(**points)
            best = min(best, time.process_time() - start)
        each = best / BATCH
        cells = [size, *(f"{1e3 * x:.3f}" for x in (ref, fp, d15, d30, one, each)), f"{1 / each:.0f}",
                 f"{found.marked.sum()}", f"{fp / ref:.2f}", f"{d15 / ref:.2f}", f"{d15 / each:.0f}"]
        print("".join(f"{c:>14}" for c in cells))
    print("fp/ref, dps15/ref: the single solves against the numpy reference (targets: fp <= 1 at M >= 1e3, "
          "dps 15 <= 3 at M <= 1e4); dps15/batch: certified solves per float64 point of a batch (throughput target: "
          ">= 1e4 points/s at M = inf and 1e4)")


def breakdown(rounds):
    """Where a single solve's time goes: the evaluations of the equations in float64 and at the working
    precision (counted and timed around Equations.evaluate), and the rest."""
    evaluate = Equations.evaluate
    spent = {}

    def timed(self, ctx, *args, **kwargs):
        start = time.process_time()
        try:
            return evaluate(self, ctx, *args, **kwargs)
        finally:
            kind = "float64" if ctx is mpmath.fp else "exact"
            count, total = spent.get(kind, (0, 0.0))
            spent[kind] = (count + 1, total + time.process_time() - start)

    print("\nwhere a single solve's time goes (ms per point; N = 300..309, P = 700, gamma = 1e-3): evaluations of "
          "the equations, their number in brackets, and the rest")
    Equations.evaluate = timed
    try:
        for M in SIZES[:2]:
            for name, options in (("fp solve", {"context": mpmath.fp}), ("dps 15", {"dps": 15})):
                def one(N, M=M, options=options):
                    return solve(N=N, M=M, P=700, gamma="1e-3", **options)
                one(WIDTHS[0] - 1)
                spent.clear()
                total = per_point(one, 1)
                calls = len(WIDTHS)
                parts = {kind: (count / calls, 1e3 * seconds / calls) for kind, (count, seconds) in spent.items()}
                rest = 1e3 * total - sum(ms for _, ms in parts.values())
                print(f"  M = {M:<6} {name:<9} {1e3 * total:7.3f}: " + ", ".join(
                    f"{kind} {ms:.3f} [{count:.0f}]" for kind, (count, ms) in sorted(parts.items()))
                    + f", rest {rest:.3f}")
    finally:
        Equations.evaluate = evaluate


def random_points(model, n, rng):
    """As tests/test_fast.py draws them: sizes over three decades, ridges over nine, M finite and inf,
    label noise and a teacher exponent at half the points, alpha in [0.2, 2.5], six digits."""
    p = {}
    widths = ["N"] if model.name == "mrs" else ["N1", "N2"]
    scales = ["sigma_u"] if model.name == "mrs" else ["sigma_1", "sigma_2"]
    for name in widths + ["P"]:
        p[name] = np.round(10 ** rng.uniform(1, 4, n))
    for name in scales + ["sigma_w"]:
        p[name] = 10 ** rng.uniform(-0.5, 0.5, n)
    p["gamma"] = 10 ** rng.uniform(-8, 1, n)
    p["M"] = rng.choice([math.inf, 1e3, 1e4, 1e6], n)
    p["sigma_eps"] = np.where(rng.random(n) < 0.5, 0.0, 10 ** rng.uniform(-2, 0, n))
    p = {k: np.array([float(f"{x:.6g}") for x in v]) for k, v in p.items()}
    p["alpha"] = np.round(rng.uniform(0.2, 2.5, n), 3)
    p["delta"] = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.uniform(-0.5, 2.0, n), 3))
    return p


def _short(x):
    return "inf" if x == math.inf else repr(float(x))


def certified_gap(task):
    """The largest relative difference of the float64 outputs from the certified ones at one point;
    None where the certified solver refuses the point."""
    name, point, outputs = task
    model = mrs() if name == "mrs" else deep_linear(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exact = solve(model, dps=20, **{k: _short(v) for k, v in point.items()})
        except ValueError:
            return None
    gaps = [abs(value - float(getattr(exact, key))) / abs(float(getattr(exact, key)))
            for key, value in outputs.items() if getattr(exact, key) not in (None, 0)]
    return max(gaps)


def accuracy(points, workers):
    rng = np.random.default_rng(1)
    tasks, marked, reasons, total, elapsed = [], 0, {}, 0, 0.0
    for model in (mrs(), deep_linear(2)):
        p = random_points(model, points // 2, rng)
        start = time.process_time()
        found = solve_many(model, **p)
        elapsed += time.process_time() - start
        total += points // 2
        marked += int(found.marked.sum())
        for r in found.reasons[found.marked]:
            reasons[r.name] = reasons.get(r.name, 0) + 1
        for i in np.flatnonzero(found.vouched):
            tasks.append((model.name, {k: v[i] for k, v in p.items()},
                          {k: float(getattr(found, k)[i]) for k in ("loss", "train_loss", "Delta")
                           if math.isfinite(getattr(found, k)[i])}))
    print(f"\n{total} random points (MRS and two layers; M = 1e3, 1e4, 1e6, inf; label noise and a teacher exponent at "
          f"half): float64 path {elapsed:.2f} s CPU; marked {marked} ({100 * marked / total:.2f}%, target < 1%): "
          + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"))
    start = time.time()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        gaps = list(pool.map(certified_gap, tasks, chunksize=64))
    refused = sum(g is None for g in gaps)
    gaps = np.array([g for g in gaps if g is not None])
    print(f"vouched points re-solved by the certified solver (dps 20, {workers} workers, {time.time() - start:.0f} s): "
          f"{len(gaps)}; largest relative difference {gaps.max():.2e} (target <= {TOLERANCE:g}); beyond the target: "
          f"{int((gaps > TOLERANCE).sum())}; refused by the certified solver: {refused}")


def surface():
    regimes = regimes_at(alpha=sympy.Integer(1))
    loss_surface(regimes=regimes, grid=3)  # the equations compiled first
    cpu, wall = time.process_time(), time.time()
    found = loss_surface(regimes=regimes, grid=200)
    print(f"\nthe report's surface, 200 x 200 points, loss and slope, {len(found.regions)} regimes: "
          f"{time.process_time() - cpu:.2f} s CPU, {time.time() - wall:.2f} s wall (target < 10 s); "
          f"vouched {100 * found.vouched.mean():.2f}%, no root at {int(np.isnan(found.loss).sum())} points")
    with tempfile.TemporaryDirectory() as folder:
        cpu, wall = time.process_time(), time.time()
        phase_diagram(regimes, os.path.join(folder, "phase_diagram.pdf"), alpha=1, grid=200)
        print(f"the report's phase diagram at 200 x 200, solved and drawn: {time.process_time() - cpu:.2f} s CPU, "
              f"{time.time() - wall:.2f} s wall (target < 10 s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**4, help="random points checked against the certified solver")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes of the certified solves")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each timing, the best one kept")
    parser.add_argument("--skip-accuracy", action="store_true", help="time only")
    args = parser.parse_args()
    timings(args.rounds)
    breakdown(args.rounds)
    surface()
    if not args.skip_accuracy:
        accuracy(args.points, args.workers)


if __name__ == "__main__":
    main()
