"""One printer: every derived object renders as math through it and reads back; the terminal's Unicode.

Each ``_repr_latex_`` is parsed back with sympy's LaTeX parser (ANTLR backend)
and compared, at random rational points, with the derived expression it shows.
The closed forms typed here are independent checks of what ``largen derive`` prints.
"""

import random
import re

import pytest
import sympy
from sympy.parsing.latex import parse_latex

from largen.diagrams import contractions, derive_regimes, dual_pairs, mrs, planar_theory, ridgeless, symmetry, \
    verdicts
from largen.diagrams.regimes.asymptotics import LAMBDA_PLUS, sum_asymptotics
from largen.diagrams.printing.latex import latex, name_latex
from largen.diagrams.engine.model import deep_linear
from largen.diagrams.engine.observable import parse_observable
from largen.solver.percolation.laws import allocation_laws
from largen.diagrams.printing.pretty import name_unicode, pretty
from largen.diagrams.theory.parametric import parametric_losses
from largen.diagrams.engine.spectral import DELTA, EIGENVALUE, EIGENVALUES, INDEX, CovarianceTrace, effective_dimension
from largen.solver.report.build import derivation
from largen.solver.report.sections import LOSS, TRAIN_LOSS

from test_cli import run_cli
from test_report import DEEP2

N, P, M = sympy.symbols("N P M", positive=True, integer=True)
FUNCTIONS = {"zeta": sympy.zeta, "Gamma": sympy.gamma}
# the parser does not read the physicist's lambda_+ and tr Lambda^k: they are read back as lambda_p and T_k
PLUS = sympy.Symbol("lambda_p")


def _read(tex):
    """``tex`` parsed by the ANTLR backend, with its symbols mapped back to the ones each atom prints as."""
    tex = re.sub(r"\\operatorname\{tr\}\\Lambda\^\{(\d+)\}", r"T_{\1}", tex.replace(r"\lambda_{+}", r"\lambda_{p}"))
    parsed = parse_latex(tex, backend="antlr")
    for name, function in FUNCTIONS.items():  # the parser reads \zeta(s) as a function it does not know
        parsed = parsed.replace(sympy.Function(name), function)
    return parsed


def _mapping(expr):
    mapping = {sympy.Symbol("I"): INDEX, sympy.Symbol("pi"): sympy.pi}  # the parser reads \pi as a symbol
    for atom in expr.free_symbols | expr.atoms(sympy.Indexed):
        printed = _read(latex(atom))
        assert isinstance(printed, sympy.Symbol), f"{atom} prints as {latex(atom)!r}, read back as {printed!r}"
        mapping[printed] = atom
    return mapping


def _number(expr, point, size=3):
    """``expr`` at ``point``, its spectral sums over ``size`` eigenvalues, to 30 digits."""
    summed = expr.replace(lambda e: isinstance(e, sympy.Sum),
                          lambda s: sympy.Add(*[s.function.xreplace({INDEX: i}) for i in range(1, size + 1)]))
    eigen = {EIGENVALUES[i]: sympy.Rational(1, i + 1) for i in range(1, size + 1)}
    return sympy.N(summed.xreplace(eigen).xreplace(point), 30)


def reads_back(tex, expected, seed=15):
    """Whether ``tex`` reads back as ``expected`` (an expression or an Eq) at three random points."""
    expected = sympy.sympify(expected).xreplace({LAMBDA_PLUS: PLUS})
    expected = expected.replace(lambda e: isinstance(e, CovarianceTrace), lambda e: sympy.Symbol(f"T_{e.args[0]}"))
    parsed = _read(tex)
    if isinstance(expected, sympy.Eq):
        assert isinstance(parsed, sympy.Eq), tex
        expected, parsed = expected.lhs - expected.rhs, parsed.lhs - parsed.rhs
    got = parsed.xreplace(_mapping(expected))
    assert got.free_symbols <= expected.free_symbols | {INDEX}, (tex, got.free_symbols - expected.free_symbols)
    rng = random.Random(seed)
    for _ in range(3):
        point = {s: sympy.Rational(rng.randint(2, 40), rng.randint(41, 90)) for s in expected.free_symbols}
        point.update({s: 3 for s in expected.free_symbols if s.name == "M"})
        a, b = _number(got, point), _number(expected, point)
        assert abs(a - b) <= sympy.Float(10) ** -25 * (1 + abs(b)), (tex, a, b)
    return True


def inline(obj):
    """The math of ``obj._repr_latex_()``, which must be one inline formula."""
    text = obj._repr_latex_()
    assert text.startswith("$") and text.endswith("$") and text.count("$") == 2, text
    return text[1:-1]


