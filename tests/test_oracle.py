"""Every certified digit against a closed-form oracle, whatever the caller's ambient precision.

At alpha = 1 (lambda_I = I**-2) the effective dimensions have closed forms:

    n1(Delta) = sum_I 1/(1 + Delta I**2) = (u coth u - 1)/2,  u = pi/sqrt(Delta)    (M = inf)
                                         = -a Im[psi(M + 1 + i a) - psi(1 + i a)],  a = 1/sqrt(Delta)
                                                                                     (finite M)
    n2(Delta) = sum_I 1/(1 + Delta I**2)**2 = n1 + Delta n1'(Delta),

and the planar MRS theory in parametric form (Zhang 2024; written out here, not taken from the
derivation) is

    gamma = Delta sigma_u**2 (N - n1)(P - n1)/M,       D = N n2 + P n2 + n1**2 - 2 n1 n2 - N P,
    L     = [Delta sigma_w**2 N P (n2 - n1) + M sigma_eps**2 (2 n1 n2 - n1**2 - N n2)]/(2 M D),
    L_tr  = (P - n1)**2 [Delta sigma_w**2 N (n2 - n1) + M sigma_eps**2 (n2 - N)]/(2 M P D),

with M = 1 in these formulas at M = inf (the variances are then the entry variances). The oracle
solves gamma(Delta) = gamma by bisection on the physical branch n1 < min(N, P) with mpmath's own
special functions: no spectral moment, continuation or Newton step of the solver is shared.

The ambient ``mpmath.mp.dps`` is set at random before each solve, and the inputs are made at it
(an ``mpf`` ridge is read as the decimal it was written as, whatever that precision): the
reproduction of probe P1 (a certified loss wrong from its 22nd digit) is one of the points.
"""

import json
import os
import random
import subprocess
import sys
import textwrap

import mpmath
import pytest

from largen.solver import solve

GUARD = 30  # digits of the oracle beyond those compared


def effective_dimensions(Delta, M):
    """n1 and n2 of lambda_I = I**-2 at the renormalised ridge Delta, in closed form."""
    if M == mpmath.inf:
        u = mpmath.pi / mpmath.sqrt(Delta)
        coth, csch2 = mpmath.coth(u), 1 / mpmath.sinh(u) ** 2
        n1 = (u * coth - 1) / 2
        return n1, u * coth / 4 - mpmath.mpf(1) / 2 + u**2 * csch2 / 4

    def n1_of(d):
        # the two digammas grow like log(a) and cancel to about M/a: pay for it with digits
        with mpmath.workdps(mpmath.mp.dps + max(0, int(-mpmath.log10(d))) + 10):
            a = 1 / mpmath.sqrt(d)
            n1 = -mpmath.im(mpmath.digamma(M + 1 + 1j * a) - mpmath.digamma(1 + 1j * a)) * a
        return +n1

    n1 = n1_of(Delta)
    return n1, n1 + Delta * mpmath.diff(n1_of, Delta)


