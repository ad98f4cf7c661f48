"""Regression tests of the reliability probes of ``largen exponents`` (N1, N3, N4, N11, N17)."""

import json

import mpmath
import pytest
import sympy

from largen.diagrams.engine.model import mrs
from largen.diagrams.errors import ParameterError
from largen.diagrams.regimes import derive_regimes
from largen.diagrams.regimes.asymptotics import ALPHA
from largen.diagrams.regimes.dominance import EmptyRegion, interior_point
from largen.solver.numerics.scaling import CheckPoint, Exponents, RegimeCheck, exponents

from conftest import read_back, run_cli

N, P = (mrs().symbols[k] for k in ("N", "P"))


def _check(ratios):
    return RegimeCheck(None, tuple(CheckPoint(t, {}, mpmath.mpf(r), None, 0, {}, {}) for t, r in
                                   zip((0.5, 0.75, 1.0), ratios)))


def test_probe_N1_a_ratio_that_does_not_go_to_one_is_a_failure(capsys, monkeypatch):
    # the reproduction's ratios (the check solved without the noise) fail; ratios going to 1 pass
    assert not _check(["0.45", "0.060", "0.0081"]).converges
    assert not _check(["1.06", "1.06", "1.06"]).converges
    assert _check(["1.01", "1.001", "1.0001"]).converges
    import largen.solver.cli.exponents as command

    failing = Exponents(mrs(), sympy.Integer(1), checks=(_check(["0.45", "0.060", "0.0081"]),))
    monkeypatch.setattr(command, "regimes_of", lambda *args, **kwargs: failing)
    status, out, err = run_cli(capsys, "exponents", "--alpha", "1", "--check")
    assert status == 3 and "1 of 1 points failed" in err


@pytest.mark.slow
def test_probe_N1_the_check_solves_at_the_regimes_noise():
    out = exponents(alpha=1, noise="0.1", check=True, dps=15)
    assert out.checks and not out.failed
    (limited,) = [c for c in out.checks if c.regime.loss == N / (20 * P)]
    assert abs(limited.points[-1].ratio - 1) < 2e-3  # measured 1.03e-3 at N = 1e9 (the reproduction: 4.5e-7)


@pytest.mark.slow
def test_probe_N3_numeric_noise_keeps_every_balance_of_the_symbolic_noise():
    # every regime of the symbolic noise, at sigma_eps**2 = 1/10, is a regime of the numeric noise, or needs a size
    # bounded by sigma_w**2/sigma_eps**2 (no asymptotic region at a fixed noise: the linear program finds none)
    numeric = exponents(alpha=1, noise="0.1").regimes
    symbolic = exponents(alpha=1, noise=True).regimes
    (sigma,) = mrs().regression.noise_variance.free_symbols
    at = {sigma: 1 / sympy.sqrt(10)}
    kept = 0
    for regime in symbolic:
        if any(sympy.simplify(regime.loss.xreplace(at) - r.loss) == 0 for r in numeric):
            kept += 1
            continue
        conditions = [(a.xreplace(at), b.xreplace(at)) for a, b in regime.conditions]
        free = [v for v in regime.witness if v not in regime.tied]
        with pytest.raises(EmptyRegion):
            interior_point(conditions, free, [v for v in free if v in (N, P)])
    assert kept == len(numeric) == 7
    # the balance the reproduction lost: the teacher-dominated N-limited term, where N**2 << P
    assert any(str(r.loss) == "pi**2*lambda_+*sigma_w**2/(8*N)" for r in numeric)


def test_probe_N4_an_alpha_below_the_working_precision_is_one_line(capsys):
    status, out, err = run_cli(capsys, "exponents", "--alpha", "1e-300")
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "alpha = 1.00E-300 is below the working precision" in err
    with pytest.raises(ParameterError, match="working precision"):
        exponents(alpha=sympy.Rational(1, 10**40))


@pytest.mark.slow
def test_probe_N17_a_spectrum_files_decimals_are_exact(capsys, tmp_path):
    law = tmp_path / "law.txt"
    law.write_text("power_law alpha=0.981252 M=inf\n")
    status, out, _ = run_cli(capsys, "exponents", "--spectrum", str(law), "--json")
    assert status == 0
    result = json.loads(out)
    alpha = sympy.Rational("0.981252")
    assert read_back(result["alpha"]) == alpha  # the prefactors keep alpha, stated beside them exactly
    ridge = next(r for r in result["regimes"] if r["name"] == "ridge")
    derived = next(r for r in derive_regimes() if r.name == "ridge")
    assert ridge["exponents"]["N"] == str(derived.exponents[N].subs(ALPHA, alpha))
    # a long alpha is derived in the symbol: the corrections, whose expansion there is too costly, are not stated
    assert not any("correction" in r for r in result["regimes"])
    texts = [t for r in result["regimes"] for t in [r["loss"], *sum(r["conditions"], [])]]
    assert texts and not any(read_back(t).atoms(sympy.Float) for t in texts)


def test_probe_N11_a_symbolic_delta_states_its_cost_before_the_work(capsys, monkeypatch):
    """The regimes piecewise in delta take about a minute at alpha = 1: the command says so on stderr
    before the derivation starts (here replaced by a stop, to read what was said by then), after the
    quick refusals (a finite M)."""
    said = []

    def stop(*args, **kwargs):
        said.append(capsys.readouterr().err)
        raise ParameterError("stopped here")

    monkeypatch.setattr("largen.solver.numerics.scaling.derive_regimes", stop)
    status, _, err = run_cli(capsys, "exponents", "--alpha", "1", "--delta", "symbolic", "--json")
    assert status == 2 and "stopped here" in err
    assert said and "take about a minute of CPU" in said[0]
    status, _, err = run_cli(capsys, "exponents", "--alpha", "1", "--delta", "symbolic", "--M", "100")
    assert status == 2 and err == "largen: error: the regimes in a symbolic delta are derived at M = inf\n"
    status, _, err = run_cli(capsys, "exponents", "--alpha", "1", "--delta", "symbolic", "--optimal")
    assert status == 2 and err == "largen: error: --optimal needs a numeric --delta\n"
