"""The diagrams of the test loss for nonlinear features (Gaussian equivalence) against the resummed theory.

Phi = mu_1 F X + Xi and the test point's mu_1 F x + xi_test: the loss's words
(:func:`largen.diagrams.theory.series.loss_observable`) summed over planar diagrams must be the
large-ridge series of the resummed theory exactly, the exact (all-genus)
coefficients of the cut-and-join recursion must be full Wick enumeration, and
both must be what an independent computation from the loss's definition gives.
"""

import json
import math

import pytest
import sympy

from largen.diagrams import CostError, deep_linear, mrs, with_teacher
from largen.diagrams.theory.duality import dual_pairs, swap_sizes, verdicts, without_test_xi
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.theory.finite_size import correction_coefficients
from largen.diagrams.engine.model import gaussian_equivalent
from largen.diagrams.theory.series import (diagram_coefficients, graded_coefficients, loss_observable, series_cost,
                             subleading_coefficients, theory_coefficients)
from largen.diagrams.engine.spectral import CovarianceTrace, covariance_trace
from largen.solver.cli.commands import main

M, N, P = (sympy.Symbol(s, positive=True, integer=True) for s in "MNP")
mu_1, mu_star, sigma_u, sigma_eps = (sympy.Symbol(s, positive=True) for s in ("mu_1", "mu_star", "sigma_u", "sigma_eps"))
t1, t2 = (covariance_trace("Lambda")(k) for k in (1, 2))

NONLINEAR = mrs(nonlinear=True)
DEEP = gaussian_equivalent(deep_linear(2))


@pytest.mark.parametrize("model, top", [
    (NONLINEAR, 4), (with_teacher(NONLINEAR), 3), (without_test_xi(NONLINEAR), 3), (DEEP, 3), (with_teacher(DEEP), 2),
], ids=["mrs", "mrs-teacher", "mrs-without-test-xi", "deep2", "deep2-teacher"])
@pytest.mark.slow
def test_planar_diagrams_are_the_resummed_series(model, top):
    theory = theory_coefficients(model, top)
    planar = diagram_coefficients(model, top)
    for k in range(top + 1):
        assert sympy.expand(planar[k] - theory[k]) == 0, k
    assert theory[top].has(mu_star) and theory[top].has(mu_1)  # xi and the linear part both enter


def test_the_test_points_xi_is_the_identity_of_the_readout():
    # mu_t**2 |theta|**2 / 2: with it removed the series changes, by terms of the test variance only
    full, bare = theory_coefficients(NONLINEAR, 2), diagram_coefficients(without_test_xi(NONLINEAR), 2)
    difference = sympy.expand(full[2] - bare[2])
    assert difference != 0 and full[:2] == bare[:2]
    # at gamma^-2, theta = y Phi^T / gamma**2: the noise's part of mu_star**2 E|theta|**2 / 2 is
    # mu_star**2 sigma_eps**2 E tr(Phi^T Phi) / 2, with E tr(Phi^T Phi) = N P (mu_1**2 sigma_u**2 tr Lambda / M + mu_star**2)
    noise = difference.coeff(sigma_eps, 2)
    assert sympy.expand(noise - mu_star**2 / 2 * N * P * (mu_1**2 * sigma_u**2 * t1 / M + mu_star**2)) == 0


def test_exact_coefficient_at_gamma_minus_two_by_hand():
    # the label noise's part of gamma^-2 (per sigma_eps**2), every genus: 1/2 E tr(Phi^T (mu_1**2 U Lambda U^T + mu_star**2) Phi),
    # by Wishart moments: E tr(X^T A X) = P tr(A Lambda), E tr(U^T U Lambda U^T U Lambda) =
    # (sigma_u**2/M)**2 (N**2 tr Lambda**2 + N (tr Lambda)**2 + N tr Lambda**2), E tr(Xi^T B Xi) = P mu_star**2 tr B
    exact = sum(graded_coefficients(NONLINEAR, 2)[2].values())
    s = sigma_u**2 / M
    by_hand = sympy.Rational(1, 2) * (
        mu_1**4 * P * s**2 * (N**2 * t2 + N * t1**2 + N * t2)
        + mu_1**2 * mu_star**2 * P * N * s * t1                  # Xi^T U Lambda U^T Xi
        + mu_star**2 * (mu_1**2 * P * N * s * t1 + N * P * mu_star**2))  # the test point's xi
    assert sympy.expand(exact.coeff(sigma_eps, 2) - by_hand) == 0


