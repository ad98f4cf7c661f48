"""Brill's experiment reproduced: nearest-neighbour regression on percolation clusters.

A dataset is a set of Bethe-lattice clusters at p_c grown from seeds and kept
when their size lies in a window; a cluster's frequency is its share of the
sites, P_k = s_k / sum s. The target on a cluster is a random walk along its
tree with standard Gaussian steps, standardised per cluster (mean 0, variance
1). The regressor predicts, at every site of a cluster, the target at the
nearest of its prototypes in tree distance (scipy's multi-source Dijkstra),
and the cluster mean 0 where the cluster has fewer prototypes than the cut
n_cut below which one prototype's guess is worse than the mean: the min(1, .)
of the theory. The test loss is the mean over all sites, sum_k P_k MSE_k.

- Model-size scan: N prototypes placed at random sites, n_k per cluster from
  the optimal allocation (:func:`allocation`) for one cluster's loss A n**-beta.
- Data-size scan: P sites drawn uniformly from the data (cluster k receives
  about P P_k of them) are the prototypes.

The theory curve at each size is the derived loss functional evaluated on the
dataset: sum_k P_k min(1, A n_k**-beta), with the same n_k (model) or with the
counts of multinomial draws (data), beta = c/D = 1/2 from the cluster's
chemical dimension 2 (a random walk's variance grows as the chemical
distance; :func:`largen.solver.percolation.laws.model_scaling` writes it c/D with
c = 2, D = 4). The one amplitude A is measured on separate clusters
(:func:`single_cluster_amplitude`); no exponent is fitted.

Examples
--------
>>> data = dataset(20, seed=1)
>>> len(data.sizes), int(data.sizes.min()) >= 30, round(float(data.frequencies.sum()), 12)
(20, True, 1.0)
"""

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from largen.diagrams.errors import ParameterError

from largen.solver.percolation.clusters import bethe_critical_probability, grow, integer_argument, probability_argument

__all__ = ["Dataset", "Scan", "dataset", "nearest_neighbour_loss", "single_cluster_amplitude", "allocation",
           "model_scan", "data_scan", "experiment", "SMALL", "FULL"]

BETA = 0.5  # one cluster's loss exponent c/D on the Bethe lattice at p_c: c = 2, D = 4
# the experiment's sizes: a window of clusters, seeds, and the scanned N (= P), kept below ~1% of the sites;
# SMALL runs in about 20 s on two cores
SMALL = dict(clusters=100, min_size=300, max_size=30000, seeds=5, z=200, sizes=(10, 30, 100, 300, 1000, 3000))
FULL = dict(clusters=300, min_size=300, max_size=3 * 10**7, seeds=50, z=200,  # Brill's: hours, ~10 GB
            sizes=(10, 30, 100, 300, 1000, 3000, 10**4, 3 * 10**4, 10**5, 3 * 10**5))
MAX_ATTEMPTS = 10**7  # seeds tried before a size window is declared empty


@dataclass(frozen=True)
class Dataset:
    """Clusters as one block-diagonal tree forest, their standardised targets and frequencies.

    Sites of cluster k are ``offsets[k]:offsets[k + 1]``, clusters sorted by
    decreasing size (frequency rank k + 1).
    """

    sizes: np.ndarray
    offsets: np.ndarray
    adjacency: scipy.sparse.csr_matrix
    targets: np.ndarray

    @property
    def frequencies(self):
        return self.sizes / self.sizes.sum()

    @property
    def owner(self):
        """The cluster of every site."""
        return np.repeat(np.arange(len(self.sizes)), self.sizes)


@dataclass(frozen=True)
class Scan:
    """Losses at each size (rows: seeds), and the derived theory on each seed's dataset."""

    sizes: np.ndarray
    losses: np.ndarray
    theory: np.ndarray

    @property
    def median(self):
        return np.median(self.losses, axis=0)

    def band(self, low=10, high=90):
        """The seed band: percentiles of the losses at each size."""
        return np.percentile(self.losses, low, axis=0), np.percentile(self.losses, high, axis=0)


