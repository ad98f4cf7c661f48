"""Brill's experiment: nearest-neighbour regression on percolation clusters, with Bayesian shrinkage.

A dataset is a set of Bethe-lattice clusters at p_c grown from seeds and
kept when their size lies in a window (:func:`largen.solver.percolation.forest.bethe_forest`);
a cluster's frequency is its share of the sites, P_k = s_k / sum s. The
target on a cluster is a random walk along its tree with Gaussian steps,
standardised per cluster (mean 0, variance 1). Every site is predicted from
its nearest prototype in tree distance; the loss is the mean over all sites,
sum_k P_k MSE_k, 1 for predicting every cluster's mean.

- Model-size scan (the data unlimited): N prototypes, n_k per cluster from the
  optimal allocation (:func:`allocation`), spread evenly along each tree
  (:func:`largen.solver.percolation.forest.spread_sites`); each prototype's value
  is fitted on all the sites nearest it, by least squares: the mean of its cell
  (:func:`cell_losses`).
- Data-size scan: P training sites drawn uniformly (cluster k receives about
  P P_k of them) are the prototypes, and carry their own targets. A site x at
  tree distance l from its nearest training site y is predicted with Bayesian
  shrinkage towards the cluster mean, rho f(y), rho = max(0, 1 - v_k l / 2): the
  best linear predictor under the random-walk prior, whose variogram is
  E (f(x) - f(y))**2 = v_k l at unit variance. The per-cluster scale factor v_k is
  fitted by least squares of (f(y) - f(y'))**2 = v_k l(y, y') over the training
  pairs whose cells meet (:func:`largen.solver.percolation.forest.voronoi_pairs`);
  a cluster with fewer than two training sites has no scale and predicts its mean
  (:func:`cluster_losses`).
- Allocation scan: n_k ∝ P_k**g at fixed N; the derived optimum is
  g = 1/(1 + beta_cl) (:func:`largen.solver.percolation.laws.allocation_exponent`).

One cluster's loss falls as A_k n**-beta_cl with n prototypes; beta_cl = c/D
is derived (:func:`largen.solver.percolation.laws.cluster_exponent`) from the
Bethe lattice's D = 2 d_l, d_l = 2 the chemical dimension of a critical
branching tree (R**2 ∝ l for independent lattice steps in d = 100), and c = 2
(the walk's variance grows as l ∝ R**2). The per-cluster amplitudes A_k are
fitted on pilot placements and shrunk towards their mean by empirical Bayes
(:func:`cluster_amplitudes`); they set the allocation and the derived loss
functional sum_k P_k min(1, A_k n_k**-beta_cl) drawn over each scan (:func:`functional`).

Examples
--------
>>> data = dataset(20, min_size=30, max_size=3000, seed=1)
>>> len(data.sizes), int(data.sizes.min()) >= 30, round(float(data.frequencies.sum()), 12)
(20, True, 1.0)
"""

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from largen.diagrams.errors import ParameterError
from largen.solver.percolation._validate import choice_argument, integer_argument
from largen.solver.percolation.forest import (MAX_BATCHES, bethe_forest, meeting_pairs, nearest_marks, random_walk,
                                              spread_sites, standardise)
from largen.solver.percolation.laws import allocation_exponent, cluster_exponent

__all__ = ["BETHE", "Dataset", "Scan", "dataset", "cluster_exponent_of", "fit_scales", "cluster_losses",
           "cell_losses", "cluster_amplitudes", "allocation", "model_scan", "data_scan", "allocation_scan",
           "functional"]

# the exact exponents of the Bethe lattice at p_c: tau = 5/2 (mean field), D = 2 d_l with the chemical
# dimension d_l = 2 of a critical branching tree, c = 2 for a target whose variance grows as l ∝ R**2
BETHE = {"tau": sympy.Rational(5, 2), "D": sympy.Integer(4), "c": sympy.Integer(2)}
PILOT = (8, 16, 32)  # prototypes per cluster on which the amplitudes A_k are measured


def cluster_exponent_of(constants=None):
    """beta_cl = c/D of the laws at the constants {"c": ..., "D": ...} (default :data:`BETHE`), as a float.

    Examples
    --------
    >>> cluster_exponent_of(), cluster_exponent_of({"c": 4, "D": 4})
    (0.5, 1.0)
    """
    constants = BETHE if constants is None else constants
    return float(cluster_exponent(constants["c"], constants["D"]))


