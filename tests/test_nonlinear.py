"""Nonlinear random features by Gaussian equivalence: against Mei-Montanari's closed form and the Monte Carlo.

Mei and Montanari (2019), "The generalization error of random features
regression: precise asymptotics and double descent curve", arXiv:1908.05355,
Definition 1 and Theorem 1, typed in here (and only here) as an independent check.

Their setting and ours, and the map between them:

- data: theirs x uniform on the sphere of radius sqrt(d); ours x ~ N(0, Lambda) with
  Lambda = identity and M = d (the same planar limit);
- features: theirs sigma(<theta_j, x>/sqrt(d)) with |theta_j| = sqrt(d), a pre-activation
  of unit variance; ours s(u x) with u entries of variance sigma_u^2/M, sigma_u = 1, so
  the pre-activation variance sigma_u^2 tr Lambda / M is 1 too. psi1 = N/d, psi2 = n/d = P/M;
  zeta = mu_1/mu_star with mu_1 = E[g s(g)] and mu_star^2 = E s^2 - mu_0^2 - mu_1^2 (g ~ N(0, 1));
- ridge: theirs minimises (1/n) sum_i (y_i - a.phi_i)^2 + (N lambda/d) |a|^2; times n/2 this is
  ours, (1/2) sum_i (y_i - theta.phi_i)^2 + (gamma/2)|theta|^2, with gamma = n N lambda/d, i.e.
  lambda = gamma M/(N P), and their lambda-bar = lambda/mu_star^2;
- target and loss: theirs y = <beta_1, x> + eps with |beta_1|^2 = F1^2, noise tau^2, error
  R = E (f(x) - f_hat(x))^2 = F1^2 B + tau^2 V (no nonlinear target part); ours y = w x + eps
  with E (w x)^2 = sigma_w^2 tr Lambda/M = sigma_w^2 and L = (1/2) E (theta phi - w x)^2, so
  L = (sigma_w^2 B + sigma_eps^2 V)/2.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy
from scipy import integrate, special

from largen.diagrams import ModelError, ParameterError, derive_regimes, mrs, planar_theory
from largen.diagrams.errors import LargenWarning, SolverError
from largen.diagrams.engine.model import gaussian_equivalent
from largen.solver import Spectrum, simulate, solve
from largen.solver.numerics.activation import activation, coefficients
from tests.conftest import run_cli


def mei_montanari(zeta, psi1, psi2, lam_bar):
    """B and V of Mei-Montanari's Definition 1, at xi = i sqrt(psi1 psi2 lambda-bar).

    On the imaginary axis nu_1 = i a_1, nu_2 = i a_2 with a_1, a_2 > 0 real, and their
    equations read a_1 = psi1/(y + a_2 + zeta^2 a_2/(1 + zeta^2 a_1 a_2)) (and 1 <-> 2),
    y = sqrt(psi1 psi2 lambda-bar); followed from large y, where a_k ~ psi_k/y.
    """
    z2 = zeta**2
    target = mpmath.sqrt(psi1 * psi2 * lam_bar)

    def equations(y):
        def f(a1, a2):
            d = 1 + z2 * a1 * a2
            return [a1 - psi1 / (y + a2 + z2 * a2 / d), a2 - psi2 / (y + a1 + z2 * a1 / d)]
        return f

    start = target * 10**6 + 10**3
    a = [psi1 / start, psi2 / start]
    for y in [start * (target / start) ** (mpmath.mpf(k) / 60) for k in range(61)]:
        a = list(mpmath.findroot(equations(y), a))
    chi = -(a[0] * a[1])  # nu_1 nu_2 = (i a_1)(i a_2)
    E0 = (-chi**5 * z2**3 + 3 * chi**4 * z2**2 + (psi1 * psi2 - psi2 - psi1 + 1) * chi**3 * z2**3
          - 2 * chi**3 * z2**2 - 3 * chi**3 * z2 + (psi1 + psi2 - 3 * psi1 * psi2 + 1) * chi**2 * z2**2
          + 2 * chi**2 * z2 + chi**2 + 3 * psi1 * psi2 * chi * z2 - psi1 * psi2)
    E1 = psi2 * chi**3 * z2**2 - psi2 * chi**2 * z2 + psi1 * psi2 * chi * z2 - psi1 * psi2
    E2 = (chi**5 * z2**3 - 3 * chi**4 * z2**2 + (psi1 - 1) * chi**3 * z2**3 + 2 * chi**3 * z2**2
          + 3 * chi**3 * z2 + (-psi1 - 1) * chi**2 * z2**2 - 2 * chi**2 * z2 - chi**2)
    return E1 / E0, E2 / E0


IDENTITY = dict(alpha=-1)  # lambda_I = I^0 = 1: Lambda = identity


def ours(N, P, M, gamma, **extra):
    """2L with the teacher alone (B) and with the label noise alone (V), at 20 digits."""
    with mpmath.workdps(30):
        return _ours(N, P, M, gamma, **extra)


def _ours(N, P, M, gamma, **extra):
    bias = 2 * solve(N=N, P=P, M=M, gamma=gamma, dps=20, **IDENTITY, **extra).loss
    variance = 2 * solve(N=N, P=P, M=M, gamma=gamma, dps=20, sigma_w=0, sigma_eps=1, **IDENTITY, **extra).loss
    return bias, variance


@pytest.mark.parametrize("N, P, gamma", [(300, 200, "0.1"), (100, 300, "2"), (250, 250, "0.5")])
def test_relu_features_match_mei_montanari_bias_and_variance(N, P, gamma):
    M = 200
    bias, variance = ours(N, P, M, gamma, activation="relu")
    with mpmath.workdps(30):
        mu_1, mu_star2 = mpmath.mpf(1) / 2, mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi)  # ReLU at unit variance
        lam = mpmath.mpf(gamma) * M / (N * P)
        B, V = mei_montanari(mu_1 / mpmath.sqrt(mu_star2), mpmath.mpf(N) / M, mpmath.mpf(P) / M, lam / mu_star2)
    assert bias == pytest.approx(B, rel=1e-6)
    assert variance == pytest.approx(V, rel=1e-6)


def test_linear_features_match_the_linear_limit_of_mei_montanari():
    # linear features: mu_star -> 0 at mu_1 = 1; the closed form at mu_star = 1e-12 is its limit to 1e-20
    N, P, M, gamma = 300, 120, 200, "0.3"
    bias, variance = ours(N, P, M, gamma)
    with mpmath.workdps(60):
        star = mpmath.mpf(10) ** -12
        lam = mpmath.mpf(gamma) * M / (N * P)
        B, V = mei_montanari(1 / star, mpmath.mpf(N) / M, mpmath.mpf(P) / M, lam / star**2)
    assert bias == pytest.approx(B, rel=1e-6)
    assert variance == pytest.approx(V, rel=1e-6)
    # and the nonlinear model with a linear activation is the linear model, to every digit certified
    linear = solve(N=N, P=P, M=M, gamma=gamma, activation="linear", dps=20, **IDENTITY).loss
    with mpmath.workdps(30):
        assert abs(linear - bias / 2) < bias * mpmath.mpf(10) ** -20


def test_coefficients_against_independent_quadrature():
    def gauss(f, v):
        s = math.sqrt(v)
        return integrate.quad(lambda t: f(s * t) * math.exp(-t * t / 2) / math.sqrt(2 * math.pi), -40, 40,
                              points=[0], limit=200, epsabs=1e-14)[0]

    for name, f in (("tanh", np.tanh), ("erf", special.erf), ("relu", lambda x: max(x, 0.0))):
        for v in (0.3, 2.0):
            c = coefficients(name, v, dps=20)
            mean, linear, square = gauss(f, v), gauss(lambda x: x * f(x), v), gauss(lambda x: f(x) ** 2, v)
            assert float(c.mu_0) == pytest.approx(mean, abs=1e-12)
            assert float(c.mu_1) == pytest.approx(linear / v, rel=1e-10)
            assert float(c.mu_star2) == pytest.approx(square - mean**2 - linear**2 / v, rel=1e-9)
    # monomials exactly: x^3 at variance v has mu_1 = 3 v, mu_star^2 = 15 v^3 - 9 v^3
    c = coefficients("x^3", "0.5", dps=30)
    assert (c.mu_0, c.mu_1, c.mu_star2) == (0, mpmath.mpf("1.5"), 6 * mpmath.mpf("0.5") ** 3)
    # a Python function by quadrature agrees with the closed form to the digits asked
    c, d = coefficients(lambda x: x if x > 0 else 0 * x, 2, dps=40), coefficients("relu", 2, dps=40)
    with mpmath.workdps(40):
        assert abs(c.mu_star2 - d.mu_star2) < mpmath.mpf(10) ** -38


def test_bad_activations():
    with pytest.raises(ParameterError, match="unknown activation 'softplus'"):
        activation("softplus")
    with pytest.raises(ParameterError, match="unknown activation 'x\\^0'"):
        activation("x^0")
    with pytest.raises(SolverError, match="do not settle"):
        coefficients(lambda x: 1 / x, 1, dps=15)  # not integrable at 0
    with pytest.raises(ParameterError, match="give either an activation or mu_1, not both"):
        solve(N=10, P=10, M=10, gamma=1, activation="relu", mu_1=1)
    with pytest.raises(ParameterError, match="no value for mu_1: give mu_1=VALUE \\(or an activation: activation=NAME"):
        solve(mrs(nonlinear=True), N=10, P=10, M=10, gamma=1)
    with pytest.raises(ModelError, match="already nonlinear"):
        gaussian_equivalent(mrs(nonlinear=True))


def test_the_equivalent_model_is_a_member_of_the_class():
    theory = planar_theory(mrs(nonlinear=True))
    # xi adds one rainbow to theta's and one to nu's self-energy, and the test point's xi
    # puts the source on theta's diagonal
    assert "mu_star" in str(theory.equations[0].rhs) and "mu_star" in str(theory.equations[3].rhs)
    assert "beta*mu_star**2" in str(theory.propagator("theta"))


# The Monte Carlo of the actual features (constant mu_0 and all). Its tolerance: 3 standard errors
# of the seeds' mean (the test draws included) plus the leading finite-size corrections, O(1/N + 1/P)
# relative: the rank-one mu_0 term takes one direction from each side (about 1% at P = 100 for ReLU,
# measured; 0.5% once mu_0 is removed), and the pre-activation variance fluctuates between features.
@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_actual_features_against_the_theory(name):
    point = dict(N=300, P=100, M=200, gamma=1, **IDENTITY)
    theory = float(solve(activation=name, dps=15, **point).loss)
    run = simulate(activation=name, seeds=6, seed=3, test_points=1024, **point)
    allowance = 3 * run.stderr + 2 * (1 / 300 + 1 / 100) * theory
    assert abs(run.mean - theory) < allowance
    assert run.stderr < 0.005 * run.mean  # the comparison has teeth
    # the Gaussian-equivalent model itself, simulated with Gaussian xi, is closer still
    mu = {k: v for k, v in run.parameters.items() if k in ("mu_1", "mu_star")}
    equivalent = simulate(mrs(nonlinear=True), seeds=4, seed=3, **mu, **point)
    assert abs(equivalent.mean - theory) < 3 * equivalent.stderr + (1 / 300 + 1 / 100) * theory / 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_actual_features_with_a_power_law_teacher(name):
    # a power-law teacher omega_I = I^-0.7 on a near-flat spectrum (alpha = -0.8, where the
    # pre-activation variance concentrates), with the allowance of the test above
    point = dict(N=80, P=120, gamma="0.05")
    spectrum = Spectrum.power_law("-0.8", 200, delta="0.7")
    theory = float(solve(spectrum=spectrum, activation=name, dps=15, **point).loss)
    run = simulate(spectrum=spectrum, activation=name, seeds=40, seed=5, **point)
    allowance = 3 * run.stderr + 2 * (1 / 80 + 1 / 120) * theory
    assert abs(run.mean - theory) < allowance
    assert run.stderr < 0.01 * run.mean  # the comparison has teeth
    isotropic = float(solve(spectrum=Spectrum.power_law("-0.8", 200), activation=name, dps=15, **point).loss)
    assert abs(run.mean - isotropic) > 10 * allowance  # the teacher's spectrum is what the theory gets right


def test_warning_where_gaussian_equivalence_is_stretched():
    # lambda_I = I^-2: tr Lambda is carried by a few directions, the pre-activation variance does not
    # concentrate (the Monte Carlo of ReLU features is off by a factor 2 there: see the README)
    with pytest.warns(LargenWarning, match="Gaussian equivalence"):
        solve(N=200, P=100, M=400, gamma="0.01", activation="relu", dps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve(N=200, P=100, M=400, gamma="0.01", activation="relu", dps=10, **IDENTITY)


def test_simulate_cli_with_an_activation(capsys):
    status, out, err = run_cli(capsys, "simulate", "--N", "40", "--P", "30", "--M", "50", "--gamma", "0.1",
                               "--activation", "tanh", "--seeds", "2", "--json")
    assert status == 0, err
    assert '"activation": "tanh"' in out
    status, out, err = run_cli(capsys, "loss", "--N", "40", "--P", "30", "--M", "50", "--gamma", "0.1",
                               "--activation", "swish")
    assert status == 2 and err.strip().startswith("largen: error: unknown activation 'swish'")


@pytest.mark.slow
def test_feature_variance_limited_regime():
    # derived by dominant balance with mu_star as a scale; checked here against the solver deep inside
    # it and against the closed form of the balance n_1 << M mu_star^2/(Delta mu_1^2 sigma_u^2) = N:
    # Delta = mu_star^2/(N mu_1^2 sigma_u^2), L = (sigma_w^2/2) pi sqrt(lambda_+ Delta)/2 at alpha = 1
    regimes = {r.name: r for r in derive_regimes(mrs(nonlinear=True), alpha=1)}
    regime = regimes["ridgeless, N-limited, feature-variance-limited"]
    values = {s.name: s for s in regime.loss.free_symbols}
    N, mu_1, mu_star, sigma_u, sigma_w, lam = (values[k] for k in ("N", "mu_1", "mu_star", "sigma_u", "sigma_w",
                                                                    "lambda_+"))
    assert sympy.simplify(regime.loss - sigma_w**2 * sympy.pi * sympy.sqrt(lam * mu_star**2 / (N * mu_1**2 * sigma_u**2))
                          / 4) == 0
    assert {str(k): v for k, v in regime.exponents.items() if v != 0} == {"N": sympy.Rational(-1, 2), "mu_star": 1}
    # the P-limited one: half of it (the test point's own xi has no counterpart among the samples)
    other = regimes["ridgeless, P-limited, feature-variance-limited"]
    (P,) = [s for s in other.loss.free_symbols if s.name == "P"]
    assert sympy.simplify(2 * other.loss.xreplace({P: N}) - regime.loss) == 0
    at = dict(mu_1="0.5", mu_star="0.3", gamma="1e-12", M="inf", alpha=1, dps=15)
    solver = solve(mrs(nonlinear=True), N="1e8", P="1e14", **at).loss
    leading = regime.loss.xreplace({N: 10**8, mu_1: sympy.Rational(1, 2), mu_star: sympy.Rational(3, 10),
                                    sigma_u: 1, sigma_w: 1, lam: 1})
    assert float(solver) == pytest.approx(float(leading), rel=1e-3)
    # the linear regimes now carry the condition that mu_star is negligible
    assert any(c[0].has(mu_star) for c in regimes["ridgeless, N-limited"].conditions)


def test_bad_variance_and_failing_functions_are_parameter_errors():
    with pytest.raises(ParameterError, match="pre-activation variance must be a number"):
        coefficients("relu", "abc")
    with pytest.raises(ParameterError, match="cannot be integrated"):
        coefficients(lambda x: {}[x], 1)


# The kernel route: the theory on the features' kernel spectrum (largen.solver.data.kernel_spectrum).

def test_kernel_route_on_isotropic_data_is_the_white_route():
    # with nothing but the linear Hermite degree listed (a cutoff above every degree-2 eigenvalue), the kernel's
    # trace beyond it is white: the kernel route is the white route, Mei-Montanari's limit, to the digits the
    # listed eigenvalues are written with (14)
    point = dict(N=300, P=100, M=200, gamma=1, **IDENTITY)
    white = solve(activation="relu", dps=20, **point)
    kernel = solve(activation="relu", equivalence="kernel", cutoff=1e-5, dps=20, **point)
    assert kernel.route["kernel"]["listed"] == 200
    with mpmath.workdps(30):
        assert abs(kernel.loss / white.loss - 1) < mpmath.mpf(10) ** -12
        assert abs(kernel.train_loss / white.train_loss - 1) < mpmath.mpf(10) ** -12


@pytest.mark.slow
@pytest.mark.parametrize("N, P", [(60, 40), (30, 90)])
def test_kernel_route_against_actual_relu_features_on_power_law_data(N, P):
    # lambda_I = I^-2, where the pre-activation variance does not concentrate: the white route misses the actual
    # ReLU features by tens of percent, the kernel route meets them within 3 standard errors plus its listing's
    # error plus the finite-size allowance of the tests above (2 (1/N + 1/P), measured 1-3% at N, P of 50-400)
    point = dict(N=N, P=P, M=100, gamma="0.01", sigma_u=2)
    run = simulate(activation="relu", seeds=24, seed=4, test_points=1024, **point)
    kernel = solve(activation="relu", equivalence="kernel", dps=10, **point)
    with pytest.warns(LargenWarning, match="kernel route"):
        white = solve(activation="relu", dps=10, **point)
    allowance = 3 * run.stderr + float(kernel.equivalence_error + 2 * (mpmath.mpf(1) / N + mpmath.mpf(1) / P)) * run.mean
    assert abs(run.mean - float(kernel.loss)) < allowance
    assert abs(run.mean - float(white.loss)) > max(allowance, 3 * abs(run.mean - float(kernel.loss)))
    assert run.stderr < 0.02 * run.mean


def test_kernel_route_refusals():
    with pytest.raises(ParameterError, match="kernel route is for nonlinear features"):
        solve(N=10, P=10, M=10, gamma=1, equivalence="kernel")
    with pytest.raises(ParameterError, match="finite M"):
        solve(N=10, P=10, M="inf", gamma=1, activation="relu", equivalence="kernel")
    with pytest.raises(ParameterError, match="not a power of the pre-activation variance"):
        solve(N=10, P=10, M=10, gamma=1, activation="tanh", equivalence="kernel")
    with pytest.raises(ParameterError, match="equivalence must be 'white' or 'kernel'"):
        solve(N=10, P=10, M=10, gamma=1, activation="relu", equivalence="gaussian")


def test_probe_N20_a_linear_activation_warns_of_nothing():
    """An activation whose nonlinear part vanishes (mu_star = 0) is exactly linear: no Gaussian-equivalence warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", LargenWarning)
        linear = solve(N=30, P=40, M=60, gamma="0.1", activation="linear", dps=20)
    assert linear.loss == solve(N=30, P=40, M=60, gamma="0.1", dps=20).loss
    with pytest.warns(LargenWarning, match="Gaussian equivalence"):
        solve(N=30, P=40, M=60, gamma="0.1", activation="relu", dps=20)
