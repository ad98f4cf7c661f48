import dataclasses
import json
import subprocess
import sys

import pytest
import sympy

from conftest import bounded_work, run_cli


def test_simulate_json(capsys):
    status, out, err = run_cli(capsys, "simulate", "--N", "20", "--P", "30", "--M", "40", "--gamma", "0.1",
                               "--seeds", "3", "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert result["seeds"] == 3 and 0 < result["stderr"] < result["mean"]
    assert result["parameters"]["gamma"] == "1/10"


def test_simulate_model_file_and_set(capsys):
    status, out, _ = run_cli(capsys, "simulate", "--model", "tests/data/deep2.toml", "--set", "N1=20",
                             "--set", "N2=10", "--P", "15", "--M", "30", "--gamma", "0.1", "--json")
    assert status == 0
    assert json.loads(out)["parameters"]["N1"] == "20"


def test_noise_flag_sets_the_noise_variance(capsys):
    status, out, _ = run_cli(capsys, "simulate", "--N", "5", "--P", "8", "--M", "10", "--gamma", "1",
                             "--noise", "0.25", "--json")
    assert status == 0 and json.loads(out)["parameters"]["sigma_eps"] == "1/2"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--gamma", "-1"], "gamma must be non-negative"),
        (["--N", "0"], "size N must be a positive integer"),
        (["--set", "Q=3"], "has no symbol 'Q'"),
        (["--set", "N1=3"], "has no symbol 'N1'"),
        (["--set", "nonsense"], "--set expects NAME=VALUE"),
        (["--model", "no/such.toml"], "cannot read model file"),
        (["--model", "tests/data/bad_syntax.toml"], "syntax error"),
        (["--spectrum", "no/such.txt"], "cannot read spectrum file"),
        (["--noise", "-1"], "noise variance must be non-negative"),
        (["--M", "inf"], "needs a finite spectrum"),
        (["--alpha", "0", "--M", "inf"], "diverge"),
        (["--seeds", "x"], "expected an integer, got 'x'"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv, message):
    base = {"--N": "10", "--P": "12", "--M": "20", "--gamma": "0.1"}
    for flag in argv[::2]:
        base.pop(flag, None)
    args = ["simulate", *[x for kv in base.items() for x in kv], *argv]
    status, out, err = run_cli(capsys, *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("largen: error: ") and message in err


@pytest.mark.slow
def test_console_script_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "largen", "simulate", "--N", "-3"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("largen: error:") and "Traceback" not in proc.stderr


def test_expect_exact_value(capsys):
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T*X*X.T)", "--M", "3", "--P", "2", "--json")
    result = json.loads(out)
    assert status == 0 and result["expression"] == "P**2*tr_Lambda(2) + P*tr_Lambda(1)**2 + P*tr_Lambda(2)"
    # lambda = 1, 1/4, 1/9: tr L = 49/36, tr L^2 = 1393/1296; 4*1393/1296 + 2*(49/36)^2 + 2*1393/1296
    assert result["exact"] == "1645/162" and result["value"].startswith("10.15432098765432098765")


def test_expect_planar_at_infinite_latent_dimension(capsys):
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)", "--P", "3", "--M", "inf", "--dps", "25", "--json")
    assert status == 0 and json.loads(out)["value"] == "4.934802200544679309417245"  # 3 zeta(2) = pi^2/2


def test_expect_without_values_prints_the_polynomial_only(capsys):
    status, out, _ = run_cli(capsys, "expect", "Trace(U.T*U*X*X.T)", "--planar", "--json")
    result = json.loads(out)
    assert status == 0 and "value" not in result
    assert result["expression"] == "N*P*sigma_u**2*tr_Lambda(1)/M"


def test_diagrams_json(capsys):
    status, out, _ = run_cli(capsys, "diagrams", "Trace((X*X.T)**3)", "--json")
    result = json.loads(out)
    assert status == 0 and result["contractions"] == 15
    assert sum(d["multiplicity"] for d in result["diagrams"]) == 15
    planar = [d for d in result["diagrams"] if d["euler"] == 2]
    assert sorted(d["multiplicity"] for d in planar) == [1, 1, 3]
    assert all(set(d) >= {"multiplicity", "weight", "euler", "faces"} for d in result["diagrams"])


def test_diagrams_planar_json(capsys):
    status, out, _ = run_cli(capsys, "diagrams", "Trace((U.T*U*X*X.T)**3)", "--planar", "--json")
    result = json.loads(out)
    assert status == 0 and result["contractions"] == 12  # Fuss-Catalan: binomial(9, 3)/7
    assert sum(d["multiplicity"] for d in result["diagrams"]) == 12
    assert {d["euler"] for d in result["diagrams"]} == {2}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["expect", "Trace(Q*U)"], "undefined symbol 'Q'"),
        (["expect", "Trace(X*U)"], "shapes do not match"),
        (["expect", "Trace(U*Lambda*U.T)", "--M", "inf", "--N", "2"], "no value at M = inf"),
        (["expect", "Trace(X*X.T)", "--P", "2", "--M", "3", "--dps", "0"], "--dps must be at least 1"),
        (["expect", "Trace(X*X.T)", "--P", "2", "--M", "3", "--dps", "99999999999999999999"], "--dps must be at most 5000"),
        (["diagrams", "Trace(X*X.T", "--json"], "cannot read"),
        (["diagrams", "Trace(X*X.T)", "--tikz", "/no/such/dir/x.tex"], "cannot write"),
    ],
)
def test_expect_and_diagrams_refuse_bad_input(capsys, argv, message):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


@pytest.mark.slow
def test_derive_json(capsys):
    status, out, _ = run_cli(capsys, "derive", "--json")
    result = json.loads(out)
    assert status == 0 and len(result["equations"]) == 4 and len(result["unknowns"]) == 4
    assert result["equations"][1] == "Eq(Sigma_mu_M, N*sigma_u**2/(M*(Sigma_theta - gamma)))"
    assert result["Delta"] == "1/(Sigma_mu_M*Sigma_rho_M)"
    assert "Sum(" in result["loss"] and len(result["ladder"]) == 4
    assert "N <-> P" in result["convention"]


