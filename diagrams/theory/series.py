"""The large-ridge series of the test loss, two independent ways.

1. From the resummed theory: solve the Schwinger-Dyson equations as power
   series in epsilon = 1/gamma (fixed-point iteration, each quantity a
   truncated Laurent series), expand the summands of the spectral sums, and
   replace sum_I lambda_I**k by tr Lambda**k.
2. From the diagrams: expand the resolvent (gamma + Phi Phi^T)^-1 in 1/gamma,
   write the test loss as traces of words, and sum their Wick contractions:
   the planar ones with the ribbon-graph engine, all of them (the exact,
   finite-size coefficients) with the cut-and-join recursion of
   :mod:`largen.diagrams.engine.cutjoin`, graded by Euler characteristic. Nonlinear
   features by Gaussian equivalence are words in both parts of
   Phi = mu_1 F X + xi (:func:`loss_observable`).

The planar coefficients of 2 must equal those of 1 exactly. Full enumeration
(:func:`largen.diagrams.engine.expectations.expectation` with ``planar=False``) stays the
reference the recursion is checked against.

Examples
--------
>>> from largen.diagrams import mrs
>>> theory_coefficients(mrs(), 1)[0]
sigma_w**2*tr_Lambda(1)/(2*M)
"""

import collections
import functools
import itertools
import operator
from dataclasses import replace

import networkx as nx
import sympy
from sympy import QQ
from sympy.matrices.expressions import MatMul, Trace
from sympy.polys.rings import ring

from largen.diagrams.engine.cutjoin import graded_expectations
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import CostError, LargenError, ParameterError
from largen.diagrams.engine.expectations import diagram_cost, expectation
from largen.diagrams.engine.model import Model, mrs
from largen.diagrams.engine.observable import namespace, parse_observable
from largen.diagrams.engine.planar import planar_contractions, planar_count
from largen.diagrams.engine.spectral import EIGENVALUE, EIGENVALUES, INDEX, SOURCE, TEACHER, TEACHER_WEIGHTS, covariance_trace, summand
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count

__all__ = [
    "Algebra", "Series", "evaluate", "abstract_variances", "theory_cost", "theory_coefficients",
    "resummed_coefficients", "loss_observable", "loss_observables", "series_cost", "diagram_coefficients",
    "graded_coefficients", "subleading_coefficients", "diagram_count", "check_order",
]

GUARD = 2  # extra orders carried through divisions
MAX_ORDER = 100  # the highest order of the series any method could reach (check_order)


class Algebra:
    """Polynomials over the rationals in the theory's parameters, with the
    eigenvalue ``lambda`` and the spectral power sums as generators, first order
    in the source beta. Series coefficients live here.

    With ``teacher``, the teacher covariance's entry ``omega`` is a generator
    too, and so are the weighted power sums sum_I omega_I lambda_I**k."""

    def __init__(self, parameters, max_power, teacher=False):
        self.traces = [sympy.Symbol(f"t{k}") for k in range(1, max_power + 1)]
        self.weighted = [sympy.Symbol(f"u{k}") for k in range(max_power + 1)] if teacher else []
        spectral = [EIGENVALUE, TEACHER] if teacher else [EIGENVALUE]
        self.symbols = [SOURCE, *spectral, *sorted(parameters, key=str), *self.traces, *self.weighted]
        self.ring = ring(self.symbols, QQ)[0]
        self.zero, self.one = self.ring.zero, self.ring.one

    def element(self, expr):
        return self.ring.from_expr(expr)

    def truncate(self, p):
        """Drop beta**2 and higher (beta is the first generator)."""
        if any(monom[0] > 1 for monom in p.keys()):
            return self.ring.from_dict({m: c for m, c in p.items() if m[0] < 2})
        return p

    def spectral(self, p, size):
        """sum_I p(lambda_I, omega_I): lambda**k becomes t_k, lambda**0 the size, and omega lambda**k u_k."""
        result = self.zero
        size = self.element(size)
        teacher = bool(self.weighted)
        for monom, c in p.items():
            k, j = monom[1], (monom[2] if teacher else 0)
            rest = self.ring.from_dict({monom[:1] + (0,) * (1 + teacher) + monom[2 + teacher:]: c})
            if k > len(self.traces) or j > 1:
                raise LargenError("spectral power beyond the orders prepared")
            if j == 1:
                result += rest * self.ring.gens[self.symbols.index(self.weighted[k])]
            elif k == 0:
                result += rest * size
            else:
                result += rest * self.ring.gens[self.symbols.index(self.traces[k - 1])]
        return result