def aligned_rows(body):
    assert body.startswith(r"\begin{aligned}") and body.endswith(r"\end{aligned}"), body
    return [row.replace("&=", "=") for row in body[len(r"\begin{aligned}"):-len(r"\end{aligned}")].split(r" \\ ")]


def pieces(body):
    return body.split(r" \quad ")


# -- the derived objects in Jupyter -------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("model", [mrs(), deep_linear(2)], ids=["mrs", "deep2"])
def test_planar_theory_renders_its_equations(model):
    theory = planar_theory(model)
    rows = aligned_rows(inline(theory))
    assert len(rows) == len(theory.equations)
    for row, eq in zip(rows, theory.equations):
        assert reads_back(row, eq)


@pytest.mark.parametrize("model", [mrs(), pytest.param(deep_linear(2), marks=pytest.mark.slow)],
                         ids=["mrs", "deep2"])
def test_closed_forms_and_ridgeless_regimes_render(model):
    limit = ridgeless(model)
    ridge, loss = aligned_rows(inline(limit))
    assert reads_back(ridge, sympy.Eq(model.regression.ridge, limit.gamma))
    assert reads_back(loss, sympy.Eq(LOSS, limit.loss))
    ridge, loss, train = aligned_rows(inline(parametric_losses(model)))
    assert reads_back(train, sympy.Eq(TRAIN_LOSS, parametric_losses(model).train_loss))
    for regime in limit.regimes:
        loss, where, when = pieces(inline(regime))
        assert reads_back(loss, sympy.Eq(LOSS, regime.loss))
        assert where == rf"\text{{as }} {latex(effective_dimension(1))} \to {latex(regime.n1)}"
        assert when == rf"\text{{when }} {latex(regime.condition)}"


@pytest.mark.slow
def test_scaling_regimes_render_loss_and_correction():
    for regime in derive_regimes(mrs(), alpha=1):
        name, loss, order, when = pieces(inline(regime))
        assert name == rf"\text{{{regime.name}}}:"
        assert reads_back(loss.replace(r"\simeq", "="), sympy.Eq(LOSS, regime.loss))
        assert order.startswith(r"\text{to relative order }")
        assert reads_back(order[len(r"\text{to relative order }"):], regime.correction)
        assert when.count(r"\ll") == len(regime.conditions)


def test_an_expansion_renders_its_leading_term_and_correction():
    expansion = sum_asymptotics(EIGENVALUE / (EIGENVALUE + DELTA), "small", alpha=1)
    leading, order = pieces(inline(expansion))
    assert reads_back(leading, expansion.leading)
    assert reads_back(order[len(r"\text{to relative order }"):], expansion.correction)


def test_a_percolation_law_renders_its_loss():
    for law in allocation_laws(2, sympy.Rational(1, 2)):
        loss, when = pieces(inline(law))
        assert reads_back(loss.replace(r"\simeq", "="), sympy.Eq(LOSS, law.loss))
        assert when.startswith(r"\text{when }")


def test_diagrams_and_their_duals_render_their_weights():
    model = mrs()
    (coefficient, words), = parse_observable("Trace((U.T*U*X*X.T)**2)", model)
    graph = next(iter(contractions(words, model)))
    assert inline(graph) == latex(graph.weight)
    pair = dual_pairs(model, 1)[0]
    left, right = inline(pair).split(r" \;\longleftrightarrow\; ")
    multiplicity, weight = left.split(r" \times ", 1)
    assert int(multiplicity) == pair.multiplicity
    assert reads_back(weight, pair.weight) and reads_back(right, pair.dual_weight)


def test_duality_verdicts_render_their_quantities_and_remainders_as_math():
    found = {v.quantity: v for v in verdicts(mrs(), 2)}
    noisy = inline(found["test loss with label noise"])
    head, remainder = noisy.split(r"\text{changes by }")
    assert head == r"N \leftrightarrow P:\ \text{test loss with label noise}\ "
    assert reads_back(remainder, found["test loss with label noise"].remainder)
    assert inline(found["series gamma^-2"]) == (r"N \leftrightarrow P:\ \text{series coefficient of }\gamma^{-2}\ "
                                              r"\text{invariant}")
    deep = inline(symmetry(deep_linear(2)))
    assert reads_back(deep.split(r"\gamma \cdot ")[1], sympy.Symbol("N1") / sympy.Symbol("N2"))


# -- one source of names ------------------------------------------------------------------------
@pytest.mark.parametrize("name, tex, text", [
    ("sigma_eps", r"\sigma_{\varepsilon}", "σ_ε"),
    ("Sigma_mu_M", r"\Sigma_{\mu M}", "Σ_μM"),
    ("Sigma_rho_N1", r"\Sigma_{\rho N_{1}}", "Σ_ρN₁"),
    ("n2", "n_{2}", "n₂"),
    ("L_train", r"L_{\mathrm{train}}", "L_train"),
    ("lambda_+", r"\lambda_{+}", "λ₊"),
    ("Delta", r"\Delta", "Δ"),
])
def test_latex_and_unicode_spell_a_name_alike(name, tex, text):
    assert name_latex(name) == tex and name_unicode(name) == text


