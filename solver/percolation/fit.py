"""Critical exponents measured on percolation clusters, each with its standard error.

- τ: maximum likelihood of the discrete power law P(s) ∝ s**-a on
  s_min <= s <= s_max, normalised by Hurwitz zeta functions; the error is the
  inverse square root of the Fisher information (or with its leading
  correction to scaling, s**-a (1 + b s**-omega), :func:`fit_corrected_power_law`). Clusters grown from a seed
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
import sympy
from scipy.optimize import curve_fit, minimize

from largen.diagrams.errors import CostError, ParameterError
from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.regimes.asymptotics import ALPHA
from largen.solver.percolation.laws import CLUSTER_EXPONENT, TAU, allocation_laws, rank_frequency_alpha, sampling_laws

from largen.solver.percolation._validate import choice_argument, integer_argument
from largen.solver.percolation.clusters import (ClusterSizes, bethe_cluster_sizes, lattice_cluster_sizes, lattice_radii,
                                                spanning_thresholds)

__all__ = ["Estimate", "fit_power_law", "fit_corrected_power_law", "fit_tau", "rank_frequency_exponent", "fractal_dimension",
           "critical_probability", "percolation_report", "percolation_spectrum"]


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

    def newton_step(a):
        z0, z1, z2 = derivatives(a)
        score = float(-z1 / z0) - mean_log  # E_a[log s] - mean log s, falling in a
        return score, float(z2 / z0 - (z1 / z0) ** 2)  # minus its derivative: Var_a(log s)

    # Newton from the continuous estimate, kept inside a bracket that shrinks with every step
    low, high = (1 + 1e-9 if s_max is None else -10.0), 10.0
    value = min(max(1 + 1 / max(mean_log - math.log(s_min - 0.5), 1e-3), low + 1e-6), high - 1e-6)
    for _ in range(100):
        score, variance = newton_step(value)
        if score > 0:
            low = value
        else:
            high = value
        step = value + score / variance
        value = step if low < step < high else 0.5 * (low + high)
        if abs(score) < 1e-12 * max(1.0, abs(mean_log)) or high - low < 1e-12:
            break
    else:
        raise ParameterError("the power-law fit does not converge")
    if not (-10 + 1e-6 < value < 10 - 1e-6) or (s_max is None and value <= 1 + 1e-6):  # stuck at an edge
        raise ParameterError("no power-law exponent in (-10, 10) fits these sizes")
    if s_max is not None and abs(value - 1) < 1e-6:  # Z has a removable pole at a = 1: step off it
        value += 1e-6
    z0, z1, z2 = derivatives(value)
    variance = float(z2 / z0 - (z1 / z0) ** 2)
    return Estimate(value, 1 / math.sqrt(len(kept) * variance), len(kept))


def fit_tau(sample, *, s_min, s_max=None, weighting="site"):
    """τ from a :class:`largen.solver.percolation.clusters.ClusterSizes` sample.

    ``weighting="site"`` (clusters grown from a seed, or those of random
    occupied sites): the sizes follow s n_s ∝ s**(1-τ). ``"cluster"`` (every
    cluster of a box once): n_s ∝ s**-τ. ``s_max`` defaults to the sample's
    censoring limit, so that the fit is the likelihood conditional on being
    complete.

    Examples
    --------
    >>> from largen.solver.percolation.clusters import bethe_cluster_sizes
    >>> tau = fit_tau(bethe_cluster_sizes(20000, z=3, max_size=10**5, seed=0), s_min=100)
    >>> bool(abs(tau.value - 2.5) < 3 * tau.error)
    True
    """
    shift = {"site": 1, "cluster": 0}
    choice_argument(weighting, "weighting", tuple(shift))
    fit = fit_power_law(sample.sizes, s_min=s_min, s_max=sample.limit if s_max is None else s_max)
    return Estimate(fit.value + shift[weighting], fit.error, fit.count)


def fit_corrected_power_law(values, *, s_min, s_max, omega):
    """The maximum-likelihood exponent a of P(s) ∝ s**-a (1 + b s**-omega) on s_min <= s <= s_max, b fitted
    beside it: the power law with its leading correction to scaling (``omega`` known), whose neglect biases
    a pure power law's a towards the small sizes' slope.

    The normalisation is the explicit sum over the integers of the window; the error of a is from the
    inverse of the log-likelihood's Hessian in (a, b), by central differences.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> s = np.arange(1, 2001)
    >>> weights = s**-2.5 * (1 - 0.6 * s**-0.5)
    >>> sizes = rng.choice(s, 200000, p=weights / weights.sum())
    >>> fit = fit_corrected_power_law(sizes, s_min=2, s_max=2000, omega=0.5)
    >>> bool(abs(fit.value - 2.5) < 3 * fit.error), bool(fit.error < 0.05)
    (True, True)
    >>> bool(abs(fit_power_law(sizes, s_min=2, s_max=2000).value - 2.5) > 0.05)  # the pure power law is off
    True
    """
    kept = _sizes(values, s_min, s_max)
    s = np.arange(s_min, s_max + 1, dtype=float)
    counts = np.bincount(kept - s_min, minlength=len(s)).astype(float)

    def minus_log_likelihood(theta):
        weights = s ** -theta[0] * (1 + theta[1] * s**-omega)
        if np.any(weights <= 0):
            return 1e300
        return -float(counts @ np.log(weights / weights.sum()))

    start = fit_power_law(kept, s_min=s_min, s_max=s_max).value
    found = minimize(minus_log_likelihood, [start, 0.0], method="Nelder-Mead",
                     options={"xatol": 1e-7, "fatol": 1e-6, "maxiter": 5000})  # 1e-6 of a log-likelihood: no error
    if not found.success:
        raise ParameterError(f"the corrected power-law fit does not converge: {found.message}")
    steps = np.array([1e-4, 1e-3])
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            u, v = np.eye(2)[i] * steps[i], np.eye(2)[j] * steps[j]
            hessian[i, j] = (minus_log_likelihood(found.x + u + v) - minus_log_likelihood(found.x + u - v)
                             - minus_log_likelihood(found.x - u + v) + minus_log_likelihood(found.x - u - v)) \
                / (4 * steps[i] * steps[j])
    variance = np.linalg.inv(hessian)[0, 0]
    if not variance > 0:
        raise ParameterError("the corrected power-law fit has no curvature in the exponent: widen the window")
    return Estimate(float(found.x[0]), math.sqrt(variance), len(kept))


def rank_frequency_exponent(sample, *, s_min):
    """α of P_k ∝ k**-(1+α), the subtasks being the clusters of a seed-grown sample ranked by size.

    The tail P(S >= s) ∝ s**-a of the sizes at and above ``s_min`` is fitted
    by maximum likelihood with the censored clusters (known only to exceed
    ``sample.limit``) in the likelihood; a discrete size s stands for the
    interval [s - 1/2, s + 1/2]. Then 1 + α = 1/a, and the error follows.

    Examples
    --------
    >>> from largen.solver.percolation.clusters import bethe_cluster_sizes
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

    The median of the spanning thresholds (:func:`largen.solver.percolation.clusters.spanning_thresholds`);
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


