"""The vectorised float64 path (largen.solver.numerics.fast) against the certified solver and closed forms."""

import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import mpmath
import numpy as np
import pytest
import sympy

from largen.diagrams import ParameterError, SpectrumError
from largen.diagrams.engine.model import deep_linear, gaussian_equivalent, mrs, ridge_model
from largen.solver import Spectrum, solve
from largen.solver.numerics import grid as grid_module
from largen.solver.numerics.fast import TOLERANCE, Unvouched, solve_many
from largen.solver.numerics.float_moments import SECOND_HEAD, FloatSpectra
from largen.solver.numerics.grid import FastRow, loss_surface, sweep
from largen.solver.numerics.moments import power_law_moments
from largen.solver.numerics.spectrum import Listed

OUTPUTS = ("loss", "train_loss", "Delta")


def relative_error(fast, certified):
    """The largest relative difference over the outputs the certified solver certified."""
    gaps = []
    for name in OUTPUTS:
        exact = getattr(certified, name)
        if exact is None:
            continue
        value = float(getattr(fast, name))
        gaps.append(abs(value - float(exact)) / abs(float(exact)) if exact else abs(value))
    return max(gaps)


def short(x):
    """A float64 as the short decimal that reads back to it: the certified solver reads the same number."""
    return "inf" if x == math.inf else repr(float(x))


def random_points(model, n, rng):
    """Sizes over three decades, ridges over nine, the latent size finite and infinite, label noise
    and a teacher exponent at half the points, alpha in [0.2, 2.5]; values with six digits."""
    p = {}
    widths = ["N"] if model.name == "mrs" else ["N1", "N2"]
    scales = ["sigma_u"] if model.name == "mrs" else ["sigma_1", "sigma_2"]
    for name in widths + ["P"]:
        p[name] = np.round(10 ** rng.uniform(1, 4, n))
    for name in scales + ["sigma_w"]:
        p[name] = 10 ** rng.uniform(-0.5, 0.5, n)
    p["gamma"] = 10 ** rng.uniform(-8, 1, n)
    p["M"] = rng.choice([math.inf, 1e3, 1e4, 1e6], n)
    p["sigma_eps"] = np.where(rng.random(n) < 0.5, 0.0, 10 ** rng.uniform(-2, 0, n))
    p = {k: np.array([float(f"{x:.6g}") for x in v]) for k, v in p.items()}
    alpha = np.round(rng.uniform(0.2, 2.5, n), 3)
    delta = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.uniform(-0.5, 2.0, n), 3))
    return p, alpha, delta


@pytest.mark.slow
@pytest.mark.parametrize("model", [mrs(), deep_linear(2)], ids=["mrs", "two layers"])
def test_random_points_agree_with_the_certified_solver_where_vouched(model):
    """Every vouched point within 1e-10 (relative) of the certified solver, fewer than 1% marked."""
    n = 150
    p, alpha, delta = random_points(model, n, np.random.default_rng(2024))
    found = solve_many(model, alpha=alpha, delta=delta, **p)
    invalid = found.reasons == Unvouched.INVALID  # a sum diverges: the certified solver refuses them too
    for i in np.flatnonzero(invalid):
        with pytest.raises(SpectrumError):
            solve(model, dps=15, alpha=short(alpha[i]), delta=short(delta[i]), **{k: short(v[i]) for k, v in p.items()})
    assert (found.marked & ~invalid).sum() <= n // 100
    for i in np.flatnonzero(found.vouched):
        certified = solve(model, dps=20, alpha=short(alpha[i]), delta=short(delta[i]),
                          **{k: short(v[i]) for k, v in p.items()})
        point = type("Point", (), {name: getattr(found, name)[i] for name in OUTPUTS})
        assert relative_error(point, certified) <= TOLERANCE, {k: v[i] for k, v in p.items()}


@pytest.mark.slow
def test_a_few_points_of_each_kind_agree_with_the_certified_solver():
    """MRS at finite and infinite M, two layers with a teacher exponent and label noise, a list."""
    cases = [
        (mrs(), dict(N=[50, 300], P=80, M=[100, "inf"], gamma=[1e-3, 1e-6], sigma_eps=[0, 0.3])),
        (deep_linear(2), dict(N1=[40, 400], N2=[30, 90], P=[200, 50], M=[10**6, "inf"], gamma=1e-4, delta=[0.5, 1.5],
                              alpha=[0.7, 1.3])),
    ]
    for model, params in cases:
        found = solve_many(model, **{k: np.array(v, dtype=float) if k != "M" else np.array(v, dtype=float)
                                     for k, v in params.items()})
        assert found.vouched.all()
        for i in range(2):
            point = {k: (v[i] if isinstance(v, list) else v) for k, v in params.items()}
            certified = solve(model, dps=20, **{k: str(v) for k, v in point.items()})
            assert relative_error(type("P", (), {n: getattr(found, n)[i] for n in OUTPUTS}), certified) <= TOLERANCE


