"""Benchmark: percolation clusters in arrays, Brill's experiment at the paper's size, and the cross-dimension table.

- ``clusters``: clusters per second of the vectorised Bethe growth and sites per
  second of the box labelling, against plain breadth-first references in the same run
  (the mean sizes and cluster counts are printed as a check).
- ``experiment``: :func:`largen.solver.percolation.experiment.run` of the FULL
  configuration (316 clusters of 300 to 3e7 sites on the Bethe lattice of
  d = 100, six datasets, two worker processes), its wall time and CPU time, then the same
  call again to read the cache back; the model-size scan's loss at N = 3e4 and
  the data-size scan's at its largest P against Brill's 0.027 and 0.035, the
  fitted exponents against the derived ones in standard errors, the allocation
  optimum against 1/(1 + beta_cl).
- ``dimensions``: :func:`largen.solver.percolation.dimensions.comparison`: tau and D
  measured on Z^d (D finite-size corrected over box sides, d = 2..6; tau with its
  correction to scaling, d = 2..8) against the literature, and the
  exponents of Brill's laws and of the random-feature theory on the same data, c = 2 and 4.

Run: ``python bench/percolation.py [clusters] [experiment] [dimensions] [--seed S] [--cache DIR]``
(all three by default; the cache defaults to ``~/.cache/largen``).
"""

import argparse
import collections
import os
import random
import resource
import time

import numpy as np

from largen.solver.percolation import dimensions, experiment
from largen.solver.percolation.clusters import bethe_cluster_sizes, lattice_labels

__all__ = ["reference_bethe_sizes", "reference_labels", "clusters", "brill", "table", "main"]


def reference_bethe_sizes(count, z, p, max_size, seed):
    """Cluster sizes grown one site at a time from a queue (each neighbour a Bernoulli draw)."""
    rng = random.Random(seed)
    sizes = []
    for _ in range(count):
        queue, size = collections.deque([z]), 1  # each entry: the number of untried neighbours of a site
        while queue and size <= max_size:
            for _ in range(queue.popleft()):
                if rng.random() < p:
                    size += 1
                    queue.append(z - 1)
        if size <= max_size:
            sizes.append(size)
    return sizes


def reference_labels(occupied):
    """Periodic cluster labels by breadth-first search over the occupied sites of a 2-d box."""
    L = occupied.shape[0]
    labels = [[0] * L for _ in range(L)]
    cells = occupied.tolist()
    count = 0
    for i in range(L):
        for j in range(L):
            if cells[i][j] and not labels[i][j]:
                count += 1
                labels[i][j] = count
                queue = collections.deque([(i, j)])
                while queue:
                    x, y = queue.popleft()
                    for u, v in ((x + 1) % L, y), ((x - 1) % L, y), (x, (y + 1) % L), (x, (y - 1) % L):
                        if cells[u][v] and not labels[u][v]:
                            labels[u][v] = count
                            queue.append((u, v))
    return labels, count


def _rate(work, function):
    start = time.perf_counter()
    result = function()
    return work / (time.perf_counter() - start), result


def clusters():
    print("Bethe lattice at p_c, clusters of up to 10^4 sites")
    for z, count, reference_count in ((3, 200000, 5000), (200, 200000, 2000)):
        p = 1 / (z - 1)
        fast, sample = _rate(count, lambda: bethe_cluster_sizes(count, z, p, max_size=10**4, seed=1))
        slow, sizes = _rate(reference_count, lambda: reference_bethe_sizes(reference_count, z, p, 10**4, 1))
        print(f"  z = {z:3d}: vectorised {fast:12,.0f} clusters/s (mean size {sample.sizes.mean():6.1f}); "
              f"breadth-first {slow:10,.0f} clusters/s (mean size {np.mean(sizes):6.1f}); x{fast / slow:.0f}")
    print("Square lattice at p_c = 0.59274621, periodic")
    for L, reference_L in ((2048, 512),):
        fast, (_, count) = _rate(L * L, lambda: lattice_labels(L, 2, 0.59274621, seed=1))
        occupied = np.random.default_rng(1).random((reference_L, reference_L)) < 0.59274621
        slow, (_, reference_count) = _rate(reference_L**2, lambda: reference_labels(occupied))
        _, small_count = lattice_labels(reference_L, 2, 0.59274621, seed=1)
        print(f"  ndimage + join: {fast:14,.0f} sites/s (L = {L}); breadth-first {slow:12,.0f} sites/s "
              f"(L = {reference_L}); x{fast / slow:.0f}; clusters {small_count} = {reference_count}: "
              f"{small_count == reference_count}")