LATTICES = {"bethe": None, "square": 2, "cubic": 3}
# thresholds of site percolation measured in the literature (Newman & Ziff 2000; Wang et al. 2013)
KNOWN_THRESHOLDS = {2: "0.59274621", 3: "0.3116077"}
# tau where it is exact: mean field on the Bethe lattice, Coulomb gas in d = 2 (den Nijs, Nienhuis)
EXACT_TAU = {"bethe": sympy.Rational(5, 2), "square": sympy.Rational(187, 91)}
BOXES = {2: 1024, 3: 128}  # box sides: clusters well inside the scaling range, a box labelled in < 1 s
# smallest cluster in the fits, where the corrections to scaling are below half an error at the default sizes
S_MIN = {"bethe": 300, "square": 100, "cubic": 100}
SMOOTHNESS = 2  # c of a piecewise-constant approximator: one cluster's loss n**(-c/D)


def _lattice(lattice, z, d, p):
    """The checked (lattice, z, d, p, p_c) of a report or a spectrum."""
    if lattice not in LATTICES:
        raise ParameterError(f"lattice must be one of {', '.join(LATTICES)}, got {lattice!r}")
    if z is not None:
        z = integer_argument(z, "z", 2)
    if d is not None:
        d = integer_argument(d, "d", 1)
    if lattice == "bethe":
        if z is None:
            z = 2 * (100 if d is None else d)  # Brill's d = 100
        if d is not None and z != 2 * d:
            raise ParameterError(f"the Bethe lattice models Z^d with z = 2d: z = {z} and d = {d} disagree")
        threshold = sympy.Rational(1, z - 1)
        dimension = sympy.Rational(z, 2)
    else:
        if z is not None:
            raise ParameterError(f"z is the Bethe lattice's coordination; the {lattice} lattice has z = 2d")
        if d is not None and d != LATTICES[lattice]:
            raise ParameterError(f"the {lattice} lattice has d = {LATTICES[lattice]}, got d = {d}")
        d = LATTICES[lattice]
        threshold = parse_number(KNOWN_THRESHOLDS[d], what="p_c")
        dimension = sympy.Integer(d)
    p = threshold if p is None else parse_number(p, what="p")
    if not (p.is_finite and 0 <= p <= 1):
        raise ParameterError(f"p must be in [0, 1], got {p}")
    return z, dimension, p, threshold