@dataclass(frozen=True)
class Dataset:
    """Clusters (a :class:`largen.solver.percolation.forest.Forest`) and their standardised targets."""

    forest: object
    targets: np.ndarray

    @property
    def sizes(self):
        return self.forest.sizes

    @property
    def offsets(self):
        return self.forest.offsets

    @property
    def frequencies(self):
        return self.forest.frequencies

    @property
    def owner(self):
        return self.forest.owner

    @cached_property
    def squares(self):
        """Each cluster's sum of squared targets (its size, up to rounding: the targets are standardised)."""
        return np.bincount(self.owner, self.targets**2, minlength=len(self.sizes))

    @cached_property
    def arranged_targets(self):
        """The targets in the forest's layout order (:attr:`largen.solver.percolation.forest.Forest.layout`)."""
        return self.targets[self.forest.layout.order]


@dataclass(frozen=True)
class Scan:
    """Losses at each size (rows: repeated draws) and the derived functional at the same allocations."""

    sizes: np.ndarray
    losses: np.ndarray
    theory: np.ndarray

    @property
    def mean(self):
        return self.losses.mean(axis=0)

    def band(self, low=10, high=90):
        """Percentiles of the repeated draws at each size."""
        return np.percentile(self.losses, low, axis=0), np.percentile(self.losses, high, axis=0)


def dataset(clusters, *, z=200, p=None, min_size=300, max_size=30000, seed=0, replica=0, progress=None):
    """``clusters`` Bethe-lattice clusters in the size window and their standardised random-walk targets.

    The walk has its own stream, ``default_rng([seed, replica, MAX_BATCHES])``, apart from the clusters'
    (:func:`largen.solver.percolation.forest.bethe_forest`).

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> data.sizes.tolist(), data.targets[:3].round(2).tolist()
    ([14, 8, 7], [-0.57, -0.06, -0.53])
    """
    forest = bethe_forest(clusters, z=z, p=p, min_size=min_size, max_size=max_size, seed=seed, replica=replica,
                          progress=progress)
    walk = random_walk(forest, np.random.default_rng([seed, replica, MAX_BATCHES]))
    return Dataset(forest, standardise(forest, walk))


