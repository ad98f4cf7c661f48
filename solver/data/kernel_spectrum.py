"""The spectrum of a feature kernel on a distribution: the latent spectrum of nonlinear features.

Features s(u.x) with u ~ N(0, q I) have the kernel K(x, x') = E_u s(u.x) s(u.x')
(:mod:`largen.solver.data.kernels`). Mercer's decomposition
s(u.x) = sum_k sqrt(xi_k) psi_k(x) chi_k(u), with psi_k orthonormal over the data and
chi_k over u, makes the features linear in the latent coordinates sqrt(xi_k) psi_k(x):
the random-feature regression is the linear one on the kernel's spectrum xi_k, with
feature weights chi_k(u_i) of unit variance. Gaussian equivalence *in the kernel's
eigenbasis* treats those coordinates as Gaussian (the deterministic equivalent of
random-feature ridge regression: Bach 2023; Defilippis, Loureiro and Misiakiewicz 2024).
The target's projections beta_k onto psi_k are the teacher, and what no listed psi_k
carries is label noise. The features' constant part over the data, E_x s(u.x), is a
rank-one term of the feature matrix (its column is the vector of ones over the samples)
and is left out, as the white route leaves out mu_0: the kernel is centred over the data.

Eigenvalues too small to matter at the point (below ``cutoff``) are not listed; their
trace, known exactly, is the *white* remainder: a white Gaussian matrix of that variance
in the features (mu_star^2 of :func:`largen.diagrams.engine.model.gaussian_equivalent`).
With nothing but the linear part listed, the kernel route is the white route exactly:
on isotropic data, Mei and Montanari's.

Two distributions:

- **Gaussian data** x = Lambda^(1/2) z, z ~ N(0, I_M), and a homogeneous activation
  (linear, relu, x^K). With a = Lambda^(1/2) u (entries of variance s_I = q lambda_I),
  v = |a|^2 the feature's own pre-activation variance and a-hat = a/|a|,

      s(a.z) = sum_m h_|m|(v) sqrt(|m|!/m!) a-hat^m H_m(z),

  H_m the orthonormal multivariate Hermite polynomials, so the kernel's operator in
  that basis is T_mm' = E_a[h_k(v) h_k'(v) sqrt(k! k'!/(m! m'!)) v^-(k+k')/2 a^(m+m')].
  Sign flips of single coordinates make T block-diagonal by the parity pattern of m
  (the indices with an odd power); within a block the degree-k multi-indices couple
  through the per-feature variance v. The expectations are exact one-dimensional
  integrals: a^n tilts a_I^2 from s_I chi^2_1 to s_I chi^2_(1+n_I), and
  v^-p = Gamma(p)^-1 int t^(p-1) e^(-t v) dt turns them into
  int t^(p-1) prod_I (1 + 2 t s_I)^(-(1 + n_I)/2) dt (trapezoidal in log t: the
  integrand is analytic in a strip of width pi, so the rule converges geometrically),
  positive powers of v into moments from the cumulants of a sum of weighted chi^2.
  Multi-indices are listed by an estimate of their diagonal (the per-feature variance
  at its mean) down to ``cutoff`` and up to ``max_degree``; each block is diagonalised.
  The listed eigenvalues are those of the kernel restricted to the listed functions:
  each is at most the kernel's own (Cauchy interlacing), and the trace they miss is
  the white remainder.
- **A dataset** (its empirical distribution): the Gram matrix's eigendecomposition,
  O(n^3); past ``exact_points`` points, Nystrom's approximation with that many landmark
  points, O(n m^2 + m^3), its trace deficit white.

Examples
--------
>>> from largen.solver.numerics.spectrum import Spectrum
>>> import numpy as np
>>> lam = Spectrum.power_law(1, 50).array()
>>> ks = kernel_spectrum("relu", lam, entry_variance=0.02, teacher=lam / 50, cutoff=1e-9)
>>> round(float(ks.eigenvalues[0]) / (0.02 / 4), 12)  # the top: ReLU's linear part on lambda_1, C_1^2 s_1
1.0
>>> bool(abs(ks.trace - 0.02 * lam.sum() * (0.5 - 1 / (2 * np.pi))) < 1e-15)  # E Var_x s = (1/2 - 1/2pi) E v
True
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from largen.diagrams.errors import CostError, ParameterError, SpectrumError
from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.numerics.spectrum import Listed, Spectrum

from largen.solver.data.kernels import feature_kernel, gram, hermite_law

__all__ = ["KernelAsymptotics", "KernelSpectrum", "kernel_asymptotics", "kernel_spectrum", "gaussian_kernel_spectrum",
           "gram_kernel_spectrum", "EXACT_POINTS", "MAX_MEMBERS"]

EXACT_POINTS = 4000  # points of a dataset up to which its Gram matrix is diagonalised whole
MAX_MEMBERS = 400_000  # multi-indices listed at most (their blocks take about a minute)
STEP = 0.25  # step of the trapezoidal rule in log t (the error is about exp(-2 pi^2/STEP) = 1e-34)
PAIRS = 4096  # block entries computed at once
FIRST_CUTOFF = 1e-6  # the default cutoff, a fraction of the largest linear eigenvalue
DIGITS = 14  # significant digits of a listed eigenvalue in the spectrum handed to the solver


@dataclass(frozen=True)
class KernelSpectrum:
    """A feature kernel's spectrum on a distribution, with the target's projections on it.

    Attributes
    ----------
    activation : str
    eigenvalues : ndarray
        The listed eigenvalues xi_k, decreasing, positive.
    teacher : ndarray
        beta_k^2: the target's variance per output on each listed eigenfunction.
    white : float
        The kernel's trace not listed: the variance of the white remainder (mu_star^2).
    unexplained : float
        The target's variance per output on no listed eigenfunction: label noise to the fit,
        and half of it added to the test loss against the target.
    trace : float
        The kernel's trace without its constant part, E_u Var_x s(u.x).
    source : str
        The distribution, in words.
    method : str
        How the spectrum was found, with its truncation.
    seconds : float
        Wall-clock time it took (its cost, for the record).
    blocks : int
        Parity blocks (Gaussian data) or 1 (a Gram matrix).
    largest_block : int
    """

    activation: str
    eigenvalues: np.ndarray = field(repr=False)
    teacher: np.ndarray = field(repr=False)
    white: float
    unexplained: float
    trace: float
    source: str
    method: str
    seconds: float = 0.0
    blocks: int = 1
    largest_block: int = 0
    cutoff: float = None  # Gaussian data: the estimated diagonal below which multi-indices are white
    max_degree: int = None  # Gaussian data: the highest Hermite degree listed

    @property
    def size(self):
        """The number of listed eigenvalues."""
        return len(self.eigenvalues)

    @property
    def teacher_scale(self):
        """c_T = max_k beta_k^2/xi_k: the teacher weights omega_k = beta_k^2/(xi_k c_T) are at most 1."""
        ratios = self.teacher / self.eigenvalues
        return float(ratios.max()) if len(ratios) and ratios.max() > 0 else 1.0

    def spectrum(self):
        """The listed eigenvalues with the teacher weights omega_k = beta_k^2/(xi_k c_T), as a Spectrum.

        Written with :data:`DIGITS` significant digits (float64 holds them; what the
        truncation costs is stated apart).
        """
        if not self.size:
            raise SpectrumError(f"the kernel of {self.activation} has no eigenvalue above the cutoff")
        weights = self.teacher / self.eigenvalues / self.teacher_scale
        return Spectrum([Listed(tuple(_text(v) for v in self.eigenvalues), weights=tuple(_text(w) for w in weights))])

    def equivalent(self, teacher_variance=None):
        """The values of the Gaussian-equivalent model (``mrs(nonlinear=True)``) on this spectrum, by name.

        Feature weights of unit variance (sigma_u^2 = M'), mu_1 = 1, mu_star^2 the white
        remainder, sigma_w^2 = M' c_T; the unexplained variance is returned apart (it adds to
        the label noise).
        """
        size = self.size
        return {"M": size, "sigma_u": math.sqrt(size), "sigma_w": math.sqrt(size * self.teacher_scale),
                "mu_1": 1, "mu_star": math.sqrt(max(self.white, 0.0))}

    def as_dict(self):
        return {"activation": self.activation, "source": self.source, "method": self.method,
                "listed": self.size, "largest": _text(self.eigenvalues[0]) if self.size else None,
                "smallest": _text(self.eigenvalues[-1]) if self.size else None, "white": _text(self.white),
                "white_fraction": _text(self.white / self.trace) if self.trace else "0",
                "unexplained": _text(self.unexplained), "trace": _text(self.trace), "blocks": self.blocks,
                "largest_block": self.largest_block, "seconds": round(self.seconds, 3)}


def _text(x):
    return repr(float(f"{float(x):.{DIGITS}g}"))


def kernel_spectrum(activation, latent=None, *, data=None, entry_variance, teacher=None, cutoff=None, max_degree=None,
                    exact_points=EXACT_POINTS, seed=0):
    """The spectrum of the feature kernel of ``activation`` on Gaussian data or on a dataset.

    Parameters
    ----------
    activation : str or callable
    latent : array_like, optional
        Gaussian data x ~ N(0, diag(latent)): the eigenvalues lambda_I (finite, any order).
    data : Dataset, optional
        A dataset instead (:class:`largen.solver.data.datasets.Dataset`): its Gram matrix.
    entry_variance : float
        q, the variance of each entry of u (sigma_u^2/M in the MRS model).
    teacher : array_like, optional
        Gaussian data: the target's variance per output along each z_I (sigma_w^2 omega_I lambda_I/M
        for the MRS teacher); by default none. A dataset's target is its labels.
    cutoff : float, optional
        Gaussian data: multi-indices whose estimated diagonal is below it are left to the white
        remainder (default 1e-6 of the largest linear eigenvalue: a first look, which
        :func:`largen.solver.solve` refines from the point's renormalised ridge).
    max_degree : int, optional
        Gaussian data: the highest Hermite degree listed (x^K: K, exact; relu: 8 by default).
    exact_points : int
        A dataset: points up to which the Gram matrix is diagonalised whole; past them, Nystrom.
    seed : int
        A dataset past ``exact_points``: the seed of the landmark points.

    Returns
    -------
    KernelSpectrum
    """
    if (latent is None) == (data is None):
        raise ParameterError("give the Gaussian data's latent spectrum or a dataset, not both or neither")
    if not (math.isfinite(entry_variance) and entry_variance > 0):
        raise ParameterError(f"the entry variance of u must be positive and finite, got {entry_variance!r}")
    if data is not None:
        return gram_kernel_spectrum(activation, data, entry_variance, exact_points, seed)
    return gaussian_kernel_spectrum(activation, latent, entry_variance, teacher, cutoff, max_degree)


# --- Gaussian data: Hermite blocks --------------------------------------------------------------

def gaussian_kernel_spectrum(activation, latent, entry_variance, teacher=None, cutoff=None, max_degree=None):
    """The kernel's spectrum on N(0, diag(latent)) by Hermite parity blocks (see the module's docstring)."""
    start = time.perf_counter()
    law = hermite_law(activation)
    lam = np.asarray(latent, dtype=float)
    if lam.ndim != 1 or not len(lam) or not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise SpectrumError("the Gaussian data's spectrum must be a finite list of non-negative eigenvalues")
    target = np.zeros_like(lam) if teacher is None else np.asarray(teacher, dtype=float)
    order = np.argsort(-lam, kind="stable")
    lam, target = lam[order], target[order]
    positive = lam > 0
    unexplained_zero = float(target[~positive].sum())
    lam, target = lam[positive], target[positive]
    s = entry_variance * lam
    mean_v = float(s.sum())
    if max_degree is None:
        max_degree = law.highest if law.highest is not None else 8
    if cutoff is None:
        cutoff = FIRST_CUTOFF * (law.coefficient(1) ** 2 * s[0] if law.coefficient(1) else mean_v)
    if not (cutoff > 0 and math.isfinite(cutoff)):
        raise ParameterError(f"the cutoff must be positive and finite, got {cutoff!r}")
    integrals = _Integrals(s, law.degree)
    members = _members(law, s, cutoff, max_degree)
    trace = law.centred_square() * integrals.moment_of_v(law.degree)
    values, teacher_parts, blocks, largest, carried = _blocks(law, members, s, target, integrals)
    keep = values > 0
    eigenvalues, betas = values[keep], teacher_parts[keep]
    order = np.argsort(-eigenvalues, kind="stable")
    white = max(trace - float(values.sum()), 0.0)
    left = np.ones(len(target), dtype=bool)
    left[list(carried)] = False
    unexplained = unexplained_zero + float(target[left].sum())
    return KernelSpectrum(
        activation=law.name, eigenvalues=eigenvalues[order], teacher=betas[order], white=white,
        unexplained=unexplained, trace=trace,
        source=f"Gaussian data, {len(latent)} latent directions",
        method=(f"Hermite parity blocks: {len(members)} multi-indices of degree 1 to {max_degree} whose diagonal "
                f"is estimated above {cutoff:.3g}; the trace they miss, {white / trace if trace else 0:.3g} of "
                "the kernel's, is white"),
        seconds=time.perf_counter() - start, blocks=blocks, largest_block=largest, cutoff=cutoff,
        max_degree=max_degree)


class _Integrals:
    """E[v^e a^n] for the feature's a ~ N(0, diag(s)), v = |a|^2, as prod (n_I - 1)!! s_I^(n_I/2) E[V_n^e]."""

    def __init__(self, s, degree):
        self.s = s
        self.mean = float(s.sum())
        scale = 1 / self.mean
        # t^p with p >= 1 below, and at least (1 + 2 t s_1)^(-3/2) t^p (1 + 2 t s_1)^(-p) above: e^-45 at both ends
        self.y = np.arange(math.log(scale) - 45, math.log(scale) + 90, STEP)
        self.log1p = np.log1p(2 * np.exp(self.y)[None, :] * s[:, None])  # (M, nodes)
        self.base = -0.5 * self.log1p.sum(axis=0)
        self.sums = [None] + [float(np.sum(s**r)) for r in range(1, 2 * degree + 2)]

    def moment_of_v(self, power):
        """E v^power, an integer power >= 0, from the cumulants of sum_I s_I chi^2_1."""
        return float(self._moments(np.zeros((1, 0)), np.zeros((1, 0), dtype=int), power)[0])

    def _moments(self, s_support, n_support, power):
        """E V_n^power for each row (its support's s and n), from the cumulants
        kappa_r = 2^(r-1) (r-1)! (sum_I s_I^r + sum_support n_I s_I^r)."""
        rows = s_support.shape[0]
        kappa = [None]
        for r in range(1, power + 1):
            kappa.append(2 ** (r - 1) * math.factorial(r - 1) * (self.sums[r] + np.sum(n_support * s_support**r, axis=1)))
        moments = [np.ones(rows)]
        for e in range(1, power + 1):
            moments.append(sum(math.comb(e - 1, j) * kappa[j + 1] * moments[e - 1 - j] for j in range(e)))
        return moments[power]

    def expectation(self, indices, counts, exponent):
        """E[v^exponent a^n] for each row: ``indices`` (rows x width, -1 padding) and ``counts`` their n_I (even)."""
        valid = indices >= 0
        safe = np.where(valid, indices, 0)
        n = np.where(valid, counts, 0)
        s_support = self.s[safe] * valid
        with np.errstate(divide="ignore"):
            log_s = np.where(valid, np.log(np.where(valid, s_support, 1.0)), 0.0)
        prefactor = np.sum(_log_double_factorial_array(n - 1) + n / 2 * log_s, axis=1)
        result = np.empty(len(indices))
        for e in np.unique(exponent):
            rows = exponent == e
            if e >= 0:
                value = self._moments(s_support[rows], n[rows], int(e))
                result[rows] = value * np.exp(prefactor[rows])
                continue
            p = -e
            # sum over nodes of t^p prod_all (1+2ts)^(-1/2) prod_support (1+2ts)^(-n/2) / Gamma(p), dy = dt/t
            tilt = -0.5 * np.einsum("rw,rwj->rj", n[rows], self.log1p[safe[rows]])
            logs = tilt + self.base[None, :] + p * self.y[None, :]
            peak = logs.max(axis=1, keepdims=True)
            total = np.log(np.sum(np.exp(logs - peak), axis=1) * STEP) + peak[:, 0]
            result[rows] = np.exp(total - gammaln(p) + prefactor[rows])
        return result


