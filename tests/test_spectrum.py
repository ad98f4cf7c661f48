"""Spectra and their moments at the extremes, against values found independently.

The references: direct summation at high precision, mpmath's Hurwitz zeta with
its argument held exactly, and a closed form by partial fractions,

    sum_{I>=1} 1/(1 + q I**s) = -1/(q s) sum_j psi(1 - r_j) / r_j**(s-1),   r_j**s = -1/q,

(the digamma function psi; the divergent parts cancel since sum_j 1/r_j**(s-1) = 0),
which gives T_11(p) for lambda_I = c I**-s with q = p/c, at any p.
"""

import math

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import bounded_work
from largen.diagrams.errors import CostError, SpectrumError
from largen.solver import Spectrum
from largen.solver.numerics.spectrum import Listed

MOMENTS = [(1, 1), (1, 2), (2, 2), (2, 1), (1, 3)]


def partial_fractions(q, s):
    """sum_{I>=1} 1/(1 + q I**s) for an integer s >= 2, at the working precision."""
    roots = [mpmath.root(-1 / q, s, k) for k in range(s)]
    return mpmath.re(-mpmath.fsum(mpmath.digamma(1 - r) / r ** (s - 1) for r in roots) / (q * s))


def direct(eigenvalues, p, a, b):
    return mpmath.fsum(lam**a / (lam + p) ** b for lam in eigenvalues)


def relative(x, y):
    return abs(x / y - 1)


def test_partial_fractions_reference_against_the_closed_form_at_s_2():
    with mpmath.workdps(40):
        q = mpmath.mpf("0.01")
        closed = (mpmath.pi / mpmath.sqrt(q) / mpmath.tanh(mpmath.pi / mpmath.sqrt(q)) - 1) / 2
        assert relative(partial_fractions(q, 2), closed) < mpmath.mpf(10) ** -38


# S5, T11: divergent power sums are refused, never continued analytically


@pytest.mark.parametrize("k", [0, -1, "1/2", "0.5", 1.5])
def test_probe_S5_divergent_power_sums_are_refused(k):
    with pytest.raises(SpectrumError, match="tr Lambda\\*\\*k needs a positive integer k"):
        Spectrum.power_law(1, math.inf).power_sum(k)
    with pytest.raises(SpectrumError, match="needs a positive integer k"):
        Spectrum.power_law(1, math.inf).power_sum_value(k)


def test_probe_S5_convergent_power_sums_are_exact():
    assert Spectrum.power_law(1, math.inf).power_sum(1) == sympy.pi**2 / 6
    assert Spectrum.power_law(1, math.inf).power_sum(2) == sympy.pi**4 / 90
    assert Spectrum.power_law("0.5", 4, lam_plus=2).power_sum(2) == 4 * (1 + sympy.Rational(1, 8) + sympy.Rational(
        1, 27) + sympy.Rational(1, 64))
    listed = Spectrum([Listed(("0.5", "1/3", "0"))])
    assert listed.power_sum(2) == sympy.Rational(1, 4) + sympy.Rational(1, 9)
    with mpmath.workdps(40):
        assert relative(Spectrum.power_law(1, math.inf).power_sum_value(2), mpmath.pi**4 / 90) < mpmath.mpf(10) ** -39
        assert listed.power_sum_value(2) == mpmath.mpf(13) / 36


def test_probe_T11_the_zeta_pole_is_a_divergence_not_a_traceback():
    # tr Lambda**(1/2) at alpha = 1 is zeta(1): refused with the reason
    with pytest.raises(SpectrumError, match="positive integer k, got 1/2"):
        Spectrum.power_law(1, math.inf).power_sum("0.5")


# S7: zeta(1 + 1e-30), the argument held exactly


