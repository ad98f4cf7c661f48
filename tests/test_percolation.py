"""Brill's percolation model of the data: clusters, measured exponents, derived laws, the experiment.

Closed forms typed here are independent checks of what largen.solver.percolation.laws derives.
"""

import math

import networkx as nx
import numpy as np
import pytest
import sympy
from scipy.special import zeta

from largen.diagrams.regimes.asymptotics import ALPHA
from largen.diagrams.errors import CostError, ParameterError
from largen.solver.percolation.laws import (BETA, MODEL_SIZE, SAMPLES, allocation_laws, data_scaling, manifold_scaling,
                                       model_scaling, rank_frequency_alpha, sampling_laws)
from largen.solver.percolation.brill import allocation, data_scan, model_scan, single_cluster_amplitude
from largen.solver.percolation.clusters import bethe_cluster, bethe_cluster_sizes, lattice_labels
from largen.solver.percolation.fit import (critical_probability, fit_tau, percolation_report, percolation_spectrum,
                                 rank_frequency_exponent)
from largen.solver.numerics.spectrum import Listed, Spectrum

R = sympy.Rational


# --- clusters -----------------------------------------------------------------------------------

def test_bethe_small_clusters_have_the_branching_probabilities():
    # z = 3, p = 1/2: size 1 needs the seed's 3 neighbours empty, size 2 one occupied neighbour whose
    # 2 further neighbours and the seed's other 2 are empty
    sizes = bethe_cluster_sizes(200000, 3, 0.5, seed=11).sizes
    for size, exact in ((1, 1 / 8), (2, 3 * 0.5 * 0.25 * 0.25)):
        frequency = np.mean(sizes == size)
        assert abs(frequency - exact) < 4 * math.sqrt(exact * (1 - exact) / len(sizes))


def test_bethe_tree_is_a_tree_with_depths_and_coordination():
    cluster = bethe_cluster(4, seed=5, max_size=10**5)
    tree = cluster.graph()
    assert nx.is_tree(tree) and tree.number_of_nodes() == cluster.size
    assert nx.single_source_shortest_path_length(tree, 0) == dict(enumerate(cluster.depth.tolist()))
    assert max(degree for _, degree in tree.degree()) <= 4


def test_periodic_labels_are_the_components_of_the_torus():
    labels, count = lattice_labels(12, 2, 0.55, seed=3)
    rng = np.random.default_rng(3)
    occupied = rng.random((12, 12)) < 0.55
    torus = nx.grid_2d_graph(12, 12, periodic=True).subgraph(zip(*np.nonzero(occupied)))
    components = sorted(sorted(labels[site] for site in component) for component in nx.connected_components(torus))
    assert count == len(components)
    assert all(len(set(component)) == 1 for component in components)  # one label per component


# --- measured exponents ---------------------------------------------------------------------------

def test_bethe_tau_and_alpha_at_pc_within_their_errors():
    report = percolation_report("bethe", clusters=100000, seed=0)
    assert abs(report["tau"] - 2.5) < 2 * report["tau_error"]
    assert abs(report["alpha"] - 1) < 2 * report["alpha_error"]
    assert abs(report["D"] - 4) < 2 * report["D_error"]
    assert report["tau_error"] < 0.02 and report["alpha_error"] < 0.05
    # Brill's point: the data law sits on its logarithmic balance, the model law does not
    assert report["data_balanced_within_errors"] and not report["model_balanced_within_errors"]
    assert abs(report["model_exponent"] - 0.5) < 2 * report["model_exponent_error"]


def test_fit_errors_are_honest_over_seeds():
    taus, alphas = [], []
    for seed in range(20):
        sample = bethe_cluster_sizes(20000, 3, max_size=10**5, seed=100 + seed)
        taus.append(fit_tau(sample, s_min=100))
        alphas.append(rank_frequency_exponent(sample, s_min=100))
    for estimates, exact in ((taus, 2.5), (alphas, 1.0)):
        values = np.array([e.value for e in estimates])
        stated = np.mean([e.error for e in estimates])
        assert 0.6 < np.std(values, ddof=1) / stated < 1.5
        assert sum(abs(e.value - exact) < 2 * e.error for e in estimates) >= 15


def test_square_lattice_tau_and_D_at_pc():
    report = percolation_report("square", clusters=100000, seed=0)
    assert abs(report["tau"] - 187 / 91) < 2 * report["tau_error"]
    assert abs(report["D"] - 91 / 48) < 2 * report["D_error"]
    assert report["tau_error"] < 0.05


def test_square_lattice_threshold_measured():
    pc = critical_probability(96, 2, 40, seed=2)
    assert abs(pc.value - 0.59274621) < 3 * pc.error
    assert pc.error < 0.01


# --- derived laws against closed forms typed here ---------------------------------------------------

