"""Feature kernels of activations: K(x, x') = E_u s(u.x) s(u.x') for Gaussian feature weights u.

With u ~ N(0, q I) the two pre-activations g = u.x, g' = u.x' are jointly Gaussian,
with variances v = q|x|^2, v' = q|x'|^2 and covariance c = q x.x', so the kernel
is the bivariate Gaussian expectation

    kappa_s(v, v', c) = E s(g) s(g'),

a function of three numbers. Its closed forms, each checked in the tests against
the two-dimensional Gaussian quadrature of :func:`kernel_by_quadrature`:

- linear: c;
- ReLU (the arc-cosine kernel of degree 1, Cho and Saul 2009):
  sqrt(v v') (sin t + (pi - t) cos t) / (2 pi), cos t = c / sqrt(v v');
- erf (the arcsine kernel, Williams 1997): (2/pi) arcsin(2c / sqrt((1 + 2v)(1 + 2v')));
- x^K: sum_k k! a_k^2 c^k (v v')^((K-k)/2), a_k the coefficients of z^K in the
  Hermite polynomials He_k.

Any other activation (tanh, a Python function) is summed as its Hermite series,
kappa = sum_k h_k(v) h_k(v') rho^k with rho = c/sqrt(v v') and
h_k(v) = E[s(sqrt(v) z) He_k(z)]/sqrt(k!), the coefficients found by Gauss-Legendre
panels split at its kinks. The remainder of the series is at most sqrt(t t'), t the part of
E s(g)^2 its coefficients leave out (Parseval): it is smallest for smooth activations, and
largest for nearby points (rho near 1) of an activation with a kink.

The same Hermite coefficients, as functions of the pre-activation variance, are
what the kernel's spectrum on Gaussian data is made of
(:mod:`largen.solver.data.kernel_spectrum`): :func:`hermite_law`.

Examples
--------
>>> import numpy as np
>>> round(float(feature_kernel("relu", 1.0, 1.0, 1.0)), 12)  # E relu(g)^2 = v/2
0.5
>>> x = np.array([[1.0, 0.0], [0.6, 0.8]])
>>> gram("erf", x, 1.0).round(6).tolist()
[[0.464559, 0.26198], [0.26198, 0.464559]]
"""

import math
from dataclasses import dataclass

import numpy as np
from largen.diagrams.errors import ParameterError
from largen.solver.numerics.activation import activation as parse_activation

__all__ = ["HermiteLaw", "feature_kernel", "gram", "hermite_coefficients", "hermite_law", "kernel_by_quadrature"]

SERIES_ORDER = 80  # Hermite terms of a kernel without a closed form
SERIES_NODES = 48  # Gauss-Legendre nodes per panel of the quadratures (8 panels between kinks)
BLOCK = 512  # rows of a Gram matrix computed at once


@dataclass(frozen=True)
class HermiteLaw:
    """The Hermite coefficients of an activation as functions of the pre-activation variance.

    For a homogeneous activation of degree ``degree`` (s(a g) = a**degree s(g), a > 0:
    linear, ReLU, x^K), h_k(v) = E[s(sqrt(v) z) He_k(z)]/sqrt(k!) = C_k v**(degree/2), and
    ``coefficients[k]`` is C_k, the coefficient at unit variance, exact where it is nonzero
    (None past ``coefficients``' length means: every further degree has a coefficient given by
    ``coefficient(k)``).
    """

    name: str
    degree: int
    degrees: object  # a function k -> bool: whether C_k can be nonzero
    coefficient: object  # k -> C_k (float)
    highest: object = None  # the largest k with C_k != 0, or None for infinitely many
    square_mean: float = 0.0  # E s(z)^2 at unit variance
    mean: float = 0.0  # E s(z) at unit variance

    def centred_square(self):
        """E s(z)^2 - (E s(z))^2 at unit variance: the trace of the kernel without its constant part."""
        return self.square_mean - self.mean**2


def _log_double_factorial(n):
    """log n!! for an integer n >= -1."""
    if n <= 0:
        return 0.0
    if n % 2:
        return math.lgamma(n + 1) - (n - 1) / 2 * math.log(2) - math.lgamma((n - 1) / 2 + 1)
    return n / 2 * math.log(2) + math.lgamma(n / 2 + 1)


