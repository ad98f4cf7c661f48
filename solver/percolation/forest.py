"""Many Bethe-lattice clusters as one forest of arrays, and the tree computations the experiment needs.

A :class:`Forest` holds every site of a sample of clusters in flat numpy
arrays: the parent of each site (-1 for a seed), its chemical distance from
its seed, and the cluster offsets (cluster k owns the sites
``offsets[k]:offsets[k + 1]``, clusters sorted by decreasing size, each in
breadth-first order so that a parent precedes its children). Every
computation sweeps the forest one *generation* at a time, all clusters
together: a generation is one vectorised numpy step, so the cost is the
number of sites plus the depth of the deepest cluster, never a Python loop
over sites.

- :func:`bethe_forest` grows seeds in batches until ``clusters`` of them fall
  in the size window (a cluster passing ``max_size`` is dropped as it grows);
- :func:`random_walk` is the target: a Gaussian step along every edge;
- :func:`nearest_marks` (:func:`nearest_source` in site order) finds, for
  every site, the nearest of a set of marked sites in tree distance and that
  distance (an upward sweep over the generations keeps the best mark within
  each subtree, a downward sweep brings in the best through the parent);
- :func:`preorder` numbers each tree depth first, and :func:`spread_sites`
  places n_k sites evenly along that order (every s_k/n_k-th site);
- :func:`meeting_pairs` (:func:`voronoi_pairs`) lists the marked sites whose
  cells touch, with their tree distance: on a tree, two cells meet along exactly one edge.

The sweeps run on the forest's :class:`Layout`, its sites renumbered
generation by generation: a generation is a contiguous slice and its parents
lie in the one before, so that a sweep reads memory nearly in order (the
experiment's samples hold 3e7 sites).

Examples
--------
>>> forest = bethe_forest(3, z=4, min_size=5, max_size=50, seed=2)
>>> forest.sizes.tolist(), forest.parent[:6].tolist()
([14, 8, 7], [-1, 0, 1, 1, 2, 3])
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from largen.diagrams.errors import ParameterError
from largen.solver.percolation._validate import integer_argument, probability_argument
from largen.solver.percolation.clusters import MAX_SITES, bethe_critical_probability

__all__ = ["Forest", "Layout", "bethe_forest", "random_walk", "standardise", "nearest_marks", "nearest_source",
           "meeting_pairs", "voronoi_pairs", "preorder", "spread_sites"]

BATCH = 4096  # seeds grown together: each batch has its own random stream, so a sample does not depend on timing
_SHIFT = 32  # a sweep's key is distance * 2**32 + site: one integer minimum orders by distance, then by site
_FAR = np.int64(1) << 62  # no mark reached yet (far above any distance * 2**32 + site)
MAX_BATCHES = 10**5  # batches tried before the window is declared empty


@dataclass(frozen=True)
class Forest:
    """Clusters as flat arrays: ``parent`` (global index, -1 for a seed), ``depth`` (chemical distance
    from the seed) and ``offsets`` (cluster k owns ``offsets[k]:offsets[k + 1]``), clusters sorted by
    decreasing size; ``seeds`` is the number of seeds grown to find them."""

    parent: np.ndarray
    depth: np.ndarray
    offsets: np.ndarray
    seeds: int = 0

    @property
    def sizes(self):
        return np.diff(self.offsets)

    @property
    def frequencies(self):
        """A cluster's share of the sites, P_k = s_k / sum s."""
        return self.sizes / self.offsets[-1]

    @cached_property
    def owner(self):
        """The cluster of every site."""
        return np.repeat(np.arange(len(self.sizes), dtype=np.int32), self.sizes)

    @cached_property
    def generations(self):
        """The sites grouped by depth: (order, bounds), generation g being ``order[bounds[g]:bounds[g + 1]]``."""
        order = np.argsort(self.depth, kind="stable").astype(self.parent.dtype)
        bounds = np.searchsorted(self.depth[order], np.arange(int(self.depth.max(initial=0)) + 2))
        return order, bounds

    def levels(self, reverse=False):
        """The sites of each generation from 1 on (deepest first with ``reverse``)."""
        order, bounds = self.generations
        depths = range(len(bounds) - 2, 0, -1) if reverse else range(1, len(bounds) - 1)
        return (order[bounds[g]:bounds[g + 1]] for g in depths)

    @cached_property
    def layout(self):
        """The sites in generation order (:class:`Layout`), on which the sweeps read contiguous slices."""
        return _layout(self)

    @cached_property
    def depth_first(self):
        """The site at each depth-first rank of each cluster: cluster k's rank r is ``offsets[k] + r``."""
        by_rank = np.empty(len(self.parent), dtype=np.int64)
        by_rank[self.offsets[self.owner] + preorder(self)] = np.arange(len(self.parent))
        return by_rank


