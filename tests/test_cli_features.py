"""The command line of the data, kernel, fast, fit and variance features: each answer equals the library's."""

import json

import mpmath
import numpy as np
import pytest

from conftest import run_cli
from largen.solver.data.datasets import data_spectrum, digits, from_data
from largen.solver.numerics.fast import solve_many
from largen.solver.numerics.fit import fit, read_curves
from largen.solver.numerics.solution import solve
from largen.solver.simulation.montecarlo import simulate

POINT = ["--N", "20", "--P", "100", "--gamma", "1e-3"]


def _json(capsys, *argv):
    status, out, err = run_cli(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def _refused(capsys, *argv):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == "", (status, out, err)
    assert err.count("\n") == 1 and err.startswith("largen: error: "), err
    return err


# -- largen data ----------------------------------------------------------------------------------
def test_data_digits_states_the_spectrum_noise_and_fit(capsys):
    found = _json(capsys, "data", "digits")
    api = data_spectrum(digits())
    assert found["rank"] == api.rank == 61
    assert float(found["noise"]) == pytest.approx(api.noise, rel=1e-13)
    assert found["fit"]["alpha"] == pytest.approx(api.fit.alpha) and found["fit"]["alpha_error"] > 0
    status, out, _ = run_cli(capsys, "data", "digits")
    assert status == 0 and "alpha = 0.3447 ± 0.038" in out and "rank 61" in out


def test_the_spectrum_file_read_back_gives_the_dataset_loss(tmp_path, capsys):
    path = tmp_path / "digits.txt"
    written = _json(capsys, "data", "digits", "--out", str(path))
    assert written["spectrum"] == str(path) and path.read_text().startswith("# spectrum of dataset digits")
    back = _json(capsys, "loss", "--spectrum", str(path), "--noise", written["noise"], *POINT, "--dps", "15")
    direct = _json(capsys, "loss", "--data", "digits", *POINT, "--dps", "15")
    assert float(back["loss"]) == pytest.approx(float(direct["loss"]), rel=1e-12)
    assert float(back["train_loss"]) == pytest.approx(float(direct["train_loss"]), rel=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.txt"]  # no temporary file left


def test_data_file_with_target_columns_equals_the_api(tmp_path, capsys):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 5)) * [3.0, 2.0, 1.0, 0.5, 0.25]
    y = X @ [1.0, 0.5, 0.0, 0.0, 0.2] + 0.1 * rng.standard_normal(300)
    path = tmp_path / "points.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,d,e,y", comments="")
    found = _json(capsys, "data", str(path), "--target-columns", "1", "--fit-range", "1,5")
    api = from_data(X, y, fit_range=(1, 5))
    assert found["rank"] == 5 and float(found["noise"]) == pytest.approx(api.noise, rel=1e-12)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y)
    second = _json(capsys, "data", str(tmp_path / "x.npy"), "--targets", str(tmp_path / "y.npy"))
    assert float(second["noise"]) == pytest.approx(api.noise, rel=1e-12)


@pytest.mark.parametrize("argv, message", [
    (["data", "no/such.npy"], "cannot read an array"),
    (["data", "points.txt"], "an array file is .npy or .csv"),
    (["data", "digits", "--targets", "y.npy"], "the digits dataset has its own targets"),
    (["data", "digits", "--fit-range", "3"], "--fit-range expects FIRST,LAST"),
    (["data", "digits", "--fit-range", "5,2"], "the fit's range must be"),
    (["data", "--one-hot"], "required: digits|FILE"),
    (["loss", "--data", "digits", "--M", "10", *POINT], "the dataset sets the latent size"),
    (["loss", "--equivalence", "kernel", "--data", "digits", *POINT], "the kernel route is for nonlinear features"),
    (["loss", "--equivalence", "other", *POINT], "invalid choice: 'other'"),
    (["loss", "--targets", "y.npy", "--M", "40", *POINT], "describe the array of --data FILE"),
    (["simulate", "--data", "digits", "--alpha", "2", *POINT], "the dataset sets the latent size"),
])
def test_bad_data_input_is_one_line(capsys, argv, message):
    assert message in _refused(capsys, *argv)


