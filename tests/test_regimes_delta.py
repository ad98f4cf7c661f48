"""Regimes piecewise in a symbolic teacher exponent delta, against the derivation at numeric deltas."""

import json
import re

import pytest
import sympy

from largen.diagrams import mrs
from largen.diagrams.regimes.asymptotics import (ALPHA, TEACHER_DELTA, DeltaRange, DeltaSplit, assuming, exponent_sign,
                                  teacher_dimension_asymptotics)
from largen.diagrams.errors import ExpressionError, ParameterError
from largen.diagrams.regimes import derive_regimes
from largen.solver.numerics.scaling import delta_diagram, regimes_at

from conftest import run_cli

ONE = sympy.Integer(1)
# at alpha = 1 the pieces below are derived once (about a minute) and shared by the tests
INSIDE = [sympy.Rational(-1, 2), sympy.Rational(1, 2), sympy.Rational(5, 4), sympy.Rational(7, 4),
          sympy.Rational(5, 2), sympy.Rational(7, 2), sympy.Rational(9, 2), 6]


@pytest.fixture(scope="module")
def pieces():
    return derive_regimes(alpha=1, delta=TEACHER_DELTA)


def same(a, b):
    # equal as functions of the sizes and scales: the ratio is 1 at a generic point
    point = {v: sympy.Rational(3 + i, 7) for i, v in enumerate(sorted(a.free_symbols | b.free_symbols, key=str))}
    return abs(sympy.N((a / b).xreplace(point), 30) - 1) < 1e-25


def at(regime, delta):
    """A symbolic-delta regime's loss and exponents at a number delta."""
    return regime.loss.xreplace({TEACHER_DELTA: delta}), {k: sympy.nsimplify(v.xreplace({TEACHER_DELTA: delta}))
                                                          for k, v in regime.exponents.items()}


@pytest.mark.slow
def test_the_breakpoints_are_where_the_teacher_sums_powers_of_delta_meet(pieces):
    # independent: at alpha = 1, m_k = sum_I I**-delta (lambda_I/(lambda_I + Delta))**k has an integral
    # ~ Delta**((delta - 1)/2) and a zeta series Delta**0, Delta**1, Delta**2 (three terms kept): they
    # meet at delta = 1, 3, 5; the admissible range starts at delta = -alpha (sum_I omega_I lambda_I)
    meet = sorted(sympy.solve(sympy.Eq((TEACHER_DELTA - 1) / 2, j), TEACHER_DELTA)[0] for j in range(3))
    assert list(pieces.marginal) == meet == [1, 3, 5]
    # at delta = 5 the leading terms stay, but the first corrections change: the integral term of m_k,
    # Delta**((delta - 1)/2), passes the third zeta term Delta**2 and leaves the kept order (a regime's
    # correction and conditions are those of its own side, decided exactly over each range)
    assert [(c.lower, c.upper, c.excluded) for c in pieces.cases] == [(-1, 1, ()), (1, 3, ()), (3, 5, ()),
                                                                        (5, sympy.oo, ())]
    assert all(r.loss in [q.loss for q in pieces.cases[3].regimes] for r in pieces.cases[2].regimes)
    # the derivation at a numeric delta refuses exactly there (its integral and zeta series meet)
    for delta in meet:
        with pytest.raises(ExpressionError, match="logarithm"):
            regimes_at(alpha=ONE, delta=delta)
    assert pieces.case(5) is None and pieces.case(3) is None and pieces.case(4).lower == 3


def test_the_expansions_order_by_the_range():
    # the integral leads below delta = 1, the constant zeta(delta) above; a range across 1 is split there
    with assuming(DeltaRange(1, 3)):
        expansion = teacher_dimension_asymptotics(1, "small", TEACHER_DELTA, alpha=1)
    assert expansion.leading == sympy.zeta(TEACHER_DELTA)
    with assuming(DeltaRange(-1, 3)):
        with pytest.raises(DeltaSplit) as split:
            teacher_dimension_asymptotics(1, "small", TEACHER_DELTA, alpha=1)
    assert split.value.at == 1 and split.value.kind == "marginal"