def test_rank_frequency_alpha_is_brills():
    tau = sympy.Symbol("tau", positive=True)
    assert sympy.simplify(rank_frequency_alpha() - (3 - tau) / (tau - 2)) == 0
    assert rank_frequency_alpha(R(5, 2)) == 1


GRID = [(tau, D, c) for tau in (R(11, 5), R(7, 3), R(5, 2), R(8, 3), R(14, 5)) for D in (R(3, 2), 2, 3, 4)
        for c in (1, 2, R(5, 2))]


@pytest.mark.parametrize("tau, D, c", GRID)
def test_model_and_data_exponents_on_a_grid(tau, D, c):
    alpha, beta = (3 - tau) / (tau - 2), R(c) / D
    model, = model_scaling(tau, D, c)
    data, = data_scaling(tau, D, c)
    assert model.exponent == min(alpha, beta)
    assert model.log_power == (1 + beta if alpha == beta else 0)
    assert data.exponent == min(alpha / (1 + alpha), beta)
    assert data.log_power == (1 if alpha / (1 + alpha) == beta else 0)
    assert model.regime == ("balanced" if alpha == beta else "subtask-limited" if alpha < beta
                            else "approximation-limited")


def test_the_grid_holds_the_switch_and_both_logarithmic_cases():
    assert {model_scaling(*point)[0].regime for point in GRID} == {"subtask-limited", "balanced",
                                                                   "approximation-limited"}
    assert {data_scaling(*point)[0].regime for point in GRID} == {"subtask-limited", "balanced",
                                                                  "approximation-limited"}
    # Brill's Bethe lattice: model approximation-limited, data exactly at the logarithmic balance
    assert model_scaling(R(5, 2), 4, 2)[0].regime == "approximation-limited"
    assert (data_scaling(R(5, 2), 4, 2)[0].regime, data_scaling(R(5, 2), 4, 2)[0].log_power) == ("balanced", 1)


def test_symbolic_laws_and_manifold():
    exponents = {law.regime: law.exponent for law in allocation_laws()}
    assert exponents == {"subtask-limited": ALPHA, "balanced": BETA, "approximation-limited": BETA}
    exponents = {law.regime: sympy.simplify(law.exponent) for law in sampling_laws()}
    assert exponents["subtask-limited"] == ALPHA / (ALPHA + 1) and exponents["approximation-limited"] == BETA
    assert [law.exponent for law in manifold_scaling(2, 3)] == [R(2, 3), R(2, 3)]


def _numeric_model_loss(alpha, beta, total, ranks=10**7):
    k = np.arange(1, ranks + 1, dtype=float)
    frequency = k ** -(1 + alpha) / zeta(1 + alpha)
    low, high = -100.0, 100.0
    for _ in range(60):
        middle = (low + high) / 2
        n = (beta * frequency) ** (1 / (1 + beta)) * math.exp(-middle / (1 + beta))
        low, high = (middle, high) if n[n >= 1].sum() > total else (low, middle)
    n = (beta * frequency) ** (1 / (1 + beta)) * math.exp(-high / (1 + beta))
    tail = ranks**-alpha / alpha / zeta(1 + alpha)
    return float(np.sum(frequency * np.where(n >= 1, np.maximum(n, 1) ** -beta, 1.0))) + tail


def _numeric_data_loss(alpha, beta, samples, ranks=10**7):
    k = np.arange(1, ranks + 1, dtype=float)
    frequency = k ** -(1 + alpha) / zeta(1 + alpha)
    return float(np.sum(frequency * np.minimum(1, (samples * frequency) ** -beta))) + \
        ranks**-alpha / alpha / zeta(1 + alpha)


@pytest.mark.parametrize("alpha, beta", [(R(1), R(1, 2)), (R(1, 2), R(1)), (R(2), R(1, 2))])
def test_model_prefactor_against_the_sum(alpha, beta):
    law, = allocation_laws(alpha, beta)
    ratio = _numeric_model_loss(float(alpha), float(beta), 1e6) / float(law.loss.subs(MODEL_SIZE, 10**6))
    assert abs(ratio - 1) < 0.06


@pytest.mark.parametrize("alpha, beta", [(R(1), R(1, 4)), (R(1, 2), R(1, 2))])
def test_data_prefactor_against_the_sum(alpha, beta):
    law, = sampling_laws(alpha, beta)
    ratio = _numeric_data_loss(float(alpha), float(beta), 1e6) / float(law.loss.subs(SAMPLES, 10**6))
    assert abs(ratio - 1) < 0.08


def test_approximation_limited_prefactor_is_holder():
    # sum_k P_k n_k**-beta at fixed sum n_k is smallest at n_k ∝ P_k**(1/(1+beta)): (sum P^(1/(1+b)))^(1+b)/N^b
    law, = allocation_laws(2, R(1, 2))
    assert sympy.simplify(law.prefactor - sympy.zeta(2) ** R(3, 2) / sympy.zeta(3)) == 0