# -- largen derive in a terminal ----------------------------------------------------------------
def _block(stdout, expression):
    """Whether the Unicode picture of ``expression`` appears in ``stdout`` as lines of their own."""
    lines = [line.rstrip() for line in pretty(expression).splitlines()]
    out = [line.rstrip() for line in stdout.splitlines()]
    return any(out[i:i + len(lines)] == lines for i in range(len(out)))


@pytest.mark.slow
def test_derive_prints_the_mrs_closed_forms(capsys):
    status, out, _ = run_cli(capsys, "derive")
    assert status == 0
    gamma, delta, n1, n2, sigma_u = sympy.symbols("gamma Delta n1 n2 sigma_u")
    # the ridge equation of MRS (Zhang 2024, in effective dimensions), typed here as a check
    assert _block(out, sympy.Eq(gamma, delta * sigma_u**2 * (N - n1) * (P - n1) / M, evaluate=False))
    lam = EIGENVALUES[INDEX]
    assert _block(out, sympy.Eq(n2, sympy.Sum(lam**2 / (delta + lam) ** 2, (INDEX, 1, M)), evaluate=False))
    (_, closed), _, _ = derivation(mrs())
    written = {e.lhs: e for e in closed.parts if hasattr(e, "terms")}
    clean, noise = written[LOSS].terms
    (sigma_eps,) = mrs().regression.noise_variance.free_symbols
    assert not clean[1][0].has(sigma_eps) and noise[1][0].has(sigma_eps)  # the label-noise term, on its own
    assert written[LOSS].pretty() in out and written[TRAIN_LOSS].pretty() in out
    assert "the test loss: noiseless part + label-noise term:" in out
    for raw in ("sigma_eps", "Sigma_mu", "Sum(", "dSigma", "**"):
        assert raw not in out
    assert "Σ_μM" in out and "σ_ε" in out and "Schwinger–Dyson equations" in out


@pytest.mark.slow
def test_derive_prints_the_two_layer_ridge_equation(capsys):
    status, out, _ = run_cli(capsys, "derive", "--model", DEEP2)
    assert status == 0
    gamma, delta, n1, s1, s2 = sympy.symbols("gamma Delta n1 sigma_1 sigma_2")
    N1, N2 = sympy.symbols("N1 N2")
    ridge = delta * s1**2 * s2**2 * (N1 - n1) * (N2 - n1) * (P - n1) / (M * N1)
    assert _block(out, sympy.Eq(gamma, ridge, evaluate=False))
    assert "N1 <-> N2 it is invariant at gamma * N1/N2" in out.splitlines()[0]
    assert len(re.findall(r"^Σ_\S+ = ", out, flags=re.M)) >= 6  # one equation per self-energy


# -- the report's document, laid out by the printers --------------------------------------------------
def test_a_report_is_laid_out_by_the_latex_and_unicode_printers():
    from largen.diagrams.printing.latex import PREAMBLE
    from largen.solver.report.document import Report, Section, Statement, equation

    n1 = sympy.Symbol("n1")
    eq = equation(sympy.Symbol("gamma"), (N - n1) * (P - n1) / M, "the ridge equation")
    said = Statement(("100% of {it} holds where ", n1 < N, "."))
    report = Report(mrs(), (Section("Schwinger--Dyson", (r"prose with $\lambda$", said, eq)),),
                    convention=symmetry(mrs()))
    tex = latex(report)
    assert tex.startswith(PREAMBLE + r"\title{Planar theory of the model \texttt{mrs}}")
    body = tex[tex.index(r"\section"):tex.index(r"\end{document}")].strip()
    assert body.split("\n\n") == [r"\section{Schwinger--Dyson}", r"prose with $\lambda$",
                                  r"100\% of \{it\} holds where $n_{1} < N$.",
                                  "\\begin{fitequation}\n" + eq.tex + "\n\\end{fitequation}"]
    assert reads_back(eq.tex, eq.expression)
    lines = str(report).splitlines()
    assert lines[0] == f"Planar theory of model mrs ({symmetry(mrs())})"
    assert lines[1:7] == ["", "Schwinger–Dyson", "", "100% of {it} holds where n₁ < N.", "", "the ridge equation:"]
    assert lines[7:] == eq.pretty().splitlines()  # flush left, as the picture is
    assert "prose" not in str(report)  # LaTeX prose is the paper's, not the terminal's