def fit_scales(data, first, second, length):
    """v_k of each cluster: the least squares of (f_first - f_second)**2 = v_k * length over its pairs
    (nan where a cluster has none).

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> child = np.flatnonzero(data.forest.parent >= 0)  # every edge: the mean squared step
    >>> scales = fit_scales(data, child, data.forest.parent[child], np.ones(len(child), dtype=int))
    >>> bool(np.all(scales > 0)), bool(np.isnan(fit_scales(data, *(np.array([], int),) * 3)).all())
    (True, True)
    """
    owner = data.owner[first]
    count = len(data.sizes)
    squares = np.bincount(owner, (data.targets[first] - data.targets[second]) ** 2, minlength=count)
    lengths = np.bincount(owner, length.astype(float), minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(lengths > 0, squares / lengths, np.nan)


def cluster_losses(data, prototypes, scales=None):
    """The mean squared error of each cluster when the sites ``prototypes`` carry their targets.

    Every site takes rho * f(y) from its nearest prototype y at tree distance l,
    rho = max(0, 1 - v_k l / 2); ``scales`` (v_k) default to those fitted on the
    prototypes' meeting cells, so that a cluster with fewer than two prototypes predicts 0.

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> cluster_losses(data, np.arange(data.sizes.sum())).tolist()
    [0.0, 0.0, 0.0]
    >>> cluster_losses(data, np.array([], dtype=int)).round(12).tolist()
    [1.0, 1.0, 1.0]
    """
    marks, rank, distance = nearest_marks(data.forest, prototypes)  # in layout order, as are owner and targets
    owner, targets = data.forest.layout.owner, data.arranged_targets
    if scales is None:
        first, second, length = meeting_pairs(data.forest, rank, distance)
        scales = fit_scales(data, marks[first], marks[second], length)
    if not len(marks):
        return data.squares / data.sizes
    known = np.isfinite(scales) & (np.bincount(data.owner[marks], minlength=len(data.sizes)) > 0)
    shrink = (np.where(known, scales, 0.0) / 2)[owner]  # in place from here: the samples hold 3e7 sites
    shrink *= distance
    np.clip(np.subtract(1.0, shrink, out=shrink), 0.0, 1.0, out=shrink)
    error = data.targets[marks][rank]
    error *= shrink
    error -= targets
    loss = np.bincount(owner, np.square(error, out=error), minlength=len(data.sizes)) / data.sizes
    # a cluster without a scale (fewer than two training sites) or without a site predicts 0: its targets' mean square
    return np.where(known, loss, data.squares / data.sizes)


def cell_losses(data, prototypes):
    """The mean squared error of each cluster when each prototype predicts the mean target of its cell
    (the sites nearest it): the least-squares value with the data unlimited; 1 in a cluster without one.

    Examples
    --------
    >>> data = dataset(3, z=4, min_size=5, max_size=50, seed=2)
    >>> cell_losses(data, np.arange(data.sizes.sum())).round(12).tolist()
    [0.0, 0.0, 0.0]
    >>> cell_losses(data, data.offsets[:-1]).round(12).tolist()  # one cell per cluster: its mean, 0
    [1.0, 1.0, 1.0]
    """
    marks, rank, _ = nearest_marks(data.forest, prototypes)  # in layout order, as are the targets
    targets = data.arranged_targets
    reached = rank >= 0
    if not reached.all():
        rank, targets = rank[reached], targets[reached]
    cells = np.bincount(rank, minlength=len(marks))
    sums = np.bincount(rank, targets, minlength=len(marks))
    # a cell's squared error about its mean is its sum of squares less sum**2 / count
    explained = np.bincount(data.owner[marks], sums**2 / np.maximum(cells, 1), minlength=len(data.sizes))
    return np.maximum(data.squares - explained, 0.0) / data.sizes


def cluster_amplitudes(data, beta, rng, *, estimator="cells", pilot=PILOT, repeats=2):
    """The amplitudes A_k of each cluster's loss A_k n**-beta, with empirical-Bayes shrinkage.

    ``estimator`` is ``"cells"`` (the model-size scan's: n prototypes spread
    evenly, :func:`cell_losses`) or ``"neighbours"`` (the data-size scan's: n
    random sites carrying their targets, duplicates merged, :func:`cluster_losses`).
    Each cluster gets n prototypes for every n of ``pilot``, ``repeats`` times;
    a_k = mean of loss * n**beta, and its sampling variance the variance of that
    mean. The a_k are shrunk towards their frequency-weighted mean m by the
    normal-normal posterior mean A_k = m + w_k (a_k - m), w_k = t**2 / (t**2 + sigma_k**2),
    the spread t**2 between clusters estimated by the method of moments.

    Returns
    -------
    (A, raw) : the shrunk and the raw amplitudes.

    Examples
    --------
    >>> data = dataset(30, min_size=300, max_size=30000, seed=1)
    >>> A, raw = cluster_amplitudes(data, 0.5, np.random.default_rng(0))
    >>> bool(0.3 < np.median(A) < 3), bool(np.std(A) <= np.std(raw))
    (True, True)
    >>> cluster_amplitudes(data, 0.5, np.random.default_rng(0), estimator="kriging")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: estimator must be 'cells' or 'neighbours', got 'kriging'
    """
    choice_argument(estimator, "estimator", ("cells", "neighbours"))
    count = len(data.sizes)

    def losses(n):
        if estimator == "cells":
            return cell_losses(data, spread_sites(data.forest, np.full(count, n), rng))
        drawn = data.offsets[:-1, None] + (rng.random((count, n)) * data.sizes[:, None]).astype(np.int64)
        return cluster_losses(data, drawn.ravel())

    samples = np.array([losses(n) * n**beta for n in pilot for _ in range(repeats)])
    raw = samples.mean(axis=0)
    variance = samples.var(axis=0, ddof=1) / len(samples)
    weights = data.frequencies
    mean = float(weights @ raw)
    spread = max(float(weights @ ((raw - mean) ** 2 - variance)), 0.0)
    shrink = spread / (spread + variance) if spread > 0 else np.zeros_like(raw)
    return mean + shrink * (raw - mean), raw


def allocation(frequencies, total, amplitudes, beta):
    """Integer n_k >= 0 summing to ``total`` that minimise sum_k P_k min(1, A_k n_k**-beta).

    The stationary allocation n_k = (A_k beta P_k / mu)**(1/(1+beta)) on the
    clusters where it is at least their cut A_k**(1/beta) (below it the
    cluster is better left to its mean), mu by bisection; scaled to the total
    on those clusters, rounded down, the remainder going to the largest
    fractional parts. A budget below every cut allocates nothing.

    Examples
    --------
    >>> allocation(np.array([0.5, 0.3, 0.2]), 10, np.ones(3), 0.5).tolist()  # ∝ P_k**(2/3): 4.5, 3.2, 2.4
    [5, 3, 2]
    """
    frequencies = np.asarray(frequencies, dtype=float)
    amplitudes = np.broadcast_to(np.asarray(amplitudes, dtype=float), frequencies.shape)
    cut = amplitudes ** (1 / beta)
    base = (amplitudes * beta * frequencies) ** (1 / (1 + beta))

    def shares(log_mu):
        n = base * math.exp(-log_mu / (1 + beta))
        return np.where(n >= cut, n, 0.0)

    low, high = -200.0, 200.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if shares(middle).sum() > total else (low, middle)
    n = shares(high)  # the sum jumps where a cluster crosses its cut: the clusters in it share what is left
    return _round(n * (total / n.sum()), total) if n.sum() > 0 else np.zeros(len(n), dtype=np.int64)


def _round(n, total):
    """Non-negative reals n rounded down, the remainder up to ``total`` going to the largest fractional parts."""
    whole = np.floor(n).astype(np.int64)
    remainder = int(total - whole.sum())
    if remainder > 0:
        whole[np.argsort(-(n - whole), kind="stable")[:remainder]] += 1
    return whole


def functional(frequencies, counts, amplitudes, beta):
    """The derived loss functional sum_k P_k min(1, A_k n_k**-beta) (1 where n_k = 0).

    Examples
    --------
    >>> float(functional(np.array([0.5, 0.5]), np.array([4, 0]), np.ones(2), 0.5))
    0.75
    """
    counts = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore"):
        one = np.minimum(1.0, amplitudes * np.where(counts > 0, counts, 1.0) ** -beta)
    return np.asarray(frequencies) @ np.where(counts > 0, one, 1.0).T


def model_scan(data, sizes, *, amplitudes, beta, rng, repeats=3, progress=None):
    """Loss against the number N of prototypes (:func:`cell_losses`), allocated optimally and spread
    evenly, ``repeats`` random phases each.

    Examples
    --------
    >>> data = dataset(10, min_size=30, max_size=3000, seed=0)
    >>> scan = model_scan(data, [10, 300], amplitudes=np.full(10, 1.0), beta=0.5, rng=np.random.default_rng(0))
    >>> scan.losses.shape, bool((scan.losses[:, 1] < scan.losses[:, 0]).all())
    ((3, 2), True)
    """
    sizes = np.array([integer_argument(n, "N", 1) for n in sizes])
    repeats = integer_argument(repeats, "repeats", 1)
    losses, theory = np.empty((repeats, len(sizes))), np.empty(len(sizes))
    for column, total in enumerate(sizes):
        counts = allocation(data.frequencies, total, amplitudes, beta)
        theory[column] = functional(data.frequencies, counts, amplitudes, beta)
        for row in range(repeats):
            losses[row, column] = data.frequencies @ cell_losses(data, spread_sites(data.forest, counts, rng))
        if progress is not None:
            progress(column + 1, len(sizes))
    return Scan(sizes, losses, theory)


def data_scan(data, sizes, *, amplitudes, beta, rng, repeats=3, progress=None):
    """Loss against the number P of training sites drawn uniformly from the data (distinct sites),
    ``repeats`` draws each; the functional is taken at each draw's counts m_k and averaged.

    Examples
    --------
    >>> data = dataset(10, min_size=30, max_size=3000, seed=0)
    >>> scan = data_scan(data, [10, 1000], amplitudes=np.full(10, 2.0), beta=0.5, rng=np.random.default_rng(0))
    >>> bool((scan.losses[:, 1] < scan.losses[:, 0]).all())
    True
    """
    sizes = np.array([integer_argument(n, "P", 1) for n in sizes])
    repeats = integer_argument(repeats, "repeats", 1)
    total = int(data.offsets[-1])
    if sizes.max() > total:
        raise ParameterError(f"P = {sizes.max()} is more than the {total} sites of the data")
    losses, theory = np.empty((repeats, len(sizes))), np.zeros(len(sizes))
    for column, samples in enumerate(sizes):
        for row in range(repeats):
            drawn = rng.choice(total, size=samples, replace=False)
            losses[row, column] = data.frequencies @ cluster_losses(data, drawn)
            counts = np.bincount(data.owner[drawn], minlength=len(data.sizes))
            theory[column] += functional(data.frequencies, counts, amplitudes, beta) / repeats
        if progress is not None:
            progress(column + 1, len(sizes))
    return Scan(sizes, losses, theory)


def allocation_scan(data, total, exponents, *, amplitudes, beta, rng, repeats=3):
    """Loss at N = ``total`` prototypes (:func:`cell_losses`) allocated as n_k ∝ P_k**g, for each g of
    ``exponents``; the derived optimum is g = :func:`largen.solver.percolation.laws.allocation_exponent` (beta).

    Examples
    --------
    >>> data = dataset(10, min_size=30, max_size=3000, seed=0)
    >>> scan = allocation_scan(data, 300, [0, 2/3], amplitudes=np.full(10, 1.0), beta=0.5,
    ...                        rng=np.random.default_rng(0))
    >>> scan.losses.shape, float(allocation_exponent(sympy.Rational(1, 2)))
    ((3, 2), 0.6666666666666666)
    """
    total = integer_argument(total, "N", 1)
    exponents = np.asarray(exponents, dtype=float)
    losses, theory = np.empty((integer_argument(repeats, "repeats", 1), len(exponents))), np.empty(len(exponents))
    for column, g in enumerate(exponents):
        share = data.frequencies**g
        counts = _round(total * share / share.sum(), total)
        theory[column] = functional(data.frequencies, counts, amplitudes, beta)
        for row in range(len(losses)):
            losses[row, column] = data.frequencies @ cell_losses(data, spread_sites(data.forest, counts, rng))
    return Scan(exponents, losses, theory)
