"""Digits: the solver at high precision, at the interpolation threshold, and with M = infinity."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from largen.diagrams.errors import SolverError, SpectrumError
from largen.diagrams.engine.spectral import moment_form
from largen.solver import Spectrum, solve


@pytest.fixture(scope="module")
def threshold_spectrum(tmp_path_factory):
    """lambda_I = I^-2, I = 1..500, written as 50-digit decimals."""
    path = tmp_path_factory.mktemp("spectrum") / "inverse_squares.txt"
    with mpmath.workdps(60):
        path.write_text("\n".join(mpmath.nstr(mpmath.mpf(1) / i**2, 50) for i in range(1, 501)) + "\n")
    return Spectrum.from_file(path)


def test_threshold_digits_at_dps_40(threshold_spectrum):
    point = dict(N=200, P=200, gamma="1e-30")
    at_40 = solve(spectrum=threshold_spectrum, dps=40, **point)
    at_80 = solve(spectrum=threshold_spectrum, dps=80, **point)
    with mpmath.workdps(90):
        error = abs(at_40.loss / at_80.loss - 1)
    assert error < mpmath.mpf(10) ** -35
    assert at_40.as_dict()["loss"] == mpmath.nstr(at_80.loss, 40, strip_zeros=False)
    # the loss amplifies relative errors of the eigenvalues by about 1.5 only: the 50-digit inputs
    # support 49 digits; what float64 loses here is lost evaluating the equations, not in the inputs
    assert at_40.supported_digits == 49 and 1 < at_40.condition < 2


def test_supported_digits_match_the_effect_of_rounding_the_spectrum(threshold_spectrum, tmp_path):
    # round the eigenvalues to 20 digits: the loss moves by about what supported_digits predicts
    path = tmp_path / "rounded.txt"
    with mpmath.workdps(60):
        path.write_text("\n".join(mpmath.nstr(lam, 20) for lam in threshold_spectrum.listed()) + "\n")
    point = dict(N=200, P=200, gamma="1e-30", dps=40)
    rounded, exact = solve(spectrum=Spectrum.from_file(path), **point), solve(spectrum=threshold_spectrum, **point)
    with mpmath.workdps(50):
        moved = -mpmath.log10(abs(rounded.loss / exact.loss - 1))
    assert rounded.supported_digits <= moved + 1 and moved < rounded.supported_digits + 4


def test_float64_loses_the_threshold(threshold_spectrum):
    # the same derived formula, solved and evaluated in float64 only (the spectral sums of a
    # listed spectrum are exact float64 sums)
    point = dict(N=200, P=200, gamma="1e-30")
    exact = solve(spectrum=threshold_spectrum, dps=20, **point).loss
    error = math.inf  # float64 failing to follow the branch down to the ridge counts as losing every digit
    try:
        loss = solve(spectrum=threshold_spectrum, context=mpmath.fp, **point).loss
        error = abs(loss / float(exact) - 1) if math.isfinite(loss) else math.inf
    except SolverError:
        pass
    # float64 keeps fewer than three digits of the loss here (0.5% off on this machine); dps 40 keeps 35
    assert error > 1e-3


MOMENTS = [(1, 1), (1, 2), (2, 2), (2, 1), (1, 3)]


def test_moments_at_infinite_M_against_a_closed_form():
    # sum_I 1/(1 + p I^2) = (pi/sqrt(p) coth(pi/sqrt(p)) - 1)/2, for lambda_I = I^-2
    with mpmath.workdps(40):
        for pole in ("1e-2", "1e-6", "1e-12", "1e3"):
            p = mpmath.mpf(pole)
            total = Spectrum.power_law(1, math.inf).moments(p, [(1, 1)])[1, 1]
            exact = (mpmath.pi / mpmath.sqrt(p) / mpmath.tanh(mpmath.pi / mpmath.sqrt(p)) - 1) / 2
            assert abs(total / exact - 1) < mpmath.mpf(10) ** -37


@pytest.mark.slow
@pytest.mark.parametrize("alpha", ["1", "0.3", "4", "0", "-0.5"])
def test_moments_of_long_power_laws_against_direct_summation(alpha):
    M = 4000
    with mpmath.workdps(60):
        exponent = -(1 + mpmath.mpf(alpha))
        eigenvalues = [mpmath.mpf(i) ** exponent for i in range(1, M + 1)]
    for pole in ("1e-30", "1e-5", "1", "1e4"):
        with mpmath.workdps(40):
            p = mpmath.mpf(pole)
            found = Spectrum.power_law(alpha, M).moments(p, MOMENTS + [(0, 1)])
        with mpmath.workdps(60):
            for (a, b), value in found.items():
                direct = mpmath.fsum(lam**a / (lam + p) ** b for lam in eigenvalues)
                assert abs(value / direct - 1) < mpmath.mpf(10) ** -37, (alpha, pole, a, b)


def test_moments_of_a_sum_of_pieces_add(tmp_path):
    path = tmp_path / "spikes.txt"
    path.write_text("2.5\n0.125\n")
    spikes, law = Spectrum.from_file(path), Spectrum.power_law("0.5", math.inf, lam_plus="0.75")
    combined = law + spikes
    assert combined.size == math.inf and "2 listed eigenvalues" in repr(combined)
    with mpmath.workdps(35):
        p = mpmath.mpf("1e-3")
        total = combined.moments(p, MOMENTS)
        parts = [law.moments(p, MOMENTS), spikes.moments(p, MOMENTS)]
        for order in MOMENTS:
            assert abs(total[order] / (parts[0][order] + parts[1][order]) - 1) < mpmath.mpf(10) ** -32
        assert parts[1][1, 1] == mpmath.mpf("2.5") / mpmath.mpf("2.501") + mpmath.mpf("0.125") / mpmath.mpf("0.126")


def test_power_law_parameters_are_exact_decimals():
    # alpha = 0.3 is 3/10 at every precision, not the float64 nearest to it
    with mpmath.workdps(50):
        p = mpmath.mpf(10) ** 6
        found = Spectrum.power_law("0.3", 2).moments(p, [(1, 0)])[1, 0]
        assert abs(found - (1 + mpmath.mpf(2) ** mpmath.mpf("-1.3"))) < mpmath.mpf(10) ** -48


def test_continuum_start_is_close_to_the_exact_moments():
    for spectrum in (Spectrum.power_law("0.2", math.inf), Spectrum.power_law(1, 10**6), Spectrum.power_law(5, 3000)):
        for p in (1e-12, 1e-3, 1.0, 100.0):
            approximate = spectrum.approximate_moments(p, MOMENTS)
            with mpmath.workdps(20):
                exact = spectrum.moments(mpmath.mpf(p), MOMENTS)
            assert all(abs(approximate[k] / float(exact[k]) - 1) < 1e-7 for k in MOMENTS)


def test_moments_refuse_a_divergent_sum_and_a_non_positive_pole():
    with pytest.raises(SpectrumError, match="diverges at M = inf"):
        Spectrum.power_law(1, math.inf).moments(mpmath.mpf(1), [(0, 1)])
    with pytest.raises(SpectrumError, match="positive pole"):
        Spectrum.power_law(1, 10).moments(mpmath.mpf(-1), [(1, 1)])


def test_infinite_M_is_the_limit_of_growing_M():
    # at M = inf sigma_u^2 and sigma_w^2 are the entry variances: compare with finite M at
    # sigma_u^2 = M, sigma_w^2 = M, the same entry variances
    values = []
    for M in (2000, 20000, 200000):
        root = math.isqrt(M) if math.isqrt(M) ** 2 == M else sympy.sqrt(M)
        values.append(solve(N=30, P=40, M=M, gamma="0.01", sigma_u=root, sigma_w=root, dps=20).loss)
    infinite = solve(N=30, P=40, M="inf", gamma="0.01", dps=20)
    assert "no 1/M" in infinite.as_dict()["normalization"]
    gaps = [abs(v - infinite.loss) for v in values]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3 * infinite.loss
    assert np.isclose(float(values[2]), float(infinite.loss), rtol=1e-3)


def test_a_slowly_decaying_infinite_spectrum():
    # alpha = 0.05: the tail beyond float64's range still matters; the exact moments carry it
    low, high = (solve(N=100, P=200, gamma="1e-4", alpha="0.05", M="inf", dps=d) for d in (20, 40))
    with mpmath.workdps(45):
        assert abs(low.Delta / high.Delta - 1) < mpmath.mpf(10) ** -19
        assert abs(low.loss / high.loss - 1) < mpmath.mpf(10) ** -19


def test_summands_with_two_poles_are_refused():
    from largen.diagrams.engine.spectral import EIGENVALUE as lam
    x = sympy.Symbol("x", positive=True)
    with pytest.raises(SolverError, match="more than one pole"):
        moment_form(lam / ((lam + x) * (lam + 2 * x)))
    assert moment_form(lam**2 / (x * lam + 1) ** 2) == (1 / x, 2, {2: x**-2})