def test_symbolic_alpha_breakpoints_and_the_refusal_of_an_unordered_pair():
    # at symbolic alpha the teacher sums' integral ~ Delta**((delta - 1)/(1 + alpha)) meets the zeta series
    # Delta**0, Delta**1 at delta = 1 and delta = alpha + 2, ordered for every alpha > 0 (the whole
    # derivation in alpha and delta takes minutes: its breakpoints are checked here, where they arise)
    found, lower = [], -ALPHA
    for _ in range(2):
        with assuming(DeltaRange(lower, sympy.oo)):
            with pytest.raises(DeltaSplit) as split:
                teacher_dimension_asymptotics(1, "small", TEACHER_DELTA)
        assert split.value.kind == "marginal"
        lower = split.value.at
        found.append(lower)
    assert found == [1, ALPHA + 2]
    # a value of delta whose place in a range depends on alpha is refused in one line
    with assuming(DeltaRange(2, ALPHA + 2)):
        with pytest.raises(ExpressionError, match=r"^with alpha and delta both symbolic, the order of the values "
                                                  r"delta = alpha \+ 1 and delta = 2, .* give a numeric alpha$"):
            exponent_sign(TEACHER_DELTA - ALPHA - 1)


@pytest.mark.slow
@pytest.mark.parametrize("delta", INSIDE)
def test_each_range_agrees_with_the_derivation_at_a_delta_inside_it(pieces, delta):
    case = pieces.case(delta)
    numeric = regimes_at(alpha=ONE, delta=delta)
    for regime in numeric:
        matches = [r for r in case.regimes if r.name == regime.name and at(r, delta)[1] == regime.exponents
                   and same(at(r, delta)[0], regime.loss)]
        assert len(matches) == 1, (delta, regime.name, regime.loss)


@pytest.mark.slow
def test_every_regime_of_a_range_is_found_at_some_delta_inside_it(pieces):
    # a range may hold two regions of one name (a boundary in the sizes moves with delta, e.g.
    # N ~ P**delta in the P-limited regime for 1 < delta < 3): each is met by the numeric derivation
    found = {}
    for delta in INSIDE:
        found[delta] = regimes_at(alpha=ONE, delta=delta)
    for case in pieces.cases:
        deltas = [d for d in INSIDE if case.lower < d < case.upper]
        for regime in case.regimes:
            assert any(same(at(regime, d)[0], r.loss) for d in deltas for r in found[d] if r.name == regime.name), \
                (case.lower, regime.name)


def test_the_asymmetry_of_a_smooth_target(pieces):
    # the exponents as functions of delta: N-limited N**-(1 + delta) below delta = 1 and N**-2 above;
    # P-limited P**-(1 + delta) for N >> P**delta, and 1/(N P) for P << N << P**delta when delta > 1
    N, P = (mrs().symbols[k] for k in ("N", "P"))
    rough, smooth, saturated, beyond = pieces.cases

    def exponents(case, name):
        return sorted((r.exponents[N], r.exponents[P]) for r in case.regimes if r.name == name)
    assert exponents(rough, "ridgeless, N-limited") == [(-1 - TEACHER_DELTA, 0)]
    assert exponents(rough, "ridgeless, P-limited") == [(0, -1 - TEACHER_DELTA)]
    assert exponents(smooth, "ridgeless, N-limited") == [(-2, 0)]
    assert exponents(smooth, "ridgeless, P-limited") == sorted([(0, -1 - TEACHER_DELTA), (-1, -1)])
    # beyond delta = 3 the bias saturates at P**-2(1 + alpha) = P**-4 (N >> P**3), 1/(N P) below: both cells of the
    # region found exactly (the sample points of the earlier derivation saw only the second)
    assert exponents(saturated, "ridgeless, P-limited") == exponents(beyond, "ridgeless, P-limited") == \
        [(-1, -1), (0, -4)]


@pytest.mark.slow
def test_symbolic_delta_refusals():
    with pytest.raises(ParameterError, match="M = oo"):
        derive_regimes(alpha=1, delta=TEACHER_DELTA, latent=mrs().spaces["M"])
    with pytest.raises(ParameterError, match=r"must exceed -1 at alpha = 1"):
        derive_regimes(alpha=1, delta=-3)


