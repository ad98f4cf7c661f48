"""Regimes by dominant balance against independent hand derivations."""

from pathlib import Path

import pytest
import sympy

from largen.diagrams import mrs
from largen.diagrams.regimes.asymptotics import ALPHA, LAMBDA_PLUS
from largen.diagrams.engine.modelfile import load
from largen.diagrams.regimes import derive_regimes
from largen.diagrams.theory.parametric import parametric_losses

DATA = Path(__file__).parent / "data"
_s = mrs().symbols
N, P, gamma, sigma_u, sigma_w, sigma_eps = (_s[k] for k in ("N", "P", "gamma", "sigma_u", "sigma_w", "sigma_eps"))


@pytest.fixture(scope="module", params=[ALPHA, sympy.Integer(1)])
def mrs_regimes(request):
    return request.param, {r.name: r for r in derive_regimes(alpha=request.param)}


def c(k, a):
    # n_k ~ c_k (lambda_+/Delta)**(1/s): Gamma(1 + 1/s) Gamma(k - 1/s) / Gamma(k), by hand
    s = 1 + a
    return sympy.gamma(1 + 1 / s) * sympy.gamma(k - 1 / s) / sympy.gamma(k)


def equal(a, b):
    return sympy.simplify(a - b) == 0


def same(a, b):
    # equal as functions: the ratio is 1 at a generic point
    point = {v: sympy.Rational(3 + i, 7) for i, v in enumerate(sorted(a.free_symbols | b.free_symbols, key=str))}
    return abs(sympy.N((a / b).xreplace(point), 30) - 1) < 1e-25


@pytest.mark.slow
def test_ridgeless_model_and_data_limited(mrs_regimes):
    # hand: n_1 = N, P -> oo: L = Delta N sigma_w**2 / 2 with Delta = lambda_+ (c_1/N)**(1 + alpha)
    a, regimes = mrs_regimes
    for size, other in ((N, P), (P, N)):
        r = regimes[f"ridgeless, {size}-limited"]
        hand = LAMBDA_PLUS * c(1, a) ** (1 + a) * size**-a * sigma_w**2 / 2
        assert same(r.loss, hand)
        assert equal(r.exponents[size], -a) and r.exponents[other] == 0 and r.exponents[gamma] == 0
        assert (size, other) in r.conditions


def test_ridge_dominated(mrs_regimes):
    # hand: Delta = gamma/(sigma_u**2 N P); L = Delta sigma_w**2 (n_1 - n_2)/2
    a, regimes = mrs_regimes
    r = regimes["ridge"]
    s = 1 + a
    delta = gamma / (sigma_u**2 * N * P)
    hand = delta * sigma_w**2 * (c(1, a) - c(2, a)) * (LAMBDA_PLUS / delta) ** (1 / s) / 2
    assert same(r.loss, hand)
    assert equal(r.exponents[gamma], a / s) and equal(r.exponents[N], -a / s) and equal(r.exponents[P], -a / s)


def test_threshold_peak(mrs_regimes):
    # hand: N = P, n_1 = N - d, gamma = Delta sigma_u**2 d**2, L = Delta N**2 sigma_w**2 / (4 d)
    a, regimes = mrs_regimes
    r = regimes["threshold N = P"]
    delta = LAMBDA_PLUS * (c(1, a) / N) ** (1 + a)
    hand = delta * N**2 * sigma_w**2 / (4 * sympy.sqrt(gamma / (delta * sigma_u**2)))
    assert same(r.loss, hand)
    assert r.exponents[gamma] == sympy.Rational(-1, 2)
    assert equal(r.exponents[N], (1 - 3 * a) / 2)
    assert r.tied == {P: N}


def test_over_regularised_is_the_null_predictor(mrs_regimes):
    a, regimes = mrs_regimes
    r = regimes["over-regularised"]
    hand = sigma_w**2 * LAMBDA_PLUS * sympy.zeta(1 + a) / 2
    assert same(r.loss, hand)


@pytest.mark.slow
def test_training_loss_interpolates_when_data_limited():
    regimes = {r.name: r for r in derive_regimes(alpha=1)}
    r = regimes["ridgeless, P-limited"]
    assert sympy.degree(r.train_loss, gamma) == 2  # vanishes like gamma**2 as gamma -> 0
    assert regimes["ridgeless, N-limited"].train_loss == regimes["ridgeless, N-limited"].loss


@pytest.mark.slow
def test_parametric_training_loss_is_derived():
    p = parametric_losses()
    assert set(p.roots) == {N, P}
    assert p.train_loss.has(sympy.Symbol("n2", positive=True))


@pytest.mark.slow
def test_label_noise_splits_regimes():
    regimes = {r.name: r for r in derive_regimes(alpha=1, noise=True)}
    r = regimes["ridgeless, P-limited, label noise dominated"]
    # hand: n_1 = P, N -> oo: L_noise = sigma_eps**2 n_2 / (2 (P - n_2)), n_2/n_1 = c_2/c_1 = alpha/(1 + alpha)
    assert sympy.simplify(r.loss - sigma_eps**2 * 1 / 2) == 0  # alpha = 1: tempered, not benign
    assert any("sigma_eps" in str(small) + str(large) for small, large in r.conditions)


@pytest.mark.slow
def test_two_layer_model_bottleneck_regimes():
    # a model read from a TOML file, no code for it: the roots of its ridge are its widths and P
    regimes = {r.name: r for r in derive_regimes(load(DATA / "deep2.toml"), alpha=1)}
    assert {"ridgeless, N1-limited", "ridgeless, N2-limited", "ridgeless, P-limited"} <= set(regimes)
    for width in ("N1", "N2"):
        r = regimes[f"ridgeless, {width}-limited"]
        assert sympy.simplify(r.loss - sympy.pi**2 * LAMBDA_PLUS * sigma_w**2 / (8 * sympy.Symbol(
            width, integer=True, positive=True))) == 0


@pytest.mark.slow
def test_the_theory_facade_gives_typed_regimes():
    from largen.diagrams.derivation import derive
    from largen.diagrams.regimes.families import Family

    regimes = derive(mrs()).regimes(alpha=1)
    assert {r.family for r in regimes} == {Family.RIDGE, Family.OVER_REGULARISED, Family.RIDGELESS, Family.THRESHOLD}
    assert sorted((r.limiting for r in regimes if r.family is Family.RIDGELESS), key=str) == [(N,), (P,)]
    (threshold,) = [r for r in regimes if r.family is Family.THRESHOLD]
    assert threshold.limiting == (N, P) and threshold.dominant is None and threshold.name == "threshold N = P"
