"""The optimum where the sizes meet and the best split of a budget, against closed forms by hand and a
golden-section minimisation of the certified solver."""

import mpmath
import pytest
import sympy
from largen.diagrams.engine.model import (
    deep_linear,
    gaussian_equivalent,
    mrs,
    with_teacher,
)
from largen.diagrams.errors import LargenError, ParameterError
from largen.diagrams.regimes.asymptotics import LAMBDA_PLUS
from largen.diagrams.regimes.crossover import Cost, budget_optimum, crossover_optimum
from largen.solver.numerics.scaling import minimise_ridge

N, P = (mrs().symbols[k] for k in ("N", "P"))
SIGMA_W, SIGMA_U = sympy.symbols("sigma_w sigma_u", positive=True)


def _value(expr, sizes):
    """An expression at sizes (by name), every scale at 1."""
    point = {s: sympy.Rational(sizes.get(s.name, 1)) for s in expr.free_symbols}
    return mpmath.mpf(str(sympy.N(expr.xreplace(point), 30)))


def _minimum(model, alpha, sizes, gamma):
    """The solver's least loss in gamma, searched half a decade about ``gamma``."""
    centre = float(mpmath.log10(gamma))
    return minimise_ridge(model, alpha=alpha, sizes=sizes, dps=20, tolerance="1e-5", bracket=(centre - 0.5, centre + 0.5))


def test_alpha_one_closed_form_by_hand():
    # hand: at alpha = 1, n_1 = pi X/2 and n_2 = pi X/4 with X = sqrt(lambda_+/Delta); the MRS loss at
    # M = oo is L = lambda_+ sigma_w**2 pi N P/(2 X (4 N P - pi X (N + P))) (the n_1**2 - 2 n_1 n_2 terms
    # cancel), least at X* = 2 N P/(pi (N + P)): L* = pi**2 lambda_+ sigma_w**2 (1/N + 1/P)/8, and the
    # ridge gamma = Delta sigma_u**2 (n_1 - N)(n_1 - P) there is pi**2 lambda_+ sigma_u**2/4 at every ratio
    optimum = crossover_optimum(alpha=1)
    hand = sympy.pi**2 * LAMBDA_PLUS * SIGMA_W**2 * (1 / N + 1 / P) / 8
    assert sympy.simplify(optimum.loss - hand) == 0
    assert sympy.simplify(optimum.gamma - sympy.pi**2 * LAMBDA_PLUS * SIGMA_U**2 / 4) == 0
    assert sympy.simplify(optimum.modes - 2 * P / (sympy.pi * (N + P))) == 0
    assert optimum.exact and optimum.exponent == -1


def test_the_ridgeless_formula_is_twice_low_at_n_equals_p():
    # the N-limited regime's loss at its optimal ridge, pi**2 lambda_+ sigma_w**2/(8 N) at alpha = 1, is half
    # the optimum at N = P (the 2x)
    optimum = crossover_optimum(alpha=1, ratios={P: 1})
    assert sympy.simplify(optimum.loss / (sympy.pi**2 * LAMBDA_PLUS * SIGMA_W**2 / (8 * N))) == 2


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2)])
def test_optimum_against_golden_section(alpha):
    # measured: every ratio within 2e-6 of 1 (the first correction is ~1/X ~ 1e-6 at N ~ 1e6)
    law = crossover_optimum(alpha=alpha)
    for n, p in [(10**6, 10**6), (2 * 10**6, 10**6), (10**6, 2 * 10**6)]:
        sizes = {"N": n, "P": p}
        gamma, loss = _value(law.gamma, sizes), _value(law.loss, sizes)
        found_gamma, found_loss = _minimum(mrs(), alpha, sizes, gamma)
        assert abs(found_loss / loss - 1) < 1e-4, (alpha, n, p, found_loss / loss)
        assert abs(found_gamma / gamma - 1) < 1e-3, (alpha, n, p, found_gamma / gamma)


def test_a_number_where_no_closed_form_exists():
    # two layers: d log L/dt = 0 is of degree 5 in t, so the optimum is a bracketed number (agreeing with the
    # solver to 1.1e-5 at N1 = 1e5, measured)
    model = deep_linear(2)
    sizes = model.sizes
    optimum = crossover_optimum(model, alpha=1, ratios={sizes["N2"]: 2, sizes["P"]: 3}, digits=20)
    assert not optimum.exact and optimum.digits == 20
    assert abs(optimum.modes - sympy.Rational("0.50559671607707807485")) < 1e-19
    with pytest.raises(LargenError, match="degree 5"):
        crossover_optimum(model, alpha=1)


@pytest.mark.slow
def test_the_number_against_golden_section():
    model = deep_linear(2)
    sizes = model.sizes
    optimum = crossover_optimum(model, alpha=1, ratios={sizes["N2"]: 2, sizes["P"]: 3}, digits=20)
    point = {"N1": 10**5, "N2": 2 * 10**5, "P": 3 * 10**5}
    gamma, loss = _value(optimum.gamma, point), _value(optimum.loss, point)
    found_gamma, found_loss = _minimum(model, 1, point, gamma)
    assert abs(found_loss / loss - 1) < 1e-4 and abs(found_gamma / gamma - 1) < 1e-3


