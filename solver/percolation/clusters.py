"""Percolation clusters: the subtasks of Brill's model of the data distribution.

Site percolation with occupation probability p. On the Bethe lattice of
coordination z a cluster grown from an occupied seed is a branching process
(the seed has z neighbours, every other site z - 1 further ones, each occupied
with probability p), so clusters are generated generation by generation, all
clusters of a sample at once. On the hypercubic lattices Z^d the clusters of
an L^d box (a torus) are the connected components of the occupied sites, labelled by
:func:`scipy.ndimage.label` (nearest-neighbour connectivity).

A cluster grown from a seed is drawn with probability proportional to s n_s
(the cluster of a uniformly drawn occupied site); the clusters of a labelled
box are each counted once (density n_s). Sizes are arrays; a cluster whose
structure is needed (the experiment of :mod:`largen.solver.percolation.brill`) is a
:class:`Cluster`, a tree in parent-array form with a networkx view.

Examples
--------
>>> sample = bethe_cluster_sizes(5, z=3, seed=1)
>>> sample.sizes.tolist(), sample.censored
([18, 35, 4, 2251, 2], 0)
>>> lattice_cluster_sizes(5, 2, 0.4, seed=1).sizes.tolist()
[1, 5, 1, 2]
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse
from scipy import ndimage
from scipy.sparse.csgraph import connected_components

from largen.diagrams.errors import ParameterError
from largen.solver.percolation._validate import choice_argument, integer_argument, probability_argument

__all__ = ["ClusterSizes", "Cluster", "bethe_critical_probability", "bethe_cluster_sizes", "bethe_cluster", "grow",
           "lattice_labels", "lattice_cluster_sizes", "lattice_radii", "spanning_thresholds"]

MAX_SITES = 10**8  # a box or a cluster sample beyond this many sites is refused: it would not fit in memory


@dataclass(frozen=True)
class ClusterSizes:
    """Cluster sizes of a sample.

    ``sizes`` holds the complete clusters (int64); ``censored`` counts the
    clusters that grew past ``limit`` sites and were stopped there (their size
    is only known to exceed it: infinite clusters above p_c, rare giants at p_c).
    ``radii`` (float, one per complete cluster) is the mean chemical distance
    from the seed on the Bethe lattice, None in a box (see :func:`lattice_radii`).
    """

    sizes: np.ndarray
    censored: int
    limit: int
    radii: np.ndarray = None


@dataclass(frozen=True)
class Cluster:
    """A Bethe-lattice cluster grown from its seed: a tree in breadth-first order.

    ``parent[i]`` is the parent of site i (-1 for the seed, site 0) and
    ``depth[i]`` its chemical distance from the seed; sites are numbered
    generation by generation, so a parent always precedes its children.
    """

    parent: np.ndarray
    depth: np.ndarray

    @property
    def size(self):
        return len(self.parent)

    def graph(self):
        """The tree as a networkx graph on the sites 0..size-1.

        Examples
        --------
        >>> tree = bethe_cluster(3, seed=8).graph()
        >>> nx.is_tree(tree), tree.number_of_nodes()
        (True, 14)
        """
        tree = nx.Graph()
        tree.add_nodes_from(range(self.size))
        tree.add_edges_from(zip(self.parent[1:].tolist(), range(1, self.size)))
        return tree

    def adjacency(self):
        """The symmetric sparse adjacency matrix (unit edge lengths), for scipy's graph searches."""
        child = np.arange(1, self.size)
        rows = np.concatenate([child, self.parent[1:]])
        columns = np.concatenate([self.parent[1:], child])
        return scipy.sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(self.size, self.size))

    def random_walk(self, rng):
        """A random walk along the tree: the seed at 0, a standard Gaussian step along every edge.

        Computed one generation at a time: a generation is a contiguous block
        of sites whose parents are all set already.
        """
        values = rng.standard_normal(self.size)
        values[0] = 0.0
        starts = np.flatnonzero(np.diff(self.depth)) + 1
        for start, stop in zip(starts, np.append(starts[1:], self.size)):
            values[start:stop] += values[self.parent[start:stop]]
        return values


def bethe_critical_probability(z):
    """The percolation threshold of the Bethe lattice, p_c = 1/(z - 1): the branching process of
    mean offspring (z - 1) p is critical.

    Examples
    --------
    >>> bethe_critical_probability(3), bethe_critical_probability(201)
    (0.5, 0.005)
    """
    z = integer_argument(z, "z", 2)
    return 1.0 / (z - 1)


