"""The scatter of the test loss at a point: certified digits, the large-ridge series, the deep laws, the Monte Carlo.

The Monte Carlo is written here from the definitions of the README (numpy): per draw, the
features u (N x M, variance 1/M), the data X = Lambda^(1/2) Z (M x P), and C teacher rows w
(variance 1/M) with label noise eps; theta = (w X + eps) Phi^T (gamma + Phi Phi^T)^-1 and
L = (1/2C) sum_c (theta_c u - w_c) Lambda (theta_c u - w_c)^T.
"""

import math
from functools import cache

import mpmath
import numpy as np
import pytest
import sympy

from largen.diagrams import LargenWarning, ParameterError, deep_linear, mrs
from largen.diagrams.engine.spectral import CovarianceTrace
from largen.diagrams.theory.fluctuation_series import scatter_coefficients
from largen.solver.numerics.scatter import sample_scatter, scatter
from largen.solver.numerics.solution import solve
from largen.solver.numerics.spectrum import Spectrum


def monte_carlo(N, P, M, gamma, outputs=1, sigma_eps=0.0, draws=4000, redraws=8, seed=0):
    """Per draw of (u, X): the loss of one draw of the C teacher rows and the noise; the sample
    variance of the loss over ``redraws`` draws of them at this (u, X); and the loss averaged over
    them exactly, (1/2)[s_w tr((A - 1) Lambda (A - 1)^T) + s_eps tr(B Lambda B^T)], A = X B, B = V u."""
    rng = np.random.default_rng(seed)
    lam = np.arange(1, M + 1, dtype=float) ** -2.0
    s_w = 1.0 / M
    joint, within, mean = [], [], []
    for _ in range(draws):
        u = rng.standard_normal((N, M)) / math.sqrt(M)
        X = np.sqrt(lam)[:, None] * rng.standard_normal((M, P))
        Phi = u @ X
        B = np.linalg.solve(gamma * np.eye(N) + Phi @ Phi.T, Phi).T @ u  # P x M
        W = rng.standard_normal((redraws * outputs, M)) * math.sqrt(s_w)
        E = rng.standard_normal((redraws * outputs, P)) * sigma_eps
        R = (W @ X + E) @ B - W
        losses = 0.5 * ((R * R) @ lam).reshape(redraws, outputs).mean(axis=1)
        joint.append(losses[0])
        within.append(losses.var(ddof=1))
        A = X @ B - np.eye(M)
        mean.append(0.5 * (s_w * np.sum(A * A * lam) + sigma_eps**2 * np.sum(B * B * lam)))
    return np.array(joint), np.array(within), np.array(mean)


@cache
def predicted(N, P, M, gamma, outputs, sigma_eps):
    found = scatter(N=N, P=P, M=M, gamma=gamma, sigma_eps=sigma_eps, outputs=outputs, dps=10)
    first = solve(N=N, P=P, M=M, gamma=gamma, sigma_eps=sigma_eps, dps=10, order=1)
    return found, abs(float(first.loss_correction / first.loss))


POINTS = [(20, 40, 60, "0.01", 1, "0"), (40, 20, 60, "0.01", 1, "0.5"), (30, 30, 50, "0.1", 4, "0"),
          (50, 30, 40, "0.001", 4, "0.3"), (60, 60, 60, "1", 1, "0.5")]