class Series:
    """A truncated Laurent series in epsilon = 1/gamma with coefficients in an Algebra.

    ``terms`` maps a power of epsilon to its coefficient; powers above
    ``order`` are dropped.
    """

    def __init__(self, algebra, terms, order):
        self.algebra, self.order = algebra, order
        self.terms = {p: algebra.truncate(c) for p, c in terms.items() if p <= order and c}

    def constant(self, value, order=None):
        return Series(self.algebra, {0: value}, self.order if order is None else order)

    @property
    def valuation(self):
        return min(self.terms) if self.terms else self.order + 1

    def __add__(self, other):
        terms = dict(self.terms)
        for p, c in other.terms.items():
            terms[p] = terms.get(p, self.algebra.zero) + c
        return Series(self.algebra, terms, min(self.order, other.order))

    def __mul__(self, other):
        order = min(self.order + other.valuation, other.order + self.valuation)
        terms = {}
        for p, a in self.terms.items():
            for q, b in other.terms.items():
                if p + q <= order:
                    terms[p + q] = terms.get(p + q, self.algebra.zero) + self.algebra.truncate(a * b)
        return Series(self.algebra, terms, order)

    def reciprocal(self):
        v = self.valuation
        if v > self.order:
            raise LargenError("division by a series that vanishes to the order computed")
        lead = self.terms[v]
        if not lead.is_ground:
            raise LargenError(f"cannot divide by the series with leading coefficient {lead.as_expr()}")
        inverse = 1 / lead.LC
        order = self.order - 2 * max(v, 0)  # never beyond the order asked for
        relative = order + v  # 1/(1 + rest) is needed to this order
        negative = Series(self.algebra, {p - v: -c * inverse for p, c in self.terms.items() if p != v}, relative)
        total = power = self.constant(self.algebra.one, relative)
        while True:  # rest has positive valuation: each power is smaller, and ends truncated away
            power = Series(self.algebra, (power * negative).terms, relative)
            if not power.terms:
                break
            total = total + power
        return Series(self.algebra, {p - v: c * inverse for p, c in total.terms.items()}, order)

    def __pow__(self, n):
        base = self if n >= 0 else self.reciprocal()
        result = self.constant(self.algebra.one, base.order)
        for _ in range(abs(int(n))):
            result = result * base
        return result

    def __eq__(self, other):
        return self.terms == other.terms


def evaluate(expr, env, algebra, order, memo=None):
    """The series of a sympy expression, given the series of some of its symbols in ``env``.

    ``memo`` (a dict, valid for one ``env``) keeps the series of subexpressions:
    equations derived from one pencil share their propagators and denominators.
    """
    if expr in env:
        return env[expr]
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    if not expr.has(sympy.Sum, *env):
        result = Series(algebra, {0: algebra.element(expr)}, order)
    elif isinstance(expr, sympy.Add):
        result = Series(algebra, {}, order)
        for arg in expr.args:
            result = result + evaluate(arg, env, algebra, order, memo)
    elif isinstance(expr, sympy.Mul):
        result = Series(algebra, {0: algebra.one}, order)
        for arg in expr.args:
            result = result * evaluate(arg, env, algebra, order, memo)
    elif isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        result = evaluate(expr.base, env, algebra, order, memo) ** int(expr.exp)
    elif isinstance(expr, sympy.Sum):
        function, size = summand(expr)
        inside = evaluate(function, env, algebra, order, memo)
        result = Series(algebra, {p: algebra.spectral(c, size) for p, c in inside.terms.items()}, inside.order)
    else:
        raise LargenError(f"cannot expand {expr} as a series in 1/gamma")
    memo[expr] = result
    return result