def _log_double_factorial_array(n):
    """log n!! elementwise for integers n >= -1 (0 for n <= 0)."""
    n = np.asarray(n)
    out = np.zeros(n.shape)
    odd = (n > 0) & (n % 2 == 1)
    even = (n > 0) & (n % 2 == 0)
    m = n[odd]
    out[odd] = gammaln(m + 1) - (m - 1) / 2 * math.log(2) - gammaln((m - 1) / 2 + 1)
    m = n[even]
    out[even] = m / 2 * math.log(2) + gammaln(m / 2 + 1)
    return out


def _members(law, s, cutoff, max_degree):
    """Multi-indices (as tuples of (index, count)) whose estimated diagonal is at least ``cutoff``.

    The estimate puts the per-feature variance at its mean, tilted by the multi-index:
    C_k^2 (k!/m!) prod (2 m_I - 1)!! s_I^m_I (v + 2 sum m_I s_I)^(d - k). A sequence of
    indices is extended while an upper bound of what its completion can reach,
    C_k^2 k! v^d max(1, (1 + 2k)^(d - k)) prod_I g(m_I) lhat_I^m_I (2 lhat_J)^left
    (g(m) = (2m - 1)!!/m! grows by less than 2 per step), stays above the cutoff. Every
    degree-1 multi-index is listed, whatever its estimate: it carries the teacher.
    """
    mean = float(s.sum())
    hat = s / mean
    log_two_hat = np.log(2 * hat)
    d = law.degree
    found = [((i, 1),) for i in range(len(s))] if law.coefficient(1) else []
    for k in range(2, max_degree + 1):
        C = law.coefficient(k)
        if not law.degrees(k) or C == 0:
            continue
        log_bound = math.log(C * C) + math.lgamma(k + 1) + d * math.log(mean) + max(0.0, (d - k) * math.log(1 + 2 * k))
        threshold = math.log(cutoff) - log_bound
        seqs = np.zeros((1, 0), dtype=np.int64)
        logP = np.zeros(1)
        mult = np.zeros(1, dtype=np.int64)
        for level in range(k):
            left = k - level
            last = seqs[:, -1] if level else np.zeros(len(seqs), dtype=np.int64)
            # indices J >= last with logP + left log(2 hat_J) >= threshold: a prefix of the decreasing hats
            limit = (threshold - logP) / left
            stop = np.searchsorted(-log_two_hat, -limit, side="right")
            counts = np.maximum(stop - last, 0)
            total = int(counts.sum())
            if total > MAX_MEMBERS * 4:
                raise CostError(f"listing the Hermite multi-indices of degree {k} above the cutoff {cutoff:.3g} "
                                f"takes more than {MAX_MEMBERS * 4} sequences: raise the cutoff or lower max_degree")
            parent = np.repeat(np.arange(len(seqs)), counts)
            offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            J = last[parent] + offset
            repeat = level > 0
            same = (J == last[parent]) & repeat
            m_old = np.where(same, mult[parent], 0)
            logP = logP[parent] + np.log(hat[J]) + np.where(same, np.log((2 * m_old + 1) / (m_old + 1)), 0.0)
            mult = m_old + 1
            seqs = np.concatenate([seqs[parent], J[:, None]], axis=1)
        if not len(seqs):
            continue
        tilt = 2 * hat[seqs].sum(axis=1)
        # logP is sum_I log(g(m_I) lhat_I^m_I): the estimate's (k!/m!) prod (2m-1)!! is k! prod g(m_I)
        log_estimate = math.log(C * C) + math.lgamma(k + 1) + d * math.log(mean) + logP + (d - k) * np.log1p(tilt)
        for row in seqs[log_estimate >= math.log(cutoff)]:
            found.append(_multiset(row))
        if len(found) > MAX_MEMBERS:
            raise CostError(f"more than {MAX_MEMBERS} Hermite multi-indices above the cutoff {cutoff:.3g}: "
                            "raise the cutoff or lower max_degree")
    return found