def test_cli_piecewise(pieces, capsys):
    status, out, err = run_cli(capsys, "exponents", "--delta", "symbolic", "--alpha", "1", "--json")
    assert status == 0 and err.startswith("largen: warning: the regimes piecewise in delta take") and err.count("\n") == 1
    result = json.loads(out)
    assert result["marginal"] == ["1", "3", "5"]
    assert [(c["lower"], c["upper"], c["excluded"]) for c in result["cases"]] == \
        [("-1", "1", []), ("1", "3", []), ("3", "5", []), ("5", "oo", [])]
    smooth = {r["name"]: r["exponents"] for r in result["cases"][1]["regimes"]}
    assert smooth["ridgeless, N-limited"] == {"gamma": "0", "N": "-2", "P": "0"}
    status, out, err = run_cli(capsys, "exponents", "--delta", "symbolic", "--alpha", "1")
    assert status == 0 and "for 1 < delta < 3:" in out and "for 3 < delta < 5:" in out
    assert "marginal at delta = 1, 3, 5" in out.splitlines()[0]


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["--delta", "-3", "--alpha", "1"], "the teacher exponent delta = -3 must exceed -1 at alpha = 1"),
    (["--delta", "-1", "--alpha", "1"], "the teacher exponent delta = -1 must exceed -1 at alpha = 1"),
    (["--delta", "symbolic", "--alpha", "1", "--M", "100"], "derived at M = inf"),
    (["--delta", "symbolic", "--alpha", "1", "--check"], "--check needs a numeric --delta"),
    (["--delta", "symbolic", "--alpha", "-1"], "alpha must be a positive number"),
    (["--delta", "sym", "--alpha", "1"], "delta: 'sym' is not a number"),
])
def test_cli_bad_teacher_exponent(capsys, argv, message):
    status, out, err = run_cli(capsys, "exponents", *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_phase_diagram_in_delta(pieces, tmp_path):
    # the exponent of L in N of the N-limited regime: -(1 + delta) up to delta = 1 (0 at delta = -alpha), then -2
    path = tmp_path / "delta.png"
    segments = delta_diagram(pieces, path, alpha=1)
    assert path.stat().st_size > 0
    limited = [s[1:] for s in segments["N"] if s[0] == "ridgeless, N-limited"]
    assert limited == [(-1.0, 1.0, 0.0, -2.0), (1.0, 3.0, -2.0, -2.0), (3.0, 5.0, -2.0, -2.0),
                       (5.0, 7.0, -2.0, -2.0)]


def test_a_sign_that_depends_on_alpha_alone_is_refused_over_a_range():
    # delta (1 - alpha)/(2 (1 + alpha)) on delta > 1: its sign turns at alpha = 1 whatever delta is
    with assuming(DeltaRange(1, sympy.oo)):
        for e in (TEACHER_DELTA / (1 + ALPHA) - TEACHER_DELTA / 2, (ALPHA - 2) * (TEACHER_DELTA + 5)):
            with pytest.raises(ExpressionError, match="depends on alpha: give a numeric alpha$"):
                exponent_sign(e)
        assert exponent_sign((ALPHA + 2) * (TEACHER_DELTA + 5)) == 1
        assert exponent_sign(TEACHER_DELTA / (1 + ALPHA) - TEACHER_DELTA - 3) == -1


def test_a_delta_named_like_a_symbol_of_the_derivation_and_a_case_at_symbolic_alpha_are_refused():
    from largen.diagrams.errors import ParameterError
    from largen.diagrams.regimes import derive_regimes
    from largen.diagrams.regimes.delta_ranges import DeltaCase, PiecewiseRegimes

    for name in ("alpha", "N", "gamma", "lambda_+"):
        with pytest.raises(ParameterError, match=f"^the teacher exponent cannot be named {re.escape(name)}: "):
            derive_regimes(alpha=1, delta=sympy.Symbol(name))
    pieces = PiecewiseRegimes((DeltaCase(-ALPHA, 1, ()), DeltaCase(1, sympy.oo, ())), (1,))
    assert pieces.case(2).lower == 1
    with pytest.raises(ParameterError, match="the ranges of delta depend on alpha"):
        pieces.case(sympy.Rational(-1, 2))
