"""Benchmark: percolation clusters, vectorised against a plain breadth-first reference in the same run.

- Bethe lattice at p_c (z = 3 and Brill's z = 200): clusters per second of
  :func:`largen.solver.percolation.clusters.bethe_cluster_sizes` (all clusters advance one
  generation per numpy step) against growing each cluster site by site from a queue.
- Square lattice at p_c: sites per second of :func:`largen.solver.percolation.clusters.lattice_labels`
  (scipy.ndimage.label and the periodic join) against a breadth-first search
  from every unlabelled occupied site.

Both sides use the same limits, so that the cluster-size distributions agree
(the mean sizes are printed as a check). Run: ``python bench/percolation.py``.
"""

import collections
import random
import time

import numpy as np

from largen.solver.percolation.clusters import bethe_cluster_sizes, lattice_labels

__all__ = ["reference_bethe_sizes", "reference_labels", "main"]


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


def main():
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


if __name__ == "__main__":
    main()