@pytest.mark.parametrize("dps", [15, 30, 60])
def test_probe_S7_power_sum_near_the_zeta_pole(dps):
    spectrum = Spectrum.power_law("1e-30", math.inf)
    with mpmath.workdps(dps):
        value = spectrum.power_sum_value(1)
    with mpmath.workdps(dps + 100):  # 1 + 1e-30 exactly, and the 30 digits mpmath's zeta loses at the pole
        reference = mpmath.zeta(1 + mpmath.mpf(10) ** -30)
        assert relative(value, reference) < mpmath.mpf(10) ** (1 - dps)
        assert abs(reference - mpmath.mpf(10) ** 30 - mpmath.euler) < mpmath.mpf(10) ** -29
    assert spectrum.power_sum(1) == sympy.zeta(1 + sympy.Rational(1, 10**30))


def test_probe_S7_a_long_finite_law_near_the_pole():
    spectrum = Spectrum.power_law("1e-30", 10**9)
    with mpmath.workdps(30):
        value = spectrum.power_sum_value(1)
    with mpmath.workdps(100):
        s = 1 + mpmath.mpf(10) ** -30
        reference = mpmath.zeta(s) - mpmath.zeta(s, 10**9 + 1)
        assert relative(value, reference) < mpmath.mpf(10) ** -29
        assert abs(reference - mpmath.harmonic(10**9)) < 1e-27  # H_M, to within 1e-30 log(M)**2


# T10, H4: no exact harmonic numbers of 10^5 terms; the value at a cost flat in M


@pytest.mark.parametrize("M", [10**4, 10**5, 10**9])
def test_probe_T10_H4_long_power_sums_stay_unevaluated_and_evaluate_fast(M):
    spectrum = Spectrum.power_law(1, M)
    with bounded_work(20_000):  # measured 4,400-5,600 calls at any M; a sum by terms: more
        exact = spectrum.power_sum(1)
        assert exact == sympy.harmonic(M, 2, evaluate=False) and str(exact) == f"harmonic({M}, 2)"
        with mpmath.workdps(30):
            value = spectrum.power_sum_value(1)
    with mpmath.workdps(60):
        assert relative(value, mpmath.zeta(2) - mpmath.zeta(2, M + 1)) < mpmath.mpf(10) ** -29


def test_probe_H4_tiny_alpha_at_finite_M():
    spectrum = Spectrum.power_law("1e-30", 1000)
    with bounded_work(100_000):  # measured 44,000 calls
        exact = spectrum.power_sum(1)
        with mpmath.workdps(30):
            value = spectrum.power_sum_value(1)
    assert exact == sympy.harmonic(1000, 1 + sympy.Rational(1, 10**30), evaluate=False)
    with mpmath.workdps(80):
        s = 1 + mpmath.mpf(10) ** -30
        assert relative(value, mpmath.fsum(mpmath.mpf(i) ** -s for i in range(1, 1001))) < mpmath.mpf(10) ** -29


def test_short_power_sums_are_written_out():
    assert Spectrum.power_law(1, 50).power_sum(1) == sum(sympy.Rational(1, i**2) for i in range(1, 51))


# T4: alpha = 1e-30, the float64 start and the exact moments


def test_probe_T4_float_start_for_a_nearly_flat_infinite_law():
    spectrum = Spectrum.power_law("1e-30", math.inf)
    for p in (1e-12, 1e-2, 1.0, 1e3):
        start = spectrum.approximate_moments(p, MOMENTS)
        with mpmath.workdps(20):
            exact = spectrum.moments(mpmath.mpf(p), MOMENTS)
        assert start is not None and all(relative(start[k], float(exact[k])) < 1e-9 for k in MOMENTS)
    # the exact moments near the pole, against an independent value: T_10 = zeta(1 + 1e-30)
    with mpmath.workdps(30):
        T10 = spectrum.moments(mpmath.mpf(1), [(1, 0)])[1, 0]
    with mpmath.workdps(130):  # mpmath's zeta loses 30 digits at the pole
        assert relative(T10, mpmath.zeta(1 + mpmath.mpf(10) ** -30)) < mpmath.mpf(10) ** -29