def test_an_existing_spectrum_file_is_kept(tmp_path, capsys):
    path = tmp_path / "s.txt"
    path.write_text("1\n")
    assert "exists" in _refused(capsys, "data", "digits", "--out", str(path))
    assert path.read_text() == "1\n" and len(list(tmp_path.iterdir())) == 1


# -- --data and --equivalence on loss, sweep, simulate -------------------------------------------
def test_loss_on_digits_equals_the_api_and_says_its_route(capsys):
    found = _json(capsys, "loss", "--data", "digits", *POINT, "--dps", "20")
    api = solve(data=digits(), N=20, P=100, gamma="1e-3", dps=20)
    assert mpmath.mpf(found["loss"]) == pytest.approx(api.loss, rel=1e-19)
    assert mpmath.mpf(found["target_loss"]) == pytest.approx(api.target_loss, rel=1e-19)
    assert found["route"]["equivalence"] == "linear" and found["parameters"]["data"] == "digits"
    status, out, _ = run_cli(capsys, "loss", "--data", "digits", *POINT, "--dps", "20")
    assert "route" in out and "linear features on dataset digits" in out and "test loss, labels" in out


@pytest.mark.slow
def test_white_route_on_digits_says_so(capsys):
    found = _json(capsys, "loss", "--data", "digits", *POINT, "--activation", "relu", "--dps", "15")
    assert found["route"]["equivalence"] == "white"
    api = solve(data=digits(), N=20, P=100, gamma="1e-3", activation="relu", dps=15)
    assert mpmath.mpf(found["loss"]) == pytest.approx(api.loss, rel=1e-14)


@pytest.mark.slow
def test_kernel_route_on_power_law_data_equals_the_api(capsys):
    point = dict(N=200, P=100, M=400, gamma="0.01", sigma_u=2)
    found = _json(capsys, "loss", "--N", "200", "--P", "100", "--M", "400", "--gamma", "0.01", "--sigma-u", "2",
                  "--activation", "relu", "--equivalence", "kernel", "--dps", "15")
    api = solve(activation="relu", equivalence="kernel", dps=15, **point)
    assert found["route"]["equivalence"] == "kernel" and found["route"]["kernel"]["activation"] == "relu"
    assert mpmath.mpf(found["loss"]) == pytest.approx(api.loss, rel=1e-12)
    assert float(found["equivalence_error"]) < 0.05


def test_simulate_on_digits_equals_the_api(capsys):
    found = _json(capsys, "simulate", "--data", "digits", *POINT, "--seeds", "4", "--seed", "2")
    run = simulate(data=digits(), N=20, P=100, gamma=1e-3, seeds=4, seed=2)
    assert found["mean"] == pytest.approx(run.mean, rel=1e-12)
    assert found["teacher_mean"] == pytest.approx(run.teacher_mean, rel=1e-12)
    status, out, _ = run_cli(capsys, "simulate", "--data", "digits", *POINT, "--seeds", "4", "--seed", "2")
    assert "drawn i.i.d. from the 1797 points of digits" in out and "against the labels" in out


def test_sweep_on_digits_equals_the_loss_command(capsys):
    rows = _json(capsys, "sweep", "--data", "digits", "--N", "20,40", "--P", "100", "--gamma", "1e-3", "--dps",
                 "15", "--workers", "1")
    assert rows["route"].startswith("route linear: linear features on dataset digits")
    single = _json(capsys, "loss", "--data", "digits", "--N", "40", "--P", "100", "--gamma", "1e-3", "--dps", "15")
    assert [row["N"] for row in rows["rows"]] == ["20", "40"] and rows["rows"][1]["loss"] == single["loss"]