def oracle(N, P, gamma, sigma_u, sigma_w, noise, M, dps):
    """(loss, train_loss, Delta) of the planar MRS theory at alpha = 1, to ``dps`` + GUARD digits."""
    scale = 1 if M == mpmath.inf else M
    with mpmath.workdps(dps + GUARD - int(mpmath.log10(gamma)) // 2 + 10):
        N, P, gamma, sigma_u, sigma_w, noise = map(mpmath.mpf, (N, P, gamma, sigma_u, sigma_w, noise))

        def ridge(log_Delta):
            Delta = mpmath.exp(log_Delta)
            n1, _ = effective_dimensions(Delta, M)
            return Delta * sigma_u**2 * (N - n1) * (P - n1) / scale

        # the branch starts where n1 = min(N, P) (n1 falls from M to 0 as Delta grows)
        smallest = min(N, P)
        low, high = mpmath.mpf(-80), mpmath.mpf(200)
        if M == mpmath.inf or smallest < M:
            a, b = low, high
            for _ in range(mpmath.mp.prec + 20):
                middle = (a + b) / 2
                if effective_dimensions(mpmath.exp(middle), M)[0] > smallest:
                    a = middle
                else:
                    b = middle
            low = b
        for _ in range(mpmath.mp.prec + 40):
            middle = (low + high) / 2
            if ridge(middle) < gamma:
                low = middle
            else:
                high = middle
        Delta = mpmath.exp((low + high) / 2)
        n1, n2 = effective_dimensions(Delta, M)
        D = N * n2 + P * n2 + n1**2 - 2 * n1 * n2 - N * P
        loss = (Delta * sigma_w**2 * N * P * (n2 - n1) + scale * noise * (2 * n1 * n2 - n1**2 - N * n2)) / (2 * scale * D)
        train = (P - n1) ** 2 * (Delta * sigma_w**2 * N * (n2 - n1) + scale * noise * (n2 - N)) / (2 * scale * P * D)
        return loss, train, Delta


def random_point(rng):
    """A point of the oracle's family: sizes, ridge, scales, noise, latent size and precisions."""
    point = dict(N=rng.choice([rng.randint(5, 5000), f"{10 ** rng.uniform(0.7, 3.7):.2f}"]),
                 P=rng.randint(5, 5000), gamma=f"{rng.uniform(1, 10):.3f}e{rng.randint(-9, 1)}",
                 sigma_u=rng.choice(["1", f"{rng.uniform(0.2, 5):.2f}"]),
                 sigma_w=rng.choice(["1", f"{rng.uniform(0.2, 5):.2f}"]),
                 sigma_eps=rng.choice(["0", "0", f"{rng.uniform(0.03, 1):.2f}"]),
                 M=rng.randint(20, 3000) if rng.random() < 0.4 else "inf")
    if rng.random() < 0.15:  # at the interpolation threshold
        point["P"] = point["N"] = rng.randint(10, 2000)
    return point, rng.randint(15, 100), rng.randint(15, 100)


def check(point, dps, ambient, mpf_ridge=False):
    """Solve at the ambient precision ``ambient`` (the ridge an mpf made there when ``mpf_ridge``)
    and compare every certified digit with the oracle; return the number of digits compared."""
    saved = mpmath.mp.dps
    try:
        mpmath.mp.dps = ambient
        given = dict(point, gamma=mpmath.mpf(point["gamma"])) if mpf_ridge else point
        solution = solve(alpha=1, dps=dps, **given)
    finally:
        mpmath.mp.dps = saved
    with mpmath.workdps(400):  # the decimals of the point, exactly enough
        N, P, gamma, sigma_u, sigma_w, sigma_eps = (mpmath.mpf(point[k]) for k in
                                                    ("N", "P", "gamma", "sigma_u", "sigma_w", "sigma_eps"))
        noise = sigma_eps**2
    M = mpmath.inf if point["M"] == "inf" else point["M"]
    exact = oracle(N, P, gamma, sigma_u, sigma_w, noise, M, dps)
    compared = 0
    with mpmath.workdps(dps + GUARD):
        for name, value in zip(("loss", "train_loss", "Delta"), exact):
            found = getattr(solution, name)
            if found is None:  # uncertified: said so, never a wrong digit
                assert name in solution.uncertified
                continue
            assert abs(found - value) <= mpmath.mpf(10) ** -dps * abs(value), (
                point, dps, ambient, name, mpmath.nstr(found, dps), mpmath.nstr(value, dps))
            compared += dps
    return compared


P1 = dict(N=1000, P=3000, gamma="1e-3", M="inf", sigma_u="1", sigma_w="1", sigma_eps="0")


def test_probe_P1_an_mpf_ridge_at_the_default_ambient_precision():
    """The reproduction: gamma = mpf('1e-3') made at dps 15, solved at dps 40-80 (wrong from the 22nd digit)."""
    assert check(P1, 40, 15, mpf_ridge=True) == 120
    for dps, ambient in ((50, 30), (80, 60), (60, 100)):
        check(P1, dps, ambient, mpf_ridge=True)


@pytest.mark.slow
def test_random_points_against_the_oracle(capsys):
    rng = random.Random(20261207)
    points = digits = 0
    for _ in range(40):
        point, dps, ambient = random_point(rng)
        digits += check(point, dps, ambient, mpf_ridge=rng.random() < 0.5)
        points += 1
    with capsys.disabled():
        print(f"\n[oracle] {points} points in one process after other solves: {digits} certified digits "
              "agree with the closed form")
    assert points == 40 and digits > 0


FRESH = textwrap.dedent("""
    import json, random, sys
    sys.path.insert(0, {tests!r})
    from test_oracle import check, random_point
    rng = random.Random({seed})
    total = 0
    for _ in range({count}):
        point, dps, ambient = random_point(rng)
        total += check(point, dps, ambient, mpf_ridge=True)
    print(json.dumps(total))
""")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_random_points_in_a_fresh_process(seed, capsys):
    """The first solve of a process: nothing cached yet, the ambient precision the caller's."""
    code = FRESH.format(tests=os.path.dirname(__file__), seed=seed, count=4)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    digits = json.loads(done.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\n[oracle] 4 points in a fresh process (seed {seed}): {digits} certified digits agree")
    assert digits > 0
