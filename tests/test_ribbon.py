import itertools

import numpy as np
import pytest
import sympy

from largen.diagrams import ExpressionError, Gaussian, Model, mrs
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.spectral import covariance_trace
from largen.diagrams.engine.ribbon import RibbonGraph
from largen.diagrams.engine.wick import contractions, isomorphism_classes

M, N, P = sympy.symbols("M N P", positive=True, integer=True)
sigma_u = sympy.Symbol("sigma_u", positive=True)
tr = covariance_trace()


def words_of(text, model=None):
    ((_, words),) = parse_observable(text, model or mrs()).terms
    return words


def test_faces_weights_and_genus_of_the_four_real_wishart_diagrams():
    graphs = list(contractions(words_of("Trace(X*X.T*X*X.T)"), mrs()))
    assert [(g.euler, g.orientable, g.euler_genus) for g in graphs] == [(2, True, 0), (1, False, 1), (2, True, 0)]
    assert [g.weight for g in graphs] == [P**2 * tr(2), P * tr(2), P * tr(1) ** 2]
    assert graphs[1].genus is None and graphs[0].genus == 0
    assert graphs[0].face_counts() == {"M": 1, "P": 2}


def test_a_torus():
    gue = Model("gue", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="hermitian")])
    torus = RibbonGraph(words_of("Trace(H**4)", gue), gue, [((0, 0), (0, 2), False), ((0, 1), (0, 3), False)])
    assert (torus.euler, torus.genus, torus.weight, torus.planar) == (0, 1, N, False)


def test_two_twists_between_two_vertices_are_orientable():
    # flipping one vertex untwists both ribbons: a cylinder
    graph = RibbonGraph(words_of("Trace(X*X.T)**2"), mrs(), [((0, 0), (1, 0), True), ((0, 1), (1, 1), True)])
    assert graph.orientable and graph.euler == 2 and graph.components == 1 and graph.weight == P * tr(2)


def test_dressed_propagators_put_lambda_on_the_row_face():
    # E tr(X^T Lambda X) = P tr Lambda^2: one insertion from the word, one from the propagator
    assert expectation("Trace(X.T*Lambda*X)") == P * tr(2)
    assert expectation("Trace(Lambda**3)") == tr(3)
    assert expectation("Trace(U*Lambda*U.T)") == N * sigma_u**2 * tr(1) / M


def test_isomorphism_classes_under_rotation():
    words = words_of("Trace((X*X.T)**3)")
    graphs = [g for g in contractions(words, mrs()) if g.planar]
    classes = isomorphism_classes(graphs, words)
    assert sorted(m for _, m in classes) == [1, 1, 3]
    assert sum(m for _, m in classes) == len(graphs) == 5


def test_isomorphism_classes_under_exchange_of_equal_traces():
    words = words_of("Trace((X*X.T)**2)**2")
    graphs = list(contractions(words, mrs()))
    classes = isomorphism_classes(graphs, words)
    assert len(graphs) == 105 and sum(m for _, m in classes) == 105
    # orbits of a group of order 8: rotations by two letters of each trace, and their exchange
    assert {m for _, m in classes} <= {1, 2, 4, 8} and 8 in {m for _, m in classes}
    assert len(classes) < 105 / 4


def test_products_of_traces():
    # E[tr(X X^T)^2] = (P tr Lambda)^2 + 2 P tr Lambda^2: disconnected plus two cylinders
    assert sympy.expand(expectation("Trace(X*X.T)**2") - (P**2 * tr(1) ** 2 + 2 * P * tr(2))) == 0
    assert sympy.expand(expectation("Trace(X*X.T)**2", planar=True) - (P**2 * tr(1) ** 2 + 2 * P * tr(2))) == 0
    assert expectation("3*Trace(X*X.T) - N") == 3 * P * tr(1) - N


@pytest.mark.parametrize(
    "text, message",
    [
        ("Trace(X*U)", "shapes do not match"),
        ("Trace(U)", "shapes do not match"),
        ("Trace(Q*U)", "undefined symbol 'Q'"),
        ("U*U.T", "polynomial in traces"),
        ("sqrt(Trace(X*X.T))", "polynomial in traces"),
        ("Trace(U.T*U", "cannot read"),
        ("Trace((U*U.T)**(-1))", "positive integer"),
    ],
)
def test_bad_observables(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_observable(text, mrs())


def test_complex_matrices_need_the_conjugate_transpose():
    model = Model("c", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1, ensemble="complex")])
    with pytest.raises(ExpressionError, match="use X.H"):
        parse_observable("Trace(X*X.T)", model)


def test_latex_of_weights():
    weight = sympy.Symbol("P") * tr(1) ** 2 + tr(3)
    assert sympy.latex(weight) == r"P \left(\operatorname{tr}\Lambda^{1}\right)^{2} + \operatorname{tr}\Lambda^{3}"
    graph = next(iter(contractions(words_of("Trace((X*X.T)**2)"), mrs())))
    assert graph._repr_latex_() == r"$P^{2} \operatorname{tr}\Lambda^{2}$"