@pytest.mark.slow
def test_derive_latex_compiles(tmp_path, capsys):
    import shutil
    import subprocess

    from conftest import require_tool

    require_tool("lualatex")
    tex = tmp_path / "derivation.tex"
    status, out, _ = run_cli(capsys, "derive", "--model", "tests/data/deep2.toml", "--latex", str(tex), "--json")
    assert status == 0 and len(json.loads(out)["latex"]["equations"]) == 6
    proc = subprocess.run([shutil.which("lualatex"), "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_series_planar_json_agrees_with_resummation(capsys):
    status, out, _ = run_cli(capsys, "series", "--order", "4", "--planar", "--N", "20", "--P", "30", "--M", "50", "--json")
    result = json.loads(out)
    assert status == 0 and [c["order"] for c in result["coefficients"]] == [0, 1, 2, 3, 4]
    assert all(c["resummed_agrees"] for c in result["coefficients"])
    assert [c["diagrams"] for c in result["coefficients"]][:3] == [1, 1, 9]
    assert result["coefficients"][1]["expression"] == "-N*P*sigma_u**2*sigma_w**2*tr_Lambda(2)/M**2"
    assert float(result["coefficients"][0]["value"]) == pytest.approx(0.5 * sum(i**-2 for i in range(1, 51)) / 50)


def test_series_exact(capsys):
    status, out, _ = run_cli(capsys, "series", "--order", "2", "--json")
    coefficients = json.loads(out)["coefficients"]
    assert status == 0 and "value" not in coefficients[0]
    assert coefficients[2]["diagrams"] > 9  # non-planar contractions as well


def test_loss_json_digits(capsys):
    status, out, _ = run_cli(capsys, "loss", "--N", "200", "--P", "300", "--gamma", "0.01", "--M", "800", "--dps", "25", "--json")
    result = json.loads(out)
    assert status == 0
    digits = result["loss"].replace("0.", "", 1).lstrip("0")
    assert len(digits) == 25 and result["loss"].startswith("0.00001242266793891")
    assert float(result["Delta"]) > 0 and float(result["train_loss"]) < float(result["loss"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["loss", "--N", "2", "--P", "3", "--M", "5", "--gamma", "-1"], "gamma must be non-negative"),
        (["loss", "--N", "2", "--P", "3", "--M", "5", "--gamma", "1", "--dps", "0"], "dps must be at least 1"),
        (["loss", "--N", "2", "--P", "3", "--M", "inf", "--gamma", "1", "--alpha", "0"], "diverge"),
        (["loss", "--N", "2", "--P", "0", "--M", "5", "--gamma", "1"], "size P must be positive"),
        (["series", "--order", "-1"], "--order must be non-negative"),
        (["derive", "--model", "tests/data/bad_syntax.toml"], "syntax error"),
        (["derive", "--latex", "/no/such/dir/x.tex"], "cannot write"),
    ],
)
def test_resummation_commands_refuse_bad_input(capsys, argv, message):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


def test_duality_json(capsys):
    status, out, _ = run_cli(capsys, "duality", "--order", "3", "--json")
    result = json.loads(out)
    assert status == 0 and result["parameter_map"] == {"N": "P", "P": "N", "gamma": "gamma"}
    assert len(result["pairs"]) == 44 and result["contractions"] == 44
    swap = {sympy.Symbol(s, positive=True, integer=True): sympy.Symbol(t, positive=True, integer=True) for s, t in ("NP", "PN")}
    names = {"N": sympy.Symbol("N", positive=True, integer=True), "P": sympy.Symbol("P", positive=True, integer=True),
             "M": sympy.Symbol("M", positive=True, integer=True), "sigma_u": sympy.Symbol("sigma_u", positive=True),
             "tr_Lambda": sympy.Function("tr_Lambda")}
    for pair in result["pairs"]:
        weight = sympy.parse_expr(pair["diagram"]["weight"], local_dict=names)
        dual = sympy.parse_expr(pair["dual"]["weight"], local_dict=names)
        assert sympy.expand(dual - weight.xreplace(swap)) == 0
    assert result["verdicts"]["N<->P: test loss"]["invariant"]
    assert not result["verdicts"]["N<->P: test loss with label noise"]["invariant"]


@pytest.mark.slow
def test_duality_of_a_deep_model_and_the_mean_convention(capsys):
    status, out, _ = run_cli(capsys, "duality", "--model", "tests/data/deep2.toml", "--order", "1",
                             "--convention", "mean", "--json")
    result = json.loads(out)
    assert status == 0 and result["pairs"] == [] and "one feature layer" in result["diagram_map"]
    assert result["parameter_map"]["gamma"] == "P*gamma/N2"
    assert result["rescalings"]["N1<->N2"] == "N1/N2" and result["verdicts"]["N1<->N2: test loss"]["invariant"]


def test_loss_at_infinite_latent_dimension_says_how_it_normalises(capsys):
    status, out, _ = run_cli(capsys, "loss", "--N", "30", "--P", "40", "--gamma", "0.01", "--M", "inf", "--dps", "20", "--json")
    result = json.loads(out)
    assert status == 0 and "sigma_u^2 and sigma_w^2 are the entry variances" in result["normalization"]
    assert result["parameters"]["M"] == "oo"


def test_sweep_writes_csv_and_json(tmp_path, capsys):
    out = tmp_path / "grid.csv"
    status, text, err = run_cli(capsys, "sweep", "--N", "40,80", "--P", "60", "--M", "100", "--gamma", "1e-2,1e-4",
                                "--dps", "12", "--workers", "2", "--out", str(out), "--json")
    rows = json.loads(text)["rows"]
    assert status == 0 and [(r["N"], r["gamma"]) for r in rows] == [("40", "1e-2"), ("40", "1e-4"), ("80", "1e-2"), ("80", "1e-4")]
    assert "sweep 4/4" in err  # the progress bar, on stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "N,gamma,loss,train_loss,Delta" and len(lines) == 5
    from largen.solver import solve

    single = solve(N=80, P=60, M=100, gamma="1e-4", dps=12)
    assert rows[3]["loss"] == json.loads(json.dumps(single.as_dict()))["loss"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--N", "50", "--gamma", "1e-3"], "at least one parameter with several values"),
        (["--N", "50,60", "--gamma", "1e-3", "--out", "grid.txt"], "the format is given by its extension, one of .csv, .json"),
        (["--N", "50,-1", "--gamma", "1e-3"], "size N must be positive"),
        (["--N", "50,60", "--gamma", "1e-3", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_sweep_refuses_bad_input(capsys, argv, message):
    status, out, err = run_cli(capsys, "sweep", "--P", "100", "--M", "300", *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


def test_loss_text_output_states_the_infinite_M_normalization(capsys):
    status, out, _ = run_cli(capsys, "loss", "--N", "30", "--P", "40", "--gamma", "0.01", "--M", "inf", "--dps", "15")
    assert status == 0 and out.strip().splitlines()[-1].startswith("M = inf: sigma_u^2 and sigma_w^2")


def test_loss_with_a_spectrum_made_of_pieces(tmp_path, capsys):
    # a power law from a file's power_law line plus listed spikes from a second file add up
    law, spikes = tmp_path / "law.txt", tmp_path / "spikes.txt"
    law.write_text("power_law alpha=1 M=300\n")
    spikes.write_text("# two spikes\n2.0\n1.5\n")
    status, out, _ = run_cli(capsys, "loss", "--N", "50", "--P", "80", "--gamma", "0.01", "--spectrum", str(law),
                             "--spectrum", str(spikes), "--dps", "20", "--json")
    combined = json.loads(out)
    assert status == 0 and combined["parameters"]["M"] == "302"
    # the spikes, written to 2 digits, move the loss only a little: it is known to more digits than they are
    assert 2 < combined["supported_digits"] < 20
    status, out, _ = run_cli(capsys, "loss", "--N", "50", "--P", "80", "--gamma", "0.01", "--M", "300", "--dps", "20",
                             "--json")
    assert status == 0 and float(json.loads(out)["loss"]) != float(combined["loss"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("power_law alpha=1\n", "expected power_law alpha=A M=SIZE"),
        ("power_law alpha=-1 M=inf\n", "line 1: power law with alpha = -1 and M = inf: the spectral sums diverge"),
        ("0.5\n-2\n", "line 2: eigenvalue -2 is not a non-negative number"),
        ("0.5\nabc\n", "line 2: 'abc' is not a number"),
    ],
)
def test_loss_refuses_a_malformed_spectrum_file(tmp_path, capsys, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    status, out, err = run_cli(capsys, "loss", "--N", "5", "--P", "8", "--gamma", "0.1", "--spectrum", str(path))
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


def test_loss_reports_the_digits_a_rounded_spectrum_supports(tmp_path, capsys):
    # 16-digit eigenvalues at the interpolation threshold: the loss is printed to 30 digits,
    # but the inputs support about 16 of them, and the output says so
    path = tmp_path / "rounded.txt"
    path.write_text("\n".join(f"{1 / i**2:.16g}" for i in range(1, 201)) + "\n")
    status, out, _ = run_cli(capsys, "loss", "--N", "100", "--P", "100", "--gamma", "1e-20", "--spectrum", str(path),
                             "--dps", "30")
    assert status == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("condition number") and "exact to the 16 digits written" in last
    assert last.endswith("(fewer than shown)") and 14 <= int(last.split("support ")[1].split()[0]) <= 16
    assert 0.5 < float(last.split()[2]) < 5  # the loss hardly amplifies relative errors of the eigenvalues


def one_line_error(status, out, err, message):
    return status == 2 and out == "" and err.count("\n") == 1 and err.startswith("largen: error: ") and message in err


@pytest.mark.parametrize("command", [["loss", "--dps", "10"], ["simulate", "--seeds", "2"], ["expect", "Trace(X*X.T)"],
                                     ["series", "--order", "1"]])
def test_probe_T1_noise_zero_is_answered_and_noise_inf_refused(capsys, command):
    point = ["--N", "20", "--P", "30", "--M", "50", "--gamma", "0.01"]
    status, out, _ = run_cli(capsys, *command, *point, "--noise", "0", "--json")
    assert status == 0 and json.loads(out)
    status, out, err = run_cli(capsys, *command, *point, "--noise", "inf")
    assert one_line_error(status, out, err, "noise variance must be finite, got inf")


@pytest.mark.parametrize(
    "noise, flag, message",
    [("0", "0.1", "model n fixes the noise variance to 0: it cannot be 1/10"),
     ("a*b", "0.1", "has several symbols (a, b): set them one by one")],
)
def test_probe_T14_a_noise_variance_that_the_flag_cannot_set(tmp_path, capsys, noise, flag, message):
    path = tmp_path / "n.toml"
    path.write_text(f'[model]\nname = "n"\nnoise = "{noise}"\n[[model.features]]\nwidth = "N"\nvariance = "1/M"\n')
    status, out, err = run_cli(capsys, "loss", "--model", str(path), "--N", "5", "--P", "6", "--M", "7", "--gamma", "1",
                               "--noise", flag)
    assert one_line_error(status, out, err, message)
    if noise == "0":  # the noise the model fixes can be asked for
        status, out, _ = run_cli(capsys, "loss", "--model", str(path), "--N", "5", "--P", "6", "--M", "7", "--gamma", "1",
                                 "--noise", "0", "--dps", "5", "--json")
        assert status == 0 and json.loads(out)["parameters"] == {"M": "7", "N": "5", "P": "6", "gamma": "1", "sigma_w": "1"}


def test_probe_T6_negative_seed(capsys):
    status, out, err = run_cli(capsys, "simulate", "--N", "5", "--P", "6", "--M", "7", "--gamma", "1", "--seed", "-1")
    assert one_line_error(status, out, err, "seed must be an integer at least 0, got -1")


def test_probe_T7_simulate_a_large_latent_space(capsys):
    status, out, _ = run_cli(capsys, "simulate", "--N", "10", "--P", "10", "--M", "100000", "--gamma", "0.1",
                             "--seeds", "2", "--json")
    assert status == 0 and 0 < json.loads(out)["mean"] < 1e-5
    status, out, err = run_cli(capsys, "simulate", "--N", "10", "--P", "10", "--M", "100000", "--gamma", "0.1",
                               "--max-memory", "0.001")
    assert one_line_error(status, out, err, "needs about 0.0373 GiB at once, past the limit of 0.001 GiB")


def test_probe_T8_an_overflowing_spectrum(tmp_path, capsys):
    path = tmp_path / "huge.txt"
    path.write_text("1e308\n1e308\n")
    status, out, err = run_cli(capsys, "simulate", "--N", "3", "--P", "4", "--gamma", "1e-2", "--spectrum", str(path))
    assert one_line_error(status, out, err, "overflows float64")


@pytest.mark.parametrize("flag, value", [("--sigma-w", "1e200"), ("--sigma-u", "1e200"), ("--gamma", "inf"),
                                         ("--gamma", "1e400"), ("--alpha", "-1000")])
def test_probe_S10_no_infinity_or_nan_in_json(capsys, flag, value):
    point = {"--N": "20", "--P": "30", "--M": "50", "--gamma": "0.01"}
    point[flag] = value
    status, out, err = run_cli(capsys, "simulate", *[x for kv in point.items() for x in kv], "--json")
    assert one_line_error(status, out, err, "") and "Infinity" not in out + err and "NaN" not in out + err


def test_probe_S11_the_warning_is_one_line(capsys):
    status, out, err = run_cli(capsys, "simulate", "--N", "40", "--P", "60", "--M", "30", "--gamma", "1e-20",
                               "--seeds", "2", "--json")
    assert status == 0 and json.loads(out)["mean"] >= 0
    assert err.count("\n") == 1 and err.startswith("largen: warning: the test loss") and "near float64's floor" in err


def test_probe_S7_every_digit_of_a_value_is_right(capsys):
    # zeta(1 + 1e-30) = 1e30 + Euler's gamma + O(1e-30)
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)", "--M", "inf", "--alpha", "1e-30", "--P", "1",
                             "--dps", "40", "--json")
    assert status == 0 and json.loads(out)["value"] == "1000000000000000000000000000000.577215665"


@pytest.mark.parametrize("expr", ["Trace(X*X.T)/0", "0/0*Trace(X*X.T)"])
def test_probe_S12_no_zoo_or_nan_printed(capsys, expr):
    status, out, err = run_cli(capsys, "expect", expr, "--M", "5", "--P", "3", "--json")
    assert one_line_error(status, out, err, "division by zero") and "zoo" not in err and "nan" not in err


def test_probe_S14_a_spectrum_file_with_an_infinite_latent_size_is_refused(tmp_path, capsys):
    path = tmp_path / "three.txt"
    path.write_text("1\n0.5\n0.25\n")
    for command in (["expect", "Trace(X*X.T)"], ["loss", "--N", "2", "--gamma", "1"]):
        status, out, err = run_cli(capsys, *command, "--P", "3", "--spectrum", str(path), "--M", "inf")
        assert one_line_error(status, out, err, "M = oo but the spectrum has 3 eigenvalues")


def test_probe_T10_a_long_power_sum_is_no_exact_harmonic_number(capsys):
    check_a_long_power_sum(capsys, ["--M", "10000"])


@pytest.mark.parametrize("argv", [["--M", "100000"], ["--M", "1000", "--alpha", "1e-30"]])
def test_probe_H4_long_or_steep_power_sums_are_quick(capsys, argv):
    check_a_long_power_sum(capsys, argv)


def check_a_long_power_sum(capsys, argv):
    import mpmath

    with bounded_work(2_000_000):  # a sum of M terms would make millions of calls
        status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)", "--P", "3", *argv, "--dps", "25", "--json")
    assert status == 0
    M, alpha = int(argv[1]), mpmath.mpf(argv[3]) if len(argv) > 2 else 1
    with mpmath.workdps(60):
        exact = 3 * (mpmath.zeta(1 + alpha) - mpmath.zeta(1 + alpha, M + 1))  # 3 sum_{I <= M} I^-(1+alpha)
        assert json.loads(out)["value"] == mpmath.nstr(exact, 25, strip_zeros=False)


def test_probe_T21_E3_a_sweep_counts_its_failed_points(capsys):
    status, out, err = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01,0",
                               "--workers", "1", "--dps", "10", "--json")
    rows = json.loads(out)["rows"]
    assert status == 3 and err.splitlines()[-1] == "largen: 2 of 4 points failed (their rows give the errors)"
    assert [("error" in row) for row in rows] == [False, True, False, True] and float(rows[2]["loss"]) > 0


def test_probe_E4_the_sweep_output_is_checked_first(capsys):
    status, out, err = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01",
                               "--out", "no/such/dir/x.csv")
    assert one_line_error(status, out, err, "cannot write no/such/dir/x.csv: no directory") and "sweep" not in err


@pytest.mark.slow
def test_probe_U1_no_file_overwritten_without_force(tmp_path, capsys):
    for argv in (["diagrams", "Trace(X*X.T)", "--tikz"], ["derive", "--latex"],
                 ["sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01", "--workers", "1", "--out"]):
        path = tmp_path / ("x.csv" if argv[0] == "sweep" else "x.tex")
        path.write_text("precious")
        status, out, err = run_cli(capsys, *argv, str(path))
        assert one_line_error(status, out, err, "exists: overwrite it with --force")
        assert path.read_text() == "precious"
        status, _, _ = run_cli(capsys, *argv, str(path), "--force")
        assert status == 0 and path.read_text() != "precious"


@pytest.mark.parametrize("argv", [["derive", "--latex", ""], ["diagrams", "Trace(X*X.T)", "--tikz", ""],
                                  ["derive", "--model", ""], ["loss", "--spectrum", " "],
                                  ["sweep", "--N", "1,2", "--out", ""]])
def test_probe_U2_empty_paths_are_refused(capsys, argv):
    status, out, err = run_cli(capsys, *argv)
    assert one_line_error(status, out, err, "an empty path")


@pytest.mark.parametrize(
    "argv, message",
    [(["--M", "5", "--set", "M=6"], "M is given twice: by --M and by --set M"),
     (["--noise", "0.1", "--set", "sigma_eps=0.5"], "sigma_eps is given twice: by --set sigma_eps and by --noise"),
     (["--set", "sigma_u=1", "--sigma-u", "2"], "sigma_u is given twice: by --sigma-u and by --set sigma_u")],
)
def test_probe_U3_conflicting_flags_are_refused(capsys, argv, message):
    base = {"--N": "5", "--P": "6", "--M": "5", "--gamma": "0.1"}
    for flag in argv[::2]:
        base.pop(flag, None)
    status, out, err = run_cli(capsys, "loss", *[x for kv in base.items() for x in kv], *argv)
    assert one_line_error(status, out, err, message)


def test_probe_U4_numbers_in_messages_are_compact(capsys):
    status, out, err = run_cli(capsys, "loss", "--N", "5", "--P", "6", "--M", "7", "--gamma=-1e-300")
    assert one_line_error(status, out, err, "gamma must be non-negative, got -1.0e-300") and len(err) < 80


def test_probe_U5_one_digit(capsys):
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)", "--M", "3", "--P", "1", "--dps", "1", "--json")
    assert status == 0 and json.loads(out)["value"] == "1"  # 49/36
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)/100000", "--M", "3", "--P", "1", "--dps", "1", "--json")
    assert status == 0 and json.loads(out)["value"] == "1e-5"