# --- the experiment --------------------------------------------------------------------------------

def test_the_experiment_uses_the_derived_one_cluster_exponent():
    from largen.solver.percolation import brill
    law, = model_scaling(R(5, 2), 4, 2)  # Brill's Bethe lattice: approximation-limited, exponent c/D
    assert law.regime == "approximation-limited" and law.exponent == R(brill.BETA)


def test_allocation_spends_the_budget_above_the_cut():
    counts = allocation(np.array([0.6, 0.3, 0.1]) , 40, 2.0)
    assert counts.sum() == 40 and all(n == 0 or n >= 4 for n in counts)
    assert list(counts) == sorted(counts, reverse=True)


def test_brill_experiment_follows_the_derived_curves():
    window = dict(clusters=100, min_size=300, max_size=30000)
    amplitude, error = single_cluster_amplitude(seed=1000, **{**window, "clusters": 300})
    assert error < 0.1 * amplitude
    sizes = [10, 100, 300, 1000, 3000]
    for scan_function in (model_scan, data_scan):
        scans = [scan_function(sizes, amplitude=a, seeds=5, seed=0, **window)
                 for a in (amplitude - 2 * error, amplitude + 2 * error)]
        low, high = scans[0].band()
        theory_low = np.median(scans[0].theory, axis=0)
        theory_high = np.median(scans[1].theory, axis=0)
        # the theory, within the amplitude's error, meets the seed band at every size (1e-3: the resolution
        # of the theory's average over draws where almost no cluster is seen and the band is the point 1)
        assert np.all(theory_low <= high + 1e-3) and np.all(theory_high >= low - 1e-3), scan_function.__name__
        assert scans[0].median[-1] < 0.5 * scans[0].median[1]  # and the loss does fall


# --- spectra and bad input ---------------------------------------------------------------------------

def test_percolation_spectra():
    alpha, lam_plus = percolation_spectrum("bethe", source="exact")
    assert alpha == "1" and lam_plus.startswith("0.6079271018540266286632767792")  # 6/pi**2
    values = percolation_spectrum("bethe", z=3, clusters=50, seed=4)
    assert Spectrum([Listed(tuple(values))]).power_sum(1) == 1
    law = Spectrum.power_law(*percolation_spectrum("square", source="exact")[:1], math.inf,
                             percolation_spectrum("square", source="exact")[1])
    assert abs(float(law.power_sum(1)) - 1) < 1e-25


@pytest.mark.parametrize("arguments, message", [
    (dict(lattice="bethe", p=-0.1), "p must be in [0, 1]"),
    (dict(lattice="bethe", p=1.5), "p must be in [0, 1]"),
    (dict(lattice="bethe", z=1), "z must be >= 2"),
    (dict(lattice="bethe", d=0), "d must be >= 1"),
    (dict(lattice="square", d=3), "the square lattice has d = 2"),
    (dict(lattice="bethe", seed=1.5), "seed must be an integer"),
    (dict(lattice="bethe", seed="3"), "seed must be an integer"),
    (dict(lattice="bethe", seed=True), "seed must be an integer"),
    (dict(lattice="hexagonal"), "lattice must be one of bethe, square, cubic"),
    (dict(lattice="bethe", p="nan"), "not a number"),
])
def test_bad_input_is_refused(arguments, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        percolation_report(clusters=10, **arguments)


def test_a_costly_run_is_refused_until_the_limit_is_raised():
    with pytest.raises(CostError, match="10000000 clusters is above the limit of 1000000.*max_clusters"):
        percolation_report("bethe", clusters=10**7)
    with pytest.raises(CostError, match="max_clusters"):
        percolation_spectrum("square", clusters=10**7)


def test_tau_outside_the_rank_frequency_range_is_refused():
    for tau in (2, R(3), 4):
        with pytest.raises(ParameterError, match="needs 2 < tau < 3"):
            model_scaling(tau, 4, 2)


def test_measured_spectrum_is_the_measured_power_law():
    alpha, lam_plus = percolation_spectrum("bethe", z=3, clusters=20000, seed=0, source="measured")
    report = percolation_report("bethe", z=3, clusters=20000, seed=0)
    assert abs(float(alpha) - report["alpha"]) < 1e-5
    assert abs(float(lam_plus) - 1 / zeta(1 + float(alpha))) < 1e-12
    with pytest.raises(ParameterError, match="exact only at p_c"):
        percolation_spectrum("cubic", source="exact")


def test_above_pc_the_manifold_regime():
    report = percolation_report("square", p=0.7)
    assert report["regime"] == "manifold" and report["model_exponent"] == report["data_exponent"] == 1.0
    assert report["tau"] is None
