"""Certified digits and legitimate inputs answered: the solver's reliability probes.

Reference values were computed at dps 90 (the S3 training loss is the probe's own reference).
Each regression test is named after its probe in ../shared/reliability-probes.md.
"""

import math
import warnings

import mpmath
import pytest
import sympy

from largen.diagrams.errors import LargenWarning, ParameterError
from largen.diagrams.engine.model import ridge_model
from largen.solver import Spectrum, solve


def printed_right(text, exact, dps):
    """The printed value is within one unit of its last digit of ``exact`` (a decimal string)."""
    with mpmath.workdps(dps + 30):
        value, exact = mpmath.mpf(text), mpmath.mpf(exact)
        if exact == 0:
            return value == 0
        return abs(value - exact) <= mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(exact))) - dps + 1)


def assert_digits(solution, **references):
    text = solution.as_dict()
    for name, exact in references.items():
        assert text[name] is not None, solution.uncertified
        assert printed_right(text[name], exact, solution.dps), (name, text[name], exact)


@pytest.mark.parametrize("point, train_loss", [
    (dict(N=100, P=30, M=800, gamma="1e-20"), "1.51264174351221991497408962265458253543074407848640475606703e-40"),
    (dict(N=300, P=300, M=50, gamma="1e-20"), "2.74719999999999999991011601152000000000276432334243430399992e-44"),
    (dict(N=100, P=1, M="inf", alpha=2, gamma="1e-20"), "1.00270450226341832690310188113354530482796686584569451663804e-44"),
])
def test_probe_S3_training_loss_has_the_digits_it_claims(point, train_loss):
    # dps 20 claimed 20 digits where 9 were right: the root was shared by both evaluations
    solution = solve(dps=20, **point)
    assert_digits(solution, train_loss=train_loss)
    assert solution.as_dict()["train_loss"] != "1.5126417445125442371e-40"


def test_probe_S3_a_broken_tail_is_caught_by_the_second_split(monkeypatch):
    # an error only in the second evaluation's tail split must leave those outputs uncertified, not wrong
    moments = Spectrum.moments

    def broken(self, p, orders, split=1):
        found = moments(self, p, orders, split)
        return {k: v * (1 + mpmath.mpf(10) ** -22) for k, v in found.items()} if split != 1 else found

    monkeypatch.setattr(Spectrum, "moments", broken)
    solution = solve(N=100, P=30, M=800, gamma="1e-3", dps=30)
    assert solution.loss is None and "not stable to 30 digits" in solution.uncertified["loss"]
    assert solution.as_dict()["loss"] is None and "loss" in solution.as_dict()["uncertified"]
    assert solution.Delta is None and solution.train_loss is None


def test_probe_E5_data_limited_points_are_answered_with_certified_digits():
    # N >> P interpolates: the training loss is O(gamma**2), a difference of O(gamma) terms
    assert_digits(solve(N=10**10, P=10**4, gamma=1e-20, alpha=1, M="inf", dps=30),
                  loss="0.000123357842291171643638504708728984514934648995952736302393784666556698719870523978771318102",
                  train_loss="2.02663240017121990502319937251307639324276352964929067823767503331101442811939888210349195e-57",
                  Delta="0.0000000246715437866658704933722142448455576806023042861777976756944346066069016075247362864935472")
    assert_digits(solve(N=100, P=1, M="inf", alpha=2, gamma="1e-20", dps=50),
                  loss="0.259553126902120092698048174902625527543853755421832153383819780924019872434411039790864997",
                  train_loss="1.00270450226341832690310188113354530482796686584569451663804288467061449619242846863075910e-44")
    assert_digits(solve(N=200, P=300, M=1, gamma="1e-15", dps=30),
                  loss="1.42412614813440991568152351676661349650620115299594452957015459455783164737007568730365768e-40",
                  train_loss="1.41464779743738200968731329720068226950644007950723316744108183272607695112972698080000221e-40")