def test_budgets_at_alpha_one_by_hand():
    # hand (Lagrange on pi**2 (1/N + 1/P)/8): c_N N + c_P P = B is best at P/N = sqrt(c_N/c_P), with
    # L* = pi**2 (sqrt(c_N) + sqrt(c_P))**2/(8 B); N P = B at N = P, L* = pi**2/(4 sqrt(B))
    B = sympy.Symbol("B", positive=True)
    for weights in [(1, 1), (1, 4), (9, 1)]:
        best = budget_optimum(alpha=1, cost=Cost.linear({N: weights[0], P: weights[1]}), digits=25)
        assert abs(best.ratio - sympy.sqrt(sympy.Rational(*weights))) < 1e-24
        hand = sympy.pi**2 * (sympy.sqrt(weights[0]) + sympy.sqrt(weights[1]))**2 / 8
        assert abs(best.loss / (LAMBDA_PLUS * SIGMA_W**2 / B) - hand) < 1e-23 and best.exponent == -1
    best = budget_optimum(alpha=1, cost=Cost.product({N: 1, P: 1}), digits=25)
    assert abs(best.ratio - 1) < 1e-24 and best.exponent == sympy.Rational(-1, 2)
    assert abs(best.loss * sympy.sqrt(B) / (LAMBDA_PLUS * SIGMA_W**2) - sympy.pi**2 / 4) < 1e-23


@pytest.mark.slow
@pytest.mark.parametrize("alpha, weights, kind", [(sympy.Rational(1, 2), (1, 1), "product"),
                                                  (sympy.Integer(2), (1, 4), "linear"),
                                                  (sympy.Rational(1, 2), (1, 2), "product")])
def test_budget_against_the_solver(alpha, weights, kind):
    # the solver's least loss at the stated split (sizes about 1e6) is the stated
    # loss within 1e-4 (measured ~2e-6), and splits 10 % to either side along the budget lose more
    cost = getattr(Cost, kind)({N: weights[0], P: weights[1]})
    best = budget_optimum(alpha=alpha, cost=cost, digits=20)
    budget = 10**(6 * sum(weights)) if kind == "product" else 10**7
    at = {"B": budget}
    sizes = {str(k): _value(v, at) for k, v in best.sizes.items()}
    _, loss = _minimum(mrs(), alpha, sizes, _value(best.gamma, at))
    assert abs(loss / _value(best.loss, at) - 1) < 1e-4
    for shift in (mpmath.mpf("0.9"), mpmath.mpf("1.1")):
        ratio = mpmath.mpf(str(best.ratio)) * shift
        n = (budget / ratio**weights[1]) ** (mpmath.mpf(1) / sum(weights)) if kind == "product" else \
            budget / (weights[0] + weights[1] * ratio)
        other, _ = _minimum(mrs(), alpha, {"N": n, "P": ratio * n}, _value(best.gamma, at))
        assert _minimum(mrs(), alpha, {"N": n, "P": ratio * n}, other)[1] > loss


def test_refusals():
    with pytest.raises(ParameterError, match="numeric alpha"):
        crossover_optimum(alpha=sympy.Symbol("alpha", positive=True))
    with pytest.raises(ParameterError, match="isotropic teacher"):
        crossover_optimum(with_teacher(mrs()), alpha=1)
    with pytest.raises(ParameterError, match="linear features"):
        crossover_optimum(gaussian_equivalent(mrs()), alpha=1)
    with pytest.raises(ParameterError, match="positive numbers"):
        crossover_optimum(alpha=1, ratios={P: -2})
    with pytest.raises(ParameterError, match="ratios are needed"):
        crossover_optimum(alpha=1, ratios={N: 2})
    with pytest.raises(ParameterError, match="positive numbers"):
        Cost.linear({N: 1, P: 0})
    with pytest.raises(ParameterError, match="must weigh"):
        budget_optimum(alpha=1, cost=Cost.linear({N: 1}))


@pytest.mark.slow
def test_exponents_optimal_states_the_crossover_and_budgets(capsys):
    import json

    from conftest import read_back, run_cli

    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--optimal", "--budget", "linear:1,4", "--json")
    assert status == 0
    optimal = json.loads(out)["optimal"]
    crossover = optimal["crossover"]
    assert crossover["exact"] and sympy.simplify(read_back(crossover["loss"]) - sympy.pi**2 * sympy.Symbol(
        "lambda_plus", positive=True) * SIGMA_W**2 * (1 / N + 1 / P) / 8) == 0
    ratios = [read_back(b["ratio"]) for b in optimal["budget_optima"]]
    assert [b["cost"] for b in optimal["budget_optima"]] == ["N*P", "N + P", "N + 4*P"]
    assert abs(ratios[2] - sympy.Rational(1, 2)) < 1e-14  # P/N = sqrt(c_N/c_P)
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--optimal", "--budget", "linear:1")
    assert status == 2
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--budget", "linear:1,2")
    assert status == 2
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--noise", "1", "--optimal")
    assert status == 0 and "optimum where the sizes meet: not derived (with label noise" in out