def _multiset(row):
    counts = {}
    for i in row.tolist():
        counts[i] = counts.get(i, 0) + 1
    return tuple(sorted(counts.items()))


def _blocks(law, members, s, target, integrals):
    """Eigenvalues of every parity block, each eigenvalue's teacher part beta^2, the count of blocks,
    the largest, and the latent directions whose teacher part the blocks carry."""
    classes = {}
    for m in members:
        classes.setdefault(tuple(i for i, c in m if c % 2), []).append(m)
    # every entry (a <= b) of every block, as one list of pairs
    width = 2 * max((len(m) for m in members), default=1)
    entries, where = [], []
    for key, group in classes.items():
        B = len(group)
        for a in range(B):
            for b in range(a, B):
                entries.append((group[a], group[b]))
                where.append((key, a, b))
    values = np.empty(len(entries))
    for start in range(0, len(entries), PAIRS):
        values[start:start + PAIRS] = _entries(law, entries[start:start + PAIRS], integrals, width)
    matrices = {key: np.zeros((len(group), len(group))) for key, group in classes.items()}
    for (key, a, b), value in zip(where, values):
        matrices[key][a, b] = matrices[key][b, a] = value
    eigenvalues, teacher, carried = [], [], set()
    for key, group in classes.items():
        w, U = np.linalg.eigh(matrices[key])
        eigenvalues.append(w)
        if len(key) == 1 and ((key[0], 1),) in group:
            row = group.index(((key[0], 1),))
            teacher.append(U[row] ** 2 * target[key[0]])
            carried.add(key[0])
        else:
            teacher.append(np.zeros(len(w)))
    largest = max((len(g) for g in classes.values()), default=0)
    if not eigenvalues:
        return np.zeros(0), np.zeros(0), 0, 0, carried
    return np.concatenate(eigenvalues), np.concatenate(teacher), len(classes), largest, carried


