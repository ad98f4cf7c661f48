"""The variance of the test loss from the doubled pencil: exact against the diagrams, and its duality.

The large-ridge series of each part of the derived variance must equal, as polynomials, the
exact planar diagram sums of its words (the cut-and-join recursion): the sphere diagrams of
E_{u,X}[Var_z L] and the cylinder diagrams of Var_{u,X}[E_z L], orders 0-4 for MRS and 0-3
for two layers (the derived series takes some 11 and 25 s once per test worker).
"""

from dataclasses import replace
from functools import cache

import pytest
import sympy

from largen.diagrams import Model, ModelError, deep_linear, mrs
from largen.diagrams.engine.spectral import covariance_trace
from largen.diagrams.theory.duality import Quantity, swap_sizes
from largen.diagrams.theory.fluctuation_duality import scatter_pairs, scatter_verdicts
from largen.diagrams.theory.fluctuation_series import (connected_coefficients, planar_variance_coefficients,
                                                       scatter_coefficients, variance_observable)
from largen.diagrams.theory.fluctuations import BETA, fluctuation_theory, parametric_scatter
from largen.diagrams.theory.series import theory_coefficients

MRS_ORDER = 4
DEEP_ORDER = 3


@cache
def series(name, order, outputs=1):
    model = mrs() if name == "mrs" else deep_linear(2)
    derived = scatter_coefficients(model, order, outputs=outputs)
    within = planar_variance_coefficients(model, order, outputs=outputs, max_diagrams=None)
    connected = connected_coefficients(model, order, max_diagrams=None)
    return derived, within, connected


@pytest.mark.slow
@pytest.mark.parametrize("name, order", [("mrs", k) for k in range(MRS_ORDER + 1)]
                         + [("deep2", k) for k in range(DEEP_ORDER + 1)])
def test_each_part_is_its_planar_diagrams(name, order):
    derived, within, connected = series(name, MRS_ORDER if name == "mrs" else DEEP_ORDER)
    teacher, noise = within[order]
    assert sympy.expand(derived[order].teacher - teacher) == 0
    assert sympy.expand(derived[order].noise - noise) == 0
    assert sympy.expand(derived[order].connected - connected[order]) == 0


@pytest.mark.slow
def test_low_orders_with_four_outputs():
    derived, within, connected = series("mrs", 2, outputs=4)
    for k in range(3):
        assert sympy.expand(derived[k].teacher - within[k][0]) == 0
        assert sympy.expand(derived[k].noise - within[k][1]) == 0
        assert sympy.expand(derived[k].connected - connected[k]) == 0
    # the teacher's part of Var_z L over 4 outputs: a quarter of one output's
    one = scatter_coefficients(mrs(), 2)
    assert sympy.expand(4 * derived[2].teacher - one[2].teacher) == 0
    assert sympy.expand(derived[2].connected - one[2].connected) == 0


@pytest.mark.slow
def test_the_first_coefficients_by_hand():
    """Order 0: Var_w of (1/2) w Lambda w^T is s_w**2 tr Lambda**2 / 2 (w ~ N(0, s_w), s_w = sigma_w**2/M);
    the connected part starts at gamma^-2 with Var of the first correction of the loss."""
    model = mrs()
    derived = scatter_coefficients(model, 2)
    M, N, P = (model.sizes[n] for n in "MNP")
    w, u, eps = (model.symbols[n] for n in ("sigma_w", "sigma_u", "sigma_eps"))
    tr = covariance_trace()
    assert derived[0].teacher == w**4 * tr(2) / (2 * M**2)
    assert derived[0].noise == derived[1].noise == 0
    assert derived[0].connected == derived[1].connected == 0
    # the noise enters at gamma^-2: 2 s_w s_eps tr(K_we K_we^T) and s_eps**2 tr K_ee**2 at their first order
    assert derived[2].noise == sympy.expand(N * P * eps**2 * u**4 * w**2 * (N * tr(3) + tr(1) * tr(2)) / M**3)


def test_the_diagonal_kernel_is_the_planar_jacobian():
    theory = fluctuation_theory(mrs())
    difference = (theory.kernel[0, 0] - theory.jacobian).applyfunc(
        lambda e: sympy.simplify(e.replace(lambda x: isinstance(x, sympy.Sum), lambda x: x.function)))
    assert difference == sympy.zeros(*difference.shape)