def test_a_listed_spectrum_zeros_nonlinear_features_and_a_tied_ridge():
    values = [f"{x:.6g}" for x in np.random.default_rng(0).exponential(1, 200)]
    spectrum = Spectrum([Listed(tuple(values))]) + Spectrum.power_law(1, 10**5)
    found = solve_many(spectrum=spectrum, N=[20, 200], P=100, gamma=[1e-3, 1e-6])
    for i, (N, gamma) in enumerate([(20, "1e-3"), (200, "1e-6")]):
        certified = solve(spectrum=spectrum, N=N, P=100, gamma=gamma, dps=20)
        assert relative_error(type("P", (), {n: getattr(found, n)[i] for n in OUTPUTS}), certified) <= TOLERANCE
    # sigma_u = 0: no features, the renormalised ridge infinite, the unknowns that vanish are 0
    found = solve_many(N=50, P=80, M=100, gamma=1e-3, sigma_u=[0, 1])
    certified = solve(N=50, P=80, M=100, gamma="1e-3", sigma_u=0, dps=20)
    assert found.Delta[0] == math.inf and certified.Delta is None and found.unknowns["Sigma_theta"][0] == 0
    assert abs(found.loss[0] / float(certified.loss) - 1) <= TOLERANCE
    nonlinear = gaussian_equivalent(mrs())
    found = solve_many(nonlinear, N=50, P=80, M=100, gamma=1e-3, mu_1=0.7, mu_star=0.3)
    certified = solve(nonlinear, N=50, P=80, M=100, gamma="1e-3", mu_1="0.7", mu_star="0.3", dps=20)
    assert abs(found.loss[()] / float(certified.loss) - 1) <= TOLERANCE
    tied = ridge_model("tied", [("U", "N", "s**2/M")], ridge="s")
    found = solve_many(tied, N=50, P=80, M=100, s=0.5)
    assert abs(found.loss[()] / float(solve(tied, N=50, P=80, M=100, s="0.5", dps=20).loss) - 1) <= TOLERANCE


@pytest.mark.slow
def test_the_moments_against_the_exact_ones_and_a_closed_form():
    """Random laws against the exact moments at 30 digits; alpha = 1 at M = inf against the
    closed form sum 1/(1 + p I**2) = (pi/(2 sqrt p)) coth(pi/sqrt p) - 1/2 and its p-derivative."""
    rng = np.random.default_rng(1)
    n = 60
    alpha = np.round(rng.choice([0.05, 0.3, 1, 1.7, 3, 8], n) * rng.uniform(0.9, 1.1, n), 3)
    size = rng.choice([math.inf, 150, 1000, 10**6], n)
    delta = rng.choice([0, 0.5, 1.0, 2.5], n)
    p = 10 ** rng.uniform(-9, 1, n)
    orders = [(1, 1), (2, 2), (1, 2), (1, 1, 1), (2, 2, 1), (1, 2, 1)]
    laws = FloatSpectra.power_laws(alpha, size, delta)
    for head in (None, SECOND_HEAD):
        T = laws.moments(p, orders) if head is None else laws.moments(p, orders, head)
        for i in range(n):
            with mpmath.workdps(30):
                exact = power_law_moments(sympy.Rational(str(alpha[i])), sympy.Integer(1),
                                          size[i] if size[i] == math.inf else int(size[i]), mpmath.mpf(p[i]), orders,
                                          1, sympy.Rational(str(delta[i])))
            for order in orders:
                assert abs(T[order][i] / float(exact[order]) - 1) < 1e-13, (alpha[i], size[i], delta[i], p[i], order)
    p = np.array([1e-8, 1e-3, 1.0, 30.0])
    T = FloatSpectra.power_laws(np.ones(4), np.full(4, math.inf)).moments(p, [(1, 1), (1, 2), (2, 2)])
    with mpmath.workdps(30):
        def t11(x):
            return mpmath.pi / (2 * mpmath.sqrt(x)) * mpmath.coth(mpmath.pi / mpmath.sqrt(x)) - mpmath.mpf(1) / 2
        for i, x in enumerate(p):
            x = mpmath.mpf(x)
            t12 = -mpmath.diff(t11, x)  # sum lambda/(lambda + p)**2 = -d/dp sum lambda/(lambda + p)
            assert abs(T[1, 1][i] / float(t11(x)) - 1) < 1e-14
            assert abs(T[1, 2][i] / float(t12) - 1) < 1e-13
            assert abs(T[2, 2][i] / float(t11(x) - x * t12) - 1) < 1e-13