def abstract_variances(model):
    """The same model with every variance a bare symbol, and the map back.

    The resummed equations are then polynomial in their parameters, which keeps
    the series arithmetic in a polynomial ring.
    """
    back, matrices = {}, []
    for matrix in model.matrices.values():
        symbol = sympy.Symbol(f"var_{matrix.name}")
        back[symbol] = matrix.variance
        matrices.append(replace(matrix, variance=symbol))
    r = model.regression
    teacher, noise = sympy.Symbol("var_teacher"), sympy.Symbol("var_noise")
    back.update({teacher: r.teacher_variance, noise: r.noise_variance})
    covariances = {s: model.covariance(s) for s in model.spaces if model.covariance(s)}
    regression = replace(r, teacher_variance=teacher, noise_variance=noise)
    teachers = {s: model.teacher(s) for s in model.spaces if model.teacher(s)}
    return Model(model.name, model.spaces, matrices, covariances, regression, teachers), back


def check_order(order):
    """The order of a coefficient of the large-ridge series as an int; ParameterError unless a non-negative integer.

    An order past :data:`MAX_ORDER` is refused at once (CostError): no method reaches it (the
    resummed series alone would cost some 10^13 diagrams' worth at gamma^-100,
    :func:`theory_cost`; the diagrams themselves grow about six-fold an order).

    Examples
    --------
    >>> check_order(sympy.Integer(3))
    3
    >>> check_order(2.5)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: the order of the series must be a non-negative integer, got 2.5
    >>> check_order(10**20)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.CostError: the series to gamma^-100000000000000000000: past gamma^-100 no method reaches it (some 10^13 diagrams' worth at gamma^-100 already)
    """
    try:
        value = operator.index(order)
    except TypeError:
        value = -1
    if isinstance(order, bool) or value < 0:
        raise ParameterError(f"the order of the series must be a non-negative integer, got {order!r}")
    if value > MAX_ORDER:
        raise CostError(f"the series to gamma^-{value}: past gamma^-{MAX_ORDER} no method reaches it "
                        f"(some 10^13 diagrams' worth at gamma^-{MAX_ORDER} already)")
    return value


def theory_cost(theory, order):
    """The estimated cost of :func:`theory_coefficients`, in diagrams' worth of time.

    The series arithmetic grows like the ``(order + GUARD)**8`` and the fifth
    power of the number of self-energies, calibrated on MRS and the deep
    linear models (about 10 s for MRS to gamma^-8 on one core, where a
    diagram costs some 140 microseconds).

    Examples
    --------
    >>> theory_cost(planar_theory(mrs()), 6), theory_cost(planar_theory(mrs()), 10)
    (8589, 220150)
    """
    return len(theory.unknowns) ** 5 * (check_order(order) + GUARD) ** 8 // 2_000_000


def theory_coefficients(model=None, order=4, *, max_diagrams=MAX_DIAGRAMS):
    """Coefficients of gamma**-k, k = 0..order, of the planar test loss, from the resummed theory.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.
    order : int
        The highest power of 1/gamma.
    max_diagrams : int or None
        Refuse (CostError) before starting when :func:`theory_cost` exceeds this.

    Returns
    -------
    list of Expr
        Polynomials in the sizes, the variances and ``tr_Lambda(k)``.

    Examples
    --------
    >>> theory_coefficients(mrs(), 1)[1]
    -N*P*sigma_u**2*sigma_w**2*tr_Lambda(2)/M**2
    """
    model = model or mrs()
    abstract, back = abstract_variances(model)
    theory = planar_theory(abstract)
    check_cost(theory_cost(theory, order), max_diagrams, f"the resummed series of the test loss to gamma^-{order}")
    return resummed_coefficients(theory, back, order)


