"""The report's section on real data (largen.solver.report.dataset) and its band of one run's scatter."""

import json

import pytest

from conftest import require_tool, run_cli
from largen.diagrams.engine.model import mrs
from largen.diagrams.printing.latex import latex
from largen.solver.data.datasets import digits
from largen.solver.numerics.solution import solve
from largen.solver.report.build import scatter_bands
from largen.solver.report.dataset import data_section, data_study
from largen.solver.report.figures import loss_curves
from largen.solver.report.plotting import plot_data_spectrum


@pytest.fixture(scope="module")
def study():
    return data_study(digits(), points=((20, 100, "1e-3"), (40, 200, "1e-2")), features=("linear",), seeds=8)


def test_the_study_holds_the_theory_and_the_regression(study):
    assert study.spectrum.rank == 61 and len(study.rows) == 2
    first = study.rows[0]
    assert first.theory == pytest.approx(float(solve(data=digits(), N=20, P=100, gamma="1e-3", dps=15).target_loss))
    for row in study.rows:  # issue 22: linear features on digits within 6%
        assert row.route == "linear" and abs(row.ratio - 1) < 0.06, row


@pytest.mark.slow
def test_the_section_states_the_fit_and_the_table(study, tmp_path):
    text = latex(data_section(study))
    assert r"\section{Real data: digits}" in text and "rank 61" in text
    assert rf"\alpha = {study.spectrum.fit.alpha:.3f} \pm {study.spectrum.fit.alpha_error:.3f}" in text
    assert text.count(r"linear & linear & ") == 2 and r"$2.836 \times 10^{-2}$" in text
    paths = (tmp_path / "s.pdf", tmp_path / "s.png")
    plot_data_spectrum(study, paths)
    assert all(p.stat().st_size > 0 for p in paths)
    assert json.loads(json.dumps(study.as_dict(), allow_nan=False))["rows"][0]["N"] == 20


def test_the_band_is_the_solvers_scatter():
    data = loss_curves(P=(50,), gammas=(0.1,), points=3, mc_points=0)
    bands, why = scatter_bands(mrs(), data)
    assert why == "" and len(bands) == len(data.curves)
    curve, band = data.curves[1], bands[1]
    expected = solve(dps=15, variance=True, M=400, alpha=1, **curve.params, N=curve.x[-1]).loss_std
    assert band[-1] == pytest.approx(float(expected), rel=1e-12) and 0 < band[-1] < curve.loss[-1]


def test_no_band_for_nonlinear_features_and_the_reason():
    data = loss_curves(P=(50,), gammas=(0.1,), points=2, mc_points=0)
    bands, why = scatter_bands(mrs(), data, activation="relu")
    assert bands == [None, None] and "derived for linear features" in why


def test_report_data_refuses_a_bad_dataset(tmp_path, capsys):
    status, out, err = run_cli(capsys, "report", "--data", str(tmp_path / "x.txt"), "--out", str(tmp_path / "r"))
    assert status == 2 and out == "" and err.count("\n") == 1 and "an array file is .npy or .csv" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_report_with_digits_has_the_section_the_band_and_compiles(tmp_path, capsys):
    out = tmp_path / "report"
    status, stdout, err = run_cli(capsys, "report", "--data", "digits", "--out", str(out), "--json")
    assert status == 0, err
    written = json.loads(stdout)
    tex = (out / "report.tex").read_text()
    assert r"\section{Real data: digits}" in tex and "data_spectrum.pdf" in tex and "shaded band" in tex
    rows = json.loads((out / "data_study.json").read_text())["rows"]
    assert {r["features"] for r in rows} == {"linear", "ReLU"} and {r["route"] for r in rows} == {"linear", "kernel"}
    for row in rows:  # issue 22's targets: linear within 6%, ReLU within 15%
        assert abs(row["ratio"] - 1) < (0.06 if row["features"] == "linear" else 0.15), row
    curves = json.loads((out / "loss_vs_size.json").read_text())
    assert all(band and all(std > 0 for std in band) for band in curves["loss_std"])
    require_tool("lualatex")
    assert written["compiled"], written["reason"]
