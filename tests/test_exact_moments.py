"""Exact Wick sums against results obtained independently of the ribbon-graph engine."""

import itertools
import math
from collections import Counter

import pytest
import sympy

from largen.diagrams import Gaussian, Model
from largen.diagrams.engine.expectations import expectation

M, N, P = sympy.symbols("M N P", positive=True, integer=True)
REAL = Model("wishart", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1)])
COMPLEX = Model("complex-wishart", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1, ensemble="complex")])
GUE = Model("gue", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="hermitian")])
GOE = Model("goe", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="symmetric")])


def wishart(k, complex_=False):
    return expectation(f"Trace((X*X.{'H' if complex_ else 'T'})**{k})", COMPLEX if complex_ else REAL)


def index_sum_wishart(k, m, p, complex_=False):
    """E tr (X X^T)^k by summing over all index values: E prod X_{i_r a_r} X_{i_{r+1} a_r}.

    Entries are independent: a real standard Gaussian has E x^(2n) = (2n-1)!!;
    a complex one (E|z|^2 = 1) has E z^a conj(z)^b = a! if a == b, else 0.
    """
    total = 0
    for rows in itertools.product(range(m), repeat=k):
        for cols in itertools.product(range(p), repeat=k):
            plain = Counter((rows[r], cols[r]) for r in range(k))
            conj = Counter((rows[(r + 1) % k], cols[r]) for r in range(k))
            term = 1
            if complex_:
                for entry in plain | conj:
                    if plain[entry] != conj[entry]:
                        term = 0
                        break
                    term *= math.factorial(plain[entry])
            else:
                for n in (plain + conj).values():
                    term *= 0 if n % 2 else math.prod(range(n - 1, 0, -2))
            total += term
    return total


def test_design_values():
    assert sympy.expand(wishart(2) - M * P * (M + P + 1)) == 0
    assert sympy.expand(wishart(3) - M * P * (M**2 + 3 * M * P + P**2 + 3 * M + 3 * P + 4)) == 0
    assert sympy.expand(wishart(2, True) - M * P * (M + P)) == 0


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_wishart_moments_against_index_sums(k, complex_):
    poly = wishart(k, complex_)
    # M <-> P symmetric, since tr (X X^T)^k = tr (X^T X)^k
    assert sympy.expand(poly - poly.subs({M: P, P: M}, simultaneous=True)) == 0
    # one row: |x|^2 is chi-square with P degrees of freedom (real), or Gamma(P) (complex)
    step = 1 if complex_ else 2
    assert sympy.expand(poly.subs(M, 1) - sympy.Mul(*[P + step * i for i in range(k)])) == 0
    sizes = [(2, 2), (2, 3), (3, 2)] if k < 5 else [(2, 2), (2, 3)]
    for m, p in sizes:
        assert poly.subs({M: m, P: p}) == index_sum_wishart(k, m, p, complex_)


def narayana(k, j):
    return sympy.binomial(k, j) * sympy.binomial(k, j - 1) / k


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_planar_wishart_moments_are_narayana_polynomials(k, complex_):
    model = COMPLEX if complex_ else REAL
    planar = expectation(f"Trace((X*X.{'H' if complex_ else 'T'})**{k})", model, planar=True)
    assert sympy.expand(planar - sum(narayana(k, j) * M**j * P ** (k + 1 - j) for j in range(1, k + 1))) == 0


def harer_zagier(n, g):
    """Genus-g gluings of a 2n-gon, by the Harer-Zagier recursion."""
    if g < 0 or 2 * g > n:
        return 0
    if n == 0:
        return 1 if g == 0 else 0
    return sympy.Rational(
        (4 * n - 2) * harer_zagier(n - 1, g) + (n - 1) * (2 * n - 1) * (2 * n - 3) * harer_zagier(n - 2, g - 1),
        n + 1,
    )


def test_harer_zagier_at_n_4():
    poly = sympy.Poly(expectation("Trace(H**8)", GUE), N)
    assert [poly.coeff_monomial(N ** (5 - 2 * g)) for g in range(3)] == [14, 70, 21]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_gue_genus_expansion(n):
    poly = sympy.expand(expectation(f"Trace(H**{2 * n})", GUE))
    assert sympy.expand(poly - sum(harer_zagier(n, g) * N ** (n + 1 - 2 * g) for g in range(n // 2 + 1))) == 0


def test_goe_moments_against_index_sums():
    # GOE with E H_ij H_kl = d_ik d_jl + d_il d_jk: H_ii ~ N(0, 2), H_ij = H_ji ~ N(0, 1)
    poly = expectation("Trace(H**4)", GOE)
    assert sympy.expand(poly - (2 * N**3 + 5 * N**2 + 5 * N)) == 0
    for n in (1, 2, 3):
        total = 0
        for idx in itertools.product(range(n), repeat=4):
            entries = Counter(tuple(sorted((idx[r], idx[(r + 1) % 4]))) for r in range(4))
            term = 1
            for (i, j), power in entries.items():
                variance = 2 if i == j else 1
                term *= 0 if power % 2 else variance ** (power // 2) * math.prod(range(power - 1, 0, -2))
            total += term
        assert poly.subs(N, n) == total