@pytest.mark.slow
def test_probe_U6_the_model_name_cannot_inject_latex(tmp_path, capsys):
    model = tmp_path / "evil.toml"
    model.write_text('[model]\nname = "x}\\\\input{/etc/hostname}\\\\texttt{"\n'
                     '[[model.features]]\nwidth = "N"\nvariance = "sigma_u**2/M"\n')
    tex = tmp_path / "evil.tex"
    status, _, _ = run_cli(capsys, "derive", "--model", str(model), "--latex", str(tex))
    text = tex.read_text()
    assert status == 0 and r"\input{" not in text
    assert r"\texttt{x\}\textbackslash{}input\{/etc/hostname\}\textbackslash{}texttt\{}" in text


def test_probe_U7_version_and_an_expression_beginning_with_minus(capsys):
    status, out, _ = run_cli(capsys, "--version")
    assert status == 0 and out.startswith("largen ")
    status, out, _ = run_cli(capsys, "expect", "-Trace(X*X.T)", "--M", "3", "--P", "2", "--json")
    assert status == 0 and json.loads(out)["exact"] == "-49/18"
    status, out, err = run_cli(capsys, "expect", "-N")
    assert one_line_error(status, out, err, "goes last, after '--'")
    status, out, _ = run_cli(capsys, "expect", "--", "-N")
    assert status == 0 and json.loads(json.dumps(out)) and "-N" in out


