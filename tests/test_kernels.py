"""Feature kernels and their spectra: closed forms against quadrature, the Hermite blocks against exact cases."""

import math

import numpy as np
import pytest

from largen.diagrams.errors import ParameterError
from largen.solver.data.kernel_spectrum import kernel_spectrum
from largen.solver.data.kernels import (feature_kernel, gram, hermite_coefficients, hermite_law,
                                        kernel_by_quadrature)

POINTS = [(1.0, 1.0, 0.3), (0.5, 2.0, -0.7), (1.3, 1.3, 1.2999), (2.0, 0.7, 0.0), (1.0, 1.0, 1.0)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["linear", "relu", "erf", "x^2", "x^3", "tanh"])
def test_closed_forms_against_two_dimensional_quadrature(name):
    for v1, v2, c in POINTS:
        closed = float(feature_kernel(name, v1, v2, c))
        quadrature = kernel_by_quadrature(name, v1, v2, c)
        # tanh is its Hermite series (80 terms): near rho = 1 its remainder is about 1e-10
        assert closed == pytest.approx(quadrature, rel=1e-9 if name == "tanh" else 1e-11, abs=1e-14)


def test_hermite_coefficients_add_up_to_the_second_moment():
    law = hermite_law("relu")
    # Parseval: sum_k C_k^2 = E relu(z)^2 = 1/2; the even tail decays like k^-3/2
    partial = sum(law.coefficient(k) ** 2 for k in range(4001))
    assert 0 < 0.5 - partial < 2e-5
    for K in (2, 3, 5):
        law = hermite_law(f"x^{K}")
        assert sum(law.coefficient(k) ** 2 for k in range(K + 1)) == pytest.approx(law.square_mean, rel=1e-13)
    # the quadrature of the coefficients at a variance v agrees with C_k v^(d/2)
    found = hermite_coefficients("relu", [0.3, 2.0], 6)
    for row, v in zip(found, (0.3, 2.0)):
        assert row == pytest.approx([hermite_law("relu").coefficient(k) * math.sqrt(v) for k in range(7)], abs=1e-13)
    with pytest.raises(ParameterError, match="not a power of the pre-activation variance"):
        hermite_law("erf")


def test_gram_is_the_kernel_pointwise():
    X = np.random.default_rng(0).standard_normal((5, 3))
    K = gram("relu", X, 0.5)
    assert K[1, 3] == pytest.approx(float(feature_kernel("relu", 0.5 * X[1] @ X[1], 0.5 * X[3] @ X[3], 0.5 * X[1] @ X[3])))
    assert np.allclose(K, K.T)
    assert np.all(np.linalg.eigvalsh(K) > -1e-12)  # a kernel is positive


def test_linear_features_have_the_data_spectrum_exactly():
    lam = np.arange(1, 31, dtype=float) ** -2
    found = kernel_spectrum("linear", lam, entry_variance=0.1, teacher=lam / 30, cutoff=1e-30)
    assert found.eigenvalues == pytest.approx(0.1 * lam, rel=1e-14)
    assert found.teacher == pytest.approx(lam / 30, rel=1e-14)
    assert found.white == pytest.approx(0, abs=1e-18) and found.unexplained == 0


def test_relu_on_one_latent_direction():
    # one direction: s(a z) = |a| relu(sign(a) z), and the centred kernel has two eigenvalues, s/4 (z itself)
    # and s (pi - 2)/(4 pi) (|z| - E|z|); the even one is the sum of the even Hermite degrees listed, C_k^2 s,
    # the rest white: the Laplace integrals and the blocks against an exact case
    s = 0.7
    for degree in (6, 40):
        found = kernel_spectrum("relu", [1.0], entry_variance=s, teacher=[0.2], cutoff=1e-30, max_degree=degree)
        law = hermite_law("relu")
        even = s * sum(law.coefficient(k) ** 2 for k in range(2, degree + 1, 2))
        assert found.eigenvalues[:2] == pytest.approx(sorted([s / 4, even], reverse=True), rel=1e-12)
        assert np.all(found.eigenvalues[2:] < 1e-12 * s)  # the other even multi-indices' block has rank one
        assert found.white == pytest.approx(s * (math.pi - 2) / (4 * math.pi) - even, rel=1e-9)
        assert found.trace == pytest.approx(s * (0.5 - 1 / (2 * math.pi)), rel=1e-14)
        assert found.teacher.sum() == pytest.approx(0.2, rel=1e-14)


