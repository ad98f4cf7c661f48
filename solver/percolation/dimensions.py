"""The exponents of percolation data across lattice dimensions, and the scaling exponents of both theories.

For the hypercubic lattices Z^d at the literature's p_c, and the Bethe lattice:

- D from the mass of the largest cluster of periodic boxes of several sides L,
  M(L) = a L**D (1 + b L**-omega), fitted over the sides with omega the leading
  correction-to-scaling exponent of the literature (:data:`CORRECTION`); the
  error is the fit's, from the scatter of M over boxes of one side (:func:`box_dimension`);
- tau from the cluster numbers of boxes of one side (:data:`TAU_BOXES`), every
  cluster counted once, fitted with the leading correction to scaling,
  n_s ∝ s**-tau (1 + b s**-Omega), Omega = omega / D (:func:`box_tau`,
  :func:`largen.solver.percolation.fit.fit_corrected_power_law`): a pure power
  law on the small clusters that a box of d >= 4 holds is biased low by many
  standard errors (d = 4, side 40: 2.10-2.28 as s_min goes 4-32, against 2.3135);
- on the Bethe lattice (mean field, d >= 6) tau, alpha and D of
  :func:`largen.solver.percolation.fit.percolation_report`.

Boxes hold at most 10**8 sites (sides 1024, 128, 40, 20, 12, 8, 6 for d = 2..8
in the tau fits, with fewer sites labelled from d = 5 on: :data:`TAU_BOXES`).
D is measured in boxes for d = 2..4 (:data:`MEASURED_D`); at d = 5, 6 the
masses over the few sides 10**8 sites allow leave the corrected fit
undetermined (errors near 1), and D = d/(tau - 1) from the measured tau
stands for it (hyperscaling, valid up to d = 6); above d = 6 a torus's largest
cluster grows as L**(2d/3), not L**D, so the rows of d = 7, 8 carry the
literature's D, and the Bethe lattice, measured, stands for the mean-field D.

:func:`comparison` sets beside each lattice the derived exponents of Brill's
laws (:mod:`largen.solver.percolation.laws`) at the measured alpha(tau) and
beta_cl = c/D, for c = 2 and 4, and the local slopes of the random-feature
theory (:func:`largen.solver.solve`, ridgeless) on the spectrum of the same data
(:func:`largen.solver.percolation.spectrum.law_spectrum`).

Examples
--------
>>> LITERATURE[3].D, LITERATURE["bethe"].tau
(2.52293, 2.5)
"""

import math
from dataclasses import dataclass

import numpy as np

from largen.diagrams.errors import ParameterError
from largen.solver.numerics.solution import solve
from largen.solver.percolation._validate import integer_argument
from largen.solver.percolation.clusters import MAX_SITES, lattice_labels
from largen.solver.percolation.fit import Estimate, _derived, fit_corrected_power_law, percolation_report
from largen.solver.percolation.laws import allocation_laws, rank_frequency_alpha, sampling_laws
from largen.solver.percolation.spectrum import law_spectrum

__all__ = ["Literature", "LITERATURE", "CORRECTION", "BOXES", "SITES_PER_SIDE", "MEASURED_D", "HYPERSCALING", "TAU_BOXES",
           "box_dimension",
           "box_tau", "Row", "comparison"]


@dataclass(frozen=True)
class Literature:
    """Site percolation on a lattice: p_c (text, read exactly), tau and D with their errors, and where from."""

    p_c: str
    tau: float
    tau_error: float
    D: float
    D_error: float
    source: str


