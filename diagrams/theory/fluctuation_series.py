"""The large-ridge series of the variance of the test loss, two independent ways.

1. From the derived theory (:mod:`largen.diagrams.theory.fluctuations`): the planar
   unknowns, the jets of the self-energies and the jets of the kernel, the
   source and the observable are found as series in epsilon = 1/gamma (as
   :func:`largen.diagrams.theory.series.theory_coefficients` does for the mean),
   and combined by :func:`largen.diagrams.theory.fluctuations.combine`.
2. From the diagrams: the variance over the teacher at fixed (u, X) is the trace
   (1/2C) tr(Z K Z K) of words in the model's matrices (:func:`variance_observable`),
   whose planar (sphere) diagrams the cut-and-join recursion sums exactly; the
   variance of the teacher-averaged loss over (u, X) is the connected correlator
   of the loss's own words, whose cylinder diagrams (two traces joined, Euler
   characteristic 2) it sums exactly too (:func:`connected_coefficients`).

Each part of 1 must equal 2 as polynomials, order by order.

Examples
--------
>>> from largen.diagrams import mrs
>>> scatter_coefficients(mrs(), 0)[0].teacher
sigma_w**4*tr_Lambda(2)/(2*M**2)
"""

import sympy
from sympy.matrices.expressions import MatMul, Trace

from largen.diagrams.engine.cutjoin import graded_expectations
from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.observable import namespace
from largen.diagrams.engine.spectral import EIGENVALUE, EIGENVALUES, INDEX, SOURCE, TEACHER, TEACHER_WEIGHTS, covariance_trace
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.engine.wick import MAX_DIAGRAMS
from largen.diagrams.errors import LargenError, ModelError
from largen.diagrams.theory.fluctuations import BETA, BOTH, TAU, ScatterParts, combine, fluctuation_theory
from largen.diagrams.theory.series import (GUARD, Algebra, Series, abstract_variances, check_order, evaluate,
                                           loss_observables)

__all__ = ["scatter_coefficients", "variance_observable", "planar_variance_coefficients", "connected_coefficients"]


class _SeriesArithmetic:
    """The arithmetic of :func:`~largen.diagrams.theory.fluctuations.combine` on series in 1/gamma
    (:class:`largen.diagrams.theory.series.Series`)."""

    def __init__(self, algebra, order):
        self.algebra, self.order = algebra, order
        self.zero = Series(algebra, {}, order)

    def scale(self, x, q):
        return x * Series(self.algebra, {0: self.algebra.element(q)}, self.order)

    def inverse(self, K0):
        """(1 - K0)^-1 by the Neumann series X = 1 + K0 X, which ends: every closed path of K0 carries 1/gamma."""
        n = len(K0)
        one = Series(self.algebra, {0: self.algebra.one}, self.order)
        identity = [[one if i == j else self.zero for j in range(n)] for i in range(n)]
        X = identity
        for _ in range(8 * self.order + 16):
            following = [[identity[i][j] + sum((K0[i][k] * X[k][j] for k in range(n)), self.zero) for j in range(n)]
                         for i in range(n)]
            if following == X:
                return X
            X = following
        raise LargenError("the large-ridge series of the kernel's ladder did not settle")