@pytest.mark.slow
@pytest.mark.parametrize("N, P, M, gamma, outputs, sigma_eps", POINTS)
def test_against_the_monte_carlo(N, P, M, gamma, outputs, sigma_eps):
    """Within three standard errors of the Monte Carlo and the expected next order.

    The planar parts are the leading order in 1/size; their first correction is one order
    down, of the size of the loss's own first finite-size correction delta = dL/L (derived,
    solve(order=1)) for each of the four resolvents of tr(Z K Z K): 4 |delta| for the variance,
    2 |delta| for the standard deviation. The connected part is of that order itself.
    """
    found, delta = predicted(N, P, M, gamma, outputs, sigma_eps)
    joint, within, mean = monte_carlo(N, P, M, float(gamma), outputs, float(sigma_eps), seed=N + P + outputs)
    total = sample_scatter(joint)
    std = float(found.loss_std)
    assert total.draws >= 4000
    assert abs(total.std - std) <= 3 * total.stderr + 2 * delta * std
    # redraw only the teacher and the noise: E_{u,X}[Var_{w,eps} L]
    within_std_error = within.std(ddof=1) / math.sqrt(len(within))
    first = float(found.teacher + found.noise)
    assert abs(within.mean() - first) <= 3 * within_std_error + 4 * delta * first
    # redraw only (u, X), the teacher and the noise averaged exactly: Var_{u,X}[E_{w,eps} L]
    connected = sample_scatter(mean)
    second = float(found.connected)
    assert abs(connected.std**2 - second) <= 3 * 2 * connected.std * connected.stderr + 4 * delta * second
    # the planar mean, for scale: within its own next order
    assert abs(mean.mean() - float(found.loss)) <= 3 * mean.std() / math.sqrt(len(mean)) + 2 * delta * float(found.loss)


@pytest.mark.slow
def test_the_planar_parts_are_the_leading_order():
    """The Monte Carlo over the planar value goes to 1 like 1/size: at twice the sizes the miss halves, and
    the extrapolation 2 r(2s) - r(s) to infinite size is 1 within its statistical error."""
    ratios = []
    for scale, draws in ((1, 6000), (2, 3000)):
        N, P, M = 20 * scale, 30 * scale, 40 * scale
        found = scatter(N=N, P=P, M=M, gamma="0.1", dps=10)
        _, within, _ = monte_carlo(N, P, M, 0.1, draws=draws, seed=scale)
        error = within.std(ddof=1) / math.sqrt(len(within))
        ratios.append((within.mean() / float(found.teacher), error / float(found.teacher)))
    (r1, e1), (r2, e2) = ratios
    assert r1 - 1 > 3 * e1 and r2 - 1 > 3 * e2  # a correction of order 1/size is there
    assert abs((r1 - 1) / (r2 - 1) - 2) < 0.6
    assert abs(2 * r2 - r1 - 1) <= 3 * math.hypot(2 * e2, e1)


def test_certified_digits():
    low = scatter(N=20, P=30, M=40, gamma="0.01", sigma_eps="0.5", dps=15)
    high = scatter(N=20, P=30, M=40, gamma="0.01", sigma_eps="0.5", dps=40)
    assert not low.uncertified and not high.uncertified
    for name in ("teacher", "noise", "connected", "loss_std"):
        a, b = getattr(low, name), getattr(high, name)
        assert abs(a - b) <= mpmath.mpf(10) ** -15 * abs(b)
    with mpmath.workdps(40):
        assert abs(high.loss_std**2 - high.loss_variance) <= mpmath.mpf(10) ** -38 * high.loss_variance


def test_outputs_divide_the_teacher_and_noise_parts():
    one = scatter(N=20, P=30, M=40, gamma="0.01", sigma_eps="0.5", dps=20)
    four = scatter(N=20, P=30, M=40, gamma="0.01", sigma_eps="0.5", dps=20, outputs=4)
    with mpmath.workdps(25):
        assert abs(four.teacher * 4 / one.teacher - 1) < mpmath.mpf(10) ** -19
        assert abs(four.noise * 4 / one.noise - 1) < mpmath.mpf(10) ** -19
    assert four.connected == one.connected and four.loss == one.loss
    assert four.as_dict()["outputs"] == 4 and four.as_dict()["loss_std"] == mpmath.nstr(four.loss_std, 20, strip_zeros=False)


@pytest.mark.slow
@pytest.mark.parametrize("name, order, sizes", [("mrs", 3, {"N": 3, "P": 4, "M": 5}),
                                                ("deep2", 2, {"N1": 3, "N2": 4, "P": 5, "M": 6})])