@pytest.mark.slow
def test_probe_T22_a_closed_pipe_is_quiet():
    proc = subprocess.Popen([sys.executable, "-m", "largen", "derive", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141 and err == b""


def test_probe_T22_ctrl_c_is_one_line(capsys, monkeypatch):
    from largen.solver.cli.commands import COMMANDS

    def interrupted(args, outputs):
        raise KeyboardInterrupt

    monkeypatch.setitem(COMMANDS, "derive", dataclasses.replace(COMMANDS["derive"], run=interrupted))
    status, out, err = run_cli(capsys, "derive")
    assert status == 130 and out == "" and err == "largen: interrupted\n"


@pytest.mark.parametrize("command", [["expect", "Trace((X*X.T)**4)"], ["diagrams", "Trace((X*X.T)**4)"],
                                     ["series", "--order", "3"], ["duality", "--order", "3"]])
def test_max_diagrams_limits_every_enumeration(capsys, command):
    status, out, err = run_cli(capsys, *command, "--max-diagrams", "5")
    assert one_line_error(status, out, err, "beyond the limit of 5; pass max_diagrams=")
    status, _, _ = run_cli(capsys, *command, "--max-diagrams", "none", "--json")
    assert status == 0


@pytest.mark.slow
def test_text_about_a_model_is_derived_from_it(capsys):
    status, out, _ = run_cli(capsys, "derive", "--model", "tests/data/deep2.toml", "--json")
    convention = json.loads(out)["convention"]
    assert status == 0 and "N <-> P" not in convention and "N1 <-> N2 it is invariant at gamma * N1/N2" in convention
    status, out, _ = run_cli(capsys, "loss", "--model", "tests/data/deep2.toml", "--set", "N1=20", "--set", "N2=10",
                             "--P", "15", "--M", "inf", "--gamma", "0.1", "--dps", "10")
    assert status == 0 and out.strip().splitlines()[-1] == \
        "M = inf: sigma_1^2 and sigma_w^2 are the entry variances themselves (no 1/M)"


def test_sweep_on_a_dask_scheduler(capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  protocol="tcp://") as cluster:
        status, out, _ = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01",
                                 "--dps", "10", "--scheduler", cluster.scheduler_address, "--json")
    assert status == 0 and [row["loss"] for row in json.loads(out)["rows"]] == ["0.001448055617", "0.0008124402011"]


@pytest.mark.slow
def test_sweep_with_no_scheduler_at_the_address_is_one_line(capsys):
    pytest.importorskip("distributed")
    status, out, err = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01",
                               "--scheduler", "tcp://127.0.0.1:1")
    assert one_line_error(status, out, err, "cannot connect to a Dask scheduler at tcp://127.0.0.1:1 within 3s")