def test_probe_T4_float_start_says_when_it_cannot():
    # alpha below float64's range: the start is refused (None), the exact moments still come
    spectrum = Spectrum.power_law("1e-400", math.inf)
    assert spectrum.approximate_moments(1.0, MOMENTS) is None
    with mpmath.workdps(20):
        T10 = spectrum.moments(mpmath.mpf(1), [(1, 0)])[1, 0]
    assert relative(T10, mpmath.mpf(10) ** 400) < 1e-18
    assert Spectrum.power_law(1, 3, lam_plus="1e300").approximate_moments(1.0, [(3, 0)]) is None
    assert Spectrum([Listed(("1e308", "1e308"))]).approximate_moments(1.0, [(2, 0)]) is None
    assert Spectrum.power_law(1, math.inf).approximate_moments(0.0, MOMENTS) is None  # an underflowed pole


def test_probe_E5_listed_entries_beyond_float64():
    spectrum = Spectrum([Listed(("1e308", "1e-320", "2.5e400"))])
    with mpmath.workdps(30):
        found = spectrum.moments(mpmath.mpf("1e-300"), MOMENTS)
    with mpmath.workdps(60):
        eigenvalues = [mpmath.mpf(10) ** 308, mpmath.mpf(10) ** -320, mpmath.mpf("2.5e400")]
        for a, b in MOMENTS:
            assert relative(found[a, b], direct(eigenvalues, mpmath.mpf("1e-300"), a, b)) < mpmath.mpf(10) ** -29


@pytest.mark.parametrize("scale", ["1e-200", "1e250"])
def test_probe_E5_float_start_of_scaled_spectra(scale):
    # the scale comes out of the float64 start exactly: T_ab(p) = c**(a-b) T_ab(p/c)
    law = Spectrum.power_law("0.5", math.inf, lam_plus=scale)
    listed = Spectrum([Listed((scale, "0", f"3.5{scale[1:]}"))])
    orders = [(1, 1), (1, 2), (2, 2), (2, 1)]  # of sizes c**(a-b), within float64
    for spectrum in (law, listed):
        for relative_pole in (1e-6, 1.0, 1e6):
            p = float(scale) * relative_pole
            start = spectrum.approximate_moments(p, orders)
            with mpmath.workdps(20):
                exact = spectrum.moments(mpmath.mpf(p), orders)
            assert start is not None and all(relative(start[k], float(exact[k])) < 1e-9 for k in orders)
        # T_13 is of size c**-2: beyond float64, so the start says it cannot
        assert spectrum.approximate_moments(float(scale), [(1, 3)]) is None


def test_probe_T4_nearly_flat_laws_cost_little():
    # 1/s = 1 - 1e-3000: 10**4 guard bits protect the arithmetic, the corrections follow the 30 digits asked
    with bounded_work(100_000):  # measured 16,000 calls; 10^4 guard digits' terms: millions
        with mpmath.workdps(30):
            T = Spectrum.power_law("1e-3000", math.inf).moments(mpmath.mpf(1), [(1, 0), (1, 1)])
    assert relative(T[1, 0], mpmath.mpf(10) ** 3000) < mpmath.mpf(10) ** -29  # zeta(1 + e) = 1/e + 0.577...
    assert relative(T[1, 1], mpmath.mpf(10) ** 3000) < mpmath.mpf(10) ** -29


def test_slowly_decaying_start_carries_the_tail_beyond_float64():
    # alpha = 1e-5: the tail beyond I = e**700 is most of the sum; the start closes it analytically
    spectrum = Spectrum.power_law("1e-5", math.inf)
    for p in (1e-3, 1e12):  # at a large pole the weights of the far panels meet tiny eigenvalues
        start = spectrum.approximate_moments(p, MOMENTS)
        with mpmath.workdps(20):
            exact = spectrum.moments(mpmath.mpf(p), MOMENTS)
        assert all(relative(start[k], float(exact[k])) < 1e-11 for k in MOMENTS)


