"""Critical exponents measured on percolation clusters, each with its standard error.

- τ: maximum likelihood of the discrete power law P(s) ∝ s**-a on
  s_min <= s <= s_max, normalised by Hurwitz zeta functions; the error is the
  inverse square root of the Fisher information. Clusters grown from a seed
  are drawn ∝ s n_s, so there a = τ - 1; counted once per cluster, a = τ.
- α: the rank–frequency exponent of the subtasks, P_k ∝ k**-(1+α). Ranking
  clusters grown from a seed by size, log s_(k) against log k has slope
  -1/a_tail, a_tail the exponent of P(S >= s); a_tail is the maximum-likelihood
  (Hill) estimate on the largest clusters, the censored giants included, and
  1 + α = 1/a_tail.
- D: the slope of log s against log R (least squares of log R on log s, whose
  scatter is the cluster-to-cluster one).
- p_c: the median of the spanning thresholds of random boxes.

Examples
--------
>>> fit = fit_power_law([1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 5, 9], s_min=1)
>>> round(fit.value, 3), round(fit.error, 3)
(1.875, 0.265)
"""

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.optimize import brentq, curve_fit

from diagrams.errors import ParameterError

from .clusters import spanning_thresholds

__all__ = ["Estimate", "fit_power_law", "fit_tau", "rank_frequency_exponent", "fractal_dimension",
           "critical_probability"]


@dataclass(frozen=True)
class Estimate:
    """A measured value with its standard error, and the number of data it rests on."""

    value: float
    error: float
    count: int

    def __str__(self):
        return f"{self.value:.4g} ± {self.error:.2g}"


def _sizes(values, s_min, s_max):
    values = np.asarray(values)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise ParameterError("sizes must be a one-dimensional array of integers")
    if not (isinstance(s_min, (int, np.integer)) and s_min >= 1):
        raise ParameterError(f"s_min must be a positive integer, got {s_min!r}")
    if s_max is not None and not (isinstance(s_max, (int, np.integer)) and s_max > s_min):
        raise ParameterError(f"s_max must be an integer above s_min = {s_min}, got {s_max!r}")
    kept = values[(values >= s_min) & (values <= (s_max if s_max is not None else values.max(initial=0)))]
    if len(kept) < 10:
        raise ParameterError(f"only {len(kept)} sizes in [{s_min}, {s_max or 'inf'}]: at least 10 are needed")
    return kept


def fit_power_law(values, *, s_min, s_max=None):
    """The maximum-likelihood exponent a of P(s) = s**-a / Z(a), s_min <= s <= s_max.

    Z(a) = zeta(a, s_min) - zeta(a, s_max + 1) (Hurwitz); the estimate solves
    E_a[log s] = mean(log s), the error is 1/sqrt(n Var_a(log s)). Without
    ``s_max`` the law is untruncated and a > 1.

    Raises
    ------
    ParameterError
        Fewer than 10 values in range, or a mean of log s that no exponent in
        (-10, 10) reproduces (the data are not a power law there).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.floor(rng.pareto(1.5, 20000) + 1).astype(int)  # P(S >= s) = s**-1.5
    >>> fit = fit_power_law(sizes, s_min=20)
    >>> bool(abs(fit.value - 2.5) < 3 * fit.error), fit.count
    (True, 213)
    """
    kept = _sizes(values, s_min, s_max)
    mean_log = float(np.mean(np.log(kept)))
    top = mpmath.inf if s_max is None else s_max + 1

    def derivatives(a):
        a = mpmath.mpf(a)
        if top == mpmath.inf:
            return [mpmath.zeta(a, s_min, j) for j in range(3)]
        return [mpmath.zeta(a, s_min, j) - mpmath.zeta(a, top, j) for j in range(3)]

    def score(a):
        z0, z1, _ = derivatives(a)
        return float(-z1 / z0) - mean_log

    low = 1 + 1e-9 if s_max is None else -10.0
    try:
        value = brentq(score, low, 10.0, xtol=1e-10)
    except ValueError:
        raise ParameterError(f"no power-law exponent in ({low:g}, 10) fits these sizes") from None
    if s_max is not None and abs(value - 1) < 1e-6:  # Z has a removable pole at a = 1: step off it
        value += 1e-6
    z0, z1, z2 = derivatives(value)
    variance = float(z2 / z0 - (z1 / z0) ** 2)
    return Estimate(value, 1 / math.sqrt(len(kept) * variance), len(kept))


def fit_tau(sample, *, s_min, s_max=None, weighting="site"):
    """τ from a :class:`solver.clusters.ClusterSizes` sample.

    ``weighting="site"`` (clusters grown from a seed, or those of random
    occupied sites): the sizes follow s n_s ∝ s**(1-τ). ``"cluster"`` (every
    cluster of a box once): n_s ∝ s**-τ. ``s_max`` defaults to the sample's
    censoring limit, so that the fit is the likelihood conditional on being
    complete.

    Examples
    --------
    >>> from solver.clusters import bethe_cluster_sizes
    >>> tau = fit_tau(bethe_cluster_sizes(20000, z=3, max_size=10**5, seed=0), s_min=100)
    >>> bool(abs(tau.value - 2.5) < 3 * tau.error)
    True
    """
    shift = {"site": 1, "cluster": 0}
    if weighting not in shift:
        raise ParameterError(f"weighting must be 'site' or 'cluster', got {weighting!r}")
    fit = fit_power_law(sample.sizes, s_min=s_min, s_max=sample.limit if s_max is None else s_max)
    return Estimate(fit.value + shift[weighting], fit.error, fit.count)