def _cpu():
    """User and system seconds of this process and its finished children (the experiment's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _within(value, target, tolerance):
    return f"{value:.4f} against {target} ({100 * (value / target - 1):+.0f}%, within {100 * tolerance:.0f}%: " \
           f"{abs(value / target - 1) <= tolerance})"


def brill(seed, cache):
    print(f"Brill's experiment, FULL ({experiment.FULL.datasets} datasets of {experiment.FULL.clusters} clusters, "
          f"{experiment.FULL.min_size}..{experiment.FULL.max_size:.0e} sites), seed {seed}, 2 workers")
    start = time.perf_counter()
    result = experiment.run(experiment.FULL, seed, cache=cache, workers=2, progress=True)
    first = time.perf_counter() - start
    start = time.perf_counter()
    experiment.run(experiment.FULL, seed, cache=cache, workers=2)
    again = time.perf_counter() - start
    print(f"  wall time {first:.1f} s (the run itself: {result.seconds:.1f} s; CPU of this process and its workers "
          f"{_cpu():.0f} s); cached rerun {again:.2f} s")
    print(f"  sites per dataset: {', '.join(f'{s:,}' for s in result.sites)}")
    print(f"  model scan, L at N = {result.model_sizes[-1]:.0e}: {_within(result.model_losses[-1], 0.027, 0.3)}")
    print(f"  data scan,  L at P = {result.data_sizes[-1]:.0e}: {_within(result.data_losses[-1], 0.035, 0.3)}")
    for name, fit in (("model", result.model_fit), ("data", result.data_fit)):
        print(f"  {name} exponent fitted {fit.value:.3f} ± {fit.error:.3f} (log power {fit.log_power:g} divided out): "
              f"derived law {fit.derived:.3f}, {fit.deviation:+.1f} standard errors; derived functional on the "
              f"same clusters {fit.functional:.3f}, {fit.functional_deviation:+.1f} standard errors; the derived "
              f"law's finite-size form: {fit.corrected:.3f} ± {fit.corrected_error:.3f}, "
              f"{fit.corrected_deviation:+.1f} standard errors")
    best, derived = result.best_allocation
    print(f"  allocation n_k ∝ P_k^g: least loss at g = {best:.2f}, derived 1/(1 + beta_cl) = {derived:.3f}")
    values = result.as_dict()
    print(f"  the clusters' own tau = {values['tau']['value']:.3f} ± {values['tau']['error']:.3f}, "
          f"D = 2 d_l = {values['D']['value']:.2f} ± {values['D']['error']:.2f}")
    for row in values["model_scan"]:
        print(f"    N = {row['N']:>7}: L = {row['loss']:.4f}, derived functional {row['theory']:.4f}")
    for row in values["data_scan"]:
        print(f"    P = {row['P']:>7}: L = {row['loss']:.4f}, derived functional {row['theory']:.4f}")


def table(seed):
    print("Cross-dimension table (site percolation at p_c; Brill's laws and the random-feature slopes at "
          "N or P = 3000 with the other 1e9, on the same data's spectrum)")
    start = time.perf_counter()
    rows = dimensions.comparison(seed=seed, progress=lambda line: print("  " + line, flush=True))
    print(f"  {'lattice':8} {'tau':>16} {'lit.':>7} {'D':>16} {'lit.':>7}  c  Brill model / data      "
          f"RF model / data")
    for row in rows:
        if row.tau is None:
            print(f"  {str(row.lattice):8} {row.note}")
            continue
        for c in sorted(row.brill):
            (model, model_error), (data, data_error) = row.brill[c]
            features = row.random_features[c]
            head = (f"  {str(row.lattice):8} {row.tau.value:8.3f} ± {row.tau.error:5.3f} {row.literature.tau:7.4f} "
                    f"{row.D.value:8.3f} ± {row.D.error:5.3f} {row.literature.D:7.4f}") if c == min(row.brill) \
                else " " * 67
            print(f"{head}  {c}  {model:.3f}±{model_error:.3f} / {data:.3f}±{data_error:.3f}  "
                  f"{features[0]:.3f} / {features[1]:.3f}")
    for row in rows:
        if row.tau_hyperscaling is not None:
            print(f"  d = {row.lattice}: tau = 1 + d/D = {row.tau_hyperscaling}")
        if row.note and row.tau is not None:
            print(f"  {row.lattice}: {row.note}")
    print(f"  ({time.perf_counter() - start:.0f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=("clusters", "experiment", "dimensions"),
                        default=["clusters", "experiment", "dimensions"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "largen"))
    args = parser.parse_args()
    if "clusters" in args.parts:
        clusters()
    if "experiment" in args.parts:
        brill(args.seed, args.cache)
    if "dimensions" in args.parts:
        table(args.seed)


if __name__ == "__main__":
    main()
