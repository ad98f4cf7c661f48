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
from largen.diagrams.engine.spectral import SOURCE
from largen.solver import solve
from largen.solver.percolation import brill, dimensions, experiment
from largen.solver.percolation.laws import (CLUSTER_EXPONENT, FRACTAL_DIMENSION, MODEL_SIZE, SAMPLES,
                                            allocation_exponent, allocation_laws, cluster_exponent, data_scaling,
                                            manifold_scaling, model_scaling, rank_frequency_alpha, sampling_laws)
from largen.solver.percolation.clusters import Cluster, bethe_cluster, bethe_cluster_sizes, lattice_labels
from largen.solver.percolation.fit import (critical_probability, fit_tau, percolation_report, percolation_spectrum,
                                           rank_frequency_exponent)
from largen.solver.percolation.forest import (Forest, bethe_forest, nearest_source, preorder, random_walk,
                                              spread_sites, standardise, voronoi_pairs)
from largen.solver.percolation.spectrum import data_spectrum, law_spectrum, subtask_spectrum, walk_spectrum
from largen.solver.numerics.spectrum import Listed, Spectrum

R = sympy.Rational


# --- clusters -----------------------------------------------------------------------------------

@pytest.mark.slow
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

@pytest.mark.slow
def test_bethe_tau_and_alpha_at_pc_within_their_errors():
    report = percolation_report("bethe", clusters=100000, seed=0)
    assert abs(report["tau"] - 2.5) < 2 * report["tau_error"]
    assert abs(report["alpha"] - 1) < 2 * report["alpha_error"]
    assert abs(report["D"] - 4) < 2 * report["D_error"]
    assert report["tau_error"] < 0.02 and report["alpha_error"] < 0.05
    # Brill's point: the data law sits on its logarithmic balance, the model law does not
    assert report["data_balanced_within_errors"] and not report["model_balanced_within_errors"]
    assert abs(report["model_exponent"] - 0.5) < 2 * report["model_exponent_error"]


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
    assert exponents == {"subtask-limited": ALPHA, "balanced": CLUSTER_EXPONENT,
                         "approximation-limited": CLUSTER_EXPONENT}
    exponents = {law.regime: sympy.simplify(law.exponent) for law in sampling_laws()}
    assert exponents["subtask-limited"] == ALPHA / (ALPHA + 1) and exponents["approximation-limited"] == CLUSTER_EXPONENT
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


@pytest.mark.slow
@pytest.mark.parametrize("alpha, beta", [(R(1), R(1, 2)), (R(1, 2), R(1)), (R(2), R(1, 2))])
def test_model_prefactor_against_the_sum(alpha, beta):
    law, = allocation_laws(alpha, beta)
    ratio = _numeric_model_loss(float(alpha), float(beta), 1e6) / float(law.loss.subs(MODEL_SIZE, 10**6))
    assert abs(ratio - 1) < 0.06


@pytest.mark.slow
@pytest.mark.parametrize("alpha, beta", [(R(1), R(1, 4)), (R(1, 2), R(1, 2))])
def test_data_prefactor_against_the_sum(alpha, beta):
    law, = sampling_laws(alpha, beta)
    ratio = _numeric_data_loss(float(alpha), float(beta), 1e6) / float(law.loss.subs(SAMPLES, 10**6))
    assert abs(ratio - 1) < 0.08


def test_approximation_limited_prefactor_is_holder():
    # sum_k P_k n_k**-beta at fixed sum n_k is smallest at n_k ∝ P_k**(1/(1+beta)): (sum P^(1/(1+b)))^(1+b)/N^b
    law, = allocation_laws(2, R(1, 2))
    assert sympy.simplify(law.prefactor - sympy.zeta(2) ** R(3, 2) / sympy.zeta(3)) == 0


# --- names that print apart ------------------------------------------------------------------------

def test_the_laws_symbols_print_apart_from_the_theorys():
    # the teacher's source exponent prints "beta", the regimes' balance variable "D"
    assert sympy.latex(CLUSTER_EXPONENT) != sympy.latex(SOURCE)
    assert sympy.latex(FRACTAL_DIMENSION) != sympy.latex(sympy.Symbol("D", positive=True))
    assert cluster_exponent() == sympy.Symbol("c", positive=True) / FRACTAL_DIMENSION
    assert allocation_exponent() == 1 / (1 + CLUSTER_EXPONENT)
    assert allocation_exponent(R(1, 2)) == R(2, 3) and cluster_exponent(2, 4) == R(1, 2)


# --- the forest: clusters as arrays ----------------------------------------------------------------

def _graph(forest):
    child = np.flatnonzero(forest.parent >= 0)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(forest.parent)))
    graph.add_edges_from(zip(child.tolist(), forest.parent[child].tolist()))
    return graph


