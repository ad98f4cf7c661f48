"""The optimal ridge with label noise, against a golden-section minimisation of the certified solver."""

import mpmath
import pytest
import sympy

from largen.diagrams.engine.model import mrs
from largen.diagrams.regimes.families import Family
from largen.diagrams.regimes.optima import optimal_ridge
from largen.solver.numerics.scaling import minimise_ridge

N, P = (mrs().symbols[k] for k in ("N", "P"))


def _value(expr, sizes):
    return mpmath.mpf(str(sympy.N(expr.xreplace({s: sympy.Integer(sizes.get(s.name, 1)) for s in expr.free_symbols}),
                                  30)))


def _balanced(alpha):
    (optimum,) = [o for o in optimal_ridge(alpha=alpha, noise=1) if o.family is Family.RIDGE]
    return optimum


@pytest.mark.slow
def test_the_balance_of_teacher_and_noise_is_the_classic_noisy_rate():
    # hand: L = A gamma**(alpha/(1 + alpha)) + B gamma**(-1/(1 + alpha)) in the ridge regime at M = oo, with
    # A ~ (N P)**(-alpha/(1 + alpha)) and B ~ sigma**2 (N/P)**(1/(1 + alpha)): gamma* ~ sigma**2 N, L* ~ P**(-alpha/(1+alpha))
    # and the balance holds while N >> N* ~ P**(1/(1 + alpha)) (more features stop helping beyond)
    (optimum,) = [o for o in optimal_ridge(alpha=1, noise=True) if o.family is Family.RIDGE]
    assert optimum.exponents == {N: 1, P: 0} and optimum.loss_exponents == {N: 0, P: sympy.Rational(-1, 2)}
    (threshold,) = [(a, b) for a, b in optimum.conditions if b == N]
    assert sympy.simplify(sympy.diff(sympy.log(threshold[0]), P) * P) == sympy.Rational(1, 2)  # N* ~ P**(1/2)


@pytest.mark.slow
@pytest.mark.parametrize("alpha, sizes", [(sympy.Integer(1), (10**4, 10**6)), (sympy.Integer(2), (10**6, 10**8))])
def test_the_optimal_ridge_with_noise_against_golden_section(alpha, sizes):
    # measured at N = 1e6 (sigma_eps = 1): gamma* to 1e-5 (alpha = 1) and 6e-4 (alpha = 2); L* to 1.3e-3 at
    # P = 1e6 (alpha = 1) and 7e-4 at P = 1e8 (alpha = 2), worse toward the threshold N* ~ P**(1/(1 + alpha))
    # (8 % at P = 1e10, alpha = 1) and toward small P; at alpha = 1/2 only to 2-4 % (not met: its corrections
    # are not stated yet)
    optimum = _balanced(alpha)
    found = {}
    for p in sizes:
        point = {"N": 10**6, "P": p}
        gamma = _value(optimum.gamma, point)
        best, loss = minimise_ridge(alpha=alpha, sizes=point, dps=20, tolerance="1e-6", defaults={"sigma_eps": 1},
                                    bracket=(float(mpmath.log10(gamma)) - 1, float(mpmath.log10(gamma)) + 1))
        found[p] = loss
        assert abs(best / gamma - 1) < 1e-3, (alpha, p)
    assert abs(found[sizes[1]] / _value(optimum.loss, {"N": 10**6, "P": sizes[1]}) - 1) < 2e-3
    slope = mpmath.log(found[sizes[1]] / found[sizes[0]]) / mpmath.log(sizes[1] / sizes[0])
    assert abs(slope - optimum.loss_exponents[P]) < 2e-3, (alpha, slope)


@pytest.mark.slow
def test_exponents_optimal_in_text_and_json(capsys):
    import json

    from conftest import run_cli

    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--noise", "1", "--optimal", "--json")
    assert status == 0
    ridge = {o["regime"]: o for o in json.loads(out)["optimal"]["ridge"]}
    balanced = ridge["ridge, teacher and label noise balanced"]
    assert balanced["loss_exponents"] == {"N": "0", "P": "-1/2"} and balanced["exponents"]["N"] == "1"
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--noise", "1", "--optimal")
    assert status == 0 and "optimal ridge in ridge, teacher and label noise balanced: gamma* = N*sigma_u**2/sigma_w**2" \
        in out