def resummed_coefficients(theory, back, order):
    """Coefficients of gamma**-k, k = 0..order, of d E/d beta at beta = 0 for a resummed theory.

    The unknowns are found as series in 1/gamma by iterating the equations;
    ``theory`` must be derived on :func:`abstract_variances` of its model, and
    ``back`` is the map to the model's own variances. Any theory with the
    interface of :class:`largen.diagrams.theory.dyson.PlanarTheory` (unknowns, equations,
    generating) whose equations are polynomial in their parameters will do:
    the planar one, and the finite-size one of :mod:`largen.diagrams.theory.finite_size`.

    Examples
    --------
    >>> abstract, back = abstract_variances(mrs())
    >>> resummed_coefficients(planar_theory(abstract), back, 0)
    [sigma_w**2*tr_Lambda(1)/(2*M)]
    """
    model = theory.model
    equations = [(eq.lhs, eq.rhs) for eq in theory.equations]
    generating = theory.generating
    parameters = set().union(*(rhs.free_symbols for _, rhs in equations), generating.free_symbols)
    parameters -= {*theory.unknowns, theory.ridge, SOURCE, EIGENVALUE, EIGENVALUES[INDEX], TEACHER,
                   TEACHER_WEIGHTS[INDEX]}
    work = order + GUARD
    teacher = model.teacher(model.latent)
    algebra = Algebra(parameters, 2 * work + 4, teacher is not None)
    env = {theory.ridge: Series(algebra, {-1: algebra.one}, work)}
    for block in _blocks(equations):
        current = {lhs: Series(algebra, {}, work) for lhs, _ in block}
        for _ in range(4 * work + 8):
            env.update(current)
            memo = {}
            following = {lhs: evaluate(rhs, env, algebra, work, memo) for lhs, rhs in block}
            if following == current:
                break
            current = following
        else:
            raise LargenError("the large-ridge iteration did not settle")
        env.update(current)
    series = evaluate(generating, env, algebra, work)
    trace = covariance_trace(model.covariance(model.latent))
    restore = {**back, **{t: trace(k) for k, t in enumerate(algebra.traces, start=1)}}
    if teacher is not None:
        mixed = covariance_trace(model.covariance(model.latent), teacher)
        restore.update({u: mixed(k, 1) for k, u in enumerate(algebra.weighted)})
    coefficients = []
    for k in range(order + 1):
        term = series.terms.get(k, algebra.zero).as_expr()
        coefficients.append(sympy.expand(sympy.expand(term).coeff(SOURCE, 1).xreplace(restore)))
    return coefficients


def _blocks(equations):
    """The equations in the blocks that are iterated one after the other: the strongly connected
    components of their dependencies, each after those it depends on (a correction's equations
    need the planar unknowns, never the reverse)."""
    unknowns = [lhs for lhs, _ in equations]
    graph = nx.DiGraph()
    graph.add_nodes_from(unknowns)
    graph.add_edges_from((x, lhs) for lhs, rhs in equations for x in rhs.free_symbols if x in graph)
    condensed = nx.condensation(graph)
    position = {x: i for i, x in enumerate(unknowns)}
    rhs = dict(equations)
    return [[(x, rhs[x]) for x in sorted(condensed.nodes[c]["members"], key=position.get)]
            for c in nx.topological_sort(condensed)]


