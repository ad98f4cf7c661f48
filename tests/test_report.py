"""The report: its sections, its equations against the derived ones, parsed back, its figures' data."""

import json
import os
import random
import re
import shutil

import pytest
import sympy
from sympy.parsing.latex import parse_latex

from conftest import require_tool
from largen.diagrams import load_model, mrs
from largen.diagrams.errors import UsageError
from largen.diagrams.printing.latex import latex
from largen.diagrams.theory.parametric import parametric_losses
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.engine.spectral import EIGENVALUES, INDEX
from largen.solver import solve
from largen.solver.numerics.scaling import latex_table, regimes_at
from largen.solver.numerics.spectrum import Spectrum
from largen.solver.report import build as report_module
from largen.solver.report.build import build_report, compile_pdf, write_report
from largen.solver.report.figures import described, loss_curves
from largen.solver.report.sections import DENOMINATOR, LOSS, TRAIN_LOSS

DEEP2 = os.path.join(os.path.dirname(__file__), "data", "deep2.toml")
SECTIONS = ["The model", "The diagrams", "Schwinger--Dyson equations", "Closed forms",
            "Ridgeless regimes and the threshold", "Duality", "The first finite-size correction", "Scaling laws",
            "The loss against the model size"]
SMALL = {"points": 4, "mc_points": 2, "seeds": 2, "P": (50, 100), "gammas": (1e-4, 1e-1)}




