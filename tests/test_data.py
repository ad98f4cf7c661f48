"""Datasets as the population: their spectra, teacher and noise, the theory against the actual regression."""


import numpy as np
import pytest

from largen.diagrams.errors import ParameterError
from largen.solver import Spectrum, simulate, solve
from largen.solver.data import data_spectrum, digits, load
from largen.solver.data.datasets import Dataset, from_data
from largen.solver.data.kernel_spectrum import kernel_spectrum


@pytest.fixture(scope="module")
def data():
    return digits()


def test_digits_conventions(data):
    X, Y = data.inputs, data.targets
    assert X.shape == (1797, 64) and Y.shape == (1797, 10)
    assert np.abs(X.mean(axis=0)).max() < 1e-14 and np.abs(Y.mean(axis=0)).max() < 1e-15
    assert np.mean(np.sum(X * X, axis=1)) == pytest.approx(1, rel=1e-14)
    # one-hot over the ten classes, centred: each row is e_c minus the class frequencies
    one_hot = Y - Y.min(axis=0)
    assert np.allclose(np.sort(one_hot, axis=1)[:, -1], 1) and np.allclose(one_hot.sum(axis=1), 1)


def test_spectrum_teacher_and_noise_add_up(data):
    found = data_spectrum(data)
    # the variance per output is what the best linear teacher explains, sum_I lambda_I mean_c w_cI^2, plus noise
    assert found.noise + float(np.sum(found.eigenvalues * found.teacher)) == pytest.approx(found.variance, rel=1e-12)
    residual = data.targets - data.linear_teacher()
    assert found.noise == pytest.approx(np.mean(np.sum(residual**2, axis=0)) / len(residual), rel=1e-10)
    assert found.rank == 61  # three pixels are always blank
    assert 0 < found.fit.alpha and found.fit.alpha_error < 0.1


def test_power_law_fit_recovers_its_exponents():
    rng = np.random.default_rng(3)
    M = 200
    scales = np.arange(1, M + 1) ** -1.25  # lambda_I = I^-2.5: alpha = 1.5
    X = rng.standard_normal((20000, M)) * scales
    W = rng.standard_normal((M, 100)) * np.arange(1, M + 1)[:, None] ** -0.5  # E w_I^2 ~ I^-1: delta = 1
    found = from_data(X, X @ W, fit_range=(2, 30))
    assert found.fit.alpha == pytest.approx(1.5, abs=3 * found.fit.alpha_error + 0.02)
    assert found.fit.delta == pytest.approx(1, abs=3 * found.fit.delta_error + 0.05)


def test_files_round_trip(tmp_path, data):
    inputs, targets = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(inputs, np.random.default_rng(0).standard_normal((50, 4)))
    np.save(targets, np.arange(50) % 3)
    loaded = load(str(inputs), targets=str(targets), one_hot=True)
    assert loaded.targets.shape == (50, 3)
    table = tmp_path / "d.csv"
    array = np.hstack([np.load(inputs), (np.arange(50) % 2)[:, None]])
    table.write_text("a,b,c,d,label\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in array))
    assert load(str(table), target_columns=1).inputs == pytest.approx(loaded.inputs)
    with pytest.raises(ParameterError, match="name the targets' file"):
        load(str(table))
    with pytest.raises(ParameterError, match="cannot read an array"):
        load(str(tmp_path / "missing.npy"), targets=str(targets))
    # a spectrum file: the eigenvalues and teacher weights read back, and not overwritten
    path = tmp_path / "digits.txt"
    found = data_spectrum(data)
    found.write(str(path))
    back = Spectrum.from_file(str(path))
    assert back.array() == pytest.approx(found.eigenvalues, rel=1e-13)
    assert back.teacher_array() == pytest.approx(found.rank * found.teacher, rel=1e-13)
    with pytest.raises(ParameterError, match="exists"):
        found.write(str(path))


def test_the_data_sets_spectrum_teacher_and_noise(data):
    with pytest.raises(ParameterError, match="sigma_eps cannot be given"):
        solve(data=data, N=10, P=20, gamma=1, sigma_eps=1)
    with pytest.raises(ParameterError, match="M cannot be given"):
        simulate(data=data, N=10, P=20, gamma=1, M=64)
    with pytest.raises(ParameterError, match="must be a Dataset"):
        solve(data=np.zeros((3, 3)), N=10, P=20, gamma=1)


# The theory of linear features on the digits' spectrum against the regression on their empirical distribution.
# The tolerance: 6% (the bar) holds with 3 standard errors to spare; the theory treats the digits as
# Gaussian with their covariance, which they are not, and the miss grows where the learned part dominates.
@pytest.mark.parametrize("N, P, gamma", [(20, 100, "1e-3"), (60, 60, "1e-2")])
def test_linear_features_on_digits_against_the_regression(data, N, P, gamma):
    theory = solve(data=data, N=N, P=P, gamma=gamma, dps=10)
    run = simulate(data=data, N=N, P=P, gamma=gamma, seeds=80, seed=2)
    target = float(theory.target_loss)
    assert target == pytest.approx(float(theory.loss + theory.noise_floor), rel=1e-9)
    assert abs(run.mean / target - 1) < 0.06
    assert run.stderr < 0.015 * run.mean
    assert abs(run.teacher_mean / float(theory.loss) - 1) < 0.12  # against the best linear teacher


@pytest.mark.slow
def test_relu_features_on_digits_by_the_kernel_route(data):
    small = Dataset("digits, 600", data.inputs[:600], data.targets[:600] - data.targets[:600].mean(axis=0))
    theory = solve(data=small, N=40, P=100, gamma="1e-3", activation="relu", equivalence="kernel", dps=8)
    run = simulate(data=small, N=40, P=100, gamma="1e-3", activation="relu", seeds=24, seed=1)
    assert abs(run.mean / float(theory.target_loss) - 1) < 0.15
    white = solve(data=small, N=40, P=100, gamma="1e-3", activation="relu", dps=8)
    assert theory.route["equivalence"] == "kernel" and white.route["equivalence"] == "white"


def test_nystrom_against_the_whole_gram_matrix(data):
    small = Dataset("digits, 900", data.inputs[:900], data.targets[:900])
    whole = kernel_spectrum("relu", data=small, entry_variance=1 / 64)
    approximate = kernel_spectrum("relu", data=small, entry_variance=1 / 64, exact_points=450, seed=1)
    assert whole.trace == pytest.approx(approximate.trace, rel=0.01)
    assert approximate.eigenvalues[:5] == pytest.approx(whole.eigenvalues[:5], rel=0.01)
    assert whole.white == pytest.approx(0, abs=1e-12 * whole.trace)
    assert approximate.white > 0