def test_the_large_ridge_series(name, order, sizes):
    """At a large ridge the certified parts are the derived series' sums (to gamma^-order): the
    numerics' jets and ladders against the series the diagrams check."""
    model = mrs() if name == "mrs" else deep_linear(2)
    gamma = sympy.Integer(10) ** 12
    values = {**sizes, "gamma": gamma, "sigma_eps": sympy.Rational(1, 2)}
    found = scatter(model, **values, dps=50)
    spectrum = Spectrum.power_law(1, sizes["M"])
    coefficients = scatter_coefficients(model, order)
    at = {model.symbols[name]: value for name, value in values.items() if name != "gamma"}
    at.update({s: 1 for s in model.symbols.values() if s not in at and s != model.regression.ridge})
    for part in ("teacher", "noise", "connected"):
        terms = [sympy.sympify(getattr(c, part)).xreplace(at).replace(
            lambda e: isinstance(e, CovarianceTrace), lambda e: spectrum.power_sum(e.args[0])) for c in coefficients]
        total = sum(t * gamma**-k for k, t in enumerate(terms))
        first = next(k for k, t in enumerate(terms) if t != 0)
        # the first term left out, gamma^-(order + 1), is some (50/gamma)**(order + 1 - first) of the first one kept
        with mpmath.workdps(60):
            miss = abs(getattr(found, part) / mpmath.mpf(sympy.N(total, 60)) - 1)
            assert miss < (200 / mpmath.mpf(gamma)) ** (order + 1 - first)


@pytest.mark.parametrize("N, P, gamma, law", [
    ("1e6", "1e10", "1e-30", "N-limited"), ("1e10", "1e6", "1e-30", "P-limited"), ("1e10", "1e10", "1e8", "ridge")])
def test_deep_laws(N, P, gamma, law):
    """At M = inf, alpha = 1, a noiseless teacher and C outputs, the scatter's law (derived by
    parametric_scatter; here its closed forms) against the solver's own value, ratio within 1e-3:

    - ridgeless, N-limited (P >> N): Var L / L**2 = 2 n_2 / (C N (N - n_2)) -> 2 alpha / (C N), as
      n_k -> c_k X with c_k = Gamma(k - 1/(1 + alpha)) Gamma(1 + 1/(1 + alpha)) / Gamma(k);
    - P-limited, the same with P (the variance over the teacher is invariant under N <-> P);
    - ridge (n_1 << N, P): 2 (n_2 - 2 n_3 + n_4) / (C (n_1 - n_2)**2) -> 1 / (pi C X), X = sqrt(N P / gamma).
    """
    outputs = 4
    found = scatter(N=N, P=P, M="inf", gamma=gamma, outputs=outputs, dps=12)
    with mpmath.workdps(20):
        sizes = {"N-limited": mpmath.mpf(N), "P-limited": mpmath.mpf(P)}
        if law == "ridge":
            X = mpmath.sqrt(mpmath.mpf(N) * mpmath.mpf(P) / mpmath.mpf(gamma))
            relative = 1 / (mpmath.pi * outputs * X)
        else:
            relative = 2 / (outputs * sizes[law])
        ratio = found.loss_std / (found.loss * mpmath.sqrt(relative))
        assert abs(ratio - 1) < mpmath.mpf("1e-3")
        assert found.connected < mpmath.mpf("1e-4") * found.teacher  # relative order 1/size**2


def test_infinite_latent_size_is_said():
    found = scatter(N=100, P=200, M="inf", gamma="1e-3", dps=10)
    assert found.normalization.startswith("M = inf") and not found.uncertified
    assert found.as_dict()["normalization"] == found.normalization


@pytest.mark.parametrize("options, message", [
    ({"outputs": 0}, "outputs must be a positive integer"),
    ({"outputs": True}, "outputs must be a positive integer"),
    ({"dps": 0}, "dps must be at least 1"),
    ({"activation": "relu"}, "linear features"),
    ({"delta": 1}, "teacher covariance"),
    ({"gamma": 0}, "must be positive"),
])
def test_refusals(options, message):
    point = {"N": 10, "P": 20, "M": 30, "gamma": "0.1", **options}
    with pytest.raises(ParameterError, match=message):
        scatter(**point)


