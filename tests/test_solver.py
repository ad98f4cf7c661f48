"""The solved planar theory against the Monte Carlo of the actual regression, and against its own series."""

import mpmath
import pytest
import sympy

from largen.diagrams import ParameterError, SpectrumError, deep_linear, load_model
from largen.diagrams.engine.observable import CovarianceTrace
from largen.diagrams.theory.series import theory_coefficients
from largen.solver import Spectrum, simulate, solve

FINITE_SIZE = 0.01  # planar theory vs M ~ 800: corrections of order 1/M, about 1%
DEEP2 = load_model("tests/data/deep2.toml")

POINTS = [
    ("mrs", None, dict(N=200, P=300, M=800, gamma=1e-2)),
    ("N > M", None, dict(N=1000, P=300, M=800, gamma=1e-2)),
    ("N = P, small gamma", None, dict(N=300, P=300, M=800, gamma=1e-5)),
    ("P << N", None, dict(N=300, P=30, M=800, gamma=1e-3)),
    ("label noise", None, dict(N=200, P=300, M=800, gamma=1e-2, sigma_eps=0.01)),
    ("noise at N = P", None, dict(N=300, P=300, M=800, gamma=1e-3, sigma_eps=0.003)),
    ("two layers", DEEP2, dict(N1=300, N2=200, P=300, M=800, gamma=1e-2, sigma_1=1.2)),
    ("two layers, bottleneck", DEEP2, dict(N1=150, N2=400, P=400, M=800, gamma=1e-6)),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, model, point", POINTS, ids=[p[0] for p in POINTS])
def test_planar_theory_agrees_with_monte_carlo(name, model, point):
    theory = solve(model, dps=15, **point)
    run = simulate(model, seeds=6, seed=11, **point)
    for predicted, mean, stderr in [(theory.loss, run.mean, run.stderr), (theory.train_loss, run.train_mean, run.train_stderr)]:
        assert abs(float(predicted) - mean) < 3 * stderr + FINITE_SIZE * mean, (name, float(predicted), mean, stderr)


def test_loss_is_symmetric_under_exchange_of_N_and_P():
    a = solve(N=120, P=250, M=400, gamma="0.003", dps=30)
    b = solve(N=250, P=120, M=400, gamma="0.003", dps=30)
    assert abs(a.loss - b.loss) < mpmath.mpf(10) ** -28 * a.loss
    assert abs(a.Delta - b.Delta) < mpmath.mpf(10) ** -28 * a.Delta
    noisy_a = solve(N=120, P=250, M=400, gamma="0.003", sigma_eps="0.01", dps=30)
    noisy_b = solve(N=250, P=120, M=400, gamma="0.003", sigma_eps="0.01", dps=30)
    assert abs(noisy_a.loss - noisy_b.loss) > mpmath.mpf(10) ** -3 * noisy_a.loss


@pytest.mark.slow
def test_large_ridge_agrees_with_the_series():
    model_point = dict(N=40, P=60, M=50)
    gamma = sympy.Integer(2000)
    coefficients = theory_coefficients(order=6)
    spectrum = Spectrum.power_law(1, 50)
    values = {sympy.Symbol(k, positive=True, integer=True): v for k, v in model_point.items()}
    values.update({sympy.Symbol(k, positive=True): 1 for k in ("sigma_u", "sigma_w")})
    values[sympy.Symbol("sigma_eps", positive=True)] = 0
    series = 0
    for k, c in enumerate(coefficients):
        c = c.xreplace(values).replace(lambda e: isinstance(e, CovarianceTrace), lambda e: spectrum.power_sum(e.args[0]))
        series += c / gamma**k
    solution = solve(dps=30, gamma=str(gamma), **model_point)
    # truncation error: the next term is about (c7/c6)/gamma ~ 1e-2 smaller than the last one kept
    last = abs(float(coefficients[6].xreplace(values).replace(
        lambda e: isinstance(e, CovarianceTrace), lambda e: spectrum.power_sum(e.args[0])) / gamma**6))
    assert abs(float(solution.loss) - float(series)) < 0.1 * last + 1e-25


def test_noise_floor_is_reported_not_added():
    clean = solve(N=50, P=80, M=100, gamma="0.01", dps=20)
    noisy = solve(N=50, P=80, M=100, gamma="0.01", sigma_eps="0.1", dps=20)
    assert noisy.as_dict()["noise_floor"] == "0.0050000000000000000000" and clean.noise_floor == 0
    # the noise raises the loss through the fit only: far less than the floor at this ridge
    assert clean.loss < noisy.loss < clean.loss + noisy.noise_floor


def test_all_self_energies_are_negative_on_the_physical_branch():
    solution = solve(deep_linear(3), N1=30, N2=40, N3=20, P=50, M=60, gamma="1e-4", dps=20)
    assert all(v < 0 for v in solution.unknowns.values()) and solution.Delta > 0


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(N=10, P=10, M=20, gamma=-1), "gamma must be non-negative"),
        (dict(N=10, P=10, M=20, gamma=0), "gamma must be positive"),
        (dict(N=10, P=10, M="inf", gamma=1, alpha=0), "diverge"),
        (dict(N=10, M=20, gamma=1), "no value for P"),
        (dict(N=10, P=10, M=20, gamma=1, dps=0), "dps must be at least 1"),
    ],
)
def test_solver_refuses_bad_input(params, message):
    with pytest.raises((ParameterError, SpectrumError), match=message):
        solve(**params)


def test_package_level_api():
    # the API: solver.solve(model=None, *, dps=30, **params) and solver.sweep(...)
    from concurrent.futures import ThreadPoolExecutor

    from largen import solver

    result = solver.solve(N=40, P=60, M="inf", gamma="1e-3", dps=25)
    assert isinstance(result, solver.Solution) and len(result.as_dict()["Delta"].replace(".", "").lstrip("0")) == 25
    rows = solver.sweep(grid={"N": [40]}, P=60, M="inf", gamma="1e-3", dps=25, progress=False,
                        executor=ThreadPoolExecutor(1))
    assert rows[0]["Delta"] == result.as_dict()["Delta"]