def _entries(law, pairs, integrals, width):
    """T_mm' for a list of pairs of multi-indices of one parity class each."""
    rows = len(pairs)
    indices = -np.ones((rows, width), dtype=np.int64)
    counts = np.zeros((rows, width), dtype=np.int64)
    degree_a = np.zeros(rows, dtype=np.int64)
    degree_b = np.zeros(rows, dtype=np.int64)
    log_norm = np.zeros(rows)
    for r, (ma, mb) in enumerate(pairs):
        combined = dict(ma)
        for i, c in mb:
            combined[i] = combined.get(i, 0) + c
        for j, (i, c) in enumerate(sorted(combined.items())):
            indices[r, j], counts[r, j] = i, c
        ka, kb = sum(c for _, c in ma), sum(c for _, c in mb)
        degree_a[r], degree_b[r] = ka, kb
        log_norm[r] = 0.5 * (math.lgamma(ka + 1) + math.lgamma(kb + 1)
                             - sum(math.lgamma(c + 1) for _, c in ma) - sum(math.lgamma(c + 1) for _, c in mb))
    coefficient = np.array([law.coefficient(int(k)) for k in degree_a]) * np.array(
        [law.coefficient(int(k)) for k in degree_b])
    exponent = law.degree - (degree_a + degree_b) // 2
    return coefficient * np.exp(log_norm) * integrals.expectation(indices, counts, exponent)