def bethe_cluster_sizes(count, z, p=None, *, max_size=10**6, seed=0):
    """Sizes of ``count`` independent Bethe-lattice clusters grown from an occupied seed.

    All clusters advance one generation per step: the next generation of a
    cluster is Binomial(generation * (z - 1), p). A cluster that passes
    ``max_size`` sites is stopped and counted as censored.

    Parameters
    ----------
    count : int
        Number of clusters (seeds).
    z : int
        Coordination number, >= 2.
    p : number, optional
        Occupation probability in [0, 1]; default p_c = 1/(z - 1).
    max_size : int
        Clusters larger than this are censored.
    seed : int
        Seed of numpy's default generator.

    Returns
    -------
    ClusterSizes

    Examples
    --------
    >>> sample = bethe_cluster_sizes(10**4, z=4, max_size=1000, seed=2)
    >>> len(sample.sizes) + sample.censored, int(sample.sizes.max()) <= 1000
    (10000, True)
    >>> bethe_cluster_sizes(3, z=1)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: z must be >= 2, got 1
    """
    count = integer_argument(count, "count", 1)
    z = integer_argument(z, "z", 2)
    p = bethe_critical_probability(z) if p is None else probability_argument(p)
    max_size = integer_argument(max_size, "max_size", 1)
    if count > MAX_SITES:
        raise ParameterError(f"count: {count} clusters is beyond {MAX_SITES}")
    rng = np.random.default_rng(integer_argument(seed, "seed", 0))
    sizes = np.ones(count, dtype=np.int64)
    generation = rng.binomial(z, p, size=count).astype(np.int64)
    sizes += generation
    distances = generation.astype(float)  # the sum over sites of the chemical distance to the seed
    growing, depth = np.arange(count), 1
    while True:
        alive = (generation > 0) & (sizes[growing] <= max_size)
        if not alive.any():
            break
        growing, generation, depth = growing[alive], generation[alive], depth + 1
        generation = rng.binomial(generation * (z - 1), p)
        sizes[growing] += generation
        distances[growing] += depth * generation
    complete = sizes <= max_size
    return ClusterSizes(sizes[complete], int(count - complete.sum()), max_size,
                        distances[complete] / sizes[complete])


def bethe_cluster(z, p=None, *, max_size=10**6, seed=0):
    """One Bethe-lattice cluster grown from an occupied seed, as a :class:`Cluster`.

    Parameters are those of :func:`bethe_cluster_sizes`; a cluster passing
    ``max_size`` sites raises ParameterError (ask for a larger limit or another
    seed, or stay at or below p_c).

    Examples
    --------
    >>> cluster = bethe_cluster(3, seed=8)
    >>> cluster.size, cluster.parent.tolist(), cluster.depth.tolist()
    (14, [-1, 0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 7, 9, 11], [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6])
    """
    z = integer_argument(z, "z", 2)
    p = bethe_critical_probability(z) if p is None else probability_argument(p)
    max_size = integer_argument(max_size, "max_size", 1)
    cluster = grow(z, p, np.random.default_rng(integer_argument(seed, "seed", 0)), max_size)
    if cluster is None:
        raise ParameterError(f"the cluster of seed {seed} passes max_size = {max_size} sites")
    return cluster


def grow(z, p, rng, max_size):
    """A Bethe-lattice cluster grown from a seed with the generator ``rng``, or None once it passes
    ``max_size`` sites (checked arguments: the caller's).

    Examples
    --------
    >>> grow(3, 0.5, np.random.default_rng(8), 100).size, grow(3, 0.5, np.random.default_rng(8), 10)
    (14, None)
    """
    parents, depths = [np.array([-1])], [np.array([0])]
    frontier, size, depth, branches = np.array([0]), 1, 0, z
    while frontier.size:
        children = np.repeat(frontier, rng.binomial(branches, p, size=frontier.size))
        depth, branches = depth + 1, z - 1
        frontier = np.arange(size, size + len(children))
        size += len(children)
        if size > max_size:
            return None
        parents.append(children)
        depths.append(np.full(len(children), depth))
    return Cluster(np.concatenate(parents), np.concatenate(depths))


def lattice_labels(L, d, p, *, seed=0, periodic=True):
    """The occupied sites of an L^d box labelled by cluster (0 empty, 1..count).

    With ``periodic`` the box is a torus: the labels of the open box
    (:func:`scipy.ndimage.label`) that face each other across a boundary are
    joined as the connected components of the graph of those pairs
    (:func:`scipy.sparse.csgraph.connected_components`), so that no cluster is
    cut by the boundary.

    Returns
    -------
    (labels, count) : the label array of shape (L,)*d and the number of clusters.

    Examples
    --------
    >>> labels, count = lattice_labels(3, 2, 0.5, seed=4, periodic=False)
    >>> labels.tolist(), count
    ([[0, 0, 0], [1, 0, 2], [0, 3, 0]], 3)
    >>> labels, count = lattice_labels(3, 2, 0.5, seed=4)
    >>> labels.tolist(), count
    ([[0, 0, 0], [1, 0, 1], [0, 2, 0]], 2)
    """
    L = integer_argument(L, "L", 1)
    d = integer_argument(d, "d", 1)
    p = probability_argument(p)
    if L**d > MAX_SITES:
        raise ParameterError(f"a box of {L}^{d} sites is beyond {MAX_SITES}")
    rng = np.random.default_rng(integer_argument(seed, "seed", 0))
    labels, count = ndimage.label(rng.random((L,) * d) < p)
    if not periodic or count == 0:
        return labels, count
    pairs = [np.stack([labels.take(0, axis).ravel(), labels.take(-1, axis).ravel()]) for axis in range(d)]
    first, last = np.concatenate(pairs, axis=1)
    facing = (first > 0) & (last > 0)
    links = scipy.sparse.csr_matrix((np.ones(facing.sum()), (first[facing] - 1, last[facing] - 1)),
                                    shape=(count, count))
    count, component = connected_components(links, directed=False)
    return np.where(labels > 0, np.append(0, component + 1)[labels], 0), count