def test_forest_clusters_are_breadth_first_trees_with_their_depths():
    forest = bethe_forest(40, z=4, min_size=5, max_size=400, seed=3)
    graph = _graph(forest)
    assert nx.number_connected_components(graph) == len(forest.sizes)
    assert np.all(forest.parent[forest.parent >= 0] < np.flatnonzero(forest.parent >= 0))  # parents first
    for start, stop in zip(forest.offsets[:-1], forest.offsets[1:]):
        distances = nx.single_source_shortest_path_length(graph, int(start))
        assert sorted(distances) == list(range(start, stop))
        assert all(forest.depth[site] == distance for site, distance in distances.items())
    assert max(degree for _, degree in graph.degree()) <= 4
    assert np.all((forest.sizes >= 5) & (forest.sizes <= 400)) and np.all(np.diff(forest.sizes) <= 0)


@pytest.mark.slow
def test_forest_sizes_have_the_branching_probabilities():
    # z = 3, p = 1/2, every seed kept: size 1 needs the seed's 3 neighbours empty (1/8), size 2 one occupied
    # neighbour whose 2 further neighbours and the seed's other 2 are empty (3/64)
    sizes = bethe_forest(40000, z=3, p=0.5, min_size=1, max_size=10**4, seed=11).sizes
    for size, exact in ((1, 1 / 8), (2, 3 * 0.5 * 0.25 * 0.25)):
        frequency = np.mean(sizes == size)
        assert abs(frequency - exact) < 4 * math.sqrt(exact * (1 - exact) / len(sizes))


def test_forest_samples_are_reproducible_and_replicas_differ():
    first = bethe_forest(30, z=3, min_size=20, max_size=2000, seed=7)
    again = bethe_forest(30, z=3, min_size=20, max_size=2000, seed=7)
    other = bethe_forest(30, z=3, min_size=20, max_size=2000, seed=7, replica=1)
    assert np.array_equal(first.parent, again.parent) and not np.array_equal(first.sizes, other.sizes)


def test_nearest_source_and_meeting_cells_against_graph_distances():
    forest = bethe_forest(12, z=3, min_size=30, max_size=300, seed=2)
    graph = _graph(forest)
    marks = np.random.default_rng(0).choice(len(forest.parent), 25, replace=False)
    source, distance = nearest_source(forest, marks)
    reference = nx.multi_source_dijkstra_path_length(graph, set(marks.tolist()))
    for site in range(len(forest.parent)):
        if site in reference:
            assert distance[site] == reference[site]
            assert nx.shortest_path_length(graph, site, int(source[site])) == distance[site]
        else:
            assert source[site] == distance[site] == -1  # a cluster without marks
    first, second, length = voronoi_pairs(forest, source, distance)
    assert len(first) > 0
    assert all(nx.shortest_path_length(graph, int(a), int(b)) == l for a, b, l in zip(first, second, length))


def test_preorder_is_networkx_depth_first_order_and_spread_sites_are_even():
    forest = bethe_forest(8, z=4, min_size=20, max_size=500, seed=5)
    rank = preorder(forest)
    graph = nx.DiGraph(zip(forest.parent[forest.parent >= 0].tolist(), np.flatnonzero(forest.parent >= 0).tolist()))
    for start, stop in zip(forest.offsets[:-1], forest.offsets[1:]):
        order = list(nx.dfs_preorder_nodes(graph, int(start), sort_neighbors=sorted))
        assert [rank[site] for site in order] == list(range(stop - start))
    counts = np.minimum([5, 3, 0, 1, 100, 7, 2, 4], forest.sizes)
    sites = spread_sites(forest, counts, np.random.default_rng(1))
    assert len(np.unique(sites)) == counts.sum()
    assert np.array_equal(np.bincount(forest.owner[sites], minlength=8), counts)
    gaps = np.diff(np.sort(rank[sites[forest.owner[sites] == 0]]))
    assert gaps.max() - gaps.min() <= 1  # every s/n-th site of the depth-first order


def test_random_walk_steps_are_standard_gaussians():
    forest = bethe_forest(50, z=4, min_size=100, max_size=5000, seed=1)
    walk = random_walk(forest, np.random.default_rng(2))
    child = np.flatnonzero(forest.parent >= 0)
    steps = walk[child] - walk[forest.parent[child]]
    assert abs(steps.var() - 1) < 5 * math.sqrt(2 / len(steps)) and np.all(walk[forest.parent < 0] == 0)
    target = standardise(forest, walk)
    assert np.allclose(np.bincount(forest.owner, target) / forest.sizes, 0, atol=1e-12)


# --- Brill's estimators ----------------------------------------------------------------------------