# --- a dataset: the Gram matrix ----------------------------------------------------------------

def gram_kernel_spectrum(activation, data, entry_variance, exact_points=EXACT_POINTS, seed=0):
    """The centred kernel's spectrum on a dataset's empirical distribution, its labels' projections.

    Up to ``exact_points`` points the centred Gram matrix H K H / n (H = 1 - 11^T/n) is
    diagonalised; past them, Nystrom with ``exact_points`` landmark points drawn with ``seed``:
    K ~ C W^+ C^T, C = K[:, landmarks], W = K[landmarks, landmarks], its eigenvectors those of
    W^(-1/2) C^T H C W^(-1/2). The labels' projection on eigenvector psi_k (normalised over the
    data) is beta_ck = <y_c psi_k>; the rest of their variance is unexplained.
    """
    start = time.perf_counter()
    act = parse_activation(activation)
    X, Y = data.inputs, data.targets
    n = len(X)
    if n <= exact_points:
        K = gram(act, X, entry_variance)
        K -= K.mean(axis=0, keepdims=True)
        K -= K.mean(axis=1, keepdims=True)
        values, vectors = np.linalg.eigh(K / n)
        method = f"the centred Gram matrix of all {n} points, diagonalised (O(n^3))"
        trace = float(np.trace(K) / n)
    else:
        rng = np.random.default_rng(seed)
        landmarks = np.sort(rng.choice(n, exact_points, replace=False))
        C = gram(act, X, entry_variance, rows=landmarks).T  # n x m
        W = C[landmarks]
        diagonal = feature_diagonal(act, X, entry_variance)
        mean = C.mean()  # (1/n^2) sum K_ij, estimated over the landmarks' columns
        trace = float(diagonal.mean() - mean)
        Cc = C - C.mean(axis=0, keepdims=True)
        w, V = np.linalg.eigh(W)
        good = w > w.max() * 1e-12
        root = V[:, good] / np.sqrt(w[good])
        Z = Cc @ root  # n x r: K_c ~ Z Z^T
        values, small = np.linalg.eigh(Z.T @ Z / n)
        vectors = Z @ small / np.sqrt(np.maximum(values * n, 1e-300))
        method = (f"Nystrom's approximation with {exact_points} of {n} points as landmarks (O(n m^2 + m^3)); "
                  "the trace it misses is white")
    values, vectors = values[::-1], vectors[:, ::-1]
    keep = values > max(values[0], 0) * 1e-13
    values, vectors = values[keep], vectors[:, keep]
    beta = Y.T @ vectors / math.sqrt(n)  # C x r: <y_c psi_k>, psi_k = sqrt(n) v_k
    teacher = np.mean(beta**2, axis=0)
    variance = float(np.mean(np.sum(Y**2, axis=0) / n))
    white = max(trace - float(values.sum()), 0.0)
    return KernelSpectrum(activation=act.name, eigenvalues=values, teacher=teacher, white=white,
                          unexplained=max(variance - float(teacher.sum()), 0.0), trace=trace,
                          source=f"dataset {data.name}: {n} points, {X.shape[1]} inputs, {Y.shape[1]} outputs",
                          method=method, seconds=time.perf_counter() - start, blocks=1, largest_block=len(values))