# -- sweep --fast and fit ------------------------------------------------------------------------
def test_sweep_fast_marks_its_rows_and_equals_solve_many(tmp_path, capsys):
    out = tmp_path / "rows.csv"
    found = _json(capsys, "sweep", "--fast", "--check", "0", "--N", "20,40,80", "--P", "100", "--M", "200",
                  "--gamma", "1e-3", "--workers", "1", "--out", str(out))
    fast = solve_many(N=[20, 40, 80], P=100, M=200, gamma=1e-3)
    for row, loss, vouched in zip(found["rows"], fast.loss, fast.vouched):
        assert row["fast"] == ("vouched" if vouched else "marked")
        assert float(row["loss"]) == pytest.approx(loss, rel=1e-9)
    assert out.read_text().splitlines()[0].split(",")[-1] == "fast"


@pytest.mark.parametrize("argv, message", [
    (["--fast", "--data", "digits"], "--fast solves the Gaussian theory on a given spectrum"),
    (["--M", "50", "--check", "3"], "give --fast"),
    (["--M", "50", "--fast", "--check", "-1"], "expected an integer"),
])
def test_sweep_refuses_what_fast_cannot_do(capsys, argv, message):
    assert message in _refused(capsys, "sweep", "--N", "20,40", "--P", "100", "--gamma", "1e-3", *argv)