def _relu_coefficient(k):
    # E[relu(z) He_k(z)] = E[delta(z) He_{k-2}(z)] for k >= 2 (Gaussian integration by parts twice)
    if k == 0:
        return 1 / math.sqrt(2 * math.pi)
    if k == 1:
        return 0.5
    if k % 2:
        return 0.0
    sign = -1.0 if (k // 2) % 2 == 0 else 1.0  # He_{k-2}(0) = (-1)^((k-2)/2) (k-3)!!
    return sign * math.exp(_log_double_factorial(k - 3) - 0.5 * math.lgamma(k + 1)) / math.sqrt(2 * math.pi)


def _monomial_coefficient(K):
    def coefficient(k):
        # z^K = sum_k K!/(k! ((K-k)/2)! 2^((K-k)/2)) He_k(z), so C_k = sqrt(k!) times that coefficient
        if k > K or (K - k) % 2:
            return 0.0
        j = (K - k) // 2
        return math.exp(math.lgamma(K + 1) - 0.5 * math.lgamma(k + 1) - math.lgamma(j + 1) - j * math.log(2))
    return coefficient


def hermite_law(spec):
    """The :class:`HermiteLaw` of a homogeneous activation (linear, relu, x^K); ParameterError otherwise.

    Examples
    --------
    >>> law = hermite_law("relu")
    >>> [round(law.coefficient(k) ** 2, 6) for k in range(5)]  # 1/(2 pi), 1/4, 1/(4 pi), 0, 1/(48 pi)
    [0.159155, 0.25, 0.079577, 0.0, 0.006631]
    >>> hermite_law("tanh")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: the Hermite coefficients of tanh are not a power of the pre-activation variance: the kernel's spectrum on Gaussian data is derived for homogeneous activations (linear, relu, x^K); use the kernel on a dataset (its Gram matrix) for tanh
    """
    act = parse_activation(spec)
    if act.name == "linear":
        return HermiteLaw("linear", 1, lambda k: k == 1, lambda k: float(k == 1), 1, 1.0, 0.0)
    if act.name == "relu":
        return HermiteLaw("relu", 1, lambda k: k in (0, 1) or (k % 2 == 0), _relu_coefficient, None, 0.5,
                          1 / math.sqrt(2 * math.pi))
    if act.name.startswith("x^"):
        K = int(act.name[2:])
        square = math.exp(_log_double_factorial(2 * K - 1))
        mean = 0.0 if K % 2 else math.exp(_log_double_factorial(K - 1))
        return HermiteLaw(act.name, K, lambda k: k <= K and (K - k) % 2 == 0, _monomial_coefficient(K), K,
                          square, mean)
    raise ParameterError(f"the Hermite coefficients of {act.name} are not a power of the pre-activation variance: "
                         "the kernel's spectrum on Gaussian data is derived for homogeneous activations (linear, "
                         f"relu, x^K); use the kernel on a dataset (its Gram matrix) for {act.name}")


def hermite_coefficients(spec, variances, order):
    """h_k(v) = E[s(sqrt(v) z) He_k(z)]/sqrt(k!) for k = 0..order at each variance, by quadrature.

    Gauss-Legendre panels on each side of the activation's kinks (in z, where
    sqrt(v) z is a kink), over |z| <= 2 sqrt(order) + 12, beyond which the Gaussian
    weight times He_k is below float64's resolution.

    Parameters
    ----------
    spec : str, Activation or callable
    variances : array_like
        Pre-activation variances v > 0.
    order : int

    Returns
    -------
    ndarray, shape (len(variances), order + 1)

    Examples
    --------
    >>> hermite_coefficients("relu", [1.0], 2).round(12).tolist()  # 1/sqrt(2 pi), 1/2, 1/sqrt(4 pi)
    [[0.398942280401, 0.5, 0.282094791774]]
    """
    act = parse_activation(spec)
    v = np.atleast_1d(np.asarray(variances, dtype=float))
    reach = 2 * math.sqrt(order) + 12
    result = np.empty((len(v), order + 1))
    for i, scale in enumerate(np.sqrt(v)):
        cuts = sorted({k / scale for k in act.kinks if abs(k / scale) < reach})
        z, w = _panels([-reach, *cuts, reach])
        He = _normalised_hermite(z, order)
        result[i] = He @ (w * act.array(scale * z))
    return result


def _panels(edges, nodes=SERIES_NODES):
    """Gauss-Legendre nodes and weights times the standard Gaussian density, panel by panel."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    zs, ws = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        for lo, hi in zip(np.linspace(a, b, 9)[:-1], np.linspace(a, b, 9)[1:]):
            z = (hi - lo) / 2 * x + (hi + lo) / 2
            zs.append(z)
            ws.append((hi - lo) / 2 * w * np.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    return np.concatenate(zs), np.concatenate(ws)


def _normalised_hermite(z, order):
    """He_k(z)/sqrt(k!) for k = 0..order (rows), by the three-term recurrence."""
    He = np.empty((order + 1, len(z)))
    He[0] = 1.0
    if order:
        He[1] = z
    for k in range(2, order + 1):
        He[k] = (z * He[k - 1] - math.sqrt(k - 1) * He[k - 2]) / math.sqrt(k)
    return He


def feature_kernel(spec, v1, v2, c):
    """kappa_s(v1, v2, c) = E s(g1) s(g2) for centred Gaussians of variances v1, v2 and covariance c.

    Closed forms for linear, relu, erf and x^K; any other activation by its Hermite
    series (:data:`SERIES_ORDER` terms). Arrays broadcast.

    Examples
    --------
    >>> round(float(feature_kernel("relu", 2.0, 2.0, 0.0)), 12)  # E relu(g)^2 at c = 0 is (E relu g)^2 = v/(2 pi)
    0.318309886184
    """
    act = parse_activation(spec)
    v1, v2, c = (np.asarray(a, dtype=float) for a in (v1, v2, c))
    if act.name == "linear":
        return c * np.ones_like(v1 * v2)
    if act.name == "relu":
        root = np.sqrt(v1 * v2)
        cos = np.clip(np.divide(c, root, out=np.zeros_like(root * c), where=root > 0), -1.0, 1.0)
        theta = np.arccos(cos)
        return root * (np.sqrt(1 - cos * cos) + (np.pi - theta) * cos) / (2 * np.pi)
    if act.name == "erf":
        return 2 / np.pi * np.arcsin(2 * c / np.sqrt((1 + 2 * v1) * (1 + 2 * v2)))
    if act.name.startswith("x^"):
        law = hermite_law(act)
        K = law.degree
        total = np.zeros(np.broadcast(v1, v2, c).shape)
        for k in range(K % 2, K + 1, 2):
            total = total + law.coefficient(k) ** 2 * c**k * (v1 * v2) ** ((K - k) / 2)
        return total
    return _series_kernel(act, v1, v2, c)


def _series_kernel(act, v1, v2, c):
    v1, v2, c = np.broadcast_arrays(v1, v2, c)
    shape = v1.shape
    v1, v2, c = v1.ravel(), v2.ravel(), c.ravel()
    rho = np.clip(c / np.sqrt(v1 * v2), -1.0, 1.0)
    h1 = hermite_coefficients(act, v1, SERIES_ORDER)
    h2 = hermite_coefficients(act, v2, SERIES_ORDER)
    powers = rho[:, None] ** np.arange(SERIES_ORDER + 1)[None, :]
    return np.sum(h1 * h2 * powers, axis=1).reshape(shape)


def kernel_by_quadrature(spec, v1, v2, c, nodes=SERIES_NODES):
    """kappa_s(v1, v2, c) by two-dimensional Gaussian quadrature: the check of every closed form.

    g1 = sqrt(v1) z1 and g2 = sqrt(v2) (rho z1 + sqrt(1 - rho^2) z2): Gauss-Legendre
    panels in z1 split where g1 has a kink, and in z2, for each z1, split where g2 has
    one, so that a kink (ReLU's) costs no accuracy. Scalars only.

    Examples
    --------
    >>> abs(kernel_by_quadrature("relu", 1.0, 0.5, 0.3) - float(feature_kernel("relu", 1.0, 0.5, 0.3))) < 1e-13
    True
    """
    act = parse_activation(spec)
    rho = max(-1.0, min(1.0, c / math.sqrt(v1 * v2)))
    across = math.sqrt(max(0.0, 1 - rho * rho))
    reach = 13.0
    z1, w1 = _panels([-reach, *sorted({k / math.sqrt(v1) for k in act.kinks}), reach], nodes)
    total = 0.0
    for a, weight in zip(z1, w1):
        if across == 0.0:
            total += weight * float(act.array(np.array([math.sqrt(v1) * a]))[0]) * float(
                act.array(np.array([math.sqrt(v2) * rho * a]))[0])
            continue
        cuts = sorted({(k / math.sqrt(v2) - rho * a) / across for k in act.kinks})
        z2, w2 = _panels([-reach, *[x for x in cuts if abs(x) < reach], reach], nodes)
        inner = float(np.sum(w2 * act.array(math.sqrt(v2) * (rho * a + across * z2))))
        total += weight * float(act.array(np.array([math.sqrt(v1) * a]))[0]) * inner
    return float(total)


def gram(spec, X, entry_variance, rows=None):
    """The Gram matrix K(x_i, x_j) of the feature kernel over the rows of ``X`` (n x M).

    ``entry_variance`` is q, the variance of each entry of u (sigma_u^2/M in the MRS model);
    ``rows`` (default all) restricts the first index, for a Nystrom approximation.

    Examples
    --------
    >>> gram("linear", np.eye(2), 0.5).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    X = np.asarray(X, dtype=float)
    if not (math.isfinite(entry_variance) and entry_variance > 0):
        raise ParameterError(f"the entry variance of u must be positive and finite, got {entry_variance!r}")
    left = X if rows is None else X[rows]
    norms = entry_variance * np.einsum("ij,ij->i", X, X)
    left_norms = norms if rows is None else norms[rows]
    K = np.empty((len(left), len(X)))
    for start in range(0, len(left), BLOCK):
        stop = start + BLOCK
        c = entry_variance * (left[start:stop] @ X.T)
        K[start:stop] = feature_kernel(spec, left_norms[start:stop, None], norms[None, :], c)
    return K