def feature_diagonal(activation, X, entry_variance):
    """K(x, x) = E s(g)^2 at g's variance q|x|^2, for each row of X."""
    v = entry_variance * np.einsum("ij,ij->i", X, X)
    return feature_kernel(activation, v, v, v)


# --- asymptotics on power-law data ---------------------------------------------------------------

@dataclass(frozen=True)
class KernelAsymptotics:
    """The counting function of a kernel's spectrum on power-law Gaussian data, to leading order.

    With lambda_I = lam_plus I^-(1+alpha) and a polynomial activation of top Hermite degree K,
    the degree-K block dominates: its eigenvalues, for K distinct indices deep in the tail,
    are C_K^2 K! q^K prod_j lambda_(I_j) (the per-feature variance's tilt vanishes there), and
    the number of K-sets of integers with a product below X is X (log X)^(K-1)/((K-1)! K!) to
    leading order, so

        #{xi > eps} ~ coefficient * eps^(-exponent) * log(1/eps)^log_power,

    exponent = 1/(1+alpha), log_power = K - 1, and the eigenvalue of rank n is
    xi_n ~ n^-(1+alpha) log(n)^((K-1)(1+alpha)) up to its constant. The MRS teacher lives on
    the degree-1 block (``teacher_degree``): a plain power law, without a logarithm.
    """

    activation: str
    alpha: float
    top_degree: int
    exponent: float
    log_power: int
    coefficient: float
    teacher_degree: int = 1

    def counting(self, eps):
        """The leading-order count of eigenvalues above ``eps``."""
        return self.coefficient * eps ** -self.exponent * math.log(1 / eps) ** self.log_power

    def as_dict(self):
        return {"activation": self.activation, "alpha": self.alpha, "top_degree": self.top_degree,
                "counting_exponent": self.exponent, "log_power": self.log_power, "coefficient": self.coefficient,
                "teacher_degree": self.teacher_degree,
                "eigenvalue_law": f"xi_n ~ n^-{1 + self.alpha:g} log(n)^{self.log_power * (1 + self.alpha):g}"}


