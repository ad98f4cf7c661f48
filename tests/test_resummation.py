"""The resummed planar theory against the diagrams, order by order, and its ridgeless limit."""


import mpmath
import pytest
import sympy

from conftest import bounded_work
from largen.diagrams import deep_linear, load_model, mrs
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.engine.spectral import effective_dimension
from largen.diagrams.errors import CostError, ParameterError
from largen.diagrams.theory.series import diagram_coefficients, series_cost, theory_coefficients

M, N, P, N1, N2 = (sympy.Symbol(s, positive=True, integer=True) for s in ("M", "N", "P", "N1", "N2"))
sigma_w, sigma_eps, sigma_u = (sympy.Symbol(s, positive=True) for s in ("sigma_w", "sigma_eps", "sigma_u"))
Delta = sympy.Symbol("Delta", positive=True)
n1, n2 = effective_dimension(1), effective_dimension(2)


@pytest.mark.slow
@pytest.mark.parametrize("model, order", [(mrs(), 6), (deep_linear(2), 4)], ids=["mrs", "deep2"])
def test_resummed_series_equals_planar_diagrams(model, order):
    resummed = theory_coefficients(model, order)
    planar = diagram_coefficients(model, order, planar=True)
    assert len(resummed) == order + 1
    for k, (a, b) in enumerate(zip(resummed, planar)):
        assert b != 0 and sympy.expand(a - b) == 0, k


def test_label_noise_enters_the_series():
    # c_2 has a noise part, from tr(Phi^T F Lambda F^T Phi), with no teacher in it
    c2 = theory_coefficients(mrs(), 2)[2]
    noise = c2.coeff(sigma_eps, 2)
    assert noise != 0 and not noise.has(sigma_w)


def test_exact_series_differs_from_planar_by_finite_size_terms():
    exact = diagram_coefficients(mrs(), 2, planar=False)
    planar = diagram_coefficients(mrs(), 2, planar=True)
    assert sympy.expand(exact[1] - planar[1]) == 0  # one propagator each: no non-planar diagram yet
    correction = sympy.expand(exact[2] - planar[2])
    assert correction != 0
    # relative size 1/N, 1/M, 1/P: scaling every size by s lowers the correction by s
    s = sympy.Symbol("s", positive=True)
    scaled = {M: s * M, N: s * N, P: s * P}
    ratio = sympy.simplify(correction.xreplace(scaled) / planar[2].xreplace(scaled))
    assert sympy.limit(ratio * s, s, sympy.oo) != 0 and sympy.limit(ratio, s, sympy.oo) == 0


def test_derived_equations_have_one_self_energy_per_field():
    assert len(planar_theory(mrs()).equations) == 4
    assert len(planar_theory(deep_linear(3)).equations) == 8
    assert planar_theory(load_model("tests/data/deep2.toml")).equations == planar_theory(deep_linear(2)).equations


def test_ridgeless_mrs_reduces_to_the_min_N_P_form():
    limit = ridgeless(mrs())
    assert sympy.expand(limit.gamma - Delta * sigma_u**2 * (N - n1) * (P - n1) / M) == 0
    (below, above) = limit.regimes
    assert (below.n1, above.n1) == (N, P)
    # Maloney, Roberts and Sully: L = sigma_w^2/(2M) * Delta * min / (1 - min/max), with n1 = min(N, P)
    noiseless = {sigma_eps: 0}
    assert sympy.simplify(below.loss.xreplace(noiseless) - sigma_w**2 / (2 * M) * Delta * N / (1 - N / P)) == 0
    assert sympy.simplify(above.loss.xreplace(noiseless) - sigma_w**2 / (2 * M) * Delta * P / (1 - P / N)) == 0


def test_small_ridge_regularises_the_threshold_as_one_over_sqrt_gamma():
    gamma, coefficients = ridgeless(mrs()).near_threshold()
    delta = sympy.Symbol("delta", positive=True)
    assert sympy.expand(gamma - Delta * sigma_u**2 * delta**2 / M) == 0
    assert min(coefficients) == -1  # L ~ 1/delta ~ gamma^(-1/2)
    assert sympy.simplify(coefficients[-1] - N * (Delta * N * sigma_w**2 / M + sigma_eps**2) / 4) == 0