def _sample(lattice, z, dimension, p, clusters, seed):
    """Sizes (and chemical radii on the Bethe lattice) of about ``clusters`` clusters."""
    if lattice == "bethe":
        return bethe_cluster_sizes(clusters, z, float(p), max_size=10**6, seed=seed)
    d = int(dimension)
    sizes, box = [], 0
    while sum(map(len, sizes)) < clusters:
        sizes.append(lattice_cluster_sizes(BOXES[d], d, float(p), seed=seed * 1000003 + box).sizes)
        box += 1
    return ClusterSizes(np.concatenate(sizes), 0, BOXES[d] ** d)


def _derived(laws, alpha, beta):
    """exponent, its error (from those of alpha and beta), log power, regime of the law that holds, and
    whether the balance (the logarithmic case) lies within two errors of the measured point.

    The balance is where the conditions of the symbolic laws change sign: their common left-hand side.
    """
    law, = laws(alpha.value, beta.value)
    margin = laws()[0].condition.lhs
    values = {"exponent": [], "margin": []}
    for bumped_alpha, bumped_beta in ((alpha.value, beta.value), (alpha.value + alpha.error, beta.value),
                                      (alpha.value, beta.value + beta.error)):
        other, = laws(bumped_alpha, bumped_beta)
        values["exponent"].append(float(other.exponent))  # the exponent is continuous across regimes
        values["margin"].append(float(margin.subs({ALPHA: bumped_alpha, CLUSTER_EXPONENT: bumped_beta})))
    errors = {name: math.hypot(v[1] - v[0], v[2] - v[0]) for name, v in values.items()}
    balanced = abs(values["margin"][0]) < 2 * errors["margin"]
    return float(law.exponent), errors["exponent"], float(law.log_power), law.regime, bool(balanced)


def _check_cost(clusters, max_clusters):
    clusters = integer_argument(clusters, "clusters", 1)
    if clusters > max_clusters:
        raise CostError(f"{clusters} clusters is above the limit of {max_clusters} (about 10 s and 1 GB per 10^6 "
                        "at p_c); raise max_clusters (--max-clusters) to run it")
    return clusters