@pytest.mark.parametrize("scale", ["1e20", "1e-50"])
def test_probe_E5_scaled_spectra(scale):
    # lambda -> c lambda is the ridge gamma/c with the loss times c (features and teacher scale together)
    c = sympy.Rational(scale)
    scaled = solve(spectrum=Spectrum.power_law(1, 800, lam_plus=scale), N=100, P=300, gamma="1e-3", dps=25)
    plain = solve(N=100, P=300, M=800, gamma=sympy.Rational(1, 1000) / c, dps=25)
    with mpmath.workdps(40):
        assert abs(scaled.loss / (plain.loss * mpmath.mpf(scale)) - 1) < mpmath.mpf(10) ** -24


def test_probe_E5_infinite_M_at_dps_400():
    solution = solve(N=100, P=300, M="inf", gamma="1e-3", dps=400)
    assert not solution.uncertified
    assert solution.as_dict()["loss"].startswith("0.01831808608525977335177384644405141982301711972317526763055503993")


@pytest.mark.parametrize("gamma", ["1e200", "1e308", "1e400"])
def test_probe_T2_huge_ridges_reach_the_untrained_loss(gamma):
    # gamma -> inf: nothing is learnt; the loss is sigma_w^2 tr(Lambda)/(2M), tr(Lambda) = H(50, 2)
    untrained = sympy.harmonic(50, 2) / 100
    solution = solve(N=20, P=30, M=50, gamma=gamma, dps=25)
    assert printed_right(solution.as_dict()["loss"], str(sympy.N(untrained, 40)), 25)


def test_probe_T2_a_tiny_ridge_beyond_float64():
    assert_digits(solve(N=20, P=30, M=50, gamma="1e-400", dps=30),
                  loss="0.00226257890792513870350809646470361382517171652623162184683407062934850263074358842337904957",
                  Delta="0.00377096484654189783918016077450602304195286087705270307805678438224750438457264737229841595")


def test_probe_T2_sympy_ridges_and_refused_ridges():
    exact = solve(N=20, P=30, M=50, gamma=sympy.pi / 1000, dps=25)
    decimal = solve(N=20, P=30, M=50, gamma=str(sympy.N(sympy.pi / 1000, 50)), dps=25)
    assert exact.as_dict()["loss"] == decimal.as_dict()["loss"]
    assert solve(N=20, P=30, M=50, gamma=sympy.sqrt(2), dps=20).loss > 0
    for bad in (float("inf"), sympy.I, float("nan"), 0):
        with pytest.raises(ParameterError):
            solve(N=20, P=30, M=50, gamma=bad)


def test_probe_T3_a_vanishing_feature_variance_gives_the_untrained_loss():
    solution = solve(N=20, P=30, M=50, gamma="0.01", sigma_u=0, dps=30)
    untrained = sympy.harmonic(50, 2) / 100
    assert printed_right(solution.as_dict()["loss"], str(sympy.N(untrained, 50)), 30)
    assert solution.as_dict()["loss"] == solution.as_dict()["train_loss"]
    assert solution.Delta is None and "infinite" in solution.uncertified["Delta"]
    assert solution.unknowns["Sigma_theta"] == 0 and printed_right(solution.as_dict()["unknowns"]["Sigma_rho_M"], "-30", 30)


def test_probe_T3_extreme_scales():
    # features scaled by c are the ridge gamma/c^2; a teacher scaled by c scales the loss by c^2
    big = solve(N=20, P=30, M=50, gamma="0.01", sigma_u="1e200", dps=25)
    ridge = solve(N=20, P=30, M=50, gamma="1e-402", dps=25)
    assert big.as_dict()["loss"] == ridge.as_dict()["loss"]
    teacher = solve(N=20, P=30, M=50, gamma="0.01", sigma_w="1e200", dps=25)
    plain = solve(N=20, P=30, M=50, gamma="0.01", dps=25)
    with mpmath.workdps(40):
        assert abs(teacher.loss / plain.loss / mpmath.mpf(10) ** 400 - 1) < mpmath.mpf(10) ** -24
    tiny = solve(N=20, P=30, M=50, gamma="0.01", sigma_u="1e-200", dps=25)
    assert printed_right(tiny.as_dict()["loss"], str(sympy.N(sympy.harmonic(50, 2) / 100, 40)), 25)