# -- every ensemble and every transpose pattern against a Monte Carlo ---------------------------

ENSEMBLE_DRAWS = 40_000  # at N = 3 the standard error of a length-4 trace is about 0.1
SIGMAS = 5  # statistical tolerance: |Monte Carlo - exact| < 5 standard errors (seeded)


def _draws(ensemble, n, rng):
    """Unit-variance samples with E[A_ij A_kl] as in largen.diagrams.engine.wick.gluings."""
    shape = (ENSEMBLE_DRAWS, n, n)
    if ensemble in ("real", "symmetric"):
        g = rng.standard_normal(shape)
    else:  # E|G_ij|^2 = 1, E G_ij G_kl = 0
        g = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / 2**0.5
    if ensemble in ("real", "complex"):
        return g
    # GOE: off-diagonal variance 1, diagonal 2; GUE: E H_ij H_kl = d_il d_jk
    return (g + np.conj(np.swapaxes(g, 1, 2))) / 2**0.5


@pytest.mark.slow
@pytest.mark.parametrize("ensemble", ["real", "complex", "symmetric", "hermitian"])
def test_probe_S4_transposes_of_every_ensemble_match_a_monte_carlo(ensemble):
    n = 3
    model = Model(ensemble, {"N": N}, [Gaussian("A", "N", "N", 1, ensemble=ensemble)])
    draws = _draws(ensemble, n, np.random.default_rng(10))
    flip = ".H" if ensemble == "complex" else ".T"  # a complex matrix has no plain-transpose pairing
    flipped = np.conj(np.swapaxes(draws, 1, 2)) if ensemble == "complex" else np.swapaxes(draws, 1, 2)
    for length in (2, 4):
        for pattern in itertools.product((False, True), repeat=length):
            text = "Trace(" + "*".join("A" + (flip if t else "") for t in pattern) + ")"
            exact = complex(expectation(text, model).subs(N, n))
            product = draws if not pattern[0] else flipped
            for t in pattern[1:]:
                product = product @ (flipped if t else draws)
            samples = np.trace(product, axis1=1, axis2=2)
            mean = samples.mean()
            error = max(samples.real.std(), samples.imag.std()) / ENSEMBLE_DRAWS**0.5
            assert abs(mean - exact) < SIGMAS * error + 1e-12, (text, exact, mean, error)


def test_probe_S4_hermitian_transpose_is_the_conjugate():
    gue = Model("gue", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="hermitian")])
    assert expectation("Trace(H.T*H)", gue) == N  # not N**2: H.T is conj(H), not H
    assert expectation("Trace(H.H*H)", gue) == N**2  # H.H is H
    assert expectation("Trace(H.T*H.T)", gue) == N**2
    assert expectation("Trace(H.T*H*H.T*H)", gue) == 3 * N
    goe = Model("goe", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="symmetric")])
    assert expectation("Trace(H.T*H)", goe) == expectation("Trace(H*H)", goe) == N**2 + N


@pytest.mark.parametrize("ensemble, text", [
    ("real", "Trace(A*A.T*A*A*A.T*A.T)"), ("complex", "Trace(A*A.H*A*A.H)*Trace(A.H*A)"),
    ("symmetric", "Trace(A*A*A.T*A)"), ("hermitian", "Trace(A*A.T*A*A)*Trace(A*A)"),
])
def test_contractions_are_counted_without_listing_them(ensemble, text):
    from largen.diagrams.errors import CostError
    from largen.diagrams.engine.wick import contraction_count

    model = Model(ensemble, {"N": N}, [Gaussian("A", "N", "N", 1, ensemble=ensemble)])
    words = words_of(text, model)
    count = contraction_count(words, model)
    assert count == len(list(contractions(words, model))) > 0
    # refused before a single diagram is listed, by a plain call (not on first iteration)
    with pytest.raises(CostError, match=f"{count} diagrams, beyond the limit of {count - 1}"):
        contractions(words, model, max_diagrams=count - 1)


def test_classes_of_many_equal_traces_are_refused_before_relabelling():
    from largen.diagrams.errors import CostError

    words = words_of("Trace(X*X.T)**4")
    graphs = list(contractions(words, mrs()))  # 7!! = 105 graphs of 4 edges, each relabelled 4! ways
    with pytest.raises(CostError, match="72 diagrams, beyond the limit of 71"):
        isomorphism_classes(graphs, words, max_diagrams=71)
    assert len(isomorphism_classes(graphs, words, max_diagrams=72)) == len(isomorphism_classes(graphs, words))
    small = words_of("Trace(X*X.T)**3")
    assert sum(n for _, n in isomorphism_classes(contractions(small, mrs()), small)) == 15
