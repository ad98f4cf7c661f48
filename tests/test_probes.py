"""Every reproduction of the reliability probes has a regression test.

The probes (a hostile but fair review of every command and API entry point)
are numbered S (security and silently wrong numbers), T (tracebacks), H
(hangs), E (wrong exit or message) and U (usability). Each has a test named
``test_probe_<id>_...`` somewhere in the suite; this module checks that none
is missing, and holds the tests of the probes that belong to no single module.
"""

import ast
import json
import math
import pathlib
import warnings

import mpmath
import pytest

from largen.diagrams.errors import LargenError

# the second list (../shared/reliability-probes-2.md): P, N ids; T16 and E2 were in the first
PROBES = (["P1", "P2"] + [f"N{i}" for i in range(1, 24)]
          + [f"S{i}" for i in range(1, 16)] + [f"T{i}" for i in range(1, 25)] + [f"H{i}" for i in range(1, 8)]
          + [f"E{i}" for i in range(1, 6)] + [f"U{i}" for i in range(1, 11)])
TESTS = pathlib.Path(__file__).resolve().parent


def probe_tests():
    """Probe id -> the names of the tests that cover it."""
    found = {}
    for path in TESTS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_probe_"):
                probe = node.name[len("test_probe_"):].split("_")[0]
                found.setdefault(probe, []).append(f"{path.name}::{node.name}")
    return found


def test_every_probe_has_a_regression_test():
    found = probe_tests()
    missing = [probe for probe in PROBES if probe not in found]
    assert not missing, f"probes without a regression test: {missing}"


@pytest.mark.slow
def test_no_test_names_an_unknown_probe():
    assert set(probe_tests()) <= set(PROBES)


def test_probe_U10_real_sizes_and_mpmath_infinity():
    """The planar theory is analytic in the sizes: real sizes and M = mpmath.inf are legitimate."""
    from largen.solver import solve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        integer = solve(N=100, P=300, gamma="1e-3", M=800, dps=20)
        nearby = solve(N="100.5", P=300, gamma="1e-3", M=800, dps=20)
        infinite = solve(N=100, P=300, gamma="1e-3", M=mpmath.inf, dps=20)
        named = solve(N=100, P=300, gamma="1e-3", M="inf", dps=20)
    # more features, less loss: the real size sits between its integer neighbours
    above = solve(N=101, P=300, gamma="1e-3", M=800, dps=20)
    assert above.loss < nearby.loss < integer.loss
    assert infinite.loss == named.loss and math.isfinite(infinite.loss)


def test_probe_U10_monte_carlo_keeps_integer_sizes():
    from largen.solver import simulate

    with pytest.raises(LargenError, match="integer"):
        simulate(N="100.5", P=30, M=50, gamma="0.1", seeds=2)


@pytest.mark.slow
def test_probe_S1_no_text_reaches_sympify():
    """Internal conversions refuse text: only the grammar reads it (a noise variance once went through sympify)."""
    from largen.diagrams.regimes import derive_regimes
    from largen.diagrams.engine.symbols import as_expr
    from largen.solver.numerics.scaling import exponents

    with pytest.raises(LargenError, match="text"):
        as_expr("__import__('os')")
    with pytest.raises(LargenError, match="not a number"):
        exponents(alpha=1, noise="__import__('os').getcwd()")
    with pytest.raises(LargenError, match="text"):
        derive_regimes(alpha=1, noise="__import__('os').getcwd()")


T16_MODEL = '[model]\nname = "t16"\n[[model.features]]\nwidth = "N"\nvariance = "0"\n'
E2_MODEL = '[model]\nname = "e2"\nridge = "s"\n[[model.features]]\nwidth = "N"\nvariance = "s**2/M"\n'


def test_probe_T16_a_feature_variance_of_zero_is_answered(tmp_path, capsys):
    """Vanishing features: the predictor is 0, both losses are sigma_w**2 tr Lambda/(2M), at any N and P."""
    from conftest import run_cli

    path = tmp_path / "t16.toml"
    path.write_text(T16_MODEL)
    status, out, err = run_cli(capsys, "loss", "--model", str(path), "--N", "20", "--P", "30", "--M", "50",
                               "--gamma", "0.01", "--dps", "20", "--json")
    assert status == 0, err
    found = json.loads(out)
    with mpmath.workdps(30):
        exact = sum(mpmath.mpf(1) / i**2 for i in range(1, 51)) / 100  # tr Lambda/(2M), lambda_I = I**-2
        assert abs(mpmath.mpf(found["loss"]) / exact - 1) < mpmath.mpf(10) ** -19
        assert abs(mpmath.mpf(found["train_loss"]) / exact - 1) < mpmath.mpf(10) ** -19
    from largen.diagrams import load_model, symmetry
    assert symmetry(load_model(path)).vanishing == ("U",)
    assert "the features vanish (the variance of U is 0)" in str(symmetry(load_model(path)))


@pytest.mark.slow
def test_probe_E2_a_ridge_named_like_a_feature_scale(tmp_path, capsys):
    """ridge = s and variance s**2/M at s = 1 is MRS at gamma = sigma_u = 1, header and all."""
    from conftest import run_cli

    path = tmp_path / "e2.toml"
    path.write_text(E2_MODEL)
    point = ("--N", "20", "--P", "30", "--M", "50", "--dps", "25", "--json")
    status, out, err = run_cli(capsys, "loss", "--model", str(path), "--set", "s=1", *point)
    assert status == 0, err
    status, reference, _ = run_cli(capsys, "loss", "--gamma", "1", *point)
    tied, plain = json.loads(out), json.loads(reference)
    assert [tied[k] for k in ("loss", "train_loss", "Delta")] == [plain[k] for k in ("loss", "train_loss", "Delta")]
    from largen.diagrams import load_model, ridgeless
    assert ridgeless(load_model(path)).model.regression.ridge.name == "s_ridge"


def test_probe_N10_nonlinear_two_layer_models_answer(capsys):
    """A nonlinear two-layer model: the loss in seconds, with the symmetry statement refused for its cost;
    the parametric form and the duality are refused at once with the reason, not after minutes."""
    from conftest import WORK_OF_A_REFUSAL, bounded_work, run_cli
    from largen.diagrams.engine.model import deep_linear, gaussian_equivalent
    from largen.diagrams.errors import CostError
    from largen.diagrams.theory.parametric import ridgeless

    model = gaussian_equivalent(deep_linear(2))
    with bounded_work(WORK_OF_A_REFUSAL), pytest.raises(CostError, match="nonlinear features over 2 layers"):
        ridgeless(model)
    deep2 = str(TESTS / "data" / "deep2.toml")
    status, out, _ = run_cli(capsys, "loss", "--model", deep2, "--set", "N1=30", "--set", "N2=20", "--P", "30",
                             "--M", "40", "--gamma", "0.1", "--activation", "relu", "--dps", "20", "--json")
    assert status == 0
    result = json.loads(out)
    assert result["convention"].startswith("symmetry not derived: the parametric form of model deep2-nonlinear")
    assert 0 < float(result["loss"]) < 1
    status, _, err = run_cli(capsys, "duality", "--model", deep2, "--activation", "relu")
    assert status == 2 and err.count("\n") == 1 and "not derived" in err