def test_points_float64_cannot_vouch_for_are_marked_with_the_reason():
    found = solve_many(N=[2000, 300], P=[2000, 700], M="inf", gamma=[1e-9, 1e-3])
    assert found.reasons[0] in (Unvouched.UNSTABLE, Unvouched.CONVERGENCE, Unvouched.BRANCH)  # the threshold
    assert found.vouched[1]
    found = solve_many(N=50, P=80, M=[100, 5000], gamma=1e-3, alpha=-1.5)  # a growing law past the direct sums
    assert found.vouched[0] and found.reasons[1] is Unvouched.SPECTRUM and np.isnan(found.loss[1])
    found = solve_many(N=50, P=80, M="inf", gamma=1e-3, alpha=0.2, delta=[0, -0.5])  # its weighted sums diverge
    assert found.vouched[0] and found.reasons[1] is Unvouched.INVALID
    found = solve_many(N=50, P=80, M=100, gamma=[1e-3, 1e-305])
    assert found.vouched[0] and found.reasons[1] is Unvouched.RANGE


def test_arrays_broadcast_and_a_warm_start_finds_the_same_roots():
    N, gamma = np.array([[50], [100], [300]]), np.array([1e-2, 1e-4])
    cold = solve_many(N=N, P=80, M=1000, gamma=gamma)
    assert cold.loss.shape == (3, 2) and cold.vouched.all()
    assert abs(cold.loss[1, 1] / solve_many(N=100, P=80, M=1000, gamma=1e-4).loss - 1) < 1e-13  # alone or in a batch
    warm = solve_many(N=N + 1, P=80, M=1000, gamma=gamma, start=cold)
    again = solve_many(N=N + 1, P=80, M=1000, gamma=gamma)
    assert warm.vouched.all() and np.all(np.abs(warm.loss / again.loss - 1) < 1e-12)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(N=50, P=80, M=100, gamma=-1), ParameterError, "gamma must be positive and finite, got -1.0"),
    (dict(N=50, P=80, M=100, gamma=1e-3, Q=1), ParameterError, "model mrs has no symbol 'Q'"),
    (dict(N=50, P=80, M=100), ParameterError, "no value for gamma"),
    (dict(N=[50, 60], P=[80, 90, 100], M=100, gamma=1e-3), ParameterError, "do not broadcast"),
    (dict(N="x", P=80, M=100, gamma=1e-3), ParameterError, "N must be a number or an array of numbers"),
    (dict(N=float("nan"), P=80, M=100, gamma=1e-3), ParameterError, "N has a NaN"),
    (dict(N=50, P=80, M=100.5, gamma=1e-3), ParameterError, "size M must be a positive integer or inf"),
    (dict(N=50, P=80, gamma=1e-3), ParameterError, "no value for M"),
    (dict(N=50, P=80, M="inf", gamma=1e-3, alpha=0), SpectrumError, "needs alpha > 0"),
    (dict(N=50, P=80, gamma=1e-3, alpha=1, spectrum=Spectrum.power_law(1, 10)), ParameterError, "not both"),
    (dict(N=50, P=80, M=11, gamma=1e-3, spectrum=Spectrum.power_law(1, 10)), ParameterError, "differs"),
])
def test_bad_input_is_refused_in_one_line(kwargs, error, message):
    with pytest.raises(error, match=message):
        solve_many(**kwargs)


# -- sweep(fast=True) -------------------------------------------------------------------------------
POINT = dict(P=30, M=50, dps=15, progress=False)


def test_a_fast_sweep_has_the_grid_and_columns_and_its_checks_agree():
    rows = sweep(grid={"N": [20, 40], "gamma": ["1e-2", "1e-6"]}, executor=ThreadPoolExecutor(1), fast=True,
                 check=2, seed=3, **POINT)
    assert [(r["N"], r["gamma"]) for r in rows] == [(20, "1e-2"), (20, "1e-6"), (40, "1e-2"), (40, "1e-6")]
    assert sorted(r["fast"] for r in rows) == ["checked", "checked", "vouched", "vouched"]
    for row in rows:
        exact = solve(N=row["N"], P=30, M=50, gamma=row["gamma"], dps=15).as_dict()
        if row["fast"] == FastRow.CHECKED.value:  # the certified values
            assert all(row[name] == exact[name] for name in OUTPUTS)
        else:  # ten digits of float64
            assert all(len(row[name].split("e")[0].replace(".", "").lstrip("0")) == 10 for name in OUTPUTS)
            assert all(abs(float(row[name]) / float(exact[name]) - 1) < 6e-10 for name in OUTPUTS)