# T9: a spectrum file that is not UTF-8; the one number reader


def test_probe_T9_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\xff\xfe1\n")
    with pytest.raises(SpectrumError, match="is not UTF-8 text") as error:
        Spectrum.from_file(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "no eigenvalues \\(the file is empty or only comments\\)"),
        ("# a comment\n\n   # another\n", "no eigenvalues"),
        ("1\nnan\n", "line 2: 'nan' is not a number"),
        ("1\ninf\n", "line 2: eigenvalue inf is not a non-negative number"),
        ("1\n-1e-3\n", "line 2: eigenvalue -1e-3 is not a non-negative number"),
        ("0.5\n2+3j\n", "line 2: .*2\\+3j"),
        ("power_law alpha=nan M=inf\n", "line 1: alpha: 'nan' is not a number"),
        ("power_law alpha=1 M=1e400.5\n", "line 1: M"),
        ("power_law alpha=1 M=inf lam_plus=-2\n", "line 1: lam_plus must be positive"),
        ("power_law alpha=0 M=inf\n", "line 1: power law with alpha = 0 and M = inf: the spectral sums diverge"),
    ],
)
def test_probe_T9_bad_spectrum_files_name_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(SpectrumError, match=message) as error:
        Spectrum.from_file(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_listed_pieces_are_checked_when_built_directly():
    with pytest.raises(SpectrumError, match="listed eigenvalues: eigenvalue -1 is not a non-negative number"):
        Spectrum([Listed(("1", "-1"))]).moments(mpmath.mpf(1), [(1, 1)])
    with pytest.raises(SpectrumError, match="a spectrum is made of PowerLaw and Listed pieces, got list"):
        Spectrum([[1, 0.5]])


def test_probe_T9_a_path_is_a_path():
    with pytest.raises(SpectrumError, match="a spectrum file is a path, got int"):
        Spectrum.from_file(2)


def test_spectrum_file_numbers_are_exact(tmp_path):
    path = tmp_path / "exact.txt"
    path.write_text("1e400\n0.1  # a comment\n1/3\n0\npower_law alpha=0.5 M=3 lam_plus=1e-50\n")
    spectrum = Spectrum.from_file(path)
    assert spectrum.size == 7
    assert spectrum.power_sum(1).doit() == (10**400 + sympy.Rational(1, 10) + sympy.Rational(1, 3)
                                     + sympy.Rational(1, 10**50) * sum(sympy.Integer(i) ** sympy.Rational(-3, 2)
                                                                      for i in (1, 2, 3)))
    with mpmath.workdps(30):
        assert list(spectrum.listed())[1:3] == [mpmath.mpf(1) / 10, mpmath.mpf(1) / 3]
        T = spectrum.moments(mpmath.mpf(1), [(1, 1)])[1, 1]
    with mpmath.workdps(60):
        eigenvalues = [mpmath.mpf(10) ** 400, mpmath.mpf(1) / 10, mpmath.mpf(1) / 3, 0] + [
            mpmath.mpf(10) ** -50 * i ** mpmath.mpf(-1.5) for i in (1, 2, 3)]
        assert relative(T, direct(eigenvalues, 1, 1, 1)) < mpmath.mpf(10) ** -29


# H5: alpha large, bounded cost


@pytest.mark.parametrize("alpha", ["1e3", "1e7", "1e10"])
@pytest.mark.parametrize("M", [50, math.inf])
def test_probe_H5_steep_laws_cost_a_few_terms(alpha, M):
    spectrum = Spectrum.power_law(alpha, M)
    with bounded_work(20_000):  # measured 650-2,500 calls: a few terms
        with mpmath.workdps(30):
            found = spectrum.moments(mpmath.mpf("0.01"), MOMENTS)
            approximate = spectrum.approximate_moments(0.01, MOMENTS)
    with mpmath.workdps(60):
        s = 1 + mpmath.mpf(alpha)
        eigenvalues = [mpmath.mpf(i) ** -s for i in range(1, 51)]  # 2**-s is far below 1e-60 already
        for a, b in MOMENTS:
            reference = direct(eigenvalues, mpmath.mpf("0.01"), a, b)
            assert relative(found[a, b], reference) < mpmath.mpf(10) ** -29
            assert abs(approximate[a, b] / float(reference) - 1) < 1e-14


# E1: a spectrum of zeros


def test_probe_E1_moments_of_zeros_are_exact(tmp_path):
    path = tmp_path / "zeros.txt"
    path.write_text("0\n0\n0.0\n")
    spectrum = Spectrum.from_file(path)
    with mpmath.workdps(30):
        found = spectrum.moments(mpmath.mpf("0.01"), MOMENTS + [(0, 1), (0, 2)])
    assert all(found[k] == 0 for k in MOMENTS)
    assert found[0, 1] == 300 and found[0, 2] == 30000
    assert spectrum.approximate_moments(0.01, MOMENTS) == {k: 0.0 for k in MOMENTS}
    assert spectrum.power_sum(1) == 0 and spectrum.power_sum_value(2) == 0


# E5: poles from 1e-400 to 1e400 relative to the eigenvalues, scaled laws, dps 400


@pytest.mark.slow
@pytest.mark.parametrize("scale", ["1", "1e20", "1e-50"])
@pytest.mark.parametrize("alpha", [1, 2])
def test_probe_E5_moments_at_extreme_poles_and_scales(scale, alpha):
    spectrum = Spectrum.power_law(alpha, math.inf, lam_plus=scale)
    s = alpha + 1
    for exponent in (-400, -100, -20, 0, 20, 100, 400):
        with mpmath.workdps(30):
            p = mpmath.mpf(scale) * mpmath.mpf(10) ** exponent
            found = spectrum.moments(p, [(1, 1), (2, 1)])
        with mpmath.workdps(50 + 2 * abs(exponent)):  # the reference cancels about 2 |exponent| digits
            c, p = mpmath.mpf(scale), mpmath.mpf(scale) * mpmath.mpf(10) ** exponent
            T11 = partial_fractions(p / c, s)
            T21 = c * mpmath.zeta(s) - p * T11  # lambda**2/(lambda + p) = lambda - p lambda/(lambda + p)
            assert relative(found[1, 1], T11) < mpmath.mpf(10) ** -29, exponent
            assert relative(found[2, 1], T21) < mpmath.mpf(10) ** -29, exponent


def test_probe_E5_the_pole_of_a_data_limited_point():
    # solve(N=100, P=1, M=inf, alpha=2, gamma=1e-20, dps=50) asks for T_ab at tiny poles
    spectrum = Spectrum.power_law(2, math.inf)
    for pole in ("1e-20", "3.7e-41", "1e-60"):
        with mpmath.workdps(55):
            found = spectrum.moments(mpmath.mpf(pole), [(1, 1)])[1, 1]
        with mpmath.workdps(130):
            assert relative(found, partial_fractions(mpmath.mpf(pole), 3)) < mpmath.mpf(10) ** -54


def test_probe_E5_moments_at_dps_400():
    spectrum = Spectrum.power_law(1, math.inf)
    with mpmath.workdps(400):
        p = mpmath.mpf("1e-3")
        found = spectrum.moments(p, [(1, 1)])[1, 1]
        closed = (mpmath.pi / mpmath.sqrt(p) / mpmath.tanh(mpmath.pi / mpmath.sqrt(p)) - 1) / 2
        assert relative(found, closed) < mpmath.mpf(10) ** -398


@pytest.mark.slow
@pytest.mark.parametrize("alpha, scale", [
    ("0.7", "1e-50"), ("-2.5", "1e-50"),  # both Euler-Maclaurin ends; a growing law (alpha < -1)
    ("-0.5", "1e20"), ("0", "1e20"), ("-0.75", "1e-30"),  # 1/s an integer: the integral's beta form
])
def test_moments_of_a_long_finite_law_against_direct_summation(alpha, scale):
    M = 3000
    spectrum = Spectrum.power_law(alpha, M, lam_plus=scale)
    with mpmath.workdps(50):
        s = -(1 + mpmath.mpf(sympy.Rational(alpha).p) / sympy.Rational(alpha).q)
        eigenvalues = [mpmath.mpf(scale) * mpmath.mpf(i) ** s for i in range(1, M + 1)]
    for relative_pole in ("1e-2", "1e2"):
        with mpmath.workdps(30):
            p = mpmath.mpf(scale) * mpmath.mpf(relative_pole)
            found = spectrum.moments(p, MOMENTS + [(0, 1), (1, 0)])
        with mpmath.workdps(50):
            for a, b in MOMENTS + [(0, 1), (1, 0)]:
                assert relative(found[a, b], direct(eigenvalues, p, a, b)) < mpmath.mpf(10) ** -29, (a, b)


@pytest.mark.parametrize("M", [10**6, 10**9])
@pytest.mark.parametrize("pole", ["1e-3", "0.3"])
@pytest.mark.parametrize("dps", [15, 30, 60])
def test_moments_of_a_very_long_finite_law_against_the_infinite_one_less_its_rest(M, pole, dps):
    # the far end of a long law needs only a few Euler-Maclaurin corrections; the reference is
    # independent of them: T_11 = sum_{I<=M} 1/(1 + p I**2) is the partial-fraction sum to infinity
    # less the rest, sum_{I>M} = sum_k (-1)**k p**-(k+1) zeta(2 (k+1), M + 1), whose terms fall like
    # (p M**2)**-k
    with mpmath.workdps(dps):
        found = Spectrum.power_law(1, M).moments(mpmath.mpf(pole), [(1, 1)])[1, 1]
    with mpmath.workdps(dps + 30):
        p = mpmath.mpf(pole)
        rest = mpmath.nsum(lambda k: (-1) ** int(k) * p ** -(k + 1) * mpmath.zeta(2 * (k + 1), M + 1), [0, mpmath.inf])
        assert relative(found, partial_fractions(p, 2) - rest) < mpmath.mpf(10) ** (1 - dps)


def test_precision_beyond_reach_is_a_cost_error():
    with mpmath.workdps(10**6), pytest.raises(CostError, match="would take about .* s \\(limit 20 s"):
        Spectrum.power_law(1, math.inf).moments(mpmath.mpf(1), [(1, 1)])


def test_infinite_size_given_every_way():
    for M in (math.inf, mpmath.inf, sympy.oo, "inf"):
        assert Spectrum.power_law(1, M).size == math.inf


@settings(max_examples=25, deadline=None, derandomize=True)
@given(alpha=st.fractions(-3, 60, max_denominator=10), scale=st.integers(-300, 300), pole=st.integers(-400, 400),
       M=st.integers(1, 300), dps=st.sampled_from([15, 30]))
def test_moments_of_random_laws_against_direct_summation(alpha, scale, pole, M, dps):
    spectrum = Spectrum.power_law(alpha, M, lam_plus=f"1e{scale}")
    orders = MOMENTS + [(0, 1), (1, 0), (3, 1)]
    with mpmath.workdps(dps):
        found = spectrum.moments(mpmath.mpf(10) ** (scale + pole), orders)
    with mpmath.workdps(dps + 30):
        s = 1 + mpmath.mpf(alpha.numerator) / alpha.denominator
        eigenvalues = [mpmath.mpf(10) ** scale * mpmath.mpf(i) ** -s for i in range(1, M + 1)]
        p = mpmath.mpf(10) ** (scale + pole)
        for a, b in orders:
            assert relative(found[a, b], direct(eigenvalues, p, a, b)) < mpmath.mpf(10) ** (1 - dps)