def loss_observable(model, order, *, max_diagrams=MAX_DIAGRAMS):
    """The test loss's coefficient of gamma**-order as a polynomial in traces.

    With G = (gamma + Phi Phi^T)^-1 = sum_j (-1)^j gamma^(-j-1) (Phi Phi^T)^j and
    theta = y Phi^T G the fitted weights, the loss is

        (s_w/2)[tr W L - 2 mu_1 tr(W X Phi^T G F L) + tr(W X Phi^T G Q G Phi X^T)]
        + (s_eps/2) tr(Phi^T G Q G Phi),     Q = mu_1**2 F L F^T + mu_t**2,

    L = Lambda and W the teacher covariance (the identity for an isotropic
    teacher). Linear features have Phi = F X, mu_1 = 1 and mu_t = 0. Nonlinear
    ones (:func:`largen.diagrams.engine.model.gaussian_equivalent`) have Phi = mu_1 F X + Xi,
    and the test point's own xi_test, of entry variance mu_t**2, adds
    mu_t**2 |theta|**2 / 2: the identity in Q. Each Phi is then expanded into
    its two parts, a word per choice; the words with an odd number of some
    Gaussian matrix (an odd number of Xi) have no Wick contraction and are left out.

    Parameters
    ----------
    model : Model
        A ridge-regression model.
    order : int
        The power of 1/gamma.
    max_diagrams : int or None
        Each word costs at least one diagram to sum: refuse (CostError) to
        write more words than this (an activation doubles them with each Phi,
        some 4**order; linear features have about ``order`` of them).

    Returns
    -------
    Expr
        A polynomial in traces (:func:`largen.diagrams.engine.observable.parse_observable` reads it).

    Examples
    --------
    >>> loss_observable(mrs(), 1)
    -sigma_w**2*Trace(X*X.T*U.T*U*Lambda)/M
    >>> loss_observable(mrs(nonlinear=True), 1)
    -mu_1**2*sigma_w**2*Trace(X*X.T*U.T*U*Lambda)/M
    >>> loss, xi = sympy.expand(loss_observable(mrs(nonlinear=True), 2)), namespace(mrs(nonlinear=True))["Xi"]
    >>> len(loss.atoms(Trace)), loss.coeff(Trace(xi.T * xi))  # the label noise seen by the test point's xi
    (12, mu_star**2*sigma_eps**2/2)
    """
    names = namespace(model)
    r = model.regression
    F = [names[m] for m in reversed(r.features)]
    X, Ft = names[r.data], [f.T for f in reversed(F)]
    Lam = names[model.covariance(model.latent)]
    teacher = model.teacher(model.latent)
    W = [names[teacher]] if teacher else []
    one = sympy.Integer(1)
    if r.equivalent is None:
        gain, Phi, Q = one, [(one, F + [X])], [(one, F + [Lam] + Ft)]
    else:
        xi, gain = names[r.equivalent.matrix], r.equivalent.linear
        Phi = [(gain, F + [X]), (one, [xi])]
        Q = [(gain**2, F + [Lam] + Ft), (r.equivalent.test_variance(model), [])]
    PhiT = [(c, [m.T for m in reversed(part)]) for c, part in Phi]

    def gram(j):
        return [Phi, PhiT] * j

    k = check_order(order)
    # (scale, segments) per trace: the teacher's, and the label noise's
    teacher, noise = [], []
    if k == 0:
        teacher.append((one, [W, Lam]))
    else:
        teacher.append((-2 * gain * (-1) ** (k - 1), [W, X, PhiT, *gram(k - 1), F, Lam]))
    for j in range(k - 1):
        teacher.append(((-1) ** k, [W, X, PhiT, *gram(j), Q, *gram(k - 2 - j), Phi, X.T]))
        noise.append(((-1) ** k, [PhiT, *gram(j), Q, *gram(k - 2 - j), Phi]))
    teacher, noise = ([(scale, _choices(segments)) for scale, segments in terms] for terms in (teacher, noise))
    count = sum(_even_words(model, choices) for _, choices in teacher + noise)
    check_cost(count, max_diagrams, lambda: f"the test loss's coefficient of {r.ridge}^-{k}", unit="words")

    def traces(terms):
        return sympy.Add(*[scale * _traces(model, choices) for scale, choices in terms])

    return r.teacher_variance / 2 * traces(teacher) + r.noise_variance / 2 * traces(noise)


def _choices(segments):
    """Each segment as a list of parts ``(coefficient, matrices)`` to choose one from.

    A segment is a matrix, a list of matrices (one part), or a list of parts.
    """
    choices = []
    for segment in segments:
        if not isinstance(segment, list):
            segment = [segment]
        if segment and isinstance(segment[0], tuple):
            choices.append(segment)
        else:
            choices.append([(sympy.Integer(1), segment)])
    return choices


def _parities(model, part):
    """The parity of each of the model's Gaussian matrices in a part's letters, as a bit mask."""
    names = list(model.matrices)
    letters = (getattr(m, "arg", m).name for m in part)  # a transpose's matrix is its arg
    return functools.reduce(operator.xor, (1 << names.index(name) for name in letters if name in names), 0)