def test_square_activation_against_its_feature_map():
    # x^2 features: K(x, x') = q^2 (|x|^2 |x'|^2 + 2 (x.x')^2), whose centred spectrum on N(0, Lambda) is that of
    # the covariance of the feature map (|x|^2, sqrt(2) x_i x_j), by Isserlis' theorem; the Hermite blocks have
    # every degree (0 and 2, the 0 left out as the constant part) and the per-feature variance couples them
    lam = np.array([1.0, 0.5, 0.2])
    q = 0.3
    M = len(lam)
    pairs = [(i, j) for i in range(M) for j in range(M)]

    def moment(a, b, c, d):  # E x_a x_b x_c x_d
        L = np.diag(lam)
        return L[a, b] * L[c, d] + L[a, c] * L[b, d] + L[a, d] * L[b, c]

    # the feature map: phi(x) = q (|x|^2 in one coordinate, sqrt(2) x_i x_j over ordered pairs), kernel = phi.phi
    # the map as the linear functions of the products x_i x_j: |x|^2 = sum_i x_i x_i
    A = np.zeros((1 + len(pairs), len(pairs)))
    for k, (i, j) in enumerate(pairs):
        A[0, k] = float(i == j)
        A[1 + k, k] = math.sqrt(2)
    second = np.array([[moment(a, b, c, d) - lam[a] * (a == b) * lam[c] * (c == d) for (c, d) in pairs]
                       for (a, b) in pairs])  # covariance of the products
    expected = np.sort(np.linalg.eigvalsh(q * q * A @ second @ A.T))[::-1]
    found = kernel_spectrum("x^2", lam, entry_variance=q, cutoff=1e-30)
    listed = found.eigenvalues
    assert listed == pytest.approx(expected[:len(listed)], rel=1e-10)
    assert np.all(expected[len(listed):] < 1e-12)
    assert found.white == pytest.approx(0, abs=1e-14)


@pytest.mark.slow
def test_cutoff_and_degree_trade_listing_for_white():
    lam = np.arange(1, 61, dtype=float) ** -2
    coarse = kernel_spectrum("relu", lam, entry_variance=0.05, teacher=lam / 60, cutoff=1e-6, max_degree=4)
    fine = kernel_spectrum("relu", lam, entry_variance=0.05, teacher=lam / 60, cutoff=1e-9, max_degree=6)
    assert coarse.trace == pytest.approx(fine.trace, rel=1e-14)
    assert fine.size > coarse.size and fine.white < coarse.white
    for found in (coarse, fine):
        assert found.eigenvalues.sum() + found.white == pytest.approx(found.trace, rel=1e-12)
    # Cauchy interlacing: a larger listing raises every eigenvalue
    assert np.all(fine.eigenvalues[:coarse.size] >= coarse.eigenvalues * (1 - 1e-12))


@pytest.mark.slow
def test_asymptotics_of_a_polynomial_kernel_against_its_spectrum():
    from largen.solver.data.kernel_spectrum import kernel_asymptotics

    law = kernel_asymptotics("x^2", 1)
    assert (law.exponent, law.log_power) == (0.5, 1)
    lam = np.arange(1, 3001, dtype=float) ** -2
    found = kernel_spectrum("x^2", lam, entry_variance=1.0, cutoff=1e-7)
    # eps^-1/2 log(1/eps) to leading order: the count's ratio to it tends to 1 slowly (corrections of relative
    # order 1/log(1/eps)), and without the logarithm it would drift by a factor 1.5 over these two decades
    ratios = [(found.eigenvalues > eps).sum() / law.counting(eps) for eps in (1e-4, 1e-5, 1e-6)]
    assert all(0.95 < r < 1.25 for r in ratios) and ratios[0] > ratios[1] > ratios[2]
    with pytest.raises(ParameterError, match="no exponent is stated"):
        kernel_asymptotics("relu", 1)