def test_sweep_on_a_scheduler_without_dask_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed: importing it fails
    status, out, err = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01",
                               "--scheduler", "tcp://127.0.0.1:1")
    assert one_line_error(status, out, err, "--scheduler needs dask.distributed: pip install 'largen[distributed]'")


def test_series_at_infinite_latent_size_is_normalised_as_the_loss(capsys):
    status, out, _ = run_cli(capsys, "series", "--order", "1", "--planar", "--N", "20", "--P", "30", "--M", "inf",
                             "--dps", "20", "--json")
    result = json.loads(out)
    assert status == 0 and result["normalization"].startswith("M = inf: sigma_u^2 and sigma_w^2")
    # c_0 = sigma_w^2 zeta(2)/2 and c_1 = -N P sigma_u^2 sigma_w^2 zeta(4), with M = 1 outside the sums
    assert [c["value"] for c in result["coefficients"]] == ["0.82246703342411321824", "-649.39394022668291491"]


@pytest.mark.parametrize("argv, message", [(["--max-memory", "-1"], "--max-memory must be positive, got -1.0"),
                                           (["--alpha", "1,2"], "alpha: '1,2' is not a number"),
                                           (["--seeds", "1"], "seeds must be an integer at least 2, got 1")])
def test_simulate_refuses_bad_limits(capsys, argv, message):
    status, out, err = run_cli(capsys, "simulate", "--N", "3", "--P", "3", "--M", "4", "--gamma", "1", *argv)
    assert one_line_error(status, out, err, message)