def _even_words(model, choices):
    """How many choices of one part per segment give a word with every Gaussian matrix an even number
    of times (the words :func:`_traces` keeps), counted over the parities without listing the words."""
    counts = {0: 1}
    for segment in choices:
        following = collections.Counter()
        for _, part in segment:
            bits = _parities(model, part)
            for state, n in counts.items():
                following[state ^ bits] += n
        counts = following
    return counts.get(0, 0)


def _traces(model, choices):
    """The sum of coefficient * Trace(word) over the choices of one part per segment.

    A word in which some Gaussian matrix occurs an odd number of times has no
    Wick contraction: it is left out.
    """
    found = {}
    for choice in itertools.product(*choices):
        word = tuple(m for _, part in choice for m in part)
        counts = collections.Counter(getattr(m, "arg", m).name for m in word)
        if not any(counts[name] % 2 for name in model.matrices):
            found[word] = found.get(word, 0) + sympy.Mul(*[c for c, _ in choice])
    return sympy.Add(*[c * Trace(MatMul(*word)) for word, c in found.items()])


def loss_observables(model, order, *, max_diagrams=MAX_DIAGRAMS):
    """The test loss's coefficients of gamma**-k, k = 0..order, as polynomials in traces (:func:`loss_observable`)."""
    return [loss_observable(model, k, max_diagrams=max_diagrams) for k in range(check_order(order) + 1)]


def _sum_cost(observable, model, planar):
    """The estimated cost, in diagrams, of summing the (planar) diagrams of an observable."""
    return sum(diagram_cost(words, model, planar=planar) for _, words in parse_observable(observable, model))


def series_cost(model, order, planar=True, *, max_diagrams=MAX_DIAGRAMS):
    """The estimated cost, in diagrams, of the diagram sums of the coefficients 0..order.

    The cost grows with the order, so the estimate is accumulated order by
    order and CostError is raised as soon as it passes ``max_diagrams`` (None:
    no limit): an absurd order is refused after a few orders, not built.

    Examples
    --------
    >>> series_cost(mrs(), 2), series_cost(mrs(), 2, planar=False)
    (5, 23)
    >>> series_cost(mrs(), 50)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.CostError: the planar diagrams of the test loss to gamma^-50 (already to gamma^-7): 406105 diagrams, beyond the limit of 150000; pass max_diagrams= (the CLI's --max-diagrams) to allow more
    """
    kind = "planar diagrams" if planar else "diagrams"
    total = 0
    for k in range(check_order(order) + 1):
        total += _sum_cost(loss_observable(model, k, max_diagrams=max_diagrams), model, planar)
        check_cost(total, max_diagrams, f"the {kind} of the test loss to gamma^-{order}"
                                        + (f" (already to gamma^-{k})" if k < order else ""))
    return total


def diagram_coefficients(model=None, order=4, planar=True, *, max_diagrams=MAX_DIAGRAMS):
    """Coefficients of gamma**-k, k = 0..order, of the test loss, summed over (planar) diagrams.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.
    order : int
        The highest power of 1/gamma.
    planar : bool
        Planar diagrams only (the resummed theory's coefficients), or all (exact,
        by the cut-and-join recursion: :func:`graded_coefficients`).
    max_diagrams : int or None
        Planar: refuse (CostError) before summing when :func:`series_cost`
        exceeds this. Exact: the limit of :func:`graded_coefficients`.

    Returns
    -------
    list of Expr

    Examples
    --------
    >>> diagram_coefficients(mrs(), 1)
    [sigma_w**2*tr_Lambda(1)/(2*M), -N*P*sigma_u**2*sigma_w**2*tr_Lambda(2)/M**2]
    """
    model = model or mrs()
    if not planar:
        return [sympy.Add(*parts.values()) for parts in graded_coefficients(model, order, max_diagrams=max_diagrams)]
    series_cost(model, order, planar, max_diagrams=max_diagrams)
    return [expectation(obs, model, planar=planar, max_diagrams=None)
            for obs in loss_observables(model, order, max_diagrams=max_diagrams)]