def test_cell_means_are_the_least_squares_values():
    data = brill.dataset(20, min_size=100, max_size=3000, seed=4)
    prototypes = spread_sites(data.forest, np.full(20, 6), np.random.default_rng(0))
    cells = brill.cell_losses(data, prototypes)
    source, _ = nearest_source(data.forest, prototypes)
    own = np.bincount(data.owner, (data.targets[source] - data.targets) ** 2) / data.sizes  # the sites' own values
    assert np.all(cells <= own + 1e-12) and np.mean(cells) < 0.9 * np.mean(own)


def test_shrinkage_fits_the_walks_scale_and_beats_the_plain_neighbour():
    data = brill.dataset(40, min_size=300, max_size=30000, seed=6)
    child = np.flatnonzero(data.forest.parent >= 0)
    scales = brill.fit_scales(data, child, data.forest.parent[child], np.ones(len(child), dtype=int))
    # every step has variance 1 before standardising: v_k = 1 / (the walk's variance over the cluster)
    walk = random_walk(data.forest, np.random.default_rng([6, 0, brill.MAX_BATCHES]))
    spread = np.bincount(data.owner, walk**2) / data.sizes - (np.bincount(data.owner, walk) / data.sizes) ** 2
    assert np.allclose(scales * spread, 1, rtol=0.25)
    training = np.random.default_rng(1).choice(data.offsets[-1], 3000, replace=False)
    shrunk = data.frequencies @ brill.cluster_losses(data, training)
    plain = data.frequencies @ brill.cluster_losses(data, training, scales=np.zeros(len(data.sizes)))
    assert shrunk < plain


def test_allocation_spends_the_budget_above_each_cut():
    counts = brill.allocation(np.array([0.6, 0.3, 0.1]), 40, np.array([2.0, 2.0, 3.0]), 0.5)
    assert counts.sum() == 40 and all(n == 0 or n >= 4 for n in counts)
    assert list(counts) == sorted(counts, reverse=True)


def test_empirical_bayes_amplitudes_shrink_towards_their_mean():
    data = brill.dataset(60, min_size=300, max_size=30000, seed=2)
    shrunk, raw = brill.cluster_amplitudes(data, 0.5, np.random.default_rng(0))
    mean = data.frequencies @ raw
    assert np.all(np.abs(shrunk - mean) <= np.abs(raw - mean) + 1e-12)
    assert 0.5 < mean < 2.5  # one cluster's loss A n**-1/2 with cell means


def test_the_experiment_uses_the_laws_exponents():
    law, = model_scaling(brill.BETHE["tau"], brill.BETHE["D"], brill.BETHE["c"])
    assert law.regime == "approximation-limited" and law.exponent == R(brill.cluster_exponent_of())
    result = experiment.run(experiment.TINY, seed=0)
    assert result.beta == 0.5 and result.best_allocation[1] == float(allocation_exponent(R(1, 2)))


def test_experiment_scans_follow_the_derived_functional():
    result = experiment.run(experiment.TINY, seed=1)
    for losses, theory in ((result.model, result.model_theory), (result.data, result.data_theory)):
        measured, derived = losses.mean(axis=(0, 1)), theory.mean(axis=0)
        assert np.all(np.abs(measured / derived - 1) < 0.15), (measured, derived)
        assert measured[-1] < 0.5 * measured[0]


def test_finite_size_form_recovers_the_power_beyond_the_functional():
    # losses = C size**-(e - 1/2) F(size) with F a curve of its own per dataset: the corrected exponent is e
    sizes = (10, 100, 1000, 3000, 10**4)
    x = np.array(sizes, dtype=float)
    rng = np.random.default_rng(0)
    theory = np.array([x**-0.5 * np.log(x) * (1 + rng.uniform(0, 3) / np.log(x)) for _ in range(4)])
    powers = 0.55 + np.array([-0.01, 0.0, 0.01, 0.0])
    losses = (theory * x ** -(powers[:, None] - 0.5))[:, None, :] * np.ones((1, 2, 1))
    fit = experiment._fit(losses, theory, sizes, 0.5, 1.0)
    assert abs(fit.corrected - 0.55) < 1e-12 and abs(fit.corrected_error - 0.01 * math.sqrt(2 / 3) / 2) < 1e-12
    assert fit.value > 0.55  # the log-divided slope also carries the functional's own corrections
    assert abs(fit.corrected_deviation - 0.05 / fit.corrected_error) < 1e-9