def test_alpha_cannot_be_swept(capsys):
    status, out, err = run_cli(capsys, "sweep", "--N", "20,40", "--P", "30", "--M", "50", "--gamma", "0.01",
                               "--alpha", "2,3")
    assert one_line_error(status, out, err, "alpha cannot be swept: run one sweep per spectrum")


@pytest.mark.slow
def test_exponents_json_gives_the_ridge_regime_of_mrs(capsys):
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--json")
    regimes = {r["name"]: r for r in json.loads(out)["regimes"]}
    assert status == 0
    assert regimes["ridge"]["exponents"] == {"gamma": "1/2", "N": "-1/2", "P": "-1/2"}
    assert regimes["ridgeless, N-limited"]["loss"] == "pi**2*lambda_plus*sigma_w**2/(8*N)"


@pytest.mark.slow
def test_exponents_writes_its_table_and_refuses_a_plot_at_symbolic_alpha(capsys, tmp_path):
    table = tmp_path / "regimes.tex"
    status, _, _ = run_cli(capsys, "exponents", "--alpha", "2", "--latex", str(table))
    assert status == 0 and table.read_text().startswith(r"\begin{tabular}")
    status, _, err = run_cli(capsys, "exponents", "--plot", str(tmp_path / "p.png"))
    assert status == 2 and "numeric --alpha" in err


@pytest.mark.slow
def test_percolation_spectrum_feeds_the_solver(capsys, tmp_path):
    spectrum = tmp_path / "bethe.txt"
    status, out, _ = run_cli(capsys, "percolation", "--lattice", "bethe", "--z", "3", "--clusters", "3000",
                             "--out", str(spectrum), "--json")
    report = json.loads(out)
    assert status == 0 and abs(report["tau"] - 2.5) < 4 * report["tau_error"]
    status, out, _ = run_cli(capsys, "loss", "--spectrum", str(spectrum), "--N", "20", "--P", "30", "--gamma", "0.01",
                             "--dps", "15", "--json")
    assert status == 0 and 0 < float(json.loads(out)["loss"]) < 0.5


@pytest.mark.parametrize("argv, message", [(["--p", "1.5"], "p must be in [0, 1]"), (["--z", "1"], "z"),
                                           (["--d", "0"], "d"), (["--seed", "x"], "invalid int")])
