"""Digits: the solver at high precision, at the interpolation threshold, and with M = infinity."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from diagrams import mrs
from solver import Spectrum
from solver.solve import _Compiled, _follow, _scaled_solve, solve


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


def test_float64_loses_the_threshold(threshold_spectrum):
    # the same derived formula, solved and evaluated in float64 only
    model = mrs()
    bound = model.bind(dict(N=200, P=200, M=500, gamma="1e-30"))
    compiled = _Compiled(model, bound)
    floats = threshold_spectrum.array()
    s = [-1e-30] * 4
    for _ in range(40):
        s = [min(float(x), -1e-300) for x in compiled.evaluate(s, 1e4, floats, "numpy")["rhs"]]
    s, reached = _follow(compiled, s, 1e4, 1e-30, floats, "numpy", 1e-12)
    exact = solve(spectrum=threshold_spectrum, dps=20, N=200, P=200, gamma="1e-30").loss
    error = math.inf  # float64 failing to follow the branch down to the ridge counts as losing every digit
    if reached <= 1e-30 * (1 + 1e-9):
        q = compiled.evaluate(s, reached, floats, "numpy")
        rates = _scaled_solve(q, s, q["d_beta"], "numpy")
        if rates is not None:
            loss = q["E_beta"][0] + sum(a * b * c for a, b, c in zip(q["E_s"], rates, s))
            error = abs(loss / float(exact) - 1) if math.isfinite(loss) else math.inf
    # float64 keeps fewer than three digits of the loss here (0.5% off on this machine); dps 40 keeps 35
    assert error > 1e-3


def test_spectral_sum_at_infinite_M_against_a_closed_form():
    # sum_I 1/(1 + Delta I^2) = (pi/sqrt(Delta) coth(pi/sqrt(Delta)) - 1)/2, for lambda_I = I^-2
    with mpmath.workdps(40):
        for delta in ("1e-2", "1e-6", "1e-12"):
            d = mpmath.mpf(delta)
            (total,) = Spectrum.power_law(1, math.inf).sums([lambda lam: lam / (lam + d)])
            exact = (mpmath.pi / mpmath.sqrt(d) / mpmath.tanh(mpmath.pi / mpmath.sqrt(d)) - 1) / 2
            assert abs(total / exact - 1) < mpmath.mpf(10) ** -35


def test_long_finite_spectra_against_direct_summation():
    with mpmath.workdps(30):
        d = mpmath.mpf("3e-5")
        functions = [lambda lam: lam / (lam + d), lambda lam: (lam / (lam + d)) ** 2]
        direct = [mpmath.fsum(f(mpmath.mpf(i) ** -2) for i in range(1, 5001)) for f in functions]
        tail = Spectrum.power_law(1, 5000).sums(functions)
        assert all(abs(a / b - 1) < mpmath.mpf(10) ** -28 for a, b in zip(tail, direct))


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