@pytest.mark.slow
def test_ridgeless_deep_model_has_a_regime_per_width():
    limit = ridgeless(deep_linear(2))
    assert {r.n1 for r in limit.regimes} == {N1, N2, P}
    for regime in limit.regimes:
        assert sympy.simplify(regime.loss.xreplace({sigma_eps: 0})).has(Delta)


def test_solver_reaches_the_ridgeless_limit():
    # at a tiny ridge the solver's loss is the ridgeless form, with Delta from sum lambda/(lambda+Delta) = N
    from largen.solver import solve

    lam = [mpmath.mpf(i) ** -2 for i in range(1, 401)]
    with mpmath.workdps(30):
        d = mpmath.findroot(lambda d: sum(l / (l + d) for l in lam) - 60, (mpmath.mpf("1e-6"), mpmath.mpf("0.1")),
                            solver="anderson")
        expected = d * 60 / (1 - mpmath.mpf(60) / 90) / (2 * 400)
    solution = solve(N=60, P=90, M=400, gamma="1e-14", dps=20)
    assert abs(solution.Delta / d - 1) < 1e-9
    assert abs(solution.loss / expected - 1) < 1e-9


def test_probe_H6_series_orders_are_bounded_before_any_work():
    with bounded_work(3_000_000):  # measured 1.3 million calls (counting to gamma^-7 first)
        with pytest.raises(CostError, match=r"the planar diagrams of the test loss to gamma\^-50 "
                                            r"\(already to gamma\^-7\): 406105 diagrams, beyond the limit of "
                                            r"150000; pass max_diagrams="):
            diagram_coefficients(mrs(), 50)
        with pytest.raises(CostError, match=r"to gamma\^-100000000000000000000: past gamma\^-100 no method reaches it"):
            series_cost(mrs(), 10**20)  # refused at once from the order (probe N12)
        with pytest.raises(CostError, match=r"the diagrams of the test loss to gamma\^-5: about 10\^6.7 diagrams"):
            series_cost(mrs(), 5, planar=False)  # what enumerating them would cost
        with pytest.raises(CostError,
                           match=r"the exact diagrams of the test loss to gamma\^-50 \(refused at gamma\^-6\)"):
            diagram_coefficients(mrs(), 50, planar=False, max_diagrams=1000)
        with pytest.raises(CostError, match=r"the resummed series of the test loss to gamma\^-50: about 10\^"):
            theory_coefficients(mrs(), 50)
        with pytest.raises(CostError, match=r"to gamma\^-100000000000000000000: past gamma\^-100"):
            theory_coefficients(mrs(), 10**20)
    # the limit is a keyword: the exact coefficients to gamma^-2 come from 23 contractions, or from the
    # recursion on 3 products of traces in less than a diagram's worth of work each; the limit meets
    # the coefficient's 3 words first
    assert series_cost(mrs(), 2, planar=False) == 23
    with pytest.raises(CostError, match=r"coefficient of gamma\^-2: 3 words, beyond the limit of 2"):
        diagram_coefficients(mrs(), 2, planar=False, max_diagrams=2)
    assert diagram_coefficients(mrs(), 2, planar=False, max_diagrams=3) == diagram_coefficients(mrs(), 2, planar=False,
                                                                                                max_diagrams=None)
    with pytest.raises(CostError, match="beyond the limit of 1000"):
        theory_coefficients(mrs(), 6, max_diagrams=1000)


@pytest.mark.parametrize("order", [-1, 2.5, "3", True])
def test_probe_H6_orders_that_are_no_non_negative_integers_are_refused(order):
    for compute in (theory_coefficients, diagram_coefficients, series_cost):
        with pytest.raises(ParameterError, match="the order of the series must be a non-negative integer, got"):
            compute(mrs(), order)
