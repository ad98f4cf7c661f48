"""Spectral sums: the representation, its inverse, and the forms derived from it."""

import pytest
import sympy

from largen.diagrams import deep_linear, mrs
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import ExpressionError, ModelError, SolverError
from largen.diagrams.theory.pencil import ridge_pencil
from largen.diagrams.engine.spectral import (DELTA, EIGENVALUE, SOURCE, EIGENVALUES, INDEX, covariance_trace, effective_dimension,
                               in_effective_dimensions, moment_form, spectral_sum, summand)

lam = EIGENVALUE
M, N1 = sympy.Symbol("M", positive=True, integer=True), sympy.Symbol("N1", positive=True, integer=True)
x, a = sympy.Symbol("x", positive=True), sympy.Symbol("a")
n1, n2, n3 = (effective_dimension(k) for k in (1, 2, 3))


@pytest.mark.parametrize("function", [lam, lam**3 / (lam + x) ** 2, a * lam + 1, sympy.Integer(7), sympy.exp(-lam)])
@pytest.mark.parametrize("size", [M, sympy.Integer(5), 2 * M])
def test_summand_inverts_spectral_sum(function, size):
    total = spectral_sum(function, size)
    assert isinstance(total, sympy.Sum) and total.limits == ((INDEX, 1, size),)
    assert total.function == function.xreplace({lam: EIGENVALUES[INDEX]})
    assert summand(total) == (function, size)


def test_spectral_sum_is_written_in_the_indexed_eigenvalues():
    assert spectral_sum(lam / (lam + x), M) == sympy.Sum(EIGENVALUES[INDEX] / (EIGENVALUES[INDEX] + x), (INDEX, 1, M))


@pytest.mark.parametrize("other", [
    sympy.Sum(EIGENVALUES[INDEX], (INDEX, 0, M)),  # from 0
    sympy.Sum(x**INDEX, (x, 1, M)),  # another index
    lam + 1,  # no sum
    sympy.Sum(EIGENVALUES[INDEX] * x, (INDEX, 1, M), (x, 1, 2)),  # a double sum
])
def test_summand_refuses_what_is_no_spectral_sum(other):
    with pytest.raises(ExpressionError, match="is not a spectral sum"):
        summand(other)


def test_effective_dimensions_of_a_summand():
    # lam/(lam + D) = x, D/(lam + D) = 1 - x, lam**2 D/(lam + D)**3 = x**2 (1 - x)
    total = (spectral_sum(lam / (lam + DELTA), M) + 3 * spectral_sum(DELTA / (lam + DELTA), M)
             + spectral_sum(lam**2 * DELTA / (lam + DELTA) ** 3, M))
    assert sympy.expand(in_effective_dimensions(total) - (n1 + 3 * (M - n1) + n2 - n3)) == 0


def test_effective_dimensions_keep_what_is_outside_the_sums():
    assert in_effective_dimensions(x * spectral_sum(lam**2 / (lam + DELTA) ** 2, N1) + x) == x * n2 + x


def test_effective_dimensions_at_another_pole():
    assert in_effective_dimensions(spectral_sum(lam / (lam + x), M), delta=x) == n1


@pytest.mark.parametrize("function", [lam, lam / (lam + 2 * DELTA), lam**3 / (lam + DELTA) ** 2])
def test_effective_dimensions_refuse_other_summands(function):
    with pytest.raises(ExpressionError, match="not a polynomial in lambda/"):
        in_effective_dimensions(spectral_sum(function, M))


def test_effective_dimensions_of_the_theory_are_those_of_the_ridgeless_limit():
    # Sigma_rho_M carries Delta: at beta = 0 every latent summand is a polynomial in lambda/(lambda + Delta)
    theory = planar_theory(mrs())
    rho = theory.self_energy("rho", "M")
    (trade,) = sympy.solve(sympy.Eq(DELTA, theory.renormalized_ridge), rho)
    (rhs,) = [eq.rhs.subs(SOURCE, 0) for eq in theory.equations if eq.lhs == theory.self_energy("theta")]
    sigma_u = sympy.Symbol("sigma_u", positive=True)
    mu = theory.self_energy("mu", "M")
    assert sympy.simplify(in_effective_dimensions(rhs.xreplace({rho: trade})) - sigma_u**2 * n1 / (M * mu)) == 0


@pytest.mark.parametrize("function, expected", [
    (lam / (x * lam + 1), (1 / x, 1, {1: 1 / x})),
    (lam**2 / (x * lam + 1) ** 2, (1 / x, 2, {2: x**-2})),
    (3 * lam**2 + 1, (1, 0, {2: 3, 0: 1})),
    (lam * (lam + 1) / (2 * (lam + x) ** 3), (x, 3, {2: sympy.Rational(1, 2), 1: sympy.Rational(1, 2)})),
    (sympy.Integer(0), (1, 0, {})),
])
def test_moment_form(function, expected):
    p, b, coefficients = moment_form(function)
    assert (p, b, coefficients) == expected
    assert sympy.simplify(sum(c * lam**j for j, c in coefficients.items()) / (lam + p) ** b - function) == 0


@pytest.mark.parametrize("function", [lam / ((lam + x) * (lam + 2 * x)), 1 / (lam**2 + 1)])
def test_moment_form_refuses_several_poles(function):
    with pytest.raises(SolverError, match="more than one pole"):
        moment_form(function)


def test_covariance_trace_is_one_function_per_covariance():
    assert covariance_trace("Lambda") is covariance_trace() and covariance_trace("S") is not covariance_trace()
    assert covariance_trace()(2) == covariance_trace("Lambda")(2) != covariance_trace("S")(2)
    assert sympy.latex(covariance_trace()(3) ** 2) == r"\left(\operatorname{tr}\Lambda^{3}\right)^{2}"


def test_fields_by_role():
    pencil = ridge_pencil(deep_linear(2))
    assert [(f.role, f.space) for f in pencil.fields] == [
        ("theta", "N2"), ("mu", "N1"), ("rho", "N1"), ("mu", "M"), ("rho", "M"), ("nu", "P")]
    assert pencil.find("theta").space == "N2" and pencil.find("rho", "M").diagonal != 0
    with pytest.raises(ModelError, match="has 2 fields mu \\(name its space\\)"):
        pencil.find("mu")
    with pytest.raises(ModelError, match="has 0 fields rho on P"):
        pencil.find("rho", "P")
    with pytest.raises(ModelError, match="unknown role 'sigma'"):
        pencil.find("sigma")


def test_self_energies_and_propagators_by_role():
    theory = planar_theory(deep_linear(2))
    assert [theory.self_energy(r, s) for r, s in (("theta", None), ("mu", "N1"), ("rho", "M"), ("nu", None))] == [
        sympy.Symbol(name) for name in ("Sigma_theta", "Sigma_mu_N1", "Sigma_rho_M", "Sigma_nu")]
    assert theory.propagator("nu") == theory.propagators["nu"] and theory.propagator("mu", "M").has(lam)