def test_a_marked_point_is_solved_by_the_certified_solver_with_the_reason():
    rows = sweep(grid={"N": [20, 30]}, P=30, M="inf", gamma="1e-12", executor=ThreadPoolExecutor(1), fast=True,
                 check=0, dps=15, progress=False)
    marked = [r for r in rows if r["fast"] == FastRow.MARKED.value]
    assert [r["N"] for r in marked] == [30] and marked[0]["fast_note"] in {u.value for u in Unvouched}
    assert marked[0]["loss"] == solve(N=30, P=30, M="inf", gamma="1e-12", dps=15).as_dict()["loss"]


def test_a_disagreement_is_reported_never_kept(monkeypatch):
    """A float64 path off by 1e-8 at every point: the drawn rows hold the certified values, say so, and warn."""
    real = grid_module.solve_many

    def off(*args, **kwargs):
        found = real(*args, **kwargs)
        return type(found)(**{**found.__dict__, "loss": found.loss * (1 + 1e-8)})

    monkeypatch.setattr(grid_module, "solve_many", off)
    with pytest.warns(UserWarning, match="2 of 2 points drawn at random disagree with the certified solver"):
        rows = sweep(grid={"N": [20, 40, 60]}, gamma="0.01", executor=ThreadPoolExecutor(1), fast=True, check=2,
                     **POINT)
    disagreed = [r for r in rows if r["fast"] == FastRow.DISAGREED.value]
    assert len(disagreed) == 2 and all("relative difference 1e-08" in r["fast_note"] for r in disagreed)
    for row in disagreed:
        assert row["loss"] == solve(N=row["N"], P=30, M=50, gamma="0.01", dps=15).as_dict()["loss"]


@pytest.mark.slow
def test_a_fast_sweep_over_activations_and_exponents_matches_the_certified_rows():
    point = dict(P=300, gamma="1e-2", M=100, dps=15, executor=ThreadPoolExecutor(1), progress=False)
    grid = {"N": [50, 80], "activation": ["relu", "tanh"], "alpha": ["0.5", 1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = sweep(grid=grid, fast=True, check=0, **point)
        exact = sweep(grid=grid, **point)
    for a, b in zip(fast, exact):
        assert a["fast"] == "vouched" and a.get("warning") == b.get("warning")
        assert all(abs(float(a[name]) / float(b[name]) - 1) < 6e-10 for name in OUTPUTS)


def test_check_is_a_non_negative_integer():
    with pytest.raises(ParameterError, match="check must be a non-negative integer"):
        sweep(grid={"N": [20]}, gamma="0.01", fast=True, check=-1, executor=ThreadPoolExecutor(1), **POINT)


# -- the loss surface -------------------------------------------------------------------------------
def test_the_surface_is_the_solver_and_its_slope_the_derivative():
    surface = loss_surface(grid=5, product=1e8, ridges=(-3, 3))
    i, j = 1, 3  # log10 gamma = -1.5, log10(N/P) = 3: N = 10**5.5, P = 10**2.5
    N, P, gamma = 10**5.5, 10**2.5, 10**-1.5
    certified = solve(N=short(N), P=short(P), gamma=short(gamma), M="inf", dps=20)
    assert abs(surface.loss[i, j] / float(certified.loss) - 1) < TOLERANCE
    h = mpmath.mpf("1e-8")
    with mpmath.workdps(30):
        def log_loss(g):
            return mpmath.log(solve(N=short(N), P=short(P), gamma=g, M="inf", dps=25).loss)
        up, down = (mpmath.nstr(gamma * mpmath.exp(sign * h), 25) for sign in (1, -1))
        slope = (log_loss(up) - log_loss(down)) / (2 * h)
    assert abs(surface.slope[i, j] - float(slope)) < 1e-5


@pytest.mark.slow
def test_the_surface_draws_the_regimes_from_their_conditions():
    """Deep inside a regime (every condition holds by three decades) the slope in the ridge is its exponent."""
    from largen.solver.numerics.scaling import regimes_at

    regimes = regimes_at(alpha=sympy.Integer(1))
    surface = loss_surface(regimes=regimes, grid=9)
    assert {r.regime.name for r in surface.regions} >= {"ridge", "ridgeless, N-limited", "ridgeless, P-limited"}
    checked = 0
    for region in surface.regions:
        deep = (np.minimum.reduce(region.margins) > 3) & np.isfinite(surface.slope)  # N = P exactly: no root
        exponent = float(region.regime.exponents[sympy.Symbol("gamma", positive=True)])
        assert region.inside.shape == (9, 9) and np.all(np.abs(surface.slope[deep] - exponent) < 0.01)
        checked += deep.sum()
    assert checked >= 20