def dataset(clusters, *, z=200, p=None, min_size=30, max_size=30000, seed=0):
    """``clusters`` Bethe-lattice clusters with min_size <= s <= max_size, and their random-walk targets.

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> data.sizes.tolist(), data.targets[:2].round(2).tolist()
    ([34, 7, 5], [-0.43, -0.85])
    """
    clusters = integer_argument(clusters, "clusters", 1)
    z = integer_argument(z, "z", 2)
    p = bethe_critical_probability(z) if p is None else probability_argument(p)
    min_size, max_size = integer_argument(min_size, "min_size", 1), integer_argument(max_size, "max_size", 1)
    if max_size < min_size:
        raise ParameterError(f"max_size = {max_size} is below min_size = {min_size}")
    rng = np.random.default_rng(integer_argument(seed, "seed", 0))
    trees = []
    for _ in range(MAX_ATTEMPTS):
        tree = grow(z, p, rng, max_size)
        if tree is not None and tree.size >= min_size:
            trees.append(tree)
            if len(trees) == clusters:
                break
    else:
        raise ParameterError(f"fewer than {clusters} clusters of {min_size}..{max_size} sites in {MAX_ATTEMPTS} seeds")
    trees.sort(key=lambda tree: -tree.size)
    sizes = np.array([tree.size for tree in trees])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    targets = []
    for tree in trees:
        walk = tree.random_walk(rng)
        spread = walk.std()
        targets.append((walk - walk.mean()) / (spread if spread > 0 else 1.0))  # one site: the target is its mean
    adjacency = scipy.sparse.block_diag([tree.adjacency() for tree in trees], format="csr")
    return Dataset(sizes, offsets, adjacency, np.concatenate(targets))


def nearest_neighbour_loss(data, prototypes, cut=1):
    """The MSE of each cluster when the sites ``prototypes`` (global indices) carry their targets.

    Every site takes the target of its nearest prototype in tree distance;
    a cluster with fewer than ``cut`` distinct prototypes predicts 0 (its mean).

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> loss = nearest_neighbour_loss(data, np.arange(data.sizes.sum()))
    >>> loss.tolist()
    [0.0, 0.0, 0.0]
    >>> nearest_neighbour_loss(data, np.array([], dtype=int)).round(12).tolist()
    [1.0, 1.0, 1.0]
    """
    prototypes = np.unique(prototypes)
    owner = data.owner
    counts = np.bincount(owner[prototypes], minlength=len(data.sizes))
    used = prototypes[counts[owner[prototypes]] >= cut]
    prediction = np.zeros(len(data.targets))
    if used.size:
        _, _, source = dijkstra(data.adjacency, directed=False, indices=used, unweighted=True,
                                return_predecessors=True, min_only=True)
        reached = source >= 0
        prediction[reached] = data.targets[source[reached]]
    error = (prediction - data.targets) ** 2
    return np.bincount(owner, error, minlength=len(data.sizes)) / data.sizes


def single_cluster_amplitude(*, z=200, clusters=300, min_size=30, max_size=30000, prototypes=(8, 16, 32),
                             seed=0):
    """A of one cluster's loss A n**-beta, measured on ``clusters`` separate clusters of the window.

    Each cluster gets n random prototypes for each n of ``prototypes``; A is
    the mean of MSE * n**beta over clusters weighted by their size (as the
    loss weights them by P_k), over the n; its error is the standard error of
    that weighted mean over clusters.

    Returns
    -------
    (A, error)

    Examples
    --------
    >>> A, error = single_cluster_amplitude(clusters=10, seed=1)
    >>> bool(1 < A < 4), bool(error < A / 2)
    (True, True)
    """
    data = dataset(clusters, z=z, min_size=min_size, max_size=max_size, seed=seed)
    rng = np.random.default_rng([seed, 1])
    scaled = np.mean([nearest_neighbour_loss(data, _prototypes(data, np.full(clusters, n), rng)) * n**BETA
                      for n in prototypes], axis=0)
    weights = data.frequencies
    mean = float(weights @ scaled)
    error = math.sqrt(float(weights**2 @ (scaled - mean) ** 2))  # the variance of a weighted mean
    return mean, error


def allocation(frequencies, total, amplitude, beta=BETA):
    """Integer n_k >= 0 summing to ``total`` that minimise sum_k P_k min(1, A n_k**-beta).

    The stationary allocation n_k = (A beta P_k / mu)**(1/(1+beta)) on the
    clusters where it is at least the cut n_cut = A**(1/beta) (below it the
    cluster is better left to its mean), mu by bisection; rounded down, the
    remainder going to the largest fractional parts.

    Examples
    --------
    >>> allocation(np.array([0.5, 0.3, 0.2]), 10, 1.0).tolist()  # ∝ P_k**(2/3): 4.5, 3.2, 2.4
    [5, 3, 2]
    """
    frequencies = np.asarray(frequencies, dtype=float)
    cut = amplitude ** (1 / beta)

    def shares(log_mu):
        n = (amplitude * beta * frequencies) ** (1 / (1 + beta)) * math.exp(-log_mu / (1 + beta))
        return np.where(n >= cut, n, 0.0)

    low, high = -200.0, 200.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if shares(middle).sum() > total:
            low = middle
        else:
            high = middle
    n = shares(high)
    whole = np.floor(n).astype(int)
    remainder = int(total - whole.sum())
    if remainder > 0:
        whole[np.argsort(-(n - whole))[:remainder]] += 1
    return whole


def _one_cluster_loss(counts, amplitude):
    """min(1, A n**-beta), and 1 (the mean) below the cut n_cut = A**(1/beta), for n = 0 in particular."""
    counts = np.asarray(counts, dtype=float)
    return np.where(counts >= amplitude ** (1 / BETA), amplitude * np.maximum(counts, 1.0) ** -BETA, 1.0)