def _moment(n, variance):
    """E g**n for g ~ N(0, variance)."""
    return 0 if n % 2 else math.prod(range(n - 1, 0, -2)) * variance ** (n // 2)


def scalar_series(model, order):
    """Every size 1: the loss's coefficients of gamma**-k from its definition, by scalar Gaussian moments.

    phi = mu_1 u_L...u_1 x + xi, y = w x + e, theta = y phi / (gamma + phi**2); the test point
    x_t ~ N(0, l) and its own xi_t give L = ((mu_1 theta f - w)**2 l + mu_star**2 theta**2) / 2.
    """
    l, omega, eps = sympy.symbols("l omega eps", positive=True)
    r = model.regression
    ones = {size: 1 for size in model.spaces.values()}
    layers = [sympy.Symbol(f"u{i}") for i in range(len(r.features))]
    x, xi, w, e = sympy.symbols("x xi w e")
    variances = {u: model.matrices[name].variance.xreplace(ones) for u, name in zip(layers, r.features)}
    teacher = r.teacher_variance.xreplace(ones) * (omega if model.teacher(model.latent) else 1)
    variances.update({x: l, xi: mu_star**2, w: teacher, e: r.noise_variance})
    f = sympy.Mul(*layers)
    phi, y = mu_1 * f * x + xi, w * x + e
    theta = y * phi * sum((-eps * phi**2) ** j for j in range(order + 1)) * eps  # theta with gamma = 1/eps
    loss = sympy.expand(((mu_1 * theta * f - w) ** 2 * l + mu_star**2 * theta**2) / 2)
    coefficients = []
    for k in range(order + 1):
        total = 0
        for monomial, c in sympy.Poly(loss.coeff(eps, k), *variances).terms():
            total += c * sympy.Mul(*[_moment(n, v) for n, v in zip(monomial, variances.values())])
        coefficients.append(sympy.expand(total))
    return coefficients, l, omega


@pytest.mark.slow
@pytest.mark.parametrize("model, top", [(NONLINEAR, 4), (with_teacher(NONLINEAR), 3), (DEEP, 3)],
                         ids=["mrs", "mrs-teacher", "deep2"])
def test_exact_coefficients_at_size_one_are_the_scalar_regression(model, top):
    graded = graded_coefficients(model, top)
    expected, l, omega = scalar_series(model, top)
    ones = {size: 1 for size in model.spaces.values()}

    def scalar(expr):  # every size 1, tr Lambda**k Omega**j = l**k omega**j
        return expr.xreplace(ones).replace(
            lambda t: isinstance(t, CovarianceTrace), lambda t: l ** t.args[0] * omega ** (t.args[1] if len(t.args) > 1 else 0))

    for k, parts in enumerate(graded):
        assert sympy.expand(scalar(sum(parts.values())) - expected[k]) == 0, k


@pytest.mark.slow
@pytest.mark.parametrize("model, top", [(NONLINEAR, 4), (with_teacher(NONLINEAR), 3), (DEEP, 3)],
                         ids=["mrs", "mrs-teacher", "deep2"])
def test_exact_coefficients_planar_part_is_the_theory(model, top):
    theory = theory_coefficients(model, top)
    for k, parts in enumerate(graded_coefficients(model, top)):
        assert max(parts) == 2 and sympy.expand(parts[2] - theory[k]) == 0
    assert 1 in parts and parts[1].has(mu_star)  # the one-crosscap part of the equivalent model is there


@pytest.mark.slow
def test_the_derived_finite_size_correction_is_the_one_crosscap_diagrams_of_the_equivalent_model():
    # exact for xi Gaussian (the solver refuses the correction with an actual activation, whose mu_0
    # and non-Gaussian part enter at this order)
    correction, crosscaps = correction_coefficients(NONLINEAR, 3), subleading_coefficients(NONLINEAR, 3)
    for k in range(4):
        assert sympy.expand(correction[k] - crosscaps[k]) == 0
    assert crosscaps[3].has(mu_star) and crosscaps[3].has(mu_1)


def test_exact_coefficients_are_full_wick_enumeration():
    exact = diagram_coefficients(NONLINEAR, 3, planar=False)
    for k in range(4):
        assert sympy.expand(exact[k] - expectation(loss_observable(NONLINEAR, k), NONLINEAR, planar=False)) == 0


@pytest.mark.slow
def test_the_words_grow_like_four_to_the_order_and_are_bounded():
    words = [len(sympy.expand(loss_observable(NONLINEAR, k)).atoms(sympy.Trace)) for k in range(5)]
    assert words == [1, 1, 12, 64, 320]
    assert series_cost(NONLINEAR, 4) == 15560
    with pytest.raises(CostError, match=r"the test loss's coefficient of gamma\^-40: about 10\^\S+ words, beyond"):
        loss_observable(NONLINEAR, 40)
    with pytest.raises(CostError, match=r"already to gamma\^-4"):
        series_cost(NONLINEAR, 5, max_diagrams=10_000)
    # the words with an even count of every matrix are counted without writing them: gamma^-8 has
    # 245760 of its 491520 choices, refused by default; the caller's limit reaches them (gamma^-2: 12)
    with pytest.raises(CostError, match=r"gamma\^-8: 245760 words"):
        loss_observable(NONLINEAR, 8)
    with pytest.raises(CostError, match=r"gamma\^-2: 12 words, beyond the limit of 5"):
        diagram_coefficients(NONLINEAR, 2, max_diagrams=5)
    assert diagram_coefficients(NONLINEAR, 2, max_diagrams=series_cost(NONLINEAR, 2))[2] != 0


# -- N <-> P, diagram by diagram ----------------------------------------------------------------
def assert_partners(pairs, model):
    """Every class with a dual is carried onto a class of the coefficient, with its coefficient and the
    exchanged weight, and the carried classes are mapped onto each other."""
    paired = [p for p in pairs if p.dual is not None]
    for p in paired:
        assert p.dual_coefficient == p.coefficient and sympy.expand(p.dual_weight - swap_sizes(p.weight, model)) == 0
    assert {(p.dual.words, p.dual.edges) for p in paired} == {(p.diagram.words, p.diagram.edges) for p in paired}
    return paired


@pytest.mark.parametrize("order", [1, 2, 3])
def test_without_the_test_points_xi_every_class_has_its_partner(order):
    model = without_test_xi(NONLINEAR)
    pairs = dual_pairs(model, order)
    assert pairs and len(assert_partners(pairs, model)) == len(pairs)
    assert any("Xi" in repr(p.diagram.words) for p in pairs) or order == 1


@pytest.mark.slow
@pytest.mark.parametrize("order", [2, 3])
def test_the_classes_without_partner_are_the_test_points_xi_and_carry_the_series_remainder(order):
    pairs = dual_pairs(NONLINEAR, order)
    alone = [p for p in pairs if p.dual is None]
    assert alone and assert_partners(pairs, NONLINEAR)
    for p in alone:  # the readout's identity: two more Z than U letters
        letters = [letter.matrix for letter in p.diagram.words[0].letters]
        assert letters.count("Z") - letters.count("U") == 2 and p.coefficient.has(mu_star)
    # what breaks the series' N <-> P invariance is exactly their sum
    broken = sum(p.multiplicity * p.coefficient * (p.weight - swap_sizes(p.weight, NONLINEAR)) for p in alone)
    (series,) = [v for v in verdicts(NONLINEAR, order) if v.quantity == f"series gamma^-{order}"]
    assert not series.invariant and sympy.expand(series.remainder - broken) == 0


# -- the CLI ------------------------------------------------------------------------------------
def run(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.slow
def test_series_of_a_nonlinear_model_file(capsys, tmp_path):
    path = tmp_path / "rf.toml"
    path.write_text('[model]\nname = "rf"\nnonlinear = true\n\n[[model.features]]\nwidth = "N"\n'
                    'variance = "sigma_u**2/M"\n')
    status, out, _ = run(capsys, "series", "--model", str(path), "--order", "3", "--planar", "--N", "20", "--P",
                         "30", "--M", "50", "--set", "mu_1=0.5", "--set", "mu_star=0.3", "--json")
    assert status == 0
    result = json.loads(out)
    assert result["model"] == "rf-nonlinear" and [c["resummed_agrees"] for c in result["coefficients"]] == [True] * 4
    assert [c["diagrams"] for c in result["coefficients"]] == [1, 1, 18, 148]
    assert "mu_star**6" in result["coefficients"][3]["expression"] and "value" in result["coefficients"][3]
    status, out, _ = run(capsys, "series", "--model", str(path), "--order", "2")
    assert status == 0 and "Gaussian-equivalent model" in out


@pytest.mark.slow
def test_duality_of_nonlinear_features_reports_the_classes_without_partner(capsys):
    status, out, _ = run(capsys, "duality", "--activation", "relu", "--order", "2", "--json")
    result = json.loads(out)
    assert status == 0 and "diagram_map" not in result
    assert len(result["pairs"]) == 13 and sum(p["dual"] is None for p in result["pairs"]) == 3
    status, out, _ = run(capsys, "duality", "--activation", "relu", "--order", "2")
    assert "13 planar classes (13 diagrams), 3 of them with a dual word that is no word of the coefficient" in out
