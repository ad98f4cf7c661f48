"""Power-law asymptotics of spectral sums against hand formulas and high-precision sums."""

import mpmath
import pytest
import sympy

from largen.diagrams.regimes.asymptotics import (ALPHA, LAMBDA_PLUS, effective_dimension_asymptotics, exponent_sign,
                                  moment_asymptotics, sum_asymptotics)
from largen.diagrams.errors import ExpressionError, ParameterError
from largen.diagrams.engine.spectral import DELTA, EIGENVALUE

s = 1 + ALPHA


def hand_nk(k):
    # Gamma(1 + 1/s) Gamma(k - 1/s) / Gamma(k) (lambda_+/Delta)**(1/s), the integral by hand
    return sympy.gamma(1 + 1 / s) * sympy.gamma(k - 1 / s) / sympy.gamma(k) * (LAMBDA_PLUS / DELTA) ** (1 / s)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2, 3])
def test_small_ridge_effective_dimensions_match_hand_formula(k):
    leading = effective_dimension_asymptotics(k, "small").leading
    for a in (sympy.Rational(1, 3), 1, sympy.Rational(5, 2)):
        values = {ALPHA: a, LAMBDA_PLUS: sympy.Rational(3, 2), DELTA: sympy.Rational(1, 7)}
        assert abs(sympy.N((leading / hand_nk(k)).xreplace(values), 30) - 1) < 1e-25


def test_small_ridge_first_correction_is_zeta_of_zero():
    # n_k = c_k X - 1/2 + ...: the zeta(0) term, relative size (Delta/lambda_+)**(1/s)
    e = effective_dimension_asymptotics(1, "small")
    assert e.terms[1] == sympy.Rational(-1, 2)
    ratio = sympy.powsimp(e.correction * (DELTA / LAMBDA_PLUS) ** (-1 / s), force=True)
    assert not ratio.has(DELTA)


def test_large_ridge_and_below_smallest_eigenvalue():
    for k in (1, 2):
        large = effective_dimension_asymptotics(k, "large")
        assert sympy.simplify(large.leading - LAMBDA_PLUS**k * sympy.zeta(k * s) / DELTA**k) == 0
        assert sympy.simplify(large.correction + k * LAMBDA_PLUS * sympy.zeta((k + 1) * s)
                              / (sympy.zeta(k * s) * DELTA)) == 0
    M = sympy.Symbol("M", positive=True, integer=True)
    below = effective_dimension_asymptotics(2, "below", alpha=1, latent=M)
    assert below.leading == M
    # n_2 = M - 2 Delta sum_I I**2 / lambda_+ + ...
    assert sympy.simplify(below.terms[1] + 2 * DELTA * M * (M + 1) * (2 * M + 1) / (6 * LAMBDA_PLUS)) == 0


def _nk_numeric(k, alpha, delta):
    """sum_I (1/(1 + delta I**s))**k: a direct head, and a tail expanded in (lambda/delta)."""
    s_ = 1 + mpmath.mpf(alpha)
    head = int(mpmath.ceil((100 / delta) ** (1 / s_)))
    total = mpmath.fsum((1 / (1 + delta * mpmath.mpf(i) ** s_)) ** k for i in range(1, head + 1))
    # (x/(1+x))**k with x = 1/(delta I**s) < 1/100: sum_j binom(-k, j) x**(k + j)
    for j in range(40):
        total += mpmath.binomial(-k, j) * delta ** (-k - j) * mpmath.zeta(s_ * (k + j), head + 1)
    return total


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [sympy.Rational(1, 2), 1, 2])
def test_small_ridge_expansion_against_high_precision_sums(alpha):
    mpmath.mp.dps = 30
    delta = mpmath.mpf("1e-3")
    for k in (1, 2):
        e = effective_dimension_asymptotics(k, "small", alpha=alpha, order=4)
        approx = sum(sympy.N(t.xreplace({DELTA: sympy.Rational(1, 1000), LAMBDA_PLUS: 1}), 30) for t in e.terms)
        exact = _nk_numeric(k, alpha, delta)
        # the omitted terms are O(Delta**4 / lambda_+**4) times zeta values
        assert abs(mpmath.mpf(str(approx)) / exact - 1) < mpmath.mpf("1e-12")
        leading = mpmath.mpf(str(sympy.N(e.leading.xreplace({DELTA: sympy.Rational(1, 1000), LAMBDA_PLUS: 1}), 30)))
        assert abs(exact / leading - 1) < 2 * abs(sympy.N(e.correction.xreplace(
            {DELTA: sympy.Rational(1, 1000), LAMBDA_PLUS: 1})))


def test_moment_with_sum_dominated_by_the_head():
    # sum lambda**3/(lambda + Delta) -> sum lambda**2 = zeta(2 s): the zeta term leads, the integral follows
    e = moment_asymptotics(3, 1, "small", alpha=sympy.Rational(1, 2))
    assert e.leading == LAMBDA_PLUS**2 * sympy.zeta(3)
    assert e.terms[1] == -DELTA * LAMBDA_PLUS * sympy.zeta(sympy.Rational(3, 2))


def test_divergent_and_bad_limits_refused():
    with pytest.raises(ExpressionError, match="diverges"):
        sum_asymptotics(1 / (EIGENVALUE + DELTA), "large")
    with pytest.raises(ParameterError, match="finite latent size"):
        sum_asymptotics(EIGENVALUE / (EIGENVALUE + DELTA), "below")
    with pytest.raises(ParameterError, match="unknown limit"):
        sum_asymptotics(EIGENVALUE / (EIGENVALUE + DELTA), "medium")
    with pytest.raises(ParameterError, match="positive"):
        sum_asymptotics(EIGENVALUE / (EIGENVALUE + DELTA), "small", alpha=-1)


def test_exponent_sign():
    assert exponent_sign(ALPHA / (1 + ALPHA)) == 1
    assert exponent_sign(1 - 3 * ALPHA) is None
    assert exponent_sign(sympy.Integer(0)) == 0
