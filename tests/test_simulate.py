import math

import numpy as np
import pytest

from diagrams import ParameterError, SpectrumError, deep_linear, load_model
from solver import Spectrum, simulate

# The point of the foundation issue: M = 800, lambda_I = I^-2, sigma's = 1.
POINT = dict(M=800, N=200, P=300, gamma=0.01)


def test_reproducible_with_a_seed():
    a = simulate(seeds=3, seed=7, **POINT)
    b = simulate(seeds=3, seed=7, **POINT)
    assert a.losses == b.losses and a.train_losses == b.train_losses


def test_stable_across_seeds():
    a = simulate(seeds=6, seed=1, **POINT)
    b = simulate(seeds=6, seed=2, **POINT)
    assert a.losses != b.losses
    # two independent estimates of one mean: within 4 combined standard errors
    assert abs(a.mean - b.mean) < 4 * math.hypot(a.stderr, b.stderr)
    # and the fluctuations are small at this size (self-averaging)
    assert a.stderr < 0.01 * a.mean


def test_infinite_ridge_limit():
    # theta* -> 0: the test loss is the teacher's variance, (1/2)(sigma_w^2/M) tr Lambda,
    # and the training loss its sample average, with mean (1/2)(sigma_w^2/M) tr Lambda too.
    lam = Spectrum.power_law(1, 50).array()
    run = simulate(N=10, P=400, M=50, gamma=1e12, seeds=4)
    assert run.mean == pytest.approx(0.5 * lam.sum() / 50, rel=1e-9)
    assert run.train_mean == pytest.approx(0.5 * lam.sum() / 50, rel=0.05)


def test_ridgeless_interpolation_with_many_features():
    # N > P, gamma -> 0: the fit interpolates the training labels exactly
    run = simulate(N=60, P=20, M=80, gamma=1e-10, seeds=2)
    assert run.train_mean < 1e-12


def test_noise_raises_test_loss():
    clean = simulate(seeds=4, seed=3, M=100, N=40, P=60, gamma=0.1)
    noisy = simulate(seeds=4, seed=3, M=100, N=40, P=60, gamma=0.1, sigma_eps=0.1)
    assert noisy.mean > clean.mean + 10 * noisy.stderr


def test_toml_model_simulates_like_the_python_model():
    params = dict(M=60, N1=30, N2=20, P=40, gamma=0.05, sigma_1=1.5, seeds=3, seed=5)
    assert simulate(load_model("tests/data/deep2.toml"), **params) == simulate(deep_linear(2), **params)


def test_spectrum_file(tmp_path):
    path = tmp_path / "spectrum.txt"
    path.write_text("# a power law, I^-2\n" + "\n".join(f"{1 / i**2!r}" for i in range(1, 41)) + "\n")
    spectrum = Spectrum.from_file(path)
    assert np.allclose(spectrum.array(), Spectrum.power_law(1, 40).array(), rtol=1e-15)
    a = simulate(spectrum=spectrum, N=10, P=15, gamma=0.1, seeds=2)
    b = simulate(N=10, P=15, M=40, gamma=0.1, seeds=2)
    assert a.mean == pytest.approx(b.mean, rel=1e-12)


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(N=10, P=10, M=20, gamma=-1), ParameterError, "gamma must be non-negative"),
        (dict(N=0, P=10, M=20, gamma=1), ParameterError, "size N must be a positive integer"),
        (dict(N=10, P=10, M=20, gamma=1, Q=2), ParameterError, "has no symbol 'Q'"),
        (dict(N=10, M=20, gamma=1), ParameterError, "no value for P"),
        (dict(N=10, P=10, M="inf", gamma=1), SpectrumError, "needs a finite spectrum"),
        (dict(N=10, P=10, M=20, gamma=0), ParameterError, "interpolation threshold"),
    ],
)
def test_bad_input(params, error, message):
    with pytest.raises(error, match=message):
        simulate(seeds=2, **params)


@pytest.mark.parametrize(
    "content, message",
    [("1\nabc\n", "line 2: 'abc' is not a number"), ("1\n-0.5\n", "line 2: eigenvalue -0.5"), ("# none\n", "no eigenvalues")],
)
def test_bad_spectrum_file(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(SpectrumError, match=message):
        Spectrum.from_file(path)