def scatter_coefficients(model=None, order=3, *, outputs=1):
    """Coefficients of gamma**-k, k = 0..order, of the parts of the variance, from the derived theory.

    The planar unknowns, their jets and the jets of the kernel, the source and
    the observable are found as series in 1/gamma (as
    :func:`largen.diagrams.theory.series.theory_coefficients` does for the mean)
    and combined by :func:`largen.diagrams.theory.fluctuations.combine`. Each part must equal the planar diagrams
    of its words (:func:`variance_observable`, :func:`connected_coefficients`).

    Returns
    -------
    list of ScatterParts
        One per power of 1/gamma, each part a polynomial in the sizes, the
        variances and ``tr_Lambda(k)``.

    Examples
    --------
    >>> scatter_coefficients(mrs(), 0)[0].teacher
    sigma_w**4*tr_Lambda(2)/(2*M**2)
    """
    model = model or mrs()
    order = check_order(order)
    abstract, back = abstract_variances(model)
    theory = fluctuation_theory(abstract)
    planar = theory.planar
    work = order + GUARD
    expressions = [theory.jacobian, *theory.rate_sources.values(), *theory.kernel.values(),
                   *[v for b in theory.source.values() for v in b.values()],
                   *[x for c0, row in theory.observable.values() for x in (*c0.values(), *row.values())],
                   *[eq.rhs for eq in planar.equations]]
    rates = {x for jet in theory.rates.values() for x in jet}
    parameters = set().union(*(as_expr(e).free_symbols for e in expressions))
    parameters -= {*planar.unknowns, *rates, planar.ridge, SOURCE, EIGENVALUE, EIGENVALUES[INDEX], TEACHER,
                   TEACHER_WEIGHTS[INDEX]}
    if model.teacher(model.latent) is not None:
        raise ModelError("the large-ridge series of the scatter takes an isotropic teacher (its sums would carry omega**2)")
    algebra = Algebra(parameters, 4 * work + 8)
    arithmetic = _SeriesArithmetic(algebra, work)
    env = {planar.ridge: Series(algebra, {-1: algebra.one}, work)}
    current = {s: arithmetic.zero for s in planar.unknowns}
    for _ in range(4 * work + 8):  # the planar unknowns, by iteration (as the planar series)
        env.update(current)
        memo = {}
        following = {eq.lhs: evaluate(eq.rhs.subs(SOURCE, 0), env, algebra, work, memo) for eq in planar.equations}
        if following == current:
            break
        current = following
    else:
        raise LargenError("the large-ridge iteration did not settle")
    env.update(current)
    memo = {}

    def value(expr):
        return evaluate(as_expr(expr), env, algebra, work, memo)

    def matrix(m):
        return [[value(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]

    ladder = arithmetic.inverse(matrix(theory.jacobian))
    for jet in (BETA, TAU, BOTH):  # each jet's ladder, after the jets it needs
        source = [value(x) for x in theory.rate_sources[jet]]
        env.update(zip(theory.rates[jet], [sum((a * b for a, b in zip(row, source)), arithmetic.zero)
                                          for row in ladder]))
        memo.clear()
    kernel = {key: matrix(m) for key, m in theory.kernel.items()}
    source = {key: {part: [value(x) for x in v] for part, v in b.items()} for key, b in theory.source.items()}
    observable = {key: ({k: value(x) for k, x in c0.items()}, {part: [value(x) for x in row] for part, row in r.items()})
                  for key, (c0, r) in theory.observable.items()}
    parts = combine(kernel, source, observable, arithmetic, outputs=outputs, orientations=theory.orientations)
    trace = covariance_trace(model.covariance(model.latent))
    restore = {**back, **{t: trace(k) for k, t in enumerate(algebra.traces, start=1)}}

    def coefficient(series, k):
        if k > series.order:
            raise LargenError(f"the series of the scatter lost its order: {series.order} < {k}")
        return sympy.expand(series.terms.get(k, algebra.zero).as_expr().xreplace(restore))

    return [ScatterParts(*(coefficient(getattr(parts, name), k) for name in ("teacher", "noise", "connected")))
            for k in range(order + 1)]


def variance_observable(model=None, order=0, *, outputs=1):
    """The coefficient of gamma**-order of Var_z L = (1/2C) tr(Z K Z K) at fixed (u, X), as traces.

    With V = Phi^T (gamma + Phi Phi^T)^-1 = sum_j (-1)^j gamma^(-j-1) Phi^T (Phi Phi^T)^j,
    the residual of an output is w (X V F - 1) + eps V F, so that its test loss
    is z K z^T / 2 with the blocks

        K_ww = (X V F - 1) L (X V F - 1)^T,   K_we = (X V F - 1) L (V F)^T,   K_ee = V F L (V F)^T

    (L = Lambda), and tr(Z K Z K) = s_w**2 tr(W K_ww W K_ww) + 2 s_w s_eps tr(W K_we K_we^T)
    + s_eps**2 tr(K_ee K_ee), W the teacher covariance. Its planar diagrams
    must sum to the first part of :func:`scatter_coefficients`.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model with linear features; MRS by default.
    order : int
        The power of 1/gamma.
    outputs : int
        C, the number of outputs.

    Returns
    -------
    Expr
        A polynomial in traces.

    Examples
    --------
    >>> variance_observable(mrs(), 0)
    sigma_w**4*Trace(Lambda*Lambda)/(2*M**2)
    """
    model = model or mrs()
    k = check_order(order)
    r = model.regression
    if r.equivalent is not None:
        raise ModelError("the words of the scatter are written for linear features")
    names = namespace(model)
    F = [names[m] for m in reversed(r.features)]
    X, Lam = names[r.data], names[model.covariance(model.latent)]
    teacher = model.teacher(model.latent)
    W = [(sympy.Integer(1), [names[teacher]])] if teacher else [(sympy.Integer(1), [])]
    Phi = F + [X]
    gram = Phi + [m.T for m in reversed(Phi)]

    def product(*factors):
        found = [(sympy.Integer(1), [])]
        for factor in factors:
            found = [(a * b, x + y) for a, x in found for b, y in factor]
        return found

    def transposed(terms):
        return [(c, [m.T for m in reversed(word)]) for c, word in terms]

    def V(j):  # the coefficient of gamma**-j of Phi^T (gamma + Phi Phi^T)^-1
        return [((-1) ** (j - 1), [m.T for m in reversed(Phi)] + gram * (j - 1))] if j else []

    A = {j: product([(1, [X])], V(j), [(1, F)]) if j else [(sympy.Integer(-1), [])] for j in range(k + 1)}
    B = {j: product(V(j), [(1, F)]) for j in range(k + 1)}

    def block(left, right, j):
        return [t for i in range(j + 1) for t in product(left[i], [(1, [Lam])], transposed(right[j - i]))]

    def trace(terms):
        return sympy.Add(*[c * Trace(MatMul(*word)) for c, word in terms])

    total = sympy.Integer(0)
    s_w, s_eps = r.teacher_variance, r.noise_variance
    for a in range(k + 1):
        ww_a, ww_b = block(A, A, a), block(A, A, k - a)
        we_a, we_b = block(A, B, a), block(A, B, k - a)
        ee_a, ee_b = block(B, B, a), block(B, B, k - a)
        total += (s_w**2 * trace(product(W, ww_a, W, ww_b)) + 2 * s_w * s_eps * trace(product(W, we_a, transposed(we_b)))
                  + s_eps**2 * trace(product(ee_a, ee_b)))
    return total / (2 * outputs)


def planar_variance_coefficients(model=None, order=3, *, outputs=1, max_diagrams=MAX_DIAGRAMS):
    """The planar diagrams of E_{u,X}[Var_z L], order by order: (teacher, noise) per power of 1/gamma.

    The sphere (Euler characteristic 2) part of the exact expectations of
    :func:`variance_observable`, by the cut-and-join recursion; ``teacher`` is
    the part without label noise.

    Examples
    --------
    >>> planar_variance_coefficients(mrs(), 0)
    [(sigma_w**4*tr_Lambda(2)/(2*M**2), 0)]
    """
    model = model or mrs()
    order = check_order(order)
    observables = (variance_observable(model, k, outputs=outputs) for k in range(order + 1))
    graded = graded_expectations(observables, model, max_diagrams=max_diagrams,
                                 what=lambda k: f"the planar diagrams of the scatter to gamma^-{order} (at gamma^-{k})")
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    found = []
    for parts in graded:
        planar = sympy.expand(parts.get(2, sympy.Integer(0)))
        teacher = planar.xreplace(noiseless)
        found.append((teacher, sympy.expand(planar - teacher)))
    return found


def connected_coefficients(model=None, order=3, *, max_diagrams=MAX_DIAGRAMS):
    """The cylinder diagrams of Var_{u,X}[E_z L], order by order, exactly.

    The teacher-averaged loss is sum_k gamma**-k l_k with l_k the polynomials in
    traces of :func:`largen.diagrams.theory.series.loss_observable`; the
    coefficient of gamma**-n of its variance is sum_{j+k=n} Cov(l_j, l_k). The
    exact covariance, E[l_j l_k] - E[l_j] E[l_k] by the cut-and-join recursion,
    is connected; its part of Euler characteristic 2 (two traces joined by a
    sphere with two boundaries) is what the second part of
    :func:`scatter_coefficients` must equal.

    Examples
    --------
    >>> connected_coefficients(mrs(), 1)
    [0, 0]
    """
    model = model or mrs()
    order = check_order(order)
    losses = loss_observables(model, order, max_diagrams=max_diagrams)
    pairs = [(j, n - j) for n in range(order + 1) for j in range(1, n) if j <= n - j]
    observables = losses + [sympy.expand(losses[j] * losses[k]) for j, k in pairs]
    graded = graded_expectations(observables, model, max_diagrams=max_diagrams,
                                 what=lambda i: f"the cylinder diagrams of the scatter to gamma^-{order}")
    single, products = graded[:order + 1], dict(zip(pairs, graded[order + 1:]))
    found = [sympy.Integer(0)] * (order + 1)
    for (j, k), joint in products.items():
        disconnected = sum(single[j].get(a, 0) * single[k].get(2 - a, 0) for a in range(-2 * order, 2 * order + 3))
        found[j + k] += (1 if j == k else 2) * (joint.get(2, sympy.Integer(0)) - disconnected)
    return [sympy.expand(c) for c in found]