def _prototypes(data, counts, rng):
    """n_k distinct random sites of each cluster k (all of it if n_k >= s_k), as global indices."""
    return np.concatenate([start + rng.choice(s, size=min(n, s), replace=False)
                           for start, s, n in zip(data.offsets[:-1], data.sizes, counts) if n > 0] or
                          [np.array([], dtype=int)])


def model_scan(sizes, *, amplitude, clusters=100, min_size=30, max_size=30000, seeds=5, z=200, seed=0):
    """Loss against the number N of prototypes allocated optimally, one dataset per seed.

    Examples
    --------
    >>> scan = model_scan([10, 100], amplitude=1.0, clusters=10, seeds=2, min_size=30, max_size=3000)
    >>> scan.losses.shape, bool((scan.losses[:, 1] < scan.losses[:, 0]).all())
    ((2, 2), True)
    """
    sizes = np.array([integer_argument(n, "N", 1) for n in sizes])
    losses, theory = np.empty((seeds, len(sizes))), np.empty((seeds, len(sizes)))
    cut = amplitude ** (1 / BETA)
    for row in range(integer_argument(seeds, "seeds", 1)):
        data = dataset(clusters, z=z, min_size=min_size, max_size=max_size, seed=seed * 100003 + row)
        rng = np.random.default_rng([seed, row, 2])
        for column, total in enumerate(sizes):
            counts = allocation(data.frequencies, total, amplitude)
            losses[row, column] = data.frequencies @ nearest_neighbour_loss(data, _prototypes(data, counts, rng), cut)
            theory[row, column] = data.frequencies @ _one_cluster_loss(counts, amplitude)
    return Scan(sizes, losses, theory)


def data_scan(sizes, *, amplitude, clusters=100, min_size=30, max_size=30000, seeds=5, z=200, seed=0, draws=200):
    """Loss against the number P of training sites drawn from the data, one dataset per seed.

    The P sites are distinct (drawn without replacement); the theory averages
    sum_k P_k min(1, A m_k**-beta) (1 where m_k = 0) over ``draws``
    multivariate-hypergeometric draws of the counts m_k.

    Examples
    --------
    >>> scan = data_scan([10, 1000], amplitude=1.0, clusters=10, seeds=2, min_size=30, max_size=3000)
    >>> bool((scan.losses[:, 1] < scan.losses[:, 0]).all())
    True
    """
    sizes = np.array([integer_argument(n, "P", 1) for n in sizes])
    losses, theory = np.empty((seeds, len(sizes))), np.empty((seeds, len(sizes)))
    cut = amplitude ** (1 / BETA)
    for row in range(integer_argument(seeds, "seeds", 1)):
        data = dataset(clusters, z=z, min_size=min_size, max_size=max_size, seed=seed * 100003 + row)
        rng = np.random.default_rng([seed, row, 3])
        total = int(data.sizes.sum())
        for column, samples in enumerate(sizes):
            if samples > total:
                raise ParameterError(f"P = {samples} is more than the {total} sites of the data")
            drawn = rng.choice(total, size=samples, replace=False)
            losses[row, column] = data.frequencies @ nearest_neighbour_loss(data, drawn, cut)
            counts = rng.multivariate_hypergeometric(data.sizes, samples, size=draws)
            theory[row, column] = float(np.mean(_one_cluster_loss(counts, amplitude) @ data.frequencies))
    return Scan(sizes, losses, theory)


def experiment(scale="small", seed=0):
    """Brill's experiment: the amplitude A, then the model-size and data-size scans.

    ``scale`` is ``"small"`` (:data:`SMALL`, about 20 s on two cores) or
    ``"full"`` (:data:`FULL`, Brill's sizes).

    Returns
    -------
    dict with ``amplitude`` (A, error), ``model`` and ``data`` (:class:`Scan`).

    Examples
    --------
    >>> experiment("tiny")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: scale must be 'small' or 'full', got 'tiny'
    """
    scales = {"small": SMALL, "full": FULL}
    if scale not in scales:
        raise ParameterError(f"scale must be 'small' or 'full', got {scale!r}")
    settings = dict(scales[scale])
    sizes, seeds = settings.pop("sizes"), settings.pop("seeds")
    # three times the dataset's clusters: A is a size-weighted mean, carried by the few largest clusters
    amplitude = single_cluster_amplitude(seed=seed + 1000, **{**settings, "clusters": 3 * settings["clusters"]})
    return {"amplitude": amplitude,
            "model": model_scan(sizes, amplitude=amplitude[0], seeds=seeds, seed=seed, **settings),
            "data": data_scan(sizes, amplitude=amplitude[0], seeds=seeds, seed=seed, **settings)}