def test_nearest_marks_on_a_forest_whose_generations_are_out_of_parent_order():
    # siblings out of order: the layout sorts nothing it does not need; distances against networkx
    parent = np.array([-1, 0, 0, 2, 1, 1, 3, -1, 7])
    depth = np.array([0, 1, 1, 2, 2, 2, 3, 0, 1])
    forest = Forest(parent, depth, np.array([0, 7, 9]))
    graph = nx.Graph([(int(p), c) for c, p in enumerate(parent) if p >= 0])
    graph.add_nodes_from(range(9))
    for marks in ([6], [4, 3], [8, 0]):
        source, distance = nearest_source(forest, np.array(marks))
        reference = nx.multi_source_dijkstra_path_length(graph, set(marks))
        assert [reference.get(site, -1) for site in range(9)] == distance.tolist()
        assert all(source[site] in marks for site in reference)
    assert preorder(forest).tolist() == [0, 1, 4, 5, 2, 3, 6, 0, 1]


@pytest.mark.slow
def test_experiment_is_reproducible_and_cached(tmp_path):
    said = []
    first = experiment.run(experiment.TINY, seed=3, cache=str(tmp_path), progress=said.append)
    again = experiment.run(experiment.TINY, seed=3, cache=str(tmp_path), progress=said.append)
    fresh = experiment.run(experiment.TINY, seed=3)
    assert said[0].startswith("dataset 1/1") and said[-1].startswith("read ")
    assert np.array_equal(first.model, again.model) and np.array_equal(first.data, fresh.data)
    assert not np.array_equal(first.data, experiment.run(experiment.TINY, seed=4).data)
    json = again.as_dict()
    assert [row["N"] for row in json["model_scan"]] == list(experiment.TINY.model_sizes)
    assert {"loss", "theory"} <= set(json["data_scan"][0]) and "fitted" in json["model_exponent"]


# --- the spectrum of Brill's data and the random-feature theory on it ---------------------------------

def test_walk_spectrum_decays_as_one_plus_c_over_D():
    # three clusters of 600..1200 sites at p_c: their walks' eigenvalues fall as m**-(1 + c/D), c/D = 1/2
    forest = bethe_forest(3, z=3, min_size=600, max_size=1200, seed=0)
    slopes = []
    for start, stop in zip(forest.offsets[:-1], forest.offsets[1:]):
        parent = forest.parent[start:stop]
        values = walk_spectrum(Cluster(np.where(parent >= 0, parent - start, -1), forest.depth[start:stop]))
        modes = np.arange(1, len(values) + 1)
        middle = (modes >= 5) & (modes <= len(values) // 10)
        slopes.append(np.polyfit(np.log(modes[middle]), np.log(values[middle]), 1)[0])
    assert abs(np.mean(slopes) + 1 + float(cluster_exponent(2, 4))) < 0.15, slopes


def test_data_spectrum_has_trace_one_and_the_clusters_decay():
    spectrum = law_spectrum(5)
    assert abs(float(spectrum.power_sum(1)) - 1) < 1e-25
    assert {piece.alpha for piece in spectrum.pieces} == {R(1, 2)}
    finite = data_spectrum([0.5, 0.5], R(1, 2), sizes=[10, 4])
    assert finite.size == 14 and abs(float(finite.power_sum(1)) - 1) < 1e-25


def test_random_feature_theory_on_brills_spectrum_reaches_brills_model_exponent():
    spectrum = law_spectrum(30)  # Bethe lattice at p_c: P_k ∝ k**-2, each cluster's modes m**-(3/2)
    law, = model_scaling(R(5, 2), 4, 2)
    losses = [float(solve(spectrum=spectrum, N=N, P="1e9", gamma="1e-9", dps=15).loss) for N in (3000, 6000)]
    slope = -math.log(losses[1] / losses[0]) / math.log(2)
    assert abs(slope - float(law.exponent)) < 0.05, slope
    # and the one-eigenvalue-per-cluster spectrum does not: its exponent is alpha = 1
    coarse = subtask_spectrum("bethe", source="exact")
    losses = [float(solve(spectrum=coarse, N=N, P="1e9", gamma="1e-9", dps=15).loss) for N in (3000, 6000)]
    assert abs(-math.log(losses[1] / losses[0]) / math.log(2) - 1) < 0.05


@pytest.mark.slow
def test_box_dimension_of_the_square_lattice_and_its_refusals():
    D, masses = dimensions.box_dimension(2, sides=(16, 32, 64, 128, 256), sites=2 * 10**6, seed=3)
    assert abs(D.value - 91 / 48) < 3 * D.error and D.error < 0.05
    assert [m[0] for m in masses] == [16, 32, 64, 128, 256] and all(m[2] > 0 for m in masses)
    with pytest.raises(ParameterError, match="d = 2..6, got d = 7"):
        dimensions.box_dimension(7)
    with pytest.raises(ParameterError, match="at least 4 box sides"):
        dimensions.box_dimension(2, sides=(16, 32, 64))


# --- spectra and bad input ---------------------------------------------------------------------------

def test_percolation_spectra():
    assert subtask_spectrum("bethe", z=3, clusters=50, seed=4).power_sum(1) == 1
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


@pytest.mark.slow
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