def test_sample_scatter():
    rng = np.random.default_rng(1)
    stds = [sample_scatter(rng.normal(0, 2, 1000)) for _ in range(200)]
    # the standard error of the estimator is what it says: its spread over independent samples
    spread = np.std([s.std for s in stds])
    assert abs(np.mean([s.stderr for s in stds]) / spread - 1) < 0.15
    assert abs(np.mean([s.std for s in stds]) - 2) < 3 * spread / math.sqrt(200)
    with pytest.raises(ParameterError, match="at least 4"):
        sample_scatter([1.0, 2.0, 3.0])


def test_a_scatter_between_draws_larger_than_the_mean_is_withheld():
    """At the interpolation threshold as the ridge vanishes the teacher-averaged loss scatters by
    more than its mean: the expansion in 1/size has broken down, and the connected part and the
    standard deviation are withheld with the reason; the part within a draw is kept."""
    found = scatter(N=100, P=100, M="inf", gamma="1e-20", dps=10)
    assert found.connected is None and found.loss_std is None
    assert "broken down" in found.uncertified["connected"] and found.teacher > 0
    with pytest.warns(LargenWarning, match="scatters between draws"):
        scatter(N=100, P=100, M="inf", gamma="1e-4", dps=10)


def test_solve_returns_the_certified_scatter_with_the_mean():
    """solve(variance=True, outputs=C) carries the same certified parts as scatter(), beside the losses."""
    from largen.solver import solve

    point = dict(N=20, P=30, M=40, gamma="0.1", sigma_eps="0.3", dps=15)
    found = solve(variance=True, outputs=4, **point)
    alone = scatter(outputs=4, **point)
    assert found.as_dict()["loss_std"] == alone.as_dict()["loss_std"]
    assert found.as_dict()["variance"] == alone.as_dict()["variance"] and found.outputs == 4
    assert found.as_dict()["loss"] == solve(**point).as_dict()["loss"]
    assert solve(**point).loss_std is None and "loss_std" not in solve(**point).as_dict()
    with pytest.raises(ParameterError, match="certified only"):
        solve(variance=True, context=mpmath.fp, **point)
    with pytest.raises(ParameterError, match="outputs must be a positive integer"):
        solve(variance=True, outputs=0, **point)


@pytest.mark.slow
@pytest.mark.parametrize("alpha, N, P", [("1/2", "1e6", "1e10"), ("1", "1e6", "1e10"), ("2", "1e10", "1e6")])
def test_the_derived_scatter_laws_against_the_solver(alpha, N, P):
    """The laws ``exponents(..., variance=True)`` states (derived: 2 alpha/(C X) in the X-limited ridgeless
    regime) against the solver's own scatter at a deep point: ratio of the standard deviations within 1e-3."""
    from largen.diagrams.regimes.scatter_laws import OUTPUTS
    from conftest import read_back
    from largen.solver.numerics.scaling import exponents

    found = exponents(alpha=alpha, variance=True)
    limiting = "N" if float(N) < float(P) else "P"
    (law,) = [law for law in found.scatter if str(law.limiting) == limiting]
    size = law.limiting
    assert sympy.simplify(law.relative_variance - 2 * sympy.Rational(alpha) / (OUTPUTS * size)) == 0
    (entry,) = [e for e in found.to_json()["scatter"] if e["limiting"] == limiting]
    assert str(read_back(entry["relative_variance"])) == str(law.relative_variance)
    solved = solve(N=N, P=P, M="inf", gamma="1e-30", alpha=alpha, variance=True, outputs=4, dps=12)
    stated = law.relative_variance.xreplace({OUTPUTS: 4, size: sympy.Float({"N": N, "P": P}[limiting], 20)})
    with mpmath.workdps(20):
        assert abs(solved.loss_std / (solved.loss * mpmath.sqrt(mpmath.mpf(str(stated)))) - 1) < mpmath.mpf("1e-3")