def lattice_cluster_sizes(L, d, p, *, seed=0, weighting="cluster", samples=None):
    """Cluster sizes in a periodic L^d box.

    ``weighting="cluster"`` gives every cluster once (density n_s);
    ``"site"`` gives the clusters of ``samples`` uniformly drawn occupied sites
    (density s n_s, as a cluster grown from a seed). A cluster that wraps
    around the torus stands for an infinite one: keep fits to sizes well below L**D.

    Examples
    --------
    >>> lattice_cluster_sizes(5, 2, 0.4, seed=1).sizes.tolist()
    [1, 5, 1, 2]
    >>> lattice_cluster_sizes(5, 2, 0.4, seed=1, weighting="site", samples=5).sizes.tolist()
    [5, 5, 1, 2, 2]
    """
    labels, count = lattice_labels(L, d, p, seed=seed)
    sizes = np.bincount(labels.ravel())[1:].astype(np.int64)
    if choice_argument(weighting, "weighting", ("cluster", "site")) == "cluster":
        return ClusterSizes(sizes, 0, L**d)
    samples = integer_argument(samples, "samples", 1)
    if count == 0:
        raise ParameterError(f"no occupied site at p = {p}")
    rng = np.random.default_rng([integer_argument(seed, "seed", 0), 1])  # a stream apart from the lattice's
    occupied = labels[labels > 0]
    return ClusterSizes(sizes[occupied[rng.integers(len(occupied), size=samples)] - 1], 0, L**d)


def lattice_radii(L, d, p, *, seed=0):
    """Size and radius of gyration of the clusters of an open L^d box that touch none of its faces.

    Returns
    -------
    (sizes, radii) : float arrays, one entry per such cluster.

    Examples
    --------
    >>> sizes, radii = lattice_radii(8, 2, 0.4, seed=4)
    >>> sizes.tolist(), radii.round(3).tolist()
    ([1.0, 2.0, 2.0, 3.0, 1.0], [0.0, 0.5, 0.5, 0.816, 0.0])
    """
    labels, count = lattice_labels(L, d, p, seed=seed, periodic=False)
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=count + 1)[1:].astype(float)
    spread = np.zeros(count)
    for axis in np.indices(labels.shape):
        axis = axis.ravel().astype(float)
        mean = np.bincount(flat, axis, minlength=count + 1)[1:] / np.maximum(sizes, 1)
        spread += np.bincount(flat, axis * axis, minlength=count + 1)[1:] / np.maximum(sizes, 1) - mean * mean
    inside = np.ones(count + 1, dtype=bool)
    for axis in range(d):
        inside[labels.take(0, axis)] = inside[labels.take(-1, axis)] = False
    inside = inside[1:]
    return sizes[inside], np.sqrt(np.maximum(spread[inside], 0.0))  # rounding leaves -1e-16 for one site


def spanning_thresholds(L, d, samples, *, seed=0, tolerance=1e-4):
    """For each of ``samples`` random boxes, the p at which a cluster first joins the faces x_0 = 0
    and x_0 = L - 1.

    With one uniform number per site, occupation U < p grows with p, so
    spanning is monotone in p and each box has one threshold, found by
    bisection to ``tolerance``. Their median tends to p_c as L grows.

    Examples
    --------
    >>> thresholds = spanning_thresholds(32, 2, 20, seed=0)
    >>> bool(0.5 < np.median(thresholds) < 0.65)
    True
    """
    L = integer_argument(L, "L", 2)
    d = integer_argument(d, "d", 1)
    samples = integer_argument(samples, "samples", 1)
    if L**d > MAX_SITES:
        raise ParameterError(f"a box of {L}^{d} sites is beyond {MAX_SITES}")
    rng = np.random.default_rng(integer_argument(seed, "seed", 0))
    thresholds = np.empty(samples)
    for sample in range(samples):
        field = rng.random((L,) * d)
        low, high = 0.0, 1.0
        while high - low > tolerance:
            middle = 0.5 * (low + high)
            labels, _ = ndimage.label(field < middle)
            first, last = labels[0], labels[-1]
            if np.intersect1d(first[first > 0], last[last > 0]).size:
                high = middle
            else:
                low = middle
        thresholds[sample] = 0.5 * (low + high)
    return thresholds
