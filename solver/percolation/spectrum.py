"""Percolation data as a latent covariance spectrum, for the random-feature theory of :mod:`largen.solver.numerics`.

The data covariance of Brill's model is block diagonal: cluster k carries
the mass P_k and, within it, the covariance of its target, a random walk
along the cluster's tree. Standardised (unit variance over the cluster), the
walk's covariance has eigenvalues mu_m ∝ m**-(1 + beta_cl), m = 1..s_k: a
piecewise-constant fit with n pieces leaves the tail sum_{m>n} mu_m ∝ n**-beta_cl,
the loss of one cluster, so the decay is set by beta_cl = c/D
(:func:`largen.solver.percolation.laws.cluster_exponent`; measured on actual
trees by :func:`walk_spectrum`). The spectrum of the data is the union of
P_k mu_m over clusters and modes, of trace 1 (:func:`data_spectrum`,
:func:`law_spectrum`). A linear random-feature model with a teacher isotropic
in this basis (MRS: the target's variance along a direction is its eigenvalue)
then learns the same target as Brill's regressor.

:func:`subtask_spectrum` is the coarser spectrum of one eigenvalue per
cluster (its mass), which has no within-cluster resolution.

Examples
--------
>>> spectrum = law_spectrum(3)
>>> len(spectrum.pieces), round(float(spectrum.power_sum(1)), 12)
(3, 1.0)
"""

import math

import mpmath
import numpy as np
import sympy

from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import ParameterError
from largen.solver.numerics.spectrum import Listed, Spectrum
from largen.solver.percolation._validate import integer_argument
from largen.solver.percolation.fit import percolation_spectrum
from largen.solver.percolation.laws import cluster_exponent, rank_frequency_alpha

__all__ = ["subtask_spectrum", "data_spectrum", "law_spectrum", "walk_spectrum"]

DIGITS = 30  # digits of the decimal amplitudes handed to the spectrum


def subtask_spectrum(lattice, *, z=None, d=None, p=None, clusters=100000, seed=0, source="simulation"):
    """One eigenvalue per subtask, its frequency P_k (trace 1): the arguments and sources of
    :func:`largen.solver.percolation.fit.percolation_spectrum`, as a Spectrum.

    Examples
    --------
    >>> law = subtask_spectrum("bethe", source="exact")
    >>> law.size, law.pieces[0].alpha, float(law.power_sum(1))  # P_k = k**-2 / zeta(2)
    (inf, 1, 1.0)
    >>> subtask_spectrum("bethe", z=3, clusters=5, seed=1).size
    5
    """
    found = percolation_spectrum(lattice, z, d, p, clusters, seed, source)
    if source == "simulation":
        return Spectrum([Listed(tuple(found))])
    alpha, lam_plus = found
    return Spectrum.power_law(alpha, math.inf, lam_plus)


def _decimal(value):
    return mpmath.nstr(value, DIGITS, strip_zeros=False)


def data_spectrum(frequencies, beta, sizes=None):
    """The spectrum of Brill's data: for each cluster k, P_k mu_m with mu_m = m**-(1+beta) / H,
    m = 1..s_k (to infinity without ``sizes``), normalised to one per cluster, so that the trace is sum P_k.

    Parameters
    ----------
    frequencies : sequence of positive numbers
        The cluster masses P_k.
    beta : number
        One cluster's loss exponent beta_cl = c/D (> 0).
    sizes : sequence of int, optional
        The cluster sizes s_k: the number of modes of each.

    Examples
    --------
    >>> spectrum = data_spectrum([0.75, 0.25], 0.5, sizes=[3, 2])
    >>> spectrum.size, [round(x, 4) for x in spectrum.array().tolist()]
    (5, [0.4851, 0.1715, 0.0934, 0.1847, 0.0653])
    >>> data_spectrum([1.0], 0)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: beta must be positive, got 0
    """
    frequencies = [float(f) for f in frequencies]
    if not frequencies or min(frequencies) <= 0:
        raise ParameterError("the cluster masses must be positive")
    if not float(beta) > 0:
        raise ParameterError(f"beta must be positive, got {beta}")
    if sizes is not None and len(sizes) != len(frequencies):
        raise ParameterError(f"{len(frequencies)} masses but {len(sizes)} sizes")
    modes = [math.inf] * len(frequencies) if sizes is None else [integer_argument(s, "size", 1) for s in sizes]
    exponent = sympy.nsimplify(beta) if isinstance(beta, (int, float)) else \
        parse_number(beta, what="beta") if isinstance(beta, str) else as_expr(beta)
    with mpmath.workdps(DIGITS + 10):
        s = 1 + mpmath.mpf(sympy.Float(exponent, DIGITS + 10))
        total = mpmath.zeta(s)
        pieces = []
        for mass, count in zip(frequencies, modes):
            norm = total if count == math.inf else total - mpmath.zeta(s, count + 1)
            pieces += Spectrum.power_law(str(exponent), count, _decimal(mpmath.mpf(mass) / norm)).pieces
    return Spectrum(pieces)


def law_spectrum(clusters, tau=sympy.Rational(5, 2), D=4, c=2):
    """The spectrum of ``clusters`` subtasks at the exponents of the laws: P_k ∝ k**-(1+alpha) over
    k = 1..clusters (normalised), alpha = alpha(tau), and infinitely many modes per cluster with
    beta_cl = c/D (:func:`data_spectrum`). The default is the Bethe lattice at p_c.

    Examples
    --------
    >>> spectrum = law_spectrum(2)
    >>> [(piece.alpha, piece.size, round(float(piece.lam_plus), 6)) for piece in spectrum.pieces]
    [(1/2, inf, 0.306235), (1/2, inf, 0.076559)]
    """
    clusters = integer_argument(clusters, "clusters", 1)
    alpha = float(rank_frequency_alpha(tau))
    ranks = np.arange(1, clusters + 1, dtype=float) ** -(1 + alpha)
    return data_spectrum(ranks / ranks.sum(), cluster_exponent(c, D))


def walk_spectrum(cluster):
    """The eigenvalues, largest first and summing to one, of the covariance of the standardised random walk
    on a :class:`largen.solver.percolation.clusters.Cluster` (exact; s up to a few thousand sites).

    The walk from the seed has Cov(f_i, f_j) = the depth of the lowest common ancestor, the number
    of edges shared by the two paths from the seed: A A^T with A[i, e] = 1 when edge e is on the path
    to i. Centred over the cluster and divided by its trace.

    Examples
    --------
    >>> from largen.solver.percolation.clusters import bethe_cluster
    >>> values = walk_spectrum(bethe_cluster(3, seed=8))
    >>> len(values), round(float(values.sum()), 12), bool(values[0] > values[1])
    (14, 1.0, True)
    """
    size = cluster.size
    if size > 5000:
        raise ParameterError(f"a cluster of {size} sites is beyond the exact spectrum's 5000")
    paths = np.zeros((size, size))
    for site in range(1, size):  # parents come first, so a parent's path is complete
        paths[site] = paths[cluster.parent[site]]
        paths[site, site] = 1.0
    covariance = paths @ paths.T
    centred = covariance - covariance.mean(axis=0) - covariance.mean(axis=1)[:, None] + covariance.mean()
    values = np.linalg.eigvalsh(centred)[::-1]
    values = np.clip(values, 0.0, None)
    return values / values.sum()