def graded_coefficients(model=None, order=4, *, max_diagrams=MAX_DIAGRAMS):
    """The exact coefficients of gamma**-k, k = 0..order, of the test loss, split by Euler characteristic.

    Every term of the loss is a single trace, so chi = 2 is the planar part
    and each unit of chi less is one face less, one power of the sizes down
    (with tr Lambda**k counted as a size): chi = 1 is the one-crosscap part
    (real matrices only), chi = 0 genus one or two crosscaps.
    For nonlinear features they are exact for the Gaussian-equivalent model
    (xi Gaussian); an activation's own features differ below the planar part,
    where its mu_0 and non-Gaussian part enter.
    Computed by the cut-and-join recursion (:mod:`largen.diagrams.engine.cutjoin`), with
    one memo for all the orders.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.
    order : int
        The highest power of 1/gamma.
    max_diagrams : int or None
        The limit on the work, in diagrams' worth of time: each order's work is
        projected from the growth of the previous two and refused (CostError)
        before it starts when the total would pass the limit, and the work done
        is held to it.

    Returns
    -------
    list of dict
        ``{chi: Expr}`` per order; parts that vanish are left out.

    Examples
    --------
    >>> sorted(graded_coefficients(mrs(), 3)[3])
    [-2, -1, 0, 1, 2]
    >>> graded_coefficients(mrs(), 50, max_diagrams=1000)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.CostError: the exact diagrams of the test loss to gamma^-50 (refused at gamma^-6): 3537 diagrams, beyond the limit of 1000; pass max_diagrams= (the CLI's --max-diagrams) to allow more
    """
    model = model or mrs()
    order = check_order(order)
    observables = (loss_observable(model, k, max_diagrams=max_diagrams) for k in range(order + 1))
    return graded_expectations(observables, model, max_diagrams=max_diagrams,
                               what=lambda k: f"the exact diagrams of the test loss to gamma^-{order}"
                                              + (f" (refused at gamma^-{k})" if k < order else ""))


def subleading_coefficients(model=None, order=4, *, max_diagrams=MAX_DIAGRAMS):
    """The part of each exact coefficient one power of the sizes below the planar part.

    The chi = 1 part of :func:`graded_coefficients`: the one-crosscap diagrams
    of real matrices, zero for complex and Hermitian ones (their first
    correction is genus one, two powers down). This is what the first
    finite-size correction of the resummed theory must reproduce, order by order.

    Examples
    --------
    >>> subleading_coefficients(mrs(), 1)
    [0, 0]
    >>> subleading_coefficients(mrs(), 2)[2]
    N*P*sigma_eps**2*sigma_u**4*tr_Lambda(2)/(2*M**2) + 3*N**2*P*sigma_u**4*sigma_w**2*tr_Lambda(3)/(2*M**3) + 3*N*P**2*sigma_u**4*sigma_w**2*tr_Lambda(3)/(2*M**3) + 2*N*P*sigma_u**4*sigma_w**2*tr_Lambda(1)*tr_Lambda(2)/M**3
    """
    return [parts.get(1, sympy.Integer(0)) for parts in graded_coefficients(model, order, max_diagrams=max_diagrams)]


def diagram_count(observable, model, planar=True, *, max_diagrams=MAX_DIAGRAMS):
    """How many (planar) Wick contractions the traces of an observable have.

    Counted without listing, except the planar contractions of a product of
    several traces, which are listed (CostError past ``max_diagrams``).

    Examples
    --------
    >>> diagram_count("Trace(X*X.T*X*X.T)", mrs()), diagram_count("Trace(X*X.T*X*X.T)", mrs(), planar=False)
    (2, 3)
    >>> diagram_count("Trace(X*X.T)**2", mrs()), diagram_count("Trace(X*X.T)**2", mrs(), planar=False)
    (3, 3)
    """
    total = 0
    for _, words in parse_observable(observable, model):
        if planar and len(words) == 1:
            total += planar_count(words[0], model)
        elif planar and words:
            total += sum(1 for _ in planar_contractions(words, model, max_diagrams=max_diagrams))
        elif words:
            total += contraction_count(words, model)
    return total
