"""Fitting the planar theory to learning curves (largen.solver.numerics.fit)."""

import warnings

import numpy as np
import pytest

from largen.diagrams import ParameterError
from largen.diagrams.engine.model import deep_linear
from largen.solver import simulate
from largen.solver.numerics.fast import solve_many
from largen.solver.numerics.fit import Weighting, fit, power_law_fit, read_curves

# learning curves in P at three widths N, at a small ridge, where label noise and alpha both shape the loss
N = np.repeat([30.0, 100.0, 300.0], 8)
P = np.tile(np.round(np.geomspace(10, 3000, 8)), 3)
GAMMA = np.full(N.size, 1e-3)
TRUTH = {"alpha": 0.8, "sigma_eps": 0.3}


def test_noise_free_curves_give_the_parameters_back():
    loss = solve_many(N=N, P=P, gamma=GAMMA, M="inf", alpha=0.8, sigma_w=1.3).loss
    found = fit({"N": N, "P": P, "gamma": GAMMA, "loss": loss}, params=["alpha", "sigma_w"], M="inf",
                start={"alpha": 1.2, "sigma_w": 1.0})
    assert abs(found.parameters["alpha"].value - 0.8) < 1e-8 and abs(found.parameters["sigma_w"].value - 1.3) < 1e-8
    assert found.weighting is Weighting.SCATTER and found.scatter < 1e-9 and found.dof == N.size - 2
    assert np.all(np.abs(found.predict(N=N, P=P, gamma=GAMMA, M="inf") / loss - 1) < 1e-8)


@pytest.mark.slow
def test_one_percent_noise_over_twenty_seeds_is_within_two_standard_errors():
    """The curves from the solver, each loss times (1 + 0.01 z): alpha and the label noise sigma_eps
    come back within two of their stated standard errors at 95% of the seeds (here at least 18 of 20,
    for fixed seeds), the pulls spread like a standard normal, and chi2 is about dof."""
    clean = solve_many(N=N, P=P, gamma=GAMMA, M="inf", **TRUTH).loss
    pulls, chi2 = [], []
    for seed in range(20):
        noisy = clean * (1 + 0.01 * np.random.default_rng(seed).standard_normal(N.size))
        found = fit({"N": N, "P": P, "gamma": GAMMA, "loss": noisy, "loss_error": 0.01 * clean},
                    params=["alpha", "sigma_eps"], M="inf", start={"alpha": 1.0, "sigma_eps": 0.5})
        pulls.append([(found.parameters[k].value - v) / found.parameters[k].error for k, v in TRUTH.items()])
        chi2.append(found.chi2 / found.dof)
    pulls = np.array(pulls)
    assert np.all((np.abs(pulls) <= 2).sum(axis=0) >= 18), pulls
    assert np.all((0.6 < pulls.std(axis=0)) & (pulls.std(axis=0) < 1.5)) and 0.6 < np.mean(chi2) < 1.4


def test_the_free_power_law_cannot_follow_the_n_p_structure():
    clean = solve_many(N=N, P=P, gamma=GAMMA, M="inf", **TRUTH).loss
    noisy = clean * (1 + 0.01 * np.random.default_rng(7).standard_normal(N.size))
    found = fit({"N": N, "P": P, "gamma": GAMMA, "loss": noisy, "loss_error": 0.01 * clean},
                params=["alpha", "sigma_eps"], M="inf")
    law = found.power_law
    assert set(law.parameters) == {"C", "A_N", "a_N", "A_P", "a_P"} and law.dof == N.size - 5
    assert found.chi2 / found.dof < 2 < 10 < law.chi2 / law.dof
    as_json = found.as_dict()
    assert set(as_json["parameters"]["alpha"]) == {"value", "error"} and as_json["dof"] == N.size - 2