def test_percolation_refuses_bad_input_in_one_line(capsys, argv, message):
    status, out, err = run_cli(capsys, "percolation", "--lattice", "bethe", *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


def test_report_refuses_to_overwrite_and_names_a_bad_model(capsys, tmp_path):
    (tmp_path / "report.tex").write_text("mine")
    status, _, err = run_cli(capsys, "report", "--out", str(tmp_path))
    assert status == 2 and "--force" in err and (tmp_path / "report.tex").read_text() == "mine"
    status, _, err = run_cli(capsys, "report", "--model", "no/such.toml", "--out", str(tmp_path / "new"))
    assert status == 2 and "cannot read model file" in err


@pytest.mark.slow
def test_exponents_at_an_alpha_with_many_digits_and_from_a_spectrum_file(capsys, tmp_path):
    """alpha = 0.98 once ran for minutes (exact powers of long fractions); a fitted alpha comes from a file."""
    law = tmp_path / "law.txt"
    law.write_text("power_law alpha=0.98 M=inf lam_plus=0.5\n")
    status, out, _ = run_cli(capsys, "exponents", "--spectrum", str(law), "--json")
    result = json.loads(out)
    ridge = next(r for r in result["regimes"] if r["name"] == "ridge")
    assert status == 0 and ridge["exponents"]["gamma"] == "49/99" and result["spectrum"]["lambda_+"] == "1/2"


@pytest.mark.slow
def test_exponents_take_the_teacher_of_a_spectrum_files_power_law(capsys, tmp_path):
    law = tmp_path / "law.txt"
    law.write_text("power_law alpha=1 M=inf delta=1/2\n")
    status, out, _ = run_cli(capsys, "exponents", "--spectrum", str(law), "--json")
    from_file = json.loads(out)
    status_flags, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--delta", "1/2", "--json")
    assert status == status_flags == 0 and from_file["regimes"] == json.loads(out)["regimes"]
    assert from_file["spectrum"]["delta"] == "1/2"
    assert next(r for r in from_file["regimes"] if r["name"] == "ridge")["exponents"]["N"] == "-3/4"
    status, out, err = run_cli(capsys, "exponents", "--spectrum", str(law), "--delta", "1")
    assert one_line_error(status, out, err, "give either --delta or a spectrum file's delta=D, not both")


def test_a_usage_error_names_largen_once(capsys):
    status, out, err = run_cli(capsys, "loss", "--nosuch", "1")
    assert status == 2 and err.strip() == "largen: error: unrecognized arguments: --nosuch 1"
    status, out, err = run_cli(capsys, "expect")
    assert status == 2 and err.strip().startswith("largen: error: expect: the following arguments are required")


# -- parameter flags from the model's own symbols ----------------------------------------------------
def test_parameter_flags_are_the_models_symbols(capsys):
    status, out, _ = run_cli(capsys, "loss", "--model", "tests/data/deep2.toml", "--help")
    assert status == 0 and "--N1 VALUE" in out and "--sigma-2 VALUE" in out and "--N VALUE" not in out
    status, out, _ = run_cli(capsys, "loss", "--model", "tests/data/deep2.toml", "--N1", "20", "--N2", "10", "--P",
                             "15", "--M", "30", "--gamma", "0.1", "--sigma-1", "2", "--dps", "10", "--json")
    assert status == 0 and json.loads(out)["parameters"]["sigma_1"] == "2"
    status, out, err = run_cli(capsys, "loss", "--model", "tests/data/deep2.toml", "--N", "20")
    assert one_line_error(status, out, err, "unrecognized arguments: --N 20")
    status, out, _ = run_cli(capsys, "loss", "--N", "20", "--P", "30", "--M", "40", "--gamma", "0.1", "--sigma-eps",
                             "0.5", "--dps", "10", "--json")
    noisy = json.loads(out)
    status_noise, out, _ = run_cli(capsys, "loss", "--N", "20", "--P", "30", "--M", "40", "--gamma", "0.1", "--noise",
                                   "0.25", "--dps", "10", "--json")
    assert status == status_noise == 0 and json.loads(out)["loss"] == noisy["loss"]  # sigma_eps^2 = 0.25


def test_a_symbol_named_like_an_option_is_set_with_set(tmp_path, capsys):
    path = tmp_path / "seeded.toml"
    path.write_text('[model]\nname = "s"\n[[model.features]]\nwidth = "N"\nvariance = "seed**2/M"\n')
    status, out, _ = run_cli(capsys, "simulate", "--model", str(path), "--help")
    assert status == 0 and "--seed SEED" in out  # the generator's seed, not the symbol
    status, out, _ = run_cli(capsys, "loss", "--model", str(path), "--set", "seed=2", "--N", "5", "--P", "6", "--M",
                             "7", "--gamma", "1", "--dps", "5", "--json")
    assert status == 0 and json.loads(out)["parameters"]["seed"] == "2"


def test_non_finite_numbers_never_reach_json(capsys, monkeypatch):
    from largen.solver.cli.commands import COMMANDS

    monkeypatch.setitem(COMMANDS, "derive", dataclasses.replace(COMMANDS["derive"], run=lambda args, outputs: {
        "rows": [{"loss": float("nan")}]}))
    status, out, err = run_cli(capsys, "derive", "--json")
    assert one_line_error(status, out, err, "the result['rows'][0]['loss'] is nan: JSON holds finite numbers only")


# -- the second probe list (tests/test_probes.py) -----------------------------------------------------
def test_probe_N5_a_value_that_is_not_real_is_refused(capsys):
    status, out, err = run_cli(capsys, "expect", "Trace(X*X.T)+sqrt(-1)", "--M", "5", "--P", "3")
    assert one_line_error(status, out, err, "the value is not real (5269/1200 + I)")


@pytest.mark.slow
def test_probe_N6_every_number_printed_reads_back(capsys):
    P, tr = sympy.Symbol("P", positive=True, integer=True), sympy.Function("tr_Lambda")
    status, out, _ = run_cli(capsys, "expect", "Trace(X*X.T)*1e-3000", "--json")
    expected = P * tr(1) / sympy.Integer(10) ** 3000
    assert status == 0 and sympy.sympify(json.loads(out)["expression"], locals={"P": P}) == expected
    status, out, _ = run_cli(capsys, "loss", "--N", "2", "--P", "3", "--M", "5", "--gamma", "1e-3000", "--dps", "5",
                             "--json")
    assert status == 0 and sympy.sympify(json.loads(out)["parameters"]["gamma"]) == sympy.Rational(1, 10**3000)
    # a literal whose exact text would not read back is refused by the grammar; a product of literals, printed
    for argv, message in ((["expect", "Trace(X*X.T)*1e-9999"], "the exponent of '1e-9999' is beyond 3000"),
                          (["expect", "Trace(X*X.T)*10**-10000"], "holds a number of about 10001 digits, beyond the 4300"),
                          (["expect", "Trace(X*X.T)*1e-3000*1e-3000", "--M", "5", "--P", "3"],
                           "holds a number of about 6001 digits, beyond the 4300 that print exactly")):
        status, out, err = run_cli(capsys, *argv)
        assert one_line_error(status, out, err, message)


@pytest.mark.slow
def test_probe_N7_a_closed_standard_output_is_one_line():
    import os

    proc = subprocess.run([sys.executable, "-m", "largen", "expect", "Trace(X*X.T)", "--json"],
                          preexec_fn=lambda: os.close(1), capture_output=False, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "largen: error: the standard output is closed: there is nowhere to print the result\n"


@pytest.mark.parametrize("argv, message", [
    (["--alpha", "1", "--plot", "new.xyz"], "cannot write new.xyz: the format is given by its extension, one of .pdf"),
    (["--alpha", "1", "--plot", "/proc/x.png"], "cannot write /proc/x.png"),
    (["--plot", "p.png"], "the phase diagram needs a numeric --alpha"),
])
def test_probe_N8_a_plot_path_is_checked_before_the_work(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with bounded_work(200_000):  # deriving the regimes takes millions of calls
        status, out, err = run_cli(capsys, "exponents", *argv)
    assert one_line_error(status, out, err, message) and list(tmp_path.iterdir()) == []


def test_probe_N12_an_absurd_order_is_refused_at_once(capsys):
    with bounded_work(200_000):  # the orders below gamma^-9 were once worked out first (millions of calls)
        status, out, err = run_cli(capsys, "series", "--order", "99999999999999999999")
    assert one_line_error(status, out, err, "the series to gamma^-1.0e+20: past gamma^-100 no method reaches it")


def test_probe_N13_a_failed_command_leaves_no_file_behind(tmp_path, capsys, monkeypatch):
    import largen.solver.cli.exponents as command
    from largen.diagrams.errors import SolverError

    monkeypatch.chdir(tmp_path)
    with bounded_work(200_000):  # the table's path is good, the plot's is refused before the work
        status, out, err = run_cli(capsys, "exponents", "--alpha", "1", "--latex", "part.tex", "--plot",
                                   "/proc/part.png")
    assert one_line_error(status, out, err, "cannot write /proc/part.png") and list(tmp_path.iterdir()) == []

    def failing(*args, **kwargs):  # the plot fails after the table is written
        raise SolverError("the phase diagram failed")

    from largen.solver.numerics.scaling import Exponents
    monkeypatch.setattr(command, "regimes_of", lambda model, law, **kwargs: Exponents(model, law.alpha))
    monkeypatch.setattr(command, "phase_diagram", failing)
    status, out, err = run_cli(capsys, "exponents", "--alpha", "1", "--latex", "part.tex", "--plot", "part.png")
    assert one_line_error(status, out, err, "the phase diagram failed") and list(tmp_path.iterdir()) == []
    monkeypatch.setattr(command, "phase_diagram", lambda regimes, path, **kwargs: open(path, "w").write("drawn"))
    status, out, _ = run_cli(capsys, "exponents", "--alpha", "1", "--latex", "part.tex", "--plot", "part.png")
    assert status == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["part.png", "part.tex"]
    assert (tmp_path / "part.png").read_text() == "drawn" and (tmp_path / "part.tex").read_text().startswith(r"\begin")


def test_probe_N14_a_failed_report_leaves_no_directory(tmp_path, capsys, monkeypatch):
    from largen.diagrams.errors import SolverError
    from largen.solver.report import build

    def failing(model, *, out, **options):
        (out / "loss_vs_size.json").write_text("{}")  # some figures are written, then the work fails
        raise SolverError("the figures failed")

    monkeypatch.setattr(build, "build_report", failing)
    status, out, err = run_cli(capsys, "report", "--out", str(tmp_path / "new" / "rep12"))
    assert one_line_error(status, out, err, "the figures failed") and list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("mine")
    status, out, err = run_cli(capsys, "report", "--out", str(tmp_path / "old"))
    assert one_line_error(status, out, err, "the figures failed")
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["notes.txt"]


def test_probe_N15_the_percolation_output_is_checked_before_the_simulation(tmp_path, capsys):
    with bounded_work(200_000):  # growing 20000 clusters takes millions of calls
        status, out, err = run_cli(capsys, "percolation", "--lattice", "bethe", "--z", "3", "--clusters", "20000",
                                   "--out", "/proc/x.txt")
    assert one_line_error(status, out, err, "cannot write /proc/x.txt")


@pytest.mark.parametrize("teacher", [["--spectrum", "lam2.txt"], ["--spectrum", "law.txt"],
                                     ["--spectrum", "lam1.txt", "--teacher-spectrum", "om1.txt"],
                                     ["--M", "40", "--delta", "0.5"]])
def test_probe_N16_the_symmetry_stated_is_that_of_the_teacher_solved(tmp_path, capsys, monkeypatch, teacher):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lam1.txt").write_text("".join(f"{i ** -2}\n" for i in range(1, 41)))
    (tmp_path / "om1.txt").write_text("".join(f"{i ** -0.5}\n" for i in range(1, 41)))
    (tmp_path / "lam2.txt").write_text("".join(f"{i ** -2} {i ** -0.5}\n" for i in range(1, 41)))
    (tmp_path / "law.txt").write_text("power_law alpha=1 M=40 delta=0.5\n")
    status, out, _ = run_cli(capsys, "loss", "--N", "20", "--P", "30", "--gamma", "0.1", *teacher, "--dps", "8",
                             "--json")
    result = json.loads(out)
    assert status == 0 and "no exchange of sizes leaves the noiseless planar test loss invariant" in result["convention"]
    assert result["loss"].startswith("0.0006865")  # the teacher's loss, not the isotropic 0.0018


def test_probe_N18_a_teacher_given_twice_is_refused(tmp_path, capsys):
    (tmp_path / "lam2.txt").write_text("".join(f"{i ** -2} {i ** -0.5}\n" for i in range(1, 41)))
    (tmp_path / "om2.txt").write_text("".join(f"{i ** -1.5}\n" for i in range(1, 41)))
    status, out, err = run_cli(capsys, "loss", "--N", "20", "--P", "30", "--gamma", "0.1", "--spectrum",
                               str(tmp_path / "lam2.txt"), "--teacher-spectrum", str(tmp_path / "om2.txt"))
    assert one_line_error(status, out, err, "the teacher is given twice: by --spectrum")


@pytest.mark.slow
def test_probe_N19_a_missing_parameter_names_flags_that_exist(tmp_path, capsys):
    path = tmp_path / "nl.toml"
    path.write_text('[model]\nname = "nl"\nnonlinear = true\n[[model.features]]\nwidth = "N"\nvariance = "sigma_u**2/M"\n')
    point = ["--model", str(path), "--N", "20", "--P", "30", "--M", "40", "--gamma", "0.1"]
    status, out, err = run_cli(capsys, "loss", *point)
    assert one_line_error(status, out, err, "no value for mu_1: give --mu-1 VALUE or --set mu_1=VALUE (or an "
                                            "activation: --activation NAME)")
    status, out, _ = run_cli(capsys, "loss", *point, "--mu-1", "0.5", "--mu-star", "0.3", "--dps", "8", "--json")
    assert status == 0 and json.loads(out)["parameters"]["mu_1"] == "1/2"


def test_probe_N21_counts_in_the_notation_the_help_writes(capsys):
    status, out, _ = run_cli(capsys, "percolation", "--lattice", "bethe", "--clusters", "1e2", "--max-clusters", "1e2",
                             "--json")
    assert status == 0 and json.loads(out)["clusters"] == 100
    status, out, err = run_cli(capsys, "percolation", "--lattice", "bethe", "--clusters", "2e3", "--max-clusters",
                               "1e3")
    assert one_line_error(status, out, err, "above the limit of 1000")
    status, out, err = run_cli(capsys, "percolation", "--lattice", "bethe", "--clusters", "2.5")
    assert one_line_error(status, out, err, "argument --clusters: expected an integer, got '2.5'")