@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The MRS and two-layer reports, written once (compiled where LuaLaTeX is installed)."""
    out = {}
    for name, model in (("mrs", mrs()), ("deep2", load_model(DEEP2))):
        directory = tmp_path_factory.mktemp(name)
        files = write_report(model, directory, compile=name == "mrs" and bool(shutil.which("lualatex")),
                             curves=SMALL, phase_grid=3)
        out[name] = (model, files, build_report(model))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mrs", "deep2"])
def test_every_section_is_written(written, name):
    _, files, _ = written[name]
    tex = files.tex.read_text()
    assert re.findall(r"\\section\{([^}]*)\}", tex) == SECTIONS


@pytest.mark.slow
def test_two_layers_say_why_there_is_no_duality(written):
    tex = written["deep2"][1].tex.read_text()
    assert "no exchange of sizes leaves the noiseless planar test loss invariant" in tex
    assert r"Hence no exchange of sizes is a duality of this model" in tex
    assert r"under $N_{1} \leftrightarrow N_{2}$ it is invariant at $\gamma \cdot \frac{N_{1}}{N_{2}}$" in tex


@pytest.mark.slow
def test_mrs_duality_holds_and_noise_breaks_it(written):
    tex = written["mrs"][1].tex.read_text()
    assert r"invariant under $N \leftrightarrow P$ at fixed $\gamma$" in tex
    assert r"$N \leftrightarrow P$, test loss with label noise." in tex
    assert "Hence no exchange" not in tex


@pytest.mark.slow
def test_pdf_is_compiled(written):
    require_tool("lualatex")
    files = written["mrs"][1]
    assert files.compiled, files.reason
    assert files.pdf.read_bytes().startswith(b"%PDF")


def _equation(report_, lhs):
    (found,) = [e.expression for e in report_.equations if e.expression.lhs == lhs][:1]
    return found


def _unabbreviated(report_, expr):
    value = _equation(report_, DENOMINATOR).rhs
    return expr.xreplace({DENOMINATOR: value})


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mrs", "deep2"])
def test_closed_forms_are_the_derived_ones(written, name):
    model, _, built = written[name]
    limit = ridgeless(model)
    assert _equation(built, model.regression.ridge).rhs == limit.gamma
    loss = _unabbreviated(built, _equation(built, LOSS).rhs)
    assert sympy.cancel(loss - limit.loss) == 0
    train = _unabbreviated(built, _equation(built, TRAIN_LOSS).rhs)
    assert sympy.cancel(train - parametric_losses(model).train_loss) == 0


@pytest.mark.slow
def test_mrs_ridge_equation_as_printed(written):
    model, _, built = written["mrs"]
    ridge = next(e.tex for e in built.equations if e.expression.lhs == model.regression.ridge)
    assert ridge == r"\gamma = \frac{\Delta \sigma_{u}^{2} {\left(N - n_{1}\right)} {\left(P - n_{1}\right)}}{M}"


@pytest.mark.slow
def test_schwinger_dyson_equations_have_no_double_negative(written):
    for name in ("mrs", "deep2"):
        for e in written[name][2].equations[:4]:
            assert "- \\frac{- " not in e.tex and "\\sum_{I=1}^{M} - " not in e.tex, e.tex


def _symbol_map(expr):
    """Each atom of ``expr`` as the LaTeX parser reads its printed form -> the atom."""
    atoms = expr.free_symbols | expr.atoms(sympy.Indexed)
    mapping = {}
    for atom in atoms:
        parsed = parse_latex(latex(atom), backend="antlr")
        assert isinstance(parsed, sympy.Symbol), f"{atom} prints as {latex(atom)!r}, read back as {parsed!r}"
        mapping[parsed] = atom
    mapping[sympy.Symbol("I")] = INDEX
    return mapping


def _value(expr, point, size=3):
    """``expr`` with every spectral sum over ``size`` eigenvalues and the symbols at ``point``, exactly."""
    summed = expr.replace(lambda e: isinstance(e, sympy.Sum),
                          lambda s: sympy.Add(*[s.function.xreplace({INDEX: i}) for i in range(1, size + 1)]))
    eigen = {EIGENVALUES[i]: sympy.Rational(1, i + 1) for i in range(1, size + 1)}
    return sympy.nsimplify(summed.xreplace(eigen).xreplace(point))


@pytest.mark.slow
def test_every_display_equation_parses_back_to_the_derived_one(written):
    rng = random.Random(13)
    for name in ("mrs", "deep2"):
        tex = written[name][1].tex.read_text()
        bodies = re.findall(r"\\begin\{fitequation\}\n(.*?)\n\\end\{fitequation\}", tex, flags=re.S)
        built = written[name][2]
        assert len(bodies) >= len(built.equations) > 10
        for body, e in zip(bodies, built.equations):
            assert body == e.tex
            expected = e.expression.lhs - e.expression.rhs
            parsed = parse_latex(body, backend="antlr")
            assert isinstance(parsed, sympy.Eq), body
            mapping = _symbol_map(expected)
            got = (parsed.lhs - parsed.rhs).xreplace(mapping)
            assert got.free_symbols <= expected.free_symbols | {INDEX}, body
            for _ in range(2):
                point = {s: sympy.Rational(rng.randint(2, 40), rng.randint(41, 90)) for s in expected.free_symbols
                         if s != INDEX}
                point.update({s: 3 for s in expected.free_symbols if s.name == "M"})
                assert _value(got, point) == _value(expected, point), body


@pytest.mark.slow
def test_figure_theory_curves_are_the_solvers_values(written):
    model, files, _ = written["mrs"]
    data = json.loads(next(p for p in files.figures if p.suffix == ".json").read_text())
    assert data["axis"] == "N" and len(data["curves"]) == 4
    curve = data["curves"][1]
    for x, loss in list(zip(curve["x"], curve["loss"]))[::3]:
        value = solve(model, dps=15, M=data["M"], alpha=data["alpha"], **curve["params"], N=x).loss
        assert loss == float(value)
    assert all(len(c["mc"]) == 2 and all(err > 0 for _, _, err in c["mc"]) for c in data["curves"])
    assert {p.suffix for p in files.figures} >= {".pdf", ".png", ".json"}


def test_without_lualatex_the_reason_says_how_to_compile(tmp_path, monkeypatch):
    (tmp_path / "report.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
    monkeypatch.setattr(report_module.shutil, "which", lambda name: None)
    assert compile_pdf(tmp_path / "report.tex") == (
        False, f"lualatex not found: compile with `cd {tmp_path} && lualatex report.tex`")


def test_a_latex_error_is_reported_in_one_line(tmp_path):
    require_tool("lualatex")
    (tmp_path / "report.tex").write_text("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")
    compiled, reason = compile_pdf(tmp_path / "report.tex")
    assert not compiled
    assert reason == f"lualatex failed (! Undefined control sequence.); see {tmp_path / 'report.log'}"


def test_an_output_directory_that_is_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(UsageError, match=f"^cannot write the report in {tmp_path / 'taken'}: File exists$"):
        write_report(out=tmp_path / "taken")


@pytest.mark.slow
def test_two_layers_get_a_phase_diagram_in_their_own_names(written):
    _, files, _ = written["deep2"]
    assert "phase_diagram.pdf" in [p.name for p in files.figures]
    tex = files.tex.read_text()
    assert r"\caption{The regimes at fixed $N_{2} P$: the measured local slope $d \log L / d \log \gamma$.}" in tex


@pytest.mark.slow
def test_normalisation_and_duality_quantities_are_math(written):
    tex = written["mrs"][1].tex.read_text()
    assert (r"At $M$ = $\infty$: $\sigma_{u}^{2}$ and $\sigma_{w}^{2}$ are the entry variances themselves "
            r"(no $1 / M$).") in tex
    assert r"$N \leftrightarrow P$ & $\text{series coefficient of }\gamma^{-2}$ & invariant \\" in tex
    deep = written["deep2"][1].tex.read_text()
    assert r"$\sigma_{1}^{2}$ and $\sigma_{w}^{2}$ are the entry variances themselves (no $1 / M$)" in deep


# -- a spectrum of the user's: the percolation data of Brill's model -------------------------------
CHEAP = {"draw_orders": 0, "count_orders": 0, "duality_order": 0, "phase_grid": 2,
         "curves": {"points": 2, "mc_points": 1, "seeds": 2, "P": (20,), "gammas": (0.1,)}}


@pytest.mark.slow
def test_a_listed_percolation_spectrum_drives_the_figures_and_says_why_no_scaling_laws(tmp_path, capsys):
    from test_cli import run_cli

    path = tmp_path / "bethe.txt"
    status, _, _ = run_cli(capsys, "percolation", "--lattice", "bethe", "--z", "3", "--clusters", "300", "--seed", "1", "--out",
                           str(path), "--json")
    assert status == 0
    spectrum = Spectrum.from_file(path)
    built = build_report(mrs(), out=tmp_path, spectrum=spectrum, **CHEAP)
    (scaling,) = [s for s in built.sections if s.title == "Scaling laws"]
    (text,) = scaling.parts
    assert f"The spectrum of this report ({described(spectrum)}) is not one power law" in text
    assert described(spectrum) == f"{spectrum.size} listed eigenvalues"
    assert "their exponents do not apply to it" in text and built.figure("phase_diagram") == ()
    data = json.loads((tmp_path / "loss_vs_size.json").read_text())
    assert data["spectrum"] == described(spectrum) and data["M"] == spectrum.size and data["alpha"] is None
    curve = data["curves"][0]
    assert curve["loss"][0] == float(solve(mrs(), dps=15, spectrum=spectrum, **curve["params"], N=curve["x"][0]).loss)
    assert all(len(c["mc"]) == 1 for c in data["curves"])  # a finite spectrum: Monte Carlo points


@pytest.mark.slow
def test_a_power_law_spectrum_gives_the_scaling_laws_its_alpha(tmp_path):
    path = tmp_path / "law.txt"
    path.write_text("power_law alpha=0.5 M=inf lam_plus=2\n")
    spectrum = Spectrum.from_file(path)
    built = build_report(mrs(), out=tmp_path, spectrum=spectrum, **CHEAP)
    (scaling,) = [s for s in built.sections if s.title == "Scaling laws"]
    assert (r"$\alpha = \frac{1}{2}$, $\lambda_{+} = 2$ and $M = \infty$" in scaling.parts[0])
    assert latex_table(regimes_at(mrs(), alpha=sympy.Rational(1, 2))) in scaling.parts[1]
    assert r"$\gamma: \frac{1}{3}$" in scaling.parts[1]  # the ridge regime's exponent alpha/(1 + alpha)
    assert [os.path.basename(p) for p in built.figure("phase_diagram")] == ["phase_diagram.pdf"]
    data = json.loads((tmp_path / "loss_vs_size.json").read_text())
    assert data["M"] == "inf" and all(c["mc"] == [] for c in data["curves"])  # no Monte Carlo of an infinite one
    assert "no Monte Carlo points" in built.sections[-1].parts[0]


def test_report_refuses_a_missing_spectrum_file_before_any_work(tmp_path, capsys):
    from test_cli import one_line_error, run_cli

    status, out, err = run_cli(capsys, "report", "--spectrum", str(tmp_path / "none.txt"), "--out", str(tmp_path / "r"))
    assert one_line_error(status, out, err, "none.txt")
    assert not (tmp_path / "r").exists()


def test_loss_curves_of_a_model_whose_latent_space_is_not_m():
    from largen.diagrams.engine.model import ridge_model

    model = ridge_model("renamed", [("U", "N", "sigma_u**2/D")], latent="D")
    data = loss_curves(model, P=(30,), gammas=(0.1,), fixed_P=30, M=50, points=2, mc_points=1, seeds=2)
    theory = float(solve(model, D=50, alpha=1, P=30, gamma=0.1, N=data.curves[0].x[0], dps=15).loss)
    assert data.curves[0].loss[0] == theory
    assert len(data.curves[0].mc) == 1


def _section(built, title):
    (section,) = [s for s in built.sections if s.title == title]
    return "\n".join(p if isinstance(p, str) else latex(p) for p in section.parts)


@pytest.mark.slow
def test_a_teacher_report_says_which_diagrams_have_no_dual(tmp_path):
    built = build_report(mrs(), out=tmp_path, delta="1/2", **{**CHEAP, "duality_order": 1})
    assert r"\omega_I" in _section(built, "The model")
    correction = _section(built, "The first finite-size correction")
    # the derived correction survives N <-> P to gamma^-2, but the teacher's words have no dual words at gamma^-2
    table = [line for line in correction.splitlines() if "&" in line and "verdict" not in line]
    assert not any(line.endswith(r"fails \\") for line in table if "one-crosscap" not in line)
    rows = [line for line in table if "one-crosscap" in line]
    assert [line.rsplit("&", 1)[1].strip() for line in rows] == [r"invariant \\", r"sum invariant \\"]
    assert "4 classes without a dual diagram, whose words' duals are no words of the coefficient; their sum " \
           "is invariant." in correction
    assert "fails first" not in correction


@pytest.mark.slow
def test_a_report_of_nonlinear_features_compiles_and_names_what_its_correction_is(tmp_path):
    from largen.diagrams.engine.model import gaussian_equivalent

    require_tool("lualatex")
    curves = {**CHEAP["curves"], "activation": "relu"}
    with pytest.warns(UserWarning, match="Gaussian equivalence with a white xi assumes"):
        written = write_report(gaussian_equivalent(mrs()), tmp_path, **{**CHEAP, "curves": curves})
    assert written.compiled, written.reason
    tex = written.tex.read_text()
    assert r"$\phi = s(U\, x)$, which in the planar limit acts like $\mu_0 + \mu_{1}\, U\, x + \Xi$" in tex
    assert "these are the corrections of that equivalent model" in tex
    assert "one-crosscap diagrams paired one by one" in tex  # xi is its own partner under N <-> P
    assert "Planar diagrams up to the symmetries of their traces: 1." in tex  # order 0: tr Lambda alone


@pytest.mark.slow
def test_a_listed_teacher_spectrum_drives_the_figures(tmp_path):
    (tmp_path / "lam.txt").write_text("".join(f"{k ** -2.0!r}\n" for k in range(1, 41)))
    (tmp_path / "omega.txt").write_text("".join(f"{k ** -0.5!r}\n" for k in range(1, 41)))
    spectrum = Spectrum.from_file(tmp_path / "lam.txt").with_teacher_file(tmp_path / "omega.txt")
    built = build_report(mrs(), out=tmp_path, spectrum=spectrum, **CHEAP)
    assert r"\omega_I" in _section(built, "The model")
    data = json.loads((tmp_path / "loss_vs_size.json").read_text())
    curve = data["curves"][0]
    theory = solve(built.model, dps=15, spectrum=spectrum, **curve["params"], N=curve["x"][0]).loss
    assert curve["loss"][0] == float(theory)
    assert theory != solve(mrs(), dps=15, spectrum=Spectrum.from_file(tmp_path / "lam.txt"), **curve["params"],
                           N=curve["x"][0]).loss


def test_report_refuses_a_teacher_spectrum_without_listed_eigenvalues(tmp_path, capsys):
    from test_cli import one_line_error, run_cli

    (tmp_path / "omega.txt").write_text("1\n0.5\n")
    status, out, err = run_cli(capsys, "report", "--teacher-spectrum", str(tmp_path / "omega.txt"),
                               "--out", str(tmp_path / "r"))
    assert one_line_error(status, out, err, "--teacher-spectrum pairs with the listed eigenvalues")


@pytest.mark.slow
def test_probe_N9_a_spectrum_beyond_float64_is_drawn_without_what_overflows(tmp_path):
    (tmp_path / "huge3.txt").write_text("1e300\n1e300\n1e300\n")
    with pytest.warns(UserWarning, match="near float64's floor"):  # the Monte Carlo says so itself
        built = build_report(mrs(), out=tmp_path, spectrum=Spectrum.from_file(tmp_path / "huge3.txt"), **CHEAP)

    def no_constant(name):
        raise AssertionError(f"the figure's data holds {name}")

    data = json.loads((tmp_path / "loss_vs_size.json").read_text(), parse_constant=no_constant)
    assert data["omitted"] == 2 and all(c["mc"] == [] for c in data["curves"])  # the overflowed Monte Carlo
    assert all(0 < loss < 1e-300 for c in data["curves"] for loss in c["loss"])  # the theory, drawn
    assert "2 points beyond the range of float64, in which the figure is drawn, are left out." in \
        _section(built, "The loss against the model size")
    assert (tmp_path / "loss_vs_size.png").read_bytes().startswith(b"\x89PNG")


def test_a_report_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from largen.diagrams.errors import SolverError

    def failing(model, *, out, **options):
        (out / "phase_diagram.pdf").write_text("drawn")
        raise SolverError("the figures failed")

    monkeypatch.setattr(report_module, "build_report", failing)
    with pytest.raises(SolverError):
        write_report(out=tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "report.tex").write_text("mine")
    with pytest.raises(UsageError, match="report.tex exists: overwrite the report with force=True"):
        write_report(out=tmp_path)
    with pytest.raises(SolverError):
        write_report(out=tmp_path, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["report.tex"] and (tmp_path / "report.tex").read_text() == "mine"


@pytest.mark.slow
def test_the_kernel_route_draws_the_curves_of_nonlinear_features(capsys):
    """``report --equivalence kernel``: the curves are the kernel route's losses, and the caption says so;
    without an activation the route is refused."""
    from conftest import run_cli
    from largen.solver.report.figures import loss_curves
    from largen.solver.report.sections import figure_section

    data = loss_curves(P=(50,), gammas=(0.1,), points=2, mc_points=0, M=60, activation="relu", equivalence="kernel")
    curve = data.curves[0]
    for x, loss in zip(curve.x, curve.loss):
        expected = solve(mrs(), N=x, **curve.params, M=60, alpha=1, activation="relu", equivalence="kernel", dps=15)
        assert loss == pytest.approx(float(expected.loss), rel=1e-12)
        white = solve(mrs(), N=x, **curve.params, M=60, alpha=1, activation="relu", dps=15)
        assert abs(loss / float(white.loss) - 1) > 1e-3  # the two routes differ on power-law data
    assert data.equivalence == "kernel" and "(the kernel route)" in str(figure_section(data, mrs()))
    status, out, err = run_cli(capsys, "report", "--equivalence", "kernel", "--out", "never")
    assert status == 2 and "give --activation too" in err and not os.path.exists("never")