def test_probe_T4_a_nearly_flat_infinite_spectrum():
    low, high = (solve(N=20, P=30, M="inf", alpha="1e-30", gamma="0.01", dps=d) for d in (20, 40))
    for name in ("loss", "train_loss", "Delta"):
        assert printed_right(low.as_dict()[name], mpmath.nstr(getattr(high, name), 40), 20)


@pytest.mark.parametrize("dps", [99999999999999999999, 0, -3, None, 2.5, True, "20"])
def test_probe_T5_dps_must_be_an_integer_in_range(dps):
    with pytest.raises(ParameterError, match="dps must be"):
        solve(N=20, P=30, M=50, gamma="0.01", dps=dps)


def test_probe_E1_a_spectrum_of_zeros(tmp_path):
    path = tmp_path / "zeros.txt"
    path.write_text("0\n0\n0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LargenWarning)
        solution = solve(spectrum=Spectrum.from_file(path), N=3, P=4, gamma="1e-2", dps=20)
        noisy = solve(spectrum=Spectrum.from_file(path), N=3, P=4, gamma="1e-2", sigma_eps="0.1", dps=20)
    assert solution.loss == 0 and solution.train_loss == 0
    assert solution.uncertified == {"condition": "the loss is 0: it has no relative condition number"}
    # nothing to learn from: the fit keeps the label noise
    assert noisy.loss == 0 and noisy.as_dict()["train_loss"] == "0.0050000000000000000000"


def test_probe_E2_a_ridge_tied_to_a_variance():
    tied = ridge_model("tied", [("U", "N", "s**2/M")], ridge="s")
    a = solve(tied, N=20, P=30, M=50, s=1, dps=25)
    b = solve(N=20, P=30, M=50, gamma=1, dps=25)
    assert a.as_dict()["loss"] == b.as_dict()["loss"] and a.as_dict()["train_loss"] == b.as_dict()["train_loss"]
    # with s = 2 the ridge is 2 and the entry variance 4/M: features twice as large, ridge 2/4
    c = solve(tied, N=20, P=30, M=50, s=2, dps=25)
    d = solve(N=20, P=30, M=50, gamma="0.5", dps=25)
    assert c.as_dict()["loss"] == d.as_dict()["loss"]


def test_probe_E2_huge_width_and_slow_decay():
    assert_digits(solve(N=10**20, P=30, M=50, gamma="0.01", dps=30),
                  loss="0.000354193703071261365451770198779082158937847876480849492638914177495922908895850473446519917",
                  train_loss="7.05828471348350592840762757350400924786152480882664793623208600284899180432701191153896805e-42")
    assert solve(N=20, P=30, M="inf", alpha="1e-5", gamma="0.01", dps=20).loss > 0


def test_probe_U5_one_digit_is_printed_plainly():
    text = solve(N=50, P=80, M=100, gamma="1e-6", dps=1).as_dict()
    assert text["train_loss"] == "5e-5" and text["loss"] == "0.0004"
    assert not any(".e" in v or v.endswith(".") for v in text.values() if isinstance(v, str))


def test_real_sizes():
    # the planar theory is analytic in the sizes: real sizes are answered, exchange symmetry included
    a = solve(N="2.5", P="7.25", M=40, gamma="0.003", dps=28)
    b = solve(N="7.25", P="2.5", M=40, gamma="0.003", dps=28)
    assert a.as_dict()["loss"] == b.as_dict()["loss"]
    low, mid, high = (solve(N=n, P=300, M=800, gamma="1e-2", dps=20).loss for n in (100, "100.5", 101))
    assert min(low, high) < mid < max(low, high)


def test_latent_size_as_mpmath_and_math_inf():
    reference = solve(N=100, P=300, M="inf", gamma="1e-3", dps=30).as_dict()
    for infinite in (mpmath.inf, math.inf, sympy.oo):
        assert solve(N=100, P=300, M=infinite, gamma="1e-3", dps=30).as_dict() == reference
    assert printed_right(reference["loss"], "0.0183180860852597733517738464440514198230171197231752676305550399", 30)


def test_small_sizes_warn_that_the_planar_theory_is_stretched():
    with pytest.warns(LargenWarning, match="below 10"):
        solve(N=3, P=4, M=5, gamma="0.01", dps=15)
    with pytest.warns(LargenWarning, match="size N below 1"):
        solve(N="0.5", P=40, M=50, gamma="0.01", dps=15)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LargenWarning)
        solve(N=30, P=40, M=50, gamma="0.01", dps=15)