def test_the_rates_are_the_planar_ladders():
    """The beta-jet of the self-energies solves the test loss's own ladder: same sources as the planar theory's."""
    theory = fluctuation_theory(mrs())
    _, rates, ladder = theory.planar.test_loss
    planar_sources = sympy.Matrix([eq.rhs.xreplace({r: 0 for r in rates}) for eq in ladder])
    difference = (theory.rate_sources[BETA] - planar_sources).applyfunc(
        lambda e: sympy.simplify(e.replace(lambda x: isinstance(x, sympy.Sum), lambda x: x.function)))
    assert difference == sympy.zeros(*difference.shape)


def test_the_mean_of_the_words_is_the_loss():
    """The words of the variance come with the loss's own conventions: at gamma^0 the teacher's term
    is (1/2C) s_w**2 tr(Lambda**2), and the mean loss's series is unchanged by C."""
    assert variance_observable(mrs(), 0, outputs=4) == variance_observable(mrs(), 0) / 4
    assert theory_coefficients(mrs(), 0)[0] == mrs().symbols["sigma_w"] ** 2 * covariance_trace()(1) / (2 * mrs().sizes["M"])


def test_complex_matrices_are_refused():
    model = mrs()
    matrices = [replace(g, ensemble="complex") for g in model.matrices.values()]
    complex_model = Model("complex", model.spaces, matrices, {"M": "Lambda"}, model.regression)
    with pytest.raises(ModelError, match="real rectangular"):
        fluctuation_theory(complex_model)


def test_nonlinear_words_are_refused():
    with pytest.raises(ModelError, match="linear features"):
        variance_observable(mrs(nonlinear=True), 1)


@pytest.mark.slow
def test_the_parametric_law_of_the_ridgeless_regimes():
    """N-limited, P -> inf: Var_w L / L**2 = 2 n_2 / (C N (N - n_2)); the same with P in the P-limited regime."""
    model = mrs()
    found = parametric_scatter(model)
    N, P = model.sizes["N"], model.sizes["P"]
    n2 = sympy.Symbol("n2", positive=True)
    regimes = found.regimes
    assert sympy.simplify(sympy.limit(regimes[N], P, sympy.oo) - 2 * n2 / (N * (N - n2))) == 0
    assert sympy.simplify(sympy.limit(regimes[P], N, sympy.oo) - 2 * n2 / (P * (P - n2))) == 0
    assert sympy.cancel(found.teacher - swap_sizes(found.teacher, model)) == 0
    # ridge regime (n_k << N, P): 2 (n_2 - 2 n_3 + n_4) / (n_1 - n_2)**2
    n1, n3, n4 = (sympy.Symbol(f"n{k}", positive=True) for k in (1, 3, 4))
    assert sympy.simplify(found.ridge - 2 * (n2 - 2 * n3 + n4) / (n1 - n2) ** 2) == 0


@pytest.mark.slow
def test_duality_of_the_variance():
    found = scatter_verdicts(mrs(), 3)
    failing = [(v.kind, v.order) for v in found if not v.invariant]
    assert failing == [(Quantity.VARIANCE_WITH_NOISE, None), (Quantity.CONNECTED_VARIANCE_WITH_NOISE, 3)]
    assert all("label noise" in v.cause for v in found if not v.invariant)
    kinds = {v.kind for v in found if v.invariant}
    assert {Quantity.VARIANCE, Quantity.CONNECTED_VARIANCE, Quantity.VARIANCE_DIAGRAMS,
            Quantity.CONNECTED_VARIANCE_DIAGRAMS} <= kinds


@pytest.mark.slow
def test_every_cylinder_class_has_its_dual():
    model = mrs()
    for part in ("within", "connected"):
        pairs = scatter_pairs(model, 2, part)
        assert pairs and all(p.dual is not None for p in pairs)
        assert all(p.dual_weight == swap_sizes(p.weight, model) and p.dual_coefficient == p.coefficient for p in pairs)
    # the classes sum to the coefficient's noiseless planar part
    within = sum(p.multiplicity * p.coefficient * p.weight for p in scatter_pairs(model, 2, "within"))
    connected = sum(p.multiplicity * p.coefficient * p.weight for p in scatter_pairs(model, 2, "connected"))
    noiseless = {model.symbols["sigma_eps"]: 0}
    derived = scatter_coefficients(model, 2)[2]
    assert sympy.expand(within - derived.teacher) == 0
    assert sympy.expand(connected - derived.connected.xreplace(noiseless)) == 0