LITERATURE = {
    2: Literature("0.59274621", 187 / 91, 0.0, 91 / 48, 0.0, "p_c Newman & Ziff 2000; tau, D exact (den Nijs, Nienhuis)"),
    3: Literature("0.3116077", 2.18906, 0.00006, 2.52293, 0.00010, "p_c Wang et al. 2013; tau Ballesteros et al. 1999; "
                  "D Wang et al. 2013"),
    4: Literature("0.196885", 2.3135, 0.0007, 3.0446, 0.0007, "p_c Grassberger 2003; D Ballesteros et al. 1997, "
                  "tau = 1 + d/D"),
    5: Literature("0.14081", 2.4177, 0.0011, 3.5260, 0.0016, "p_c Grassberger 2003; D Jan et al. 1985 / Gracey "
                  "2015, tau = 1 + d/D"),
    6: Literature("0.109017", 2.5, 0.0, 4.0, 0.0, "p_c Grassberger 2003; mean field with logarithms"),
    7: Literature("0.0889511", 2.5, 0.0, 4.0, 0.0, "p_c Grassberger 2003; mean field"),
    8: Literature("0.0752101", 2.5, 0.0, 4.0, 0.0, "p_c Grassberger 2003; mean field"),
    "bethe": Literature("1/199", 2.5, 0.0, 4.0, 0.0, "mean field: tau = 5/2, D = 2 d_l = 4 (z = 200)"),
}
# the leading correction-to-scaling exponent omega (L**-omega) of the literature; above the upper critical
# dimension omega = d - 6 (the coupling of the cubic term), at d = 6 a logarithm stood in for by 0.5
CORRECTION = {2: 3 / 2, 3: 1.6, 4: 1.0, 5: 0.5, 6: 0.5, 7: 1.0, 8: 2.0}
# box sides for the largest-cluster masses: as large as a few seconds of labelling allow
BOXES = {2: (32, 64, 128, 256, 512, 1024), 3: (8, 12, 16, 24, 32, 48, 64, 96, 128), 4: (6, 8, 12, 16, 24, 32, 40),
         5: (5, 6, 8, 10, 12, 16, 20), 6: (4, 5, 6, 8, 10, 12)}
SITES_PER_SIDE = {2: 4 * 10**7, 3: 4 * 10**7, 4: 4 * 10**7, 5: 10**7, 6: 10**7}  # labelled at each side (>= 8 boxes)
# D from box masses; at d = 5, 6 the sides 10**8 sites allow leave it undetermined (2.8 ± 0.8 and 2.0 ± 0.75 with
# 10**7 sites per side), and above d = 6 the torus's largest cluster grows as L**(2d/3)
MEASURED_D = (2, 3, 4)
HYPERSCALING = (5, 6)  # D = d / (tau - 1) from the measured tau, hyperscaling holding up to d = 6
# the tau fits: box side, smallest and largest cluster (well below L**D, the clusters that wrap), sites labelled
TAU_BOXES = {2: (1024, 16, 5000, 4 * 10**7), 3: (128, 16, 2000, 4 * 10**7), 4: (40, 4, 750, 2 * 10**7),
             5: (20, 4, 400, 10**7), 6: (12, 4, 200, 10**7), 7: (8, 4, 300, 10**7), 8: (6, 4, 150, 10**7)}


def _masses(L, d, p, seed, boxes):
    """The largest cluster's mass in each of ``boxes`` periodic L**d boxes, and all their cluster sizes."""
    largest, sizes = [], []
    for box in range(boxes):
        labels, count = lattice_labels(L, d, p, seed=seed + box)
        counts = np.bincount(labels.ravel())[1:]
        largest.append(counts.max(initial=0))
        sizes.append(counts)
    return np.array(largest, dtype=float), np.concatenate(sizes)