def test_a_power_law_plus_constant_comes_back_exactly():
    sizes = np.geomspace(10, 1e4, 12)
    law = power_law_fit({"P": sizes, "N": np.full(12, 100), "loss": 0.1 + 2 * sizes**-0.5})
    assert {k: round(v.value, 8) for k, v in law.parameters.items()} == {"C": 0.1, "A_P": 2.0, "a_P": 0.5}


@pytest.mark.slow
def test_curves_of_the_actual_regression_give_its_alpha_back():
    """The Monte Carlo of the actual ridge regression at M = 300, alpha = 0.6: the fitted alpha (with
    the teacher's scale free) within 2% and two standard errors, and the theory far ahead of the free law."""
    rows = []
    for width in (40, 120):
        for samples in (20, 40, 80, 160, 320):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run = simulate(N=width, P=samples, M=300, gamma=1e-2, alpha=0.6, seeds=8, seed=width * 1000 + samples)
            rows.append((width, samples, run.mean, run.stderr))
    widths, samples, loss, error = map(np.array, zip(*rows))
    found = fit({"N": widths, "P": samples, "gamma": np.full(len(rows), 1e-2), "loss": loss, "loss_error": error},
                params=["alpha", "sigma_w"], M=300)
    alpha = found.parameters["alpha"]
    assert abs(alpha.value - 0.6) < min(0.012, 2 * alpha.error + 0.005), alpha
    assert found.chi2 / found.dof < 2 and found.power_law.chi2 / found.power_law.dof > 5


@pytest.mark.slow
def test_two_layers_and_a_teacher_exponent():
    model = deep_linear(2)
    points = {"N1": np.full(12, 200.0), "N2": np.repeat([30.0, 90.0], 6), "P": np.tile(np.geomspace(20, 2000, 6), 2),
              "gamma": np.full(12, 1e-4)}
    loss = solve_many(model, M="inf", alpha=1.2, delta=0.6, **points).loss
    found = fit({**points, "loss": loss}, model, params=["delta", "sigma_w"], M="inf", alpha=1.2)
    assert abs(found.parameters["delta"].value - 0.6) < 1e-7 and abs(found.parameters["sigma_w"].value - 1) < 1e-7


def test_curves_are_read_from_a_csv_file(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_text("N,P,gamma,loss,loss_error\n# a comment\n100,300,0.001,0.012,0.0001\n200,300,0.001,0.008,0.0001\n")
    curves = read_curves(path)
    assert curves["N"].tolist() == [100.0, 200.0] and curves["loss_error"].tolist() == [1e-4, 1e-4]
    for text, message in [("N,P,gamma\n1,2,3\n", "no column 'loss'"), ("N,Q,loss\n1,2,3\n", "unknown column 'Q'"),
                          ("N,P,loss\n1,x,3\n", "line 2: P = 'x' is not a number"),
                          ("N,P,loss\n1,2\n", "line 2: 2 fields, the header has 3"),
                          ("N,P,loss\n", "at least one row")]:
        path.write_text(text)
        with pytest.raises(ParameterError, match=message):
            read_curves(path)
    with pytest.raises(ParameterError, match="cannot read"):
        read_curves(tmp_path / "missing.csv")


@pytest.mark.parametrize("params, curves, message", [
    (["N"], {}, "N is a size or the ridge"),
    (["gamma"], {}, "gamma is a size or the ridge"),
    (["Q"], {}, "has no parameter 'Q'"),
    (["alpha", "alpha"], {}, "named twice"),
    ([], {}, "no parameter to fit"),
    (["alpha"], {"loss": np.array([1.0, -1.0, 1.0])}, "every measured loss must be positive"),
    (["alpha", "sigma_w", "sigma_u"], {}, "3 points cannot fit 3 parameters"),
])
def test_bad_fits_are_refused(params, curves, message):
    base = {"N": np.array([10.0, 20, 40]), "P": np.full(3, 50.0), "gamma": np.full(3, 1e-3),
            "loss": np.array([0.1, 0.05, 0.02])}
    with pytest.raises(ParameterError, match=message):
        fit({**base, **curves}, params=params, M="inf")