def percolation_report(lattice, z=None, d=None, p=None, clusters=100000, seed=0, *, max_clusters=10**6):
    """Simulate, fit and derive: the JSON of ``largen percolation``.

    At or below p_c: tau (maximum likelihood), alpha (rank-frequency), D
    (size against radius; on the Bethe lattice twice the chemical dimension,
    each chemical step being an independent lattice step, so that R**2 ∝ l),
    each with its standard error, and the derived model and data exponents of
    :mod:`largen.solver.percolation.laws` at the measured alpha and beta = c/D,
    c = 2, with their errors; ``*_balanced_within_errors`` says that the
    boundary between the regimes (where the logarithm appears) is within two
    errors, so that the log power of the exact balance may apply. Above p_c one d-dimensional cluster carries the data: the
    exponents are c/d (d = z/2 on the Bethe lattice) and no cluster law is fitted.

    Parameters
    ----------
    lattice : "bethe", "square" or "cubic"
    z : int, optional
        Bethe coordination (default 2d, d = 100 by default: Brill's).
    d : int, optional
        Dimension (the lattice's own for square and cubic).
    p : number, optional
        Occupation probability in [0, 1]; default p_c.
    clusters : int
        Clusters grown (Bethe) or collected from boxes of side 1024 (d = 2) or 128 (d = 3).
    seed : int
    max_clusters : int
        Above it, ``clusters`` raises CostError.

    Returns
    -------
    dict of JSON numbers, strings and nulls: a quantity that cannot be measured
    (no cluster in the fit range, tau <= 2 for alpha) is null, and ``note`` says why.

    Examples
    --------
    >>> report = percolation_report("bethe", z=3, clusters=20000, seed=0)
    >>> report["regime"], round(report["tau"], 2), round(report["model_exponent"], 1), report["data_log_power"]
    ('subtasks', 2.5, 0.5, 0.0)
    >>> percolation_report("bethe", p=1.5)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: p must be in [0, 1], got 3/2
    """
    z, dimension, p, threshold = _lattice(lattice, z, d, p)
    clusters = _check_cost(clusters, max_clusters)
    seed = integer_argument(seed, "seed", 0)
    report = {"lattice": lattice, "z": z, "d": float(dimension), "p": float(p), "p_c": float(threshold),
              "clusters": clusters, "seed": seed, "c": SMOOTHNESS}
    if p > threshold:
        exponent = float(SMOOTHNESS / dimension)
        empty = {key: None for key in ("tau", "tau_error", "alpha", "alpha_error", "D", "D_error")}
        return {**report, **empty, "regime": "manifold", "model_exponent": exponent, "model_exponent_error": 0.0,
                "model_log_power": 0.0, "model_regime": "manifold", "model_balanced_within_errors": False,
                "data_exponent": exponent, "data_exponent_error": 0.0, "data_log_power": 0.0,
                "data_regime": "manifold", "data_balanced_within_errors": False,
                "note": "above p_c one cluster of dimension d carries the data"}
    sample = _sample(lattice, z, dimension, p, clusters, seed)
    notes = []

    def attempt(measure):
        try:
            return measure()
        except ParameterError as exc:
            notes.append(str(exc))
            return None

    s_min = S_MIN[lattice]
    if lattice == "bethe":
        tau = attempt(lambda: fit_tau(sample, s_min=s_min))
        alpha = attempt(lambda: rank_frequency_exponent(sample, s_min=s_min))
        chemical = attempt(lambda: fractal_dimension(sample.sizes, sample.radii, s_min=s_min // 10, offset=True))
        D = chemical and Estimate(2 * chemical.value, 2 * chemical.error, chemical.count)
    else:
        s_max = sample.limit // 100  # a hundredth of the box: far below the clusters that wrap around it
        tau = attempt(lambda: fit_tau(sample, s_min=s_min, s_max=s_max, weighting="cluster"))
        alpha = tau and attempt(lambda: _alpha_from_tau(tau))
        D = attempt(lambda: _replica_dimension(int(dimension), float(p), seed, s_min, s_max))
    quantities = {"tau": tau, "alpha": alpha, "D": D}
    for name, estimate in quantities.items():
        report[name] = estimate and estimate.value
        report[f"{name}_error"] = estimate and estimate.error
    report["regime"] = "subtasks"
    derived = {"model": (None,) * 5, "data": (None,) * 5}
    if alpha is not None and D is not None:
        beta = Estimate(SMOOTHNESS / D.value, SMOOTHNESS * D.error / D.value**2, D.count)
        derived = {"model": _derived(allocation_laws, alpha, beta), "data": _derived(sampling_laws, alpha, beta)}
    for name, (exponent, error, log_power, regime, balanced) in derived.items():
        report.update({f"{name}_exponent": exponent, f"{name}_exponent_error": error,
                       f"{name}_log_power": log_power, f"{name}_regime": regime,
                       f"{name}_balanced_within_errors": balanced})
    report["note"] = "; ".join(notes)
    return report


def _alpha_from_tau(tau):
    """alpha(tau) of :func:`largen.solver.percolation.laws.rank_frequency_alpha`, its error carried."""
    slope = float(sympy.diff(rank_frequency_alpha(TAU), TAU).subs(TAU, tau.value))
    return Estimate(float(rank_frequency_alpha(tau.value)), abs(slope) * tau.error, tau.count)


def _replica_dimension(d, p, seed, s_min, s_max, boxes=4):
    """D from independent boxes: the mean of their fits, and its standard error from their spread.

    Clusters of one box share its boundary and its largest clusters, so that
    the least-squares error of one fit understates the box-to-box scatter.
    """
    values = []
    for box in range(boxes):
        sizes, radii = lattice_radii(BOXES[d], d, p, seed=seed * 1000003 + box)
        kept = sizes <= s_max
        values.append(fractal_dimension(sizes[kept], radii[kept], s_min=s_min).value)
    return Estimate(float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(boxes)), boxes)


def percolation_spectrum(lattice, z=None, d=None, p=None, clusters=100000, seed=0, source="simulation", *,
                         max_clusters=10**6):
    """The latent spectrum of percolation data: the subtask frequencies P_k, largest first.

    ``source="simulation"``: the frequencies s_k / sum s of the simulated
    clusters (Bethe: the complete ones), as exact fractions "s/S" for
    :class:`largen.solver.numerics.spectrum.Spectrum`'s listed pieces. ``"measured"`` or
    ``"exact"``: the power law P_k = k**-(1+alpha)/zeta(1+alpha) with alpha
    from the rank-frequency fit (6 digits) or from the exact tau (Bethe,
    square; a fraction), as the pair (alpha, lam_plus) of strings the number
    reader takes exactly (lam_plus, 1/zeta(1 + alpha), to 30 digits); the
    trace is 1 either way. ``max_clusters`` as in :func:`percolation_report`.

    Examples
    --------
    >>> percolation_spectrum("bethe", source="exact")
    ('1', '0.607927101854026628663276779258')
    >>> percolation_spectrum("square", source="exact")[0]
    '86/5'
    >>> values = percolation_spectrum("bethe", z=3, clusters=5, seed=1)
    >>> values
    ['2251/2310', '35/2310', '18/2310', '4/2310', '2/2310']
    """
    z, dimension, p, threshold = _lattice(lattice, z, d, p)
    if source == "exact":
        if lattice not in EXACT_TAU or p != threshold:
            raise ParameterError(f"tau is exact only at p_c on the {' and '.join(EXACT_TAU)} lattices")
        alpha = rank_frequency_alpha(EXACT_TAU[lattice])
    elif source == "measured":
        report = percolation_report(lattice, z, d, p, clusters, seed, max_clusters=max_clusters)
        if report["alpha"] is None:
            raise ParameterError(f"no power law is measured here: {report['note']}")
        alpha = parse_number(f"{report['alpha']:.6g}", what="alpha")  # more digits than its error supports
    elif source == "simulation":
        clusters, seed = _check_cost(clusters, max_clusters), integer_argument(seed, "seed", 0)
        sizes = np.sort(_sample(lattice, z, dimension, p, clusters, seed).sizes)[::-1]
        total = int(sizes.sum())
        return [f"{size}/{total}" for size in sizes.tolist()]
    else:
        raise ParameterError(f"source must be 'simulation', 'measured' or 'exact', got {source!r}")
    if alpha <= 0:
        raise ParameterError(f"alpha = {alpha}: the frequencies are not summable")
    with mpmath.workdps(40):
        lam_plus = mpmath.nstr(1 / mpmath.zeta(1 + mpmath.mpf(alpha.p) / alpha.q), 30, strip_zeros=False)
    return (f"{float(alpha):.6g}" if source == "measured" else str(alpha)), lam_plus