def _boxes(L, d, sites, least=8):
    return max(least, sites // L**d)


def box_dimension(d, *, sides=None, sites=None, seed=0):
    """D of Z^d at the literature's p_c from the largest cluster of periodic boxes, corrected for finite size.

    log M(L) = log a + D log L + b L**-omega is fitted by weighted least squares
    over the sides (about ``sites`` sites labelled at each, :data:`SITES_PER_SIDE` by default, in at least 8 boxes;
    weights from the standard errors of the mean masses), with
    omega of :data:`CORRECTION`; D is the coefficient of log L, its error from
    the fit's covariance (widened by the reduced chi-square when above one).

    Returns
    -------
    (Estimate, masses) : D with its standard error, and the list of (L, mean mass, its error).

    Examples
    --------
    >>> D, masses = box_dimension(2, sides=(16, 32, 64, 128), sites=10**6, seed=1)
    >>> bool(abs(D.value - 91 / 48) < 3 * D.error), len(masses)
    (True, 4)
    """
    d = integer_argument(d, "d", 2)
    if d not in BOXES:
        raise ParameterError(f"D is measured in boxes for d = 2..6, got d = {d}")
    sides = BOXES[d] if sides is None else tuple(integer_argument(L, "L", 2) for L in sides)
    if max(sides) ** d > MAX_SITES:
        raise ParameterError(f"a box of {max(sides)}^{d} sites is beyond {MAX_SITES}")
    if len(sides) < 4:
        raise ParameterError(f"at least 4 box sides are needed to correct for finite size, got {len(sides)}")
    p = float(LITERATURE[d].p_c)
    sites = SITES_PER_SIDE[d] if sites is None else integer_argument(sites, "sites", 1)
    means, errors = [], []
    for i, L in enumerate(sides):
        largest, _ = _masses(L, d, p, seed * 10**6 + i * 10**4, _boxes(L, d, sites))
        means.append(largest.mean())
        errors.append(largest.std(ddof=1) / math.sqrt(len(largest)))
    y, sigma = np.log(means), np.array(errors) / np.array(means)
    L = np.array(sides, dtype=float)
    design = np.stack([np.ones_like(L), np.log(L), L ** -CORRECTION[d]], axis=1)
    coefficients, *_ = np.linalg.lstsq(design / sigma[:, None], y / sigma, rcond=None)
    covariance = np.linalg.inv((design / sigma[:, None]).T @ (design / sigma[:, None]))
    chi_square = float(np.sum(((y - design @ coefficients) / sigma) ** 2)) / (len(L) - 3)
    error = math.sqrt(covariance[1, 1] * max(1.0, chi_square))
    return Estimate(float(coefficients[1]), error, len(sides)), list(zip(sides, means, errors))


def box_tau(d, *, side=None, s_min=None, s_max=None, sites=None, seed=0):
    """tau of Z^d at the literature's p_c from the cluster numbers of periodic boxes, every cluster once,
    fitted as n_s ∝ s**-tau (1 + b s**-Omega) on s_min <= s <= s_max, Omega = omega / D of the literature
    (:data:`CORRECTION`); side, window and about ``sites`` sites in at least 4 boxes by default from
    :data:`TAU_BOXES`.

    Examples
    --------
    >>> tau = box_tau(2, side=256, s_min=8, s_max=1000, sites=4 * 10**6, seed=2)
    >>> bool(abs(tau.value - 187 / 91) < 3 * tau.error)
    True
    >>> box_tau(9)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: tau is measured in boxes for d = 2..8, got d = 9
    """
    d = integer_argument(d, "d", 2)
    if d not in TAU_BOXES:
        raise ParameterError(f"tau is measured in boxes for d = 2..8, got d = {d}")
    default_side, default_min, default_max, default_sites = TAU_BOXES[d]
    L = default_side if side is None else integer_argument(side, "side", 2)
    sites = default_sites if sites is None else integer_argument(sites, "sites", 1)
    _, sizes = _masses(L, d, float(LITERATURE[d].p_c), seed * 10**6 + 999 * 10**3, _boxes(L, d, sites, least=4))
    omega = CORRECTION[d] / LITERATURE[d].D
    return fit_corrected_power_law(sizes.astype(np.int64), s_min=default_min if s_min is None else s_min,
                                   s_max=default_max if s_max is None else s_max, omega=omega)


@dataclass(frozen=True)
class Row:
    """One lattice: measured tau and D against the literature (and tau = 1 + d/D from the measured D, the
    hyperscaling relation, below d = 6); per c, Brill's derived (model, data) exponents with errors at the
    measured alpha(tau) and c/D, and the random-feature local slopes (model, data) on the same data's spectrum."""

    lattice: object
    tau: Estimate
    D: Estimate
    literature: Literature
    brill: dict  # c -> ((model, error), (data, error))
    random_features: dict  # c -> (model slope, data slope)
    note: str = ""
    tau_hyperscaling: Estimate = None


def _random_feature_slopes(tau, D, c, clusters, size):
    spectrum = law_spectrum(clusters, tau, D, c)
    slopes = []
    for varied, fixed in (("N", "P"), ("P", "N")):
        losses = [float(solve(spectrum=spectrum, **{varied: n, fixed: "1e9"}, gamma="1e-9", dps=15).loss)
                  for n in (size, 2 * size)]
        slopes.append(-math.log(losses[1] / losses[0]) / math.log(2))
    return tuple(slopes)


def comparison(dimensions=(2, 3, 4, 5, 6, 7, 8), smoothness=(2, 4), *, seed=0, clusters=30, size=3000,
               bethe_clusters=100000, progress=None):
    """The cross-dimension table: a :class:`Row` per hypercubic dimension and one for the Bethe lattice.

    Examples
    --------
    >>> rows = comparison(dimensions=(), smoothness=(2,), bethe_clusters=20000, clusters=5, size=300)
    >>> rows[0].lattice, round(rows[0].brill[2][0][0], 1), rows[0].note
    ('bethe', 0.5, "D = 2 d_l (chemical dimension of the clusters' trees)")
    """
    rows = []
    for d in [*dimensions, "bethe"]:
        literature = LITERATURE[d]
        if d == "bethe":
            report = percolation_report("bethe", clusters=bethe_clusters, seed=seed)
            tau = Estimate(report["tau"], report["tau_error"], bethe_clusters)
            D = Estimate(report["D"], report["D_error"], bethe_clusters)
            note = "D = 2 d_l (chemical dimension of the clusters' trees)"
        else:
            tau = box_tau(d, seed=seed)
            notes = []
            if d in MEASURED_D:
                D, _ = box_dimension(d, seed=seed)
            elif d in HYPERSCALING:
                D = Estimate(d / (tau.value - 1), d * tau.error / (tau.value - 1) ** 2, tau.count)
                notes.append("D = d/(tau - 1) from the measured tau (hyperscaling)")
            else:
                D = Estimate(literature.D, literature.D_error, 0)
                notes.append("D: the literature's (a torus's largest cluster grows as L^(2d/3) above d = 6)")
            for name, value, known in (("tau", tau, literature.tau), ("D", D, literature.D)):
                if value.count and abs(value.value - known) > 2 * value.error:
                    notes.append(f"{name} {abs(value.value - known) / value.error:.1f} errors from the literature")
            note = "; ".join(notes)
        alpha_value = float(rank_frequency_alpha(tau.value))
        slope = abs((rank_frequency_alpha(tau.value + 1e-6) - rank_frequency_alpha(tau.value - 1e-6)) / 2e-6)
        alpha = Estimate(alpha_value, float(slope) * tau.error, tau.count)
        brill, features = {}, {}
        for c in smoothness:
            beta = Estimate(c / D.value, c * D.error / D.value**2, D.count)
            model = _derived(allocation_laws, alpha, beta)
            data = _derived(sampling_laws, alpha, beta)
            brill[c] = ((model[0], model[1]), (data[0], data[1]))
            features[c] = _random_feature_slopes(round(tau.value, 6), round(D.value, 6), c, clusters, size)
        hyperscaling = None
        if d in MEASURED_D:
            hyperscaling = Estimate(1 + d / D.value, d * D.error / D.value**2, D.count)
        rows.append(Row(d, tau, D, literature, brill, features, note, hyperscaling))
        if progress is not None:
            progress(f"lattice {d}: tau = {tau}, D = {D}")
    return rows