def _curves(path, alpha=0.7, seed=1):
    N = np.array([25, 50, 100, 200, 400] * 2)
    P = np.array([300] * 5 + [1000] * 5)
    loss = solve_many(N=N, P=P, M="inf", gamma=1e-3, alpha=alpha).loss
    noisy = loss * (1 + 0.01 * np.random.default_rng(seed).standard_normal(len(loss)))
    lines = ["N,P,gamma,loss,loss_error"] + [f"{n},{p},0.001,{float(x)!r},{float(0.01 * y)!r}"
                                             for n, p, x, y in zip(N, P, noisy, loss)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_fit_equals_the_api_and_draws(tmp_path, capsys):
    path = _curves(tmp_path / "curves.csv")
    plot = tmp_path / "fit.png"
    found = _json(capsys, "fit", str(path), "--params", "alpha,sigma_w", "--M", "inf", "--plot", str(plot))
    api = fit(read_curves(path), params=["alpha", "sigma_w"], M=float("inf"))
    for name in ("alpha", "sigma_w"):
        assert found["parameters"][name]["value"] == pytest.approx(api.parameters[name].value, rel=1e-9)
        assert found["parameters"][name]["error"] == pytest.approx(api.parameters[name].error, rel=1e-6)
    assert abs(found["parameters"]["alpha"]["value"] - 0.7) < 3 * found["parameters"]["alpha"]["error"]
    assert found["dof"] == 8 and found["power_law"]["dof"] == 5 and plot.stat().st_size > 0
    status, out, _ = run_cli(capsys, "fit", str(path), "--params", "alpha", "--M", "inf")
    assert status == 0 and "free power law plus constant" in out and "chi2 =" in out


@pytest.mark.parametrize("argv, message", [
    (["--params", "N"], "N is a size or the ridge"),
    (["--params", "alpha,,x"], "--params expects NAME,NAME"),
    (["--params", "alpha", "--plot", "fit.txt"], "the format is given by its extension"),
    (["--params", "bogus"], "has no parameter 'bogus'"),
])
def test_fit_refuses_bad_input(tmp_path, capsys, argv, message):
    path = _curves(tmp_path / "curves.csv")
    assert message in _refused(capsys, "fit", str(path), "--M", "inf", *argv)


def test_fit_refuses_a_bad_file(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("N,P,gamma,loss,width\n1,2,3,4,5\n")
    assert "unknown column 'width'" in _refused(capsys, "fit", str(path), "--params", "alpha", "--M", "inf")


# -- loss --variance -----------------------------------------------------------------------------
@pytest.mark.slow
def test_loss_variance_prints_loss_std_as_the_api(capsys):
    argv = ["loss", "--N", "20", "--P", "30", "--M", "40", "--gamma", "1e-2", "--variance", "--outputs", "4",
            "--dps", "15"]
    found = _json(capsys, *argv)
    api = solve(N=20, P=30, M=40, gamma="1e-2", variance=True, outputs=4, dps=15)
    assert mpmath.mpf(found["loss_std"]) == pytest.approx(api.loss_std, rel=1e-14)
    assert found["outputs"] == 4 and set(found["variance"]) == set(api.variance)
    one = _json(capsys, *argv[:-4], "--dps", "15")
    assert mpmath.mpf(one["loss_std"]) > mpmath.mpf(found["loss_std"])  # more outputs average the teacher's part
    status, out, _ = run_cli(capsys, *argv)
    assert f"loss std (one run)  {found['loss_std']}" in out and "4 outputs" in out


@pytest.mark.parametrize("argv, message", [
    (["--outputs", "4"], "give it with --variance"),
    (["--variance", "--outputs", "0"], "outputs must be a positive integer"),
    (["--variance", "--outputs", "x"], "expected an integer"),
])
def test_loss_variance_refuses_bad_input(capsys, argv, message):
    assert message in _refused(capsys, "loss", "--N", "20", "--P", "30", "--M", "40", "--gamma", "1e-2", *argv)


# -- percolation --experiment and --dimensions ---------------------------------------------------
@pytest.mark.slow
def test_the_tiny_experiment_equals_the_api_and_is_read_back(tmp_path, capsys):
    from largen.solver.percolation.experiment import TINY, run

    cache = tmp_path / "cache"
    found = _json(capsys, "percolation", "--experiment", "tiny", "--cache", str(cache))
    api = run(TINY, seed=0).as_dict()
    assert found["cached"] is False and [row["N"] for row in found["model_scan"]] == list(TINY.model_sizes)
    assert [row["loss"] for row in found["model_scan"]] == pytest.approx([row["loss"] for row in api["model_scan"]])
    assert [row["P"] for row in found["data_scan"]] == list(TINY.data_sizes)
    assert found["model_exponent"]["derived"] == 0.5 and found["model_exponent"]["error"] is None  # one dataset
    assert sorted(p.name for p in cache.iterdir() if p.suffix == ".png") == [
        "percolation_allocation.png", "percolation_data.png", "percolation_model.png"]
    again = _json(capsys, "percolation", "--experiment", "tiny", "--cache", str(cache))
    assert again["cached"] is True and again["model_scan"] == found["model_scan"]


def test_the_full_experiment_is_refused_without_long(tmp_path, capsys):
    cache = tmp_path / "cache"
    err = _refused(capsys, "percolation", "--experiment", "full", "--cache", str(cache))
    assert "6 datasets of 316 clusters of 300 to 30,000,000 sites" in err and "give --long" in err
    assert not cache.exists()


@pytest.mark.parametrize("argv, message", [
    ([], "give one of --lattice, --experiment and --dimensions"),
    (["--lattice", "bethe", "--experiment", "tiny"], "not --lattice and --experiment"),
    (["--experiment", "huge"], "invalid choice: 'huge'"),
    (["--dimensions", "9"], "no lattice of dimension 9"),
    (["--dimensions", "x"], "--dimensions expects integers"),
    (["--lattice", "bethe", "--long"], "--long runs --experiment full"),
])
def test_percolation_refuses_bad_choices(capsys, argv, message):
    assert message in _refused(capsys, "percolation", *argv)


@pytest.mark.slow
def test_the_dimensions_table_states_both_theories(capsys):
    found = _json(capsys, "percolation", "--dimensions", "7", "--smoothness", "2")
    seven, bethe = found["rows"]
    assert seven["lattice"] == 7 and seven["note"].startswith("D: the literature's")
    assert abs(seven["tau"][0] - 2.5) < 2.5 * seven["tau"][1] < 0.1  # measured in boxes of side 8
    assert seven["brill"]["2"]["model"][0] == 0.5 and abs(seven["random_features"]["2"]["model"] - 0.5) < 0.05
    assert bethe["lattice"] == "bethe" and abs(bethe["tau"][0] - 2.5) < 4 * bethe["tau"][1]


MONTE_CARLO_CURVES = """N,P,gamma,loss,loss_error
25,100,0.01,6.3642e-05,8.4e-07
50,100,0.01,3.959e-05,2.4e-07
100,100,0.01,2.6691e-05,9.8e-08
200,100,0.01,1.9635e-05,5.9e-08
25,400,0.01,5.1414e-05,5.7e-07
50,400,0.01,2.7576e-05,2.1e-07
100,400,0.01,1.5607e-05,4.4e-08
200,400,0.01,9.362e-06,1.7e-08
"""  # largen simulate --M 1000 --alpha 1 --gamma 0.01 --seeds 16 --seed 1 at each point (the README's curves.csv)


def test_fit_of_monte_carlo_curves_recovers_alpha_and_says_what_is_undetermined(tmp_path, capsys):
    path = tmp_path / "curves.csv"
    path.write_text(MONTE_CARLO_CURVES)
    found = _json(capsys, "fit", str(path), "--params", "alpha", "--M", "1000")
    assert abs(found["parameters"]["alpha"]["value"] - 1) < 0.01
    # four sizes per curve cannot pin a free power law plus constant: its errors are null, not Infinity
    assert found["power_law"]["parameters"]["C"]["error"] is None
    status, out, _ = run_cli(capsys, "fit", str(path), "--params", "alpha", "--M", "1000")
    assert "error undetermined" in out


@pytest.mark.slow
def test_sweep_kernel_route_on_gaussian_data_equals_the_loss_command(capsys):
    point = ["--P", "100", "--M", "100", "--gamma", "1e-2", "--sigma-u", "2", "--activation", "relu",
             "--equivalence", "kernel", "--dps", "15"]
    rows = _json(capsys, "sweep", "--N", "50,100", *point, "--workers", "1")
    assert rows["route"] == "route kernel: the features' kernel spectrum on Gaussian data"
    single = _json(capsys, "loss", "--N", "100", *point)
    assert single["route"]["equivalence"] == "kernel" and rows["rows"][1]["loss"] == single["loss"]
    err = _refused(capsys, "sweep", "--N", "50,100", *point[:-6], "--equivalence", "kernel")
    assert "the kernel route is for nonlinear features: give --activation NAME" in err


@pytest.mark.slow
def test_the_white_route_on_power_law_data_warns_and_names_the_flag(capsys):
    status, out, err = run_cli(capsys, "loss", "--activation", "relu", "--M", "400", "--N", "200", "--P", "100",
                               "--gamma", "0.01", "--sigma-u", "2", "--dps", "15")
    assert status == 0 and "test loss" in out
    warning, = [line for line in err.splitlines() if "pre-activation variance" in line]
    assert warning.startswith("largen: warning: ") and "(--equivalence kernel) is made for such data" in warning


def test_an_unwritable_cache_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "is a file, not a directory" in _refused(capsys, "percolation", "--experiment", "tiny", "--cache",
                                                     str(blocker))
    err = _refused(capsys, "percolation", "--experiment", "tiny", "--cache", str(blocker / "below"))
    assert "cannot store the experiment in --cache" in err and "dataset" not in err


@pytest.mark.slow
def test_exponents_of_nonlinear_features_by_the_kernel_route(capsys):
    """On power-law data the kernel spectrum decides: ReLU has no power law with finitely many logarithms,
    x^2 has one with a logarithm that the regimes do not take: both refused with the reason; the white
    route's regimes only when asked for, and linear features are the linear regimes."""
    status, _, err = run_cli(capsys, "exponents", "--alpha", "1", "--activation", "relu")
    assert status == 2 and err.count("\n") == 1 and "every even degree" in err and "--equivalence kernel" in err
    status, _, err = run_cli(capsys, "exponents", "--alpha", "1", "--activation", "x^2", "--json")
    assert status == 2 and "xi_n ~ n^-2 log(n)^2" in err and "--equivalence white" in err
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--activation", "relu", "--equivalence", "white",
                             "--json")
    assert status == 0 and any("feature-variance-limited" in r["name"] for r in json.loads(out)["regimes"])
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--activation", "linear", "--json")
    assert status == 0 and not any("feature-variance" in r["name"] for r in json.loads(out)["regimes"])