def rank_frequency_exponent(sample, *, s_min):
    """α of P_k ∝ k**-(1+α), the subtasks being the clusters of a seed-grown sample ranked by size.

    The tail P(S >= s) ∝ s**-a of the sizes at and above ``s_min`` is fitted
    by maximum likelihood with the censored clusters (known only to exceed
    ``sample.limit``) in the likelihood; a discrete size s stands for the
    interval [s - 1/2, s + 1/2]. Then 1 + α = 1/a, and the error follows.

    Examples
    --------
    >>> from solver.clusters import bethe_cluster_sizes
    >>> alpha = rank_frequency_exponent(bethe_cluster_sizes(20000, z=3, max_size=10**5, seed=0), s_min=100)
    >>> bool(abs(alpha.value - 1) < 3 * alpha.error)
    True
    """
    kept = _sizes(sample.sizes, s_min, None)
    if sample.limit < s_min:
        raise ParameterError(f"s_min = {s_min} is above the censoring limit {sample.limit}")
    edge = s_min - 0.5
    exposure = np.sum(np.log(kept / edge)) + sample.censored * math.log((sample.limit + 0.5) / edge)
    a = len(kept) / exposure
    error_a = a / math.sqrt(len(kept))
    return Estimate(1 / a - 1, error_a / a**2, len(kept))


def fractal_dimension(sizes, radii, *, s_min, offset=False):
    """D of s ∝ R**D from clusters of size >= s_min (and a positive radius).

    Least squares of log R on log s (the scatter is in R at given s). With
    ``offset`` the law is R = a s**(1/D) + b: a radius counted in lattice
    steps from a seed (the chemical radius on a tree) carries a constant of
    order one step, a correction of relative size s**(-1/D) that the plain
    fit would fold into D. The error is the standard error of 1/D, carried to D.

    Examples
    --------
    >>> s = np.array([10, 20, 40, 80, 160, 320])
    >>> D = fractal_dimension(s, s**0.25 * np.array([1, 1.01, 0.99, 1, 1.02, 0.98]), s_min=10)
    >>> str(D), D.count
    ('4.041 ± 0.087', 6)
    >>> s = np.arange(10, 400)
    >>> round(fractal_dimension(s, 2 * s**0.5 - 1, s_min=10, offset=True).value, 9)
    2.0
    """
    sizes, radii = np.asarray(sizes, dtype=float), np.asarray(radii, dtype=float)
    if sizes.shape != radii.shape or sizes.ndim != 1:
        raise ParameterError("sizes and radii must be one-dimensional arrays of one shape")
    keep = (sizes >= s_min) & (radii > 0)
    if keep.sum() < 4 or np.ptp(np.log(sizes[keep])) == 0:
        raise ParameterError(f"fewer than 4 clusters of distinct sizes >= {s_min}: D cannot be measured")
    x, y = np.log(sizes[keep]), np.log(radii[keep])
    x_centered = x - x.mean()
    slope = np.dot(x_centered, y - y.mean()) / np.dot(x_centered, x_centered)
    if offset:
        def law(log_s, log_a, exponent, b):
            return np.log(np.maximum(np.exp(log_a + exponent * log_s) + b, 1e-300))

        (_, slope, _), covariance = curve_fit(law, x, y, p0=[y.mean() - slope * x.mean(), slope, 0.0])
        error = math.sqrt(max(covariance[1, 1], 0.0))
    else:
        residual = y - y.mean() - slope * x_centered
        error = math.sqrt(np.dot(residual, residual) / (len(x) - 2) / np.dot(x_centered, x_centered))
    return Estimate(float(1 / slope), float(error / slope**2), int(keep.sum()))


def critical_probability(L, d, samples, *, seed=0):
    """p_c of the hypercubic lattice Z^d, from ``samples`` boxes of side L.

    The median of the spanning thresholds (:func:`solver.clusters.spanning_thresholds`);
    its error is that of a sample median, sqrt(pi/2) sigma/sqrt(n). The
    finite-size shift of the median, of order L**(-1/nu) or less, is not in the error.

    Examples
    --------
    >>> pc = critical_probability(64, 2, 40, seed=1)
    >>> bool(abs(pc.value - 0.592746) < 4 * pc.error)
    True
    """
    thresholds = spanning_thresholds(L, d, samples, seed=seed)
    if samples < 2:
        raise ParameterError("at least 2 boxes are needed for an error")
    error = math.sqrt(math.pi / 2) * np.std(thresholds, ddof=1) / math.sqrt(samples)
    return Estimate(float(np.median(thresholds)), float(error), samples)