@dataclass(frozen=True)
class Layout:
    """A forest's sites renumbered generation by generation (by index within one), so that a sweep
    reads a generation as a slice: ``order`` is the site at each position and ``position`` its inverse,
    ``up`` the position of each position's parent (-1 for seeds), ``owner`` the cluster at each position;
    generation g holds ``bounds[g]:bounds[g + 1]``.
    """

    order: np.ndarray
    position: np.ndarray
    up: np.ndarray
    bounds: np.ndarray
    owner: np.ndarray

    def generations(self, reverse=False):
        """(start, stop) of the generations from 1 on (deepest first with ``reverse``)."""
        depths = range(len(self.bounds) - 2, 0, -1) if reverse else range(1, len(self.bounds) - 1)
        return ((int(self.bounds[g]), int(self.bounds[g + 1])) for g in depths)


def _layout(forest):
    """The :class:`Layout` of ``forest``: its sites by depth, by index within a depth."""
    order, bounds = forest.generations
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    up = np.full(len(order), -1, dtype=np.int64)
    up[bounds[1]:] = position[forest.parent[order[bounds[1]:]]]
    return Layout(order, position, up, bounds, forest.owner[order])


def bethe_forest(clusters, *, z=200, p=None, min_size=300, max_size=30000, seed=0, replica=0, progress=None):
    """``clusters`` Bethe-lattice clusters grown from occupied seeds with min_size <= s <= max_size.

    Seeds are grown in batches of :data:`BATCH`, batch b with the generator
    ``default_rng([seed, replica, b])`` (independent samples of one seed differ in ``replica``): every cluster of a batch advances one
    generation per step (a seed has z neighbours, every other site z - 1 further ones, each occupied
    with probability p) and a cluster passing ``max_size`` is dropped at once.
    The kept clusters are the first ``clusters`` in the window, in seed order.

    Parameters
    ----------
    clusters : int
    z : int
        Coordination, >= 2 (Brill: z = 200, the Bethe lattice of d = 100).
    p : number, optional
        Occupation probability; default p_c = 1/(z - 1).
    min_size, max_size : int
        The size window.
    seed, replica : int
    progress : callable, optional
        Called as ``progress(found, clusters)`` after every batch.

    Returns
    -------
    Forest

    Examples
    --------
    >>> forest = bethe_forest(20, z=3, min_size=10, max_size=100, seed=1)
    >>> len(forest.sizes), bool(forest.sizes.min() >= 10), bool((np.diff(forest.sizes) <= 0).all())
    (20, True, True)
    >>> bethe_forest(2, min_size=10, max_size=5)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: max_size = 5 is below min_size = 10
    """
    clusters = integer_argument(clusters, "clusters", 1)
    z = integer_argument(z, "z", 2)
    p = bethe_critical_probability(z) if p is None else probability_argument(p)
    min_size, max_size = integer_argument(min_size, "min_size", 1), integer_argument(max_size, "max_size", 1)
    seed, replica = integer_argument(seed, "seed", 0), integer_argument(replica, "replica", 0)
    if max_size < min_size:
        raise ParameterError(f"max_size = {max_size} is below min_size = {min_size}")
    if clusters * min_size > MAX_SITES:
        raise ParameterError(f"{clusters} clusters of at least {min_size} sites are beyond {MAX_SITES} sites")
    kept, found = [], 0
    for batch in range(MAX_BATCHES):
        grown = _grow_batch(z, p, max_size, np.random.default_rng([seed, replica, batch]))
        for cluster in grown:
            if min_size <= len(cluster[0]) and found < clusters:
                kept.append(cluster)
                found += 1
        if progress is not None:
            progress(found, clusters)
        if found == clusters:
            break
    else:
        raise ParameterError(f"fewer than {clusters} clusters of {min_size}..{max_size} sites in "
                             f"{MAX_BATCHES * BATCH} seeds")
    kept.sort(key=lambda cluster: -len(cluster[0]))  # stable: equal sizes stay in seed order
    sizes = np.array([len(parent) for parent, _ in kept], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    index = np.int32 if offsets[-1] < 2**31 else np.int64  # half the memory of the largest samples
    parent = np.concatenate([np.where(local >= 0, local + start, -1).astype(index)
                             for (local, _), start in zip(kept, offsets)])
    depth = np.concatenate([depths for _, depths in kept]).astype(index)
    return Forest(parent, depth, offsets, (batch + 1) * BATCH)


def _grow_batch(z, p, max_size, rng):
    """The clusters of BATCH seeds that stay within max_size, each as (local parent, depth), in seed order.

    Sites are numbered as they are born (a generation of every cluster at a
    time); a site's cluster is carried along, and a cluster passing max_size
    stops growing and is dropped.
    """
    frontier = np.arange(BATCH)
    owner = np.arange(BATCH)
    parents, owners, depth_sizes = [np.full(BATCH, -1)], [owner], [BATCH]
    sizes = np.ones(BATCH, dtype=np.int64)
    born, branches = BATCH, z
    while frontier.size:
        children = rng.binomial(branches, p, size=frontier.size)
        parent = np.repeat(frontier, children)
        owner = np.repeat(owner, children)
        sizes += np.bincount(owner, minlength=BATCH)
        alive = sizes[owner] <= max_size
        parent, owner = parent[alive], owner[alive]
        frontier = np.arange(born, born + parent.size)
        born += parent.size
        parents.append(parent)
        owners.append(owner)
        depth_sizes.append(parent.size)
        branches = z - 1
    parent, owner = np.concatenate(parents), np.concatenate(owners)
    depth = np.repeat(np.arange(len(depth_sizes)), depth_sizes)
    order = np.argsort(owner, kind="stable")  # by seed, each cluster in birth (breadth-first) order
    counts = np.bincount(owner, minlength=BATCH)
    complete = sizes <= max_size
    local = np.empty(born, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local[order] = np.arange(born) - np.repeat(starts, counts)
    parent_local = np.where(parent >= 0, local[np.maximum(parent, 0)], -1)[order]
    depth = depth[order]
    return [(parent_local[start:start + count], depth[start:start + count])
            for start, count, keep in zip(starts, counts, complete) if keep]


def random_walk(forest, rng):
    """A random walk along every tree of the forest: 0 at a seed, a standard Gaussian step along every edge.

    Examples
    --------
    >>> forest = bethe_forest(2, z=3, min_size=5, max_size=30, seed=0)
    >>> walk = random_walk(forest, np.random.default_rng(0))
    >>> float(walk[forest.offsets[0]]), walk.shape == forest.parent.shape
    (0.0, True)
    """
    values = rng.standard_normal(len(forest.parent))
    values[forest.parent < 0] = 0.0
    for sites in forest.levels():
        values[sites] += values[forest.parent[sites]]
    return values


def standardise(forest, values):
    """``values`` shifted and scaled per cluster to mean 0 and variance 1 (a constant cluster to 0).

    Examples
    --------
    >>> forest = bethe_forest(2, z=3, min_size=5, max_size=30, seed=0)
    >>> target = standardise(forest, random_walk(forest, np.random.default_rng(0)))
    >>> np.allclose(np.bincount(forest.owner, target**2) / forest.sizes, 1)
    True
    """
    sizes = forest.sizes
    mean = np.bincount(forest.owner, values, minlength=len(sizes)) / sizes
    centred = values - mean[forest.owner]
    spread = np.sqrt(np.bincount(forest.owner, centred**2, minlength=len(sizes)) / sizes)
    return centred / np.where(spread > 0, spread, 1.0)[forest.owner]


def nearest_marks(forest, marks):
    """The nearest mark of every site in tree distance, in the forest's :attr:`Forest.layout` order.

    An upward sweep keeps the best mark within each subtree, a downward sweep
    brings in the best through the parent; a key distance * 2**32 + rank orders
    by distance, then by mark.

    Returns
    -------
    (marks, rank, distance) : the distinct marks (sorted), and at each layout position the rank of its
        nearest mark among them (the lowest among equals) and the distance; -1 and -1 in a cluster without marks.

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 1, 1, 3, -1]), np.array([0, 1, 2, 2, 3, 0]), np.array([0, 5, 6]))
    >>> marks, rank, distance = nearest_marks(forest, np.array([4, 0]))
    >>> marks.tolist(), forest.layout.order.tolist(), rank.tolist(), distance.tolist()
    ([0, 4], [0, 5, 1, 2, 3, 4], [0, -1, 0, 0, 1, 1], [0, -1, 1, 2, 1, 0])
    """
    layout = forest.layout
    marks = np.unique(np.asarray(marks, dtype=np.int64))
    key = np.full(len(layout.order), _FAR)
    key[layout.position[marks]] = np.arange(len(marks))
    step = np.int64(1) << _SHIFT
    for start, stop in layout.generations(reverse=True):
        np.minimum.at(key, layout.up[start:stop], key[start:stop] + step)
    for start, stop in layout.generations():
        np.minimum(key[start:stop], key[layout.up[start:stop]] + step, out=key[start:stop])
    rank, distance = key & (step - 1), key >> _SHIFT
    marked = np.zeros(len(forest.sizes), dtype=bool)
    marked[forest.owner[marks]] = True
    if not marked.all():  # the keys of a cluster without marks never came down from _FAR
        unreached = ~marked[layout.owner]
        rank[unreached] = distance[unreached] = -1
    return marks, rank, distance


def nearest_source(forest, marks):
    """For every site, the nearest marked site in tree distance (the lowest index among equals) and
    that distance; -1 and -1 in a cluster without marks (:func:`nearest_marks` in site order).

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 1, 1, 3]), np.array([0, 1, 2, 2, 3]), np.array([0, 5]))
    >>> source, distance = nearest_source(forest, np.array([0, 4]))
    >>> source.tolist(), distance.tolist()
    ([0, 0, 0, 4, 4], [0, 1, 2, 1, 0])
    """
    marks, rank, distance = nearest_marks(forest, marks)
    position = forest.layout.position
    rank = rank[position]
    return np.where(rank >= 0, marks[np.maximum(rank, 0)], -1), distance[position]


def meeting_pairs(forest, rank, distance):
    """The pairs of marks (as ranks) whose cells meet, and their tree distance, from :func:`nearest_marks`.

    A cell (the sites nearest one mark) is a subtree; two cells of a tree meet
    along one edge (u, parent u), and the path between their marks runs
    through it: distance(u) + 1 + distance(parent u).

    Returns
    -------
    (first, second, length) : int arrays, one entry per pair.

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 1, 1, 3]), np.array([0, 1, 2, 2, 3]), np.array([0, 5]))
    >>> marks, rank, distance = nearest_marks(forest, np.array([0, 4]))
    >>> [marks[a].tolist() if i < 2 else a.tolist() for i, a in enumerate(meeting_pairs(forest, rank, distance))]
    [[4], [0], [3]]
    """
    layout = forest.layout
    first = layout.bounds[1]  # every position from here on has a parent
    parent = layout.up[first:]
    meet = np.flatnonzero(rank[first:] != rank[parent])  # a cluster without marks is -1 throughout: never met
    child, parent = meet + first, parent[meet]
    return rank[child], rank[parent], distance[child] + 1 + distance[parent]


def voronoi_pairs(forest, source, distance):
    """:func:`meeting_pairs` from :func:`nearest_source`'s site-order output: the pairs of marked sites
    whose cells meet, and their tree distance.

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 1, 1, 3]), np.array([0, 1, 2, 2, 3]), np.array([0, 5]))
    >>> [a.tolist() for a in voronoi_pairs(forest, *nearest_source(forest, np.array([0, 4])))]
    [[4], [0], [3]]
    """
    order = forest.layout.order
    return meeting_pairs(forest, np.asarray(source)[order], np.asarray(distance)[order])


def preorder(forest):
    """The depth-first (preorder) rank of every site within its cluster, children in index order.

    Subtree sizes come from an upward sweep; a child's rank is its parent's
    plus one plus the subtree sizes of its earlier siblings (children of one
    parent are numbered consecutively), set in a downward sweep.

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 0, 1, 1, 2]), np.array([0, 1, 1, 2, 2, 2]), np.array([0, 6]))
    >>> preorder(forest).tolist()
    [0, 1, 4, 2, 3, 5]
    """
    layout, parent = forest.layout, forest.parent
    subtree = np.ones(len(parent))  # counts in float64, exact far beyond any forest's size
    above = layout.bounds[-2::-1]  # where each generation's parents start, deepest first
    for (start, stop), first in zip(layout.generations(reverse=True), above[1:]):
        subtree[first:start] += np.bincount(layout.up[start:stop] - first, subtree[start:stop], minlength=start - first)
    subtree = subtree[layout.position].astype(np.int64)
    child = np.flatnonzero(parent >= 0)
    before = np.cumsum(subtree[child]) - subtree[child]  # running total, to be restarted at each parent
    first = np.ones(len(child), dtype=bool)
    first[1:] = parent[child[1:]] != parent[child[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(child)), 0))
    earlier = np.zeros(len(parent), dtype=np.int64)
    earlier[child] = before - before[starts]
    earlier = earlier[layout.order]
    rank = np.zeros(len(parent), dtype=np.int64)
    for start, stop in layout.generations():
        rank[start:stop] = rank[layout.up[start:stop]] + 1 + earlier[start:stop]
    return rank[layout.position]


def spread_sites(forest, counts, rng):
    """n_k sites of each cluster k spread evenly along its depth-first order (:func:`preorder`), at ranks
    floor((j + u) s_k / n_k), j = 0..n_k - 1, with one uniform phase u per cluster; all of a
    cluster if n_k >= s_k.

    Examples
    --------
    >>> forest = Forest(np.array([-1, 0, 0, 1, 1, 2]), np.array([0, 1, 1, 2, 2, 2]), np.array([0, 6]))
    >>> spread_sites(forest, [2], np.random.default_rng(0)).tolist()  # u = 0.64: ranks 1 and 4
    [1, 2]
    """
    sizes = forest.sizes
    counts = np.minimum(np.asarray(counts, dtype=np.int64), sizes)
    cluster = np.repeat(np.arange(len(sizes)), counts)
    j = np.arange(len(cluster)) - np.repeat(np.cumsum(counts) - counts, counts)
    phase = rng.random(len(sizes))[cluster]
    ranks = np.floor((j + phase) * sizes[cluster] / counts[cluster]).astype(np.int64)
    return forest.depth_first[forest.offsets[cluster] + ranks]
