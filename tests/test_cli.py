import json
import subprocess
import sys

import pytest

from conftest import run_cli


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
        (["--seeds", "x"], "invalid int value"),
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


def test_console_script_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "solver.cli", "simulate", "--N", "-3"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("largen: error:") and "Traceback" not in proc.stderr
