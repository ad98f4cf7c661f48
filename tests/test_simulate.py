import math
import warnings

import numpy as np
import pytest

from largen.diagrams import ModelError, ParameterError, SpectrumError, deep_linear, load_model
from largen.diagrams.errors import CostError, LargenWarning
from largen.solver import Spectrum, simulate, solve

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
    assert a.spectrum == str(spectrum) and b.as_dict()["spectrum"] == str(Spectrum.power_law(1, 40))


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


def test_probe_T6_a_negative_seed_is_refused():
    with pytest.raises(ParameterError, match="seed must be an integer at least 0, got -1"):
        simulate(seeds=2, seed=-1, **POINT)


def test_probe_T7_a_large_latent_space_is_simulated_without_an_M_by_M_matrix():
    # M = 100000 once asked np.eye(M) for 74.5 GiB; the draw now holds a few M x P arrays
    run = simulate(N=10, P=10, M=100000, gamma=0.1, seeds=2)
    assert 0 < run.mean < 0.5 * (math.pi**2 / 6) / 100000  # below the null predictor's loss
    with pytest.raises(CostError, match=r"needs about 0.0373 GiB at once, past the limit of 0.000977 GiB \(raise it with max_memory="):
        simulate(N=10, P=10, M=100000, gamma=0.1, seeds=2, max_memory=2**20)


def test_probe_T8_an_overflowing_spectrum_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("1e308\n1e308\n")
    with pytest.raises(ParameterError, match="overflows float64"):
        simulate(spectrum=Spectrum.from_file(path), N=3, P=4, gamma="1e-2", seeds=2)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(sigma_w="1e200"), "the teacher variance = .* is beyond float64's range"),
        (dict(sigma_u="1e200"), "the variance of U = .* is beyond float64's range"),
        (dict(gamma="1e400"), "gamma = .* is beyond float64's range"),
        (dict(gamma="inf"), "parameter gamma must be finite"),
        (dict(alpha=-1000), "an eigenvalue of the spectrum is beyond float64's range"),
    ],
)
def test_probe_S10_non_finite_results_are_refused(params, message):
    point = {**dict(N=20, P=30, M=50, gamma="0.01"), **params}
    with pytest.raises(ParameterError, match=message):
        simulate(seeds=2, **point)


def test_probe_S11_below_the_cancellation_floor_a_warning():
    # over-parametrised (N > M) at a tiny ridge: the expanded loss cancels; summed as squares it is
    # resolved down to ~1e-27 (the planar theory gives 1.2120e-27 at N=200, P=300, M=150, gamma=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = simulate(N=200, P=300, M=150, gamma="1e-14", seeds=2)
    assert 1.0e-27 < run.mean < 1.6e-27
    # far below (the planar loss is 1e-39 at gamma = 1e-20), float64 cannot resolve it: said so, never negative
    with pytest.warns(LargenWarning, match="near float64's floor"):
        run = simulate(N=40, P=60, M=30, gamma="1e-20", seeds=2)
    assert 0 <= min(run.losses) < 1e-29


def test_the_ridge_is_resolved_far_below_the_largest_eigenvalue():
    # the singular value decomposition sees gamma = 1e-12 next to s^2 ~ 1e2: the fit is ridgeless
    # on the P directions and the training loss is sum_a (gamma/(s_a^2 + gamma))^2 ~ 1e-25 (N > P)
    run = simulate(N=60, P=20, M=80, gamma="1e-12", seeds=2)
    assert 0 < run.train_mean < 1e-20


def test_probe_T20_a_model_with_integer_sizes_simulates():
    from largen.diagrams.engine.modelfile import loads

    fixed = loads('[model]\nname = "fixed"\nlatent = 40\nsamples = 30\nteacher = "sigma_w**2/40"\n'
                  '[[model.features]]\nwidth = 20\nvariance = "1/40"')
    a = simulate(fixed, gamma="0.1", seeds=2, seed=4)
    b = simulate(N=20, P=30, M=40, gamma="0.1", seeds=2, seed=4)
    assert a.losses == pytest.approx(b.losses, rel=1e-12) and a.parameters == {"gamma": "1/10", "sigma_eps": "0",
                                                                                  "sigma_w": "1"}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(seeds="x"), ParameterError, "seeds must be an integer, got 'x'"),
        (dict(seeds=2.5), ParameterError, "seeds must be an integer"),
        (dict(seed=None), ParameterError, "seed must be an integer, got None"),
        (dict(model="mrs"), ModelError, "expected a diagrams.Model, got str"),
        (dict(spectrum=[1, 0.5]), SpectrumError, "expected a Spectrum, got list"),
        (dict(spectrum=Spectrum([])), SpectrumError, "the spectrum has no eigenvalues"),
    ],
)
def test_probe_T23_simulate_with_wrong_types(kwargs, error, message):
    params = dict(N=5, P=6, gamma=1) if "spectrum" in kwargs else dict(N=5, P=6, M=7, gamma=1)
    with pytest.raises(error, match=message):
        simulate(**{**params, "seeds": 2, **kwargs})


def test_the_spread_between_seeds_is_the_connected_part():
    """Each seed's loss is averaged exactly over the teacher: its spread between seeds is the connected
    part Var_{u,X}[E_w L] of the derived scatter, within three of its standard errors and its next
    order (relative 1/size, here N = 20: 10% allowed)."""
    run = simulate(N=20, P=30, M=40, gamma=0.01, seeds=400, seed=3)
    predicted = math.sqrt(float(solve(N=20, P=30, M=40, gamma="0.01", variance=True, dps=15).variance["connected"]))
    assert run.spread.draws == 400
    assert abs(run.spread.std - predicted) <= 3 * run.spread.stderr + 0.1 * predicted
    assert run.as_dict()["spread"]["std"] == run.spread.std
    assert simulate(N=20, P=30, M=40, gamma=0.01, seeds=3).spread is None