def test_float64_mode_is_public_and_uncertified():
    fast = solve(N=50, P=80, M=100, gamma="1e-3", context=mpmath.fp)
    exact = solve(N=50, P=80, M=100, gamma="1e-3", dps=20)
    assert isinstance(fast.loss, float) and abs(fast.loss / float(exact.loss) - 1) < 1e-6
    assert set(fast.uncertified) == {"loss", "train_loss", "Delta"}


def test_probe_E5_training_loss_far_below_its_terms():
    # gamma = 1e-300 with N >> P: the training loss ~ gamma**2, far below E_min ~ gamma
    low, high = (solve(N=1000, P=10, M=50, gamma="1e-300", dps=d) for d in (20, 40))
    assert not low.uncertified and not high.uncertified
    assert printed_right(low.as_dict()["train_loss"], mpmath.nstr(high.train_loss, 40), 20)
    assert mpmath.mpf("1e-605") < low.train_loss < mpmath.mpf("1e-603")


def test_probe_T20_integer_sizes_fixed_in_a_model_file(tmp_path):
    from largen.diagrams import load_model

    path = tmp_path / "fixed.toml"
    path.write_text('[model]\nname = "fixed"\nlatent = "7"\nsamples = "9"\n\n'
                    '[[model.features]]\nwidth = "5"\nvariance = "sigma_u**2/7"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LargenWarning)
        fixed = solve(load_model(path), gamma="0.01", dps=20)
        free = solve(N=5, P=9, M=7, gamma="0.01", dps=20)
    assert fixed.as_dict()["loss"] == free.as_dict()["loss"] == "0.017979496190639293425"


def test_huge_sizes_far_from_the_latent_size():
    # N = P = 1e300 against M = 50: the training loss is 1e-1198 against terms far larger; the
    # measured cancellation is paid for with guard digits beyond the ridge's own
    solution = solve(N=10**300, P=10**300, M=50, gamma="0.01", dps=20)
    assert not solution.uncertified
    assert solution.as_dict()["train_loss"] == solution.as_dict()["loss"] == "1.0731250000000000000e-1198"


@pytest.mark.parametrize("point", [dict(N=100, P=30, M=800, gamma="1e-20"), dict(N=1000, P=10, M=50, gamma="1e-300"),
                                   dict(N=30, P=100, M=800, gamma="1e-3", sigma_eps="0.1")])
def test_training_loss_is_a_derivative_free_of_cancellation(point):
    """-(1/P) dE/dbeta_train cancels no digit where (E - gamma dE/dgamma)/P cancels 19 or 300."""
    from largen.solver.numerics.certification import outputs
    from largen.solver.numerics.continuation import newton
    from largen.solver.numerics.equations import equations
    from largen.solver.numerics.point import bind

    bound = bind(**point)
    system = equations(bound.model, bound.scaled_values, bound.spectrum)
    solution = solve(dps=40, **point)
    samples, gamma = bound.size(bound.model.samples), bound.values[bound.model.regression.ridge]
    with mpmath.workdps(50):
        start = [mpmath.mpf(solution.unknowns[str(u)]) for u in system.unknowns]
        s = newton(system, mpmath.mp, start, mpmath.mpf(gamma), mpmath.mpf(10) ** -45).root
        found = outputs(system, mpmath.mp, s, mpmath.mpf(gamma), samples)
    assert found.cancelled["train_loss"] <= 1
    assert abs(found.values["train_loss"] / solution.train_loss - 1) < mpmath.mpf(10) ** -38


def _first_polish(point, dps):
    """The system at ``point`` and the certified solver's first polish there, at ``dps`` working digits."""
    from largen.solver.numerics.continuation import polished_root
    from largen.solver.numerics.equations import equations
    from largen.solver.numerics.point import bind

    bound = bind(**point)
    system = equations(bound.model, bound.scaled_values, bound.spectrum)
    with mpmath.workdps(dps):
        gamma = mpmath.mpf(bound.values[bound.model.regression.ridge])
        return system, gamma, polished_root(system, gamma, mpmath.mpf(10) ** -(dps - 10))


def test_the_first_evaluation_moved_to_the_root_agrees_with_the_outputs_there():
    # the outputs at the polish's start, moved along its last step by float64 differences, are the
    # outputs at the root (an exact-moment evaluation fewer), and are refused where they cannot be
    from largen.solver.numerics.certification import _moved, outputs

    system, gamma, found = _first_polish({"N": 50, "P": 80, "M": 100, "gamma": "1e-3"}, 30)
    samples = mpmath.mpf(80)
    with mpmath.workdps(30):
        moved = _moved(system, found, gamma, samples, 20)
        there = outputs(system, mpmath.mp, found.root, gamma, samples)
        start = outputs(system, mpmath.mp, found.at, gamma, samples)
        assert _moved(system, found, gamma, samples, 40) is None  # 40 digits: beyond what float64 moves
    for name in ("loss", "train_loss", "Delta"):
        assert abs(moved.values[name] / there.values[name] - 1) < mpmath.mpf(10) ** -18
        assert abs(start.values[name] / there.values[name] - 1) > mpmath.mpf(10) ** -16  # the move mattered
    assert moved.root == found.root


def test_a_move_off_beyond_its_estimate_is_caught_by_the_second_evaluation(monkeypatch):
    from largen.solver.numerics import certification

    point = {"N": 50, "P": 80, "M": 100, "gamma": "1e-3"}
    moved, used = certification._moved, []

    def spy(*args):
        found = moved(*args)
        used.append(found is not None)
        return found

    monkeypatch.setattr(certification, "_moved", spy)
    reference = solve(dps=15, **point).as_dict()
    assert used == [True]

    def off(*args):  # a move wrong in the 13th digit
        found = moved(*args)
        return certification.Outputs({k: v * (1 + mpmath.mpf(10) ** -13) for k, v in found.values.items()},
                                     found.cancelled, found.root)

    monkeypatch.setattr(certification, "_moved", off)
    assert solve(dps=15, **point).as_dict() == reference  # found again at the root, not certified off


def test_a_certified_solve_at_dps_15_evaluates_the_exact_moments_twice(monkeypatch):
    # the polish from the float64 root, and the independent second evaluation: the outputs at the
    # first root come from the polish's evaluation, moved (measured: a third of the solve's time)
    moments, splits = Spectrum.moments, []

    def counted(self, p, orders, split=1):
        splits.append(split)
        return moments(self, p, orders, split)

    monkeypatch.setattr(Spectrum, "moments", counted)
    solution = solve(N=300, P=700, M=1000, gamma="1e-3", dps=15)
    assert not solution.uncertified
    assert splits == [1, 1.5]