def kernel_asymptotics(activation, alpha, entry_variance=1.0, lam_plus=1.0):
    """The leading asymptotics of the kernel's spectrum on power-law data, or the reason there are none.

    Parameters
    ----------
    activation : str or callable
    alpha : float
        lambda_I = lam_plus I^-(1+alpha), alpha > 0.
    entry_variance : float
        q, the variance of each entry of u (sigma_u^2 at M = inf).
    lam_plus : float

    Returns
    -------
    KernelAsymptotics

    Raises
    ------
    ParameterError
        An activation with infinitely many Hermite degrees (relu, erf, tanh): the degree-k blocks
        count eps^(-1/(1+alpha)) log(1/eps)^(k-1) each, and their sum over every k is no power law
        with finitely many logarithms; the exponents at finite sizes come from the kernel route
        numerically (``solve(..., equivalence="kernel")``).

    Examples
    --------
    >>> kernel_asymptotics("x^2", 1).as_dict()["eigenvalue_law"]
    'xi_n ~ n^-2 log(n)^2'
    >>> kernel_asymptotics("linear", 1).log_power
    0
    >>> kernel_asymptotics("relu", 1)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: relu has Hermite components of every even degree: on power-law data the degree-k blocks count eps^-1/(1+alpha) log(1/eps)^(k-1) each, and their sum is no power law with finitely many logarithms, so no exponent is stated; the local exponents at given sizes come from the kernel route (equivalence='kernel' of (solve))
    """
    if not (alpha > 0 and math.isfinite(alpha)):
        raise ParameterError(f"the asymptotics of a power law need alpha > 0, got {alpha!r}")
    try:
        law = hermite_law(activation)
    except ParameterError:
        law = None
    if law is None or law.highest is None:
        name = law.name if law is not None else str(activation)
        which = "every even degree" if name == "relu" else "infinitely many degrees"
        raise ParameterError(f"{name} has Hermite components of {which}: on power-law data the degree-k blocks count "
                             "eps^-1/(1+alpha) log(1/eps)^(k-1) each, and their sum is no power law with finitely many "
                             "logarithms, so no exponent is stated; the local exponents at given sizes come from the "
                             "kernel route (equivalence='kernel' of (solve))")
    K = law.highest
    s = 1 + alpha
    scale = law.coefficient(K) ** 2 * math.factorial(K) * (entry_variance * lam_plus) ** K
    coefficient = scale ** (1 / s) / (math.factorial(K - 1) * math.factorial(K) * s ** (K - 1))
    return KernelAsymptotics(law.name, float(alpha), K, 1 / s, K - 1, coefficient)
