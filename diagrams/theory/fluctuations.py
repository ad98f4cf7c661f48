"""How much one training run scatters: the variance of the test loss, from the pencil.

Per output c the regression is linear in its labels z_c = (w_c, eps_c), and
the pencil (:mod:`largen.diagrams.theory.pencil`) writes the minimal training
objective with the test-loss source beta as a quadratic form in them,

    E_min(beta) = (1/2) z H(beta) z^T,      H(beta) = (Q(beta)^-1) on the fields (mu_M, nu),

exactly, for one draw of the features and the data (u, X). The test loss of
the output is dE_min/dbeta at 0, the quadratic form z K z^T / 2 with K = H'(0).
With Z = diag(s_w Omega on mu_M, s_eps on nu) the covariance of z, and C
outputs sharing (u, X), the variance of L = (1/C) sum_c L_c splits as

    Var L = E_{u,X}[Var_z L] + Var_{u,X}[E_z L],
    Var_z L = (1/2C) tr(Z K Z K),      E_z L = (1/2) d/dbeta tr(Z H(beta)) at 0.

**The first part** is one trace of a product of two resolvents:
tr(Z K Z K) = d^2/dbeta_1 dbeta_2 tr(Z H(beta_1) Z H(beta_2)). Its planar
value is that of a *doubled* pencil, two replicas a = 1, 2 of the pencil with
their own sources, the same Gaussian matrices, and the coupling -t Z between
the replicas' label fields: the off-diagonal block of its resolvent is
t Q_1^-1 Z Q_2^-1 to first order in t. The planar self-energy of a doubled
field is a 2 x 2 matrix in the replicas: the rainbow rule of
:mod:`largen.diagrams.theory.dyson` with the propagator of the replicas
(a, b) at the far end. Its diagonal is the planar theory of each replica; its
off-diagonal part sigma solves, to first order in t (t = 1 below),

    sigma_p = sum_q c**2 v tr_w[(G_1 E G_2)_qq],      E = diag(sigma_f lambda**d_f) + Z,

the kernel K_pr = d sigma_p / d sigma_r and the source b = the part with Z:
sigma = (1 - K)^-1 b, and tr(Z Q_1^-1 Z Q_2^-1) = tr(Z G_1 E G_2).

**The second part** is the connected correlator of two traces. With the label
source tau (Q_0 -> Q_0 - tau Z, so that -d/dtau tr log Q = tr(Z Q^-1)), its
leading (cylinder) diagrams are rings of rungs between the two traces, each
rung a Gaussian propagator dressed by planar propagators on both sides: the
same kernel K. A ring of n rungs counts tr K**n / n, so

    Cov(tr log Q_1, tr log Q_2) = -kappa log det(1 - K),

with kappa = 2 for real matrices: the second trace read backwards gives a
second ring of twisted rungs with the same kernel (Q is symmetric). Hence

    Var_{u,X}[E_z L] = -(kappa/4) d^4/(dbeta_1 dtau_1 dbeta_2 dtau_2) log det(1 - K).

Both parts are found from the *jets* of the propagators: each replica's
self-energies and propagators expanded to first order in its beta and its
tau, and to their mixed second order. A jet of a self-energy solves the
self-energy equation with the propagator's jet at its far end (the planar
ladder); a jet of the kernel, the source and the observable is the trace of
the product of two propagator jets, one per replica, which is where the
spectral sums are. :func:`combine` does the algebra of the jets, over any
coefficients: certified numbers in the solver, series in 1/gamma in
:func:`scatter_coefficients`.

The first part is of relative order 1/(C n), n the number of learned modes;
the second of relative order 1/size**2, the order of the first part's own
first finite-size correction (one crosscap), which is not derived here. Label
noise enters both, through Z. Nothing in this module knows which model it is
given: everything is read off the pencil.

Checks and uses: :func:`scatter_coefficients` expands the derived parts in
1/gamma, to be equal as polynomials to the planar diagrams of their words
(:func:`planar_variance_coefficients`, :func:`connected_coefficients`, by the
cut-and-join recursion); :func:`parametric_scatter` writes the first part in
Delta and the n_k, whose ridgeless and ridge limits are the scatter's laws;
:func:`scatter_verdicts` decides N <-> P on the parts and class by class on
their diagrams (:func:`scatter_pairs`).

Examples
--------
>>> from largen.diagrams import mrs
>>> theory = fluctuation_theory(mrs())
>>> [str(r) for r in theory.rates[BETA]]
['dSigma_theta_dbeta', 'dSigma_mu_M_dbeta', 'dSigma_rho_M_dbeta', 'dSigma_nu_dbeta']
>>> theory.orientations
2
"""

import enum
import itertools
from dataclasses import dataclass
from functools import cache

import sympy
from sympy.matrices.expressions import MatMul, Trace
from sympy.polys.matrices import DomainMatrix

from largen.diagrams.engine.cutjoin import graded_expectations
from largen.diagrams.engine.model import Ensemble, mrs, untie_ridge
from largen.diagrams.engine.observable import namespace, parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.engine.ribbon import RibbonGraph
from largen.diagrams.engine.spectral import (DELTA, EIGENVALUE, EIGENVALUES, INDEX, SOURCE, TEACHER, TEACHER_WEIGHTS,
                                             covariance_trace, effective_dimension, in_effective_dimensions)
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count, isomorphism_classes
from largen.diagrams.errors import LargenError, ModelError
from largen.diagrams.printing.latex import display
from largen.diagrams.theory.duality import (PAIR_COST, DualPair, Quantity, Verdict, dual_word, frame, invariance,
                                            reflect, swap_sizes, to_frame)
from largen.diagrams.theory.dyson import dressed, dressed_block, field_trace, partners, planar_theory
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.theory.series import (GUARD, Algebra, Series, abstract_variances, check_order, evaluate,
                                           loss_observable, loss_observables)

__all__ = [
    "Part", "BETA", "TAU", "BOTH", "JETS", "FluctuationTheory", "fluctuation_theory", "combine",
    "ScatterParts", "within_draw", "between_draws", "scatter_coefficients", "variance_observable",
    "planar_variance_coefficients", "connected_coefficients", "ParametricScatter", "parametric_scatter",
    "scatter_pairs", "scatter_verdicts",
]

class Part(enum.Enum):
    """Which labels a part of the label covariance Z weighs: the teacher's or the noise's."""

    TEACHER = "teacher"
    NOISE = "noise"


# the jets of one replica, as bit masks of the sources it is differentiated in: 0 the value,
# BETA = d/dbeta (the test-loss source), TAU = d/dtau (the label source, Q_0 -> Q_0 - tau Z, so that
# -d/dtau tr log Q = tr(Z Q^-1) = 2 E_min), BOTH the mixed second derivative
BETA, TAU = 1, 2
BOTH = BETA | TAU
JETS = (0, BETA, TAU, BOTH)
_NAMES = {BETA: "dbeta", TAU: "dtau", BOTH: "dbeta_dtau"}


@dataclass(frozen=True)
class FluctuationTheory:
    """The jets of the doubled pencil of a model (see the module docstring).

    Attributes
    ----------
    planar : PlanarTheory
        The planar theory, whose unknowns are the jets' values.
    labels : dict
        Field name -> {Part: its entry of the label covariance Z} (a function of lambda and
        omega on the latent space); fields without labels are left out.
    rates : dict
        Jet (BETA, TAU, BOTH) -> the symbols of the self-energies' derivatives, in the
        order of the planar unknowns.
    jacobian : sympy.Matrix
        d rhs_p / d Sigma_r of the planar equations: the rates solve
        rate = jacobian * rate + ``rate_sources[jet]``.
    rate_sources : dict
        Jet -> the inhomogeneous part of its ladder (in the unknowns and the lower jets' rates).
    kernel : dict
        (u, v) -> the kernel K between a replica's jet u and the other's jet v
        (n x n, one row and column per field); symmetric: (v, u) is (u, v).
    source : dict
        (u, v), u, v in (0, BETA) -> {Part: the source b of sigma (a column)}.
    observable : dict
        (u, v), u, v in (0, BETA) -> (c0, c): tr(Z Q_1^-1 Z Q_2^-1) = c0 + c . sigma, with
        c0 = {(Part, Part): ...} and c = {Part: a row}.
    orientations : int
        kappa, the orientations of a ring: 2, the ring and its twisted mirror, for real matrices
        (the only ones taken).
    """

    planar: object
    labels: dict
    rates: dict
    jacobian: sympy.Matrix
    rate_sources: dict
    kernel: dict
    source: dict
    observable: dict
    orientations: int

    @property
    def model(self):
        return self.planar.model


@cache
def fluctuation_theory(model=None):
    """Derive the jets of the doubled pencil of a ridge-regression model.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.

    Returns
    -------
    FluctuationTheory

    Raises
    ------
    ModelError
        For a Gaussian matrix that is not real (the rings of the second part are
        derived for real rectangular matrices).

    Examples
    --------
    >>> theory = fluctuation_theory()
    >>> theory.kernel[0, 0].shape, sorted(theory.labels)
    ((4, 4), ['mu_M', 'nu'])
    """
    model = model or mrs()
    planar = planar_theory(model)
    pencil = planar.pencil
    for c in pencil.couplings:
        if c.matrix is not None and c.matrix.ensemble is not Ensemble.REAL:
            raise ModelError(f"matrix {c.matrix.name} of model {model.name} is {c.matrix.ensemble.value}: the "
                             "scatter of the loss is derived for real rectangular Gaussian matrices")
    fields = [f.name for f in pencil.fields]
    sigma = dict(zip(fields, planar.unknowns))
    r = model.regression
    teacher = TEACHER if model.teacher(model.latent) is not None else 1
    labels = {pencil.find("mu", model.latent).name: {Part.TEACHER: r.teacher_variance * teacher},
              pencil.find("nu").name: {Part.NOISE: r.noise_variance}}
    rates = {jet: tuple(sympy.Symbol(f"d{'2' * (jet == BOTH)}{s.name}_{_NAMES[jet]}") for s in planar.unknowns)
             for jet in (BETA, TAU, BOTH)}
    spaces = list(dict.fromkeys(f.space for f in pencil.fields))
    names = {space: [f.name for f in pencil.on(space)] for space in spaces}

    def scale(field):
        return EIGENVALUE if dressed(pencil, field) else 1

    def label(field):
        return sum(labels.get(field, {}).values())

    def diagonal(space, entries):
        return sympy.diag(*[entries.get(f, 0) for f in names[space]])

    # the jets of the block Q_0 - Sigma on each space, and of its inverse G
    propagators = {}
    for space in spaces:
        zero = {f.name: 0 for f in pencil.fields}
        G0 = dressed_block(pencil, sigma, space).subs(SOURCE, 0).inv().applyfunc(sympy.cancel)
        d_beta = dressed_block(pencil, zero, space).diff(SOURCE)
        block = {BETA: d_beta - diagonal(space, {f: rates[BETA][fields.index(f)] * scale(f) for f in names[space]}),
                 TAU: -diagonal(space, {f: label(f) + rates[TAU][fields.index(f)] * scale(f) for f in names[space]}),
                 BOTH: -diagonal(space, {f: rates[BOTH][fields.index(f)] * scale(f) for f in names[space]})}
        G = {0: G0, BETA: -G0 * block[BETA] * G0, TAU: -G0 * block[TAU] * G0}
        G[BOTH] = (-G0 * block[BOTH] * G0 + G0 * block[BETA] * G0 * block[TAU] * G0
                   + G0 * block[TAU] * G0 * block[BETA] * G0)
        propagators[space] = {jet: matrix.applyfunc(_imaginary_unit_out) for jet, matrix in G.items()}

    def propagator(jet, field):
        space = pencil.field(field).space
        i = names[space].index(field)
        return propagators[space][jet][i, i]

    def rainbow(field, entry):
        """sum over the Gaussian couplings at ``field`` of c**2 v tr_w(entry(q)) at the far end q."""
        return sum(c.coefficient**2 * c.matrix.variance
                   * field_trace(pencil, q, entry(q) * (EIGENVALUE if weighted else 1))
                   for c, q, weighted in partners(pencil, field))

    # the ladders of the rates: each jet of a self-energy is the rainbow of the propagator's jet
    jacobian = sympy.Matrix([[sympy.diff(eq.rhs, s).subs(SOURCE, 0) for s in planar.unknowns]
                             for eq in planar.equations])
    rate_sources = {}
    for jet in (BETA, TAU, BOTH):
        equations = [rainbow(p, lambda q, jet=jet: propagator(jet, q)) for p in fields]
        lower = {x: 0 for x in rates[jet]}
        rate_sources[jet] = sympy.Matrix([e.xreplace(lower) for e in equations])

    def between(u, v, insert, field):
        """(G_u E G_v)_qq on the space of q for a diagonal E given by ``insert`` (field -> entry)."""
        space = pencil.field(field).space
        E = diagonal(space, insert)
        i = names[space].index(field)
        return sympy.expand_mul((propagators[space][u][i, :] * E * propagators[space][v][:, i])[0, 0])

    kernel, source, observable = {}, {}, {}
    for u in JETS:
        for v in JETS:
            if (v, u) in kernel:
                kernel[u, v] = kernel[v, u]
                continue
            kernel[u, v] = sympy.Matrix([[rainbow(p, lambda q, f=f: between(u, v, {f: scale(f)}, q)) for f in fields]
                                         for p in fields])
    for u in (0, BETA):
        for v in (0, BETA):
            source[u, v] = {part: sympy.Matrix([rainbow(p, lambda q, part=part: between(
                u, v, {f: z[part] for f, z in labels.items() if part in z}, q)) for p in fields]) for part in Part}

            c0 = {}
            for a in Part:
                for b in Part:
                    c0[a, b] = sum(field_trace(pencil, f, labels[f][a] * between(
                        u, v, {g: z[b] for g, z in labels.items() if b in z}, f)) for f in labels if a in labels[f])
            row = {a: sympy.Matrix([[sum(field_trace(pencil, f, labels[f][a] * between(u, v, {g: scale(g)}, f))
                                         for f in labels if a in labels[f]) for g in fields]]) for a in Part}
            observable[u, v] = (c0, row)
    return FluctuationTheory(planar, labels, rates, _clean(jacobian), {j: _clean(v) for j, v in rate_sources.items()},
                             {k: _clean(m) for k, m in kernel.items()},
                             {k: {part: _clean(v) for part, v in b.items()} for k, b in source.items()},
                             {k: ({key: _clean(x) for key, x in c0.items()}, {part: _clean(v) for part, v in row.items()})
                              for k, (c0, row) in observable.items()}, orientations=2)


def _imaginary_unit_out(entry):
    """An entry of a propagator's jet as i times a real sum, or a real sum: the couplings i between mu
    and rho make some entries imaginary, and a product of two of them is then real as written."""
    entry = sympy.expand_mul(entry)
    if not entry.has(sympy.I):
        return entry
    real = sympy.expand_mul(-sympy.I * entry)
    if real.has(sympy.I):
        raise ModelError(f"a propagator entry of the pencil is neither real nor imaginary: {entry}")
    return sympy.I * real


def _clean(expr):
    """An expression or matrix with the spectral sums of 0 dropped."""
    drop = lambda e: e.replace(lambda x: isinstance(x, sympy.Sum) and x.function == 0,  # noqa: E731
                               lambda x: sympy.Integer(0))
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(drop)
    return drop(sympy.sympify(expr))


def combine(kernel, source, observable, arithmetic, *, outputs=1, orientations=2):
    """The parts of the variance from the values of the jets, in any arithmetic.

    The jets of a quantity of both replicas are kept as bit masks m = u | v << 2,
    u the jet of the first replica and v of the second; a product of two jets
    is the sum over the splits of the mask into disjoint halves (every source
    appears at most once: its square vanishes at first order in each).

    Parameters
    ----------
    kernel, source, observable : dict
        The jets of :class:`FluctuationTheory` evaluated (matrices as lists of
        rows): numbers, or series in 1/gamma.
    arithmetic : object
        The coefficients' ``zero``, ``scale(x, rational)`` and ``inverse(K0)``, the
        matrix (1 - K0)^-1 (lists of rows).
    outputs : int
        C, the number of outputs (the teacher's rows) that share the features and the data.
    orientations : int
        kappa of :class:`FluctuationTheory`.

    Returns
    -------
    ScatterParts
    """
    inverse = arithmetic.inverse(kernel[0, 0])
    teacher, noise = within_draw(kernel, source, observable, arithmetic, inverse, outputs=outputs)
    return ScatterParts(teacher, noise, between_draws(kernel, arithmetic, inverse, orientations=orientations))


def _linear(arithmetic):
    """dot, matrix times column, and matrix product in the arithmetic's coefficients."""
    zero = arithmetic.zero

    def dot(row, column):
        total = zero
        for a, b in zip(row, column):
            total = total + a * b
        return total

    def times(matrix, column):
        return [dot(row, column) for row in matrix]

    def product(a, b):
        columns = [[row[j] for row in b] for j in range(len(b[0]))]
        return [[dot(row, column) for column in columns] for row in a]

    return dot, times, product


def within_draw(kernel, source, observable, arithmetic, inverse, *, outputs=1):
    """(teacher, noise): E_{u,X}[Var_z L] from the jets in beta_1 and beta_2 (see :func:`combine`).

    sigma = (1 - K)^-1 b jet by jet, sigma_m = R (b_m + sum_a K_a sigma_(m - a)) with
    R = ``inverse`` = (1 - K_0)^-1, and tr(Z G_1 E G_2) = c0 + c . sigma at the jet beta_1 beta_2,
    over 2C; ``teacher`` is its part in the teacher's labels alone.
    """
    dot, times, _ = _linear(arithmetic)
    top = BETA | BETA << 2
    masks = (0, BETA, BETA << 2, top)
    sigma = {}
    for part in Part:
        found = {}
        for m in masks:
            right = list(source[m & 3, m >> 2][part])
            for a in masks[1:]:
                if a & m == a:
                    right = [x + y for x, y in zip(right, times(kernel[a & 3, a >> 2], found[m & ~a]))]
            found[m] = times(inverse, right)
        sigma[part] = found
    traced = {}
    for a in Part:
        for b in Part:
            total = observable[BETA, BETA][0][a, b]
            for m in masks:
                total = total + dot(observable[m & 3, m >> 2][1][a], sigma[b][top & ~m])
            traced[a, b] = total
    noise = arithmetic.zero
    for key, value in traced.items():
        if key != (Part.TEACHER, Part.TEACHER):
            noise = noise + value
    per_output = sympy.Rational(1, 2 * outputs)
    return arithmetic.scale(traced[Part.TEACHER, Part.TEACHER], per_output), arithmetic.scale(noise, per_output)


def between_draws(kernel, arithmetic, inverse, *, orientations=2):
    """Var_{u,X}[E_z L] = -(kappa/4) times the top jet of log det(1 - K) (see :func:`combine`).

    log det(1 - K) = log det(1 - K_0) + tr log(1 - Y), Y = sum_m R K_m e_m with R = ``inverse``; the
    top jet (all four sources) of tr log(1 - Y) is minus the sum of tr(Y_m1 ... Y_mk) over the
    cyclic orders of the set partitions {m1, ..., mk} of the four sources (the 1/k of the
    logarithm cancels the k rotations of a cyclic order).
    """
    dot, _, product = _linear(arithmetic)
    n = len(inverse)
    Y = {u | v << 2: product(inverse, matrix) for (u, v), matrix in kernel.items() if u or v}
    prefixes, ring = {}, arithmetic.zero
    for order in _cyclic_partitions(15):
        last = Y[order[-1]]
        left = _chain(order[:-1], Y, prefixes, product) if len(order) > 1 else None
        for i in range(n):
            ring = ring + (last[i][i] if left is None else dot(left[i], [row[i] for row in last]))
    return arithmetic.scale(ring, sympy.Rational(orientations, 4))


def _chain(masks, Y, known, product):
    """Y_m1 ... Y_mk for the masks, each product of a prefix kept in ``known``."""
    if len(masks) == 1:
        return Y[masks[0]]
    if masks not in known:
        known[masks] = product(_chain(masks[:-1], Y, known, product), Y[masks[-1]])
    return known[masks]


def _cyclic_partitions(mask):
    """The cyclic orders of the set partitions of the bits of ``mask``: tuples of disjoint masks, the
    block of the lowest bit first, every order of the others.

    Examples
    --------
    >>> len(list(_cyclic_partitions(15)))  # 1 + 7 + 6 * 2 + 1 * 6
    26
    """
    bits = [1 << i for i in range(mask.bit_length()) if mask >> i & 1]
    for blocks in _set_partitions(bits):
        first, *rest = blocks
        for arrangement in itertools.permutations(rest):
            yield (first, *arrangement)


def _set_partitions(bits):
    """The set partitions of a list of bits, as lists of masks, the block of the first bit first."""
    if not bits:
        yield []
        return
    first, *rest = bits
    for partition in _set_partitions(rest):
        yield [first, *partition]
        for i, block in enumerate(partition):
            yield [block | first, *partition[:i], *partition[i + 1:]]


@dataclass(frozen=True)
class ScatterParts:
    """The variance of the test loss in parts (per output as in the loss's own normalisation).

    ``teacher`` is E_{u,X}[Var_w L] from the teacher's labels alone, ``noise`` what the label
    noise adds to E_{u,X}[Var_{w,eps} L], ``connected`` is Var_{u,X}[E_{w,eps} L].
    """

    teacher: object
    noise: object
    connected: object

    @property
    def total(self):
        return self.teacher + self.noise + self.connected


class _SeriesArithmetic:
    """The arithmetic of :func:`combine` on series in 1/gamma (:class:`largen.diagrams.theory.series.Series`)."""

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
    and combined by :func:`combine`. Each part must equal the planar diagrams
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
    parameters = set().union(*(sympy.sympify(e).free_symbols for e in expressions))
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
        return evaluate(sympy.sympify(expr), env, algebra, work, memo)

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


def scatter_pairs(model=None, order=2, part="within", *, max_diagrams=MAX_DIAGRAMS):
    """The planar diagram classes of a part of the noiseless variance at gamma**-order, with their duals.

    ``part`` is ``"within"``, the sphere diagrams of E_{u,X}[Var_w L] (one trace,
    :func:`variance_observable`), or ``"connected"``, the cylinder diagrams of
    Var_{u,X}[E_w L] (two traces joined, :func:`connected_coefficients`). Each
    class is carried by the N <-> P map of :mod:`largen.diagrams.theory.duality`
    (U <-> Z^T in place, on every trace) into the words of the same
    coefficient, by a rotation or a reflection of each trace and an exchange
    of the traces; where no reading of the dual is a word of the
    coefficient, ``dual`` is None.

    Returns
    -------
    list of DualPair

    Examples
    --------
    >>> pairs = scatter_pairs(mrs(), 2, "connected")
    >>> len(pairs), all(p.dual_weight == swap_sizes(p.weight, p.model) for p in pairs)
    (6, True)
    """
    model = model or mrs()
    order = check_order(order)
    if part not in ("within", "connected"):
        raise ModelError(f"part must be 'within' or 'connected', got {part!r}"[:200])
    framed = frame(model)
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    if part == "within":
        observable = variance_observable(model, order).xreplace(noiseless)
    else:
        losses = [loss_observable(model, k, max_diagrams=max_diagrams).xreplace(noiseless) for k in range(order + 1)]
        observable = sum((losses[j] * losses[order - j] for j in range(1, order)), sympy.Integer(0))
    # one term per product of trace classes (a trace read from another letter, or backwards, is the same)
    merged = {}
    for coefficient, words in parse_observable(to_frame(sympy.expand(observable), model), framed):
        if words:
            key = tuple(sorted(min(repr(r) for _, _, r in _readings(w)) for w in words))
            known = merged.get(key, (words, 0))
            merged[key] = (known[0], known[1] + coefficient)
    terms = [(coefficient, words) for words, coefficient in merged.values() if coefficient != 0]
    targets = {_canonical(words): coefficient for coefficient, words in terms}
    check_cost(sum(PAIR_COST * contraction_count(words, framed) for _, words in terms), max_diagrams,
               lambda: f"the dual pairs of the scatter's diagrams at {model.regression.ridge}^-{order}")
    pairs = []
    for coefficient, words in terms:
        graphs = [g for g in planar_contractions(words, framed, max_diagrams=None) if g.components == 1]
        for graph, multiplicity in isomorphism_classes(graphs, words, max_diagrams=None):
            dual, dual_coefficient = _carry(graph, model, targets)
            pairs.append(DualPair(model, coefficient, graph, multiplicity, dual, dual_coefficient))
    return pairs


def _canonical(words):
    """A product of traces as a key: its words in a fixed order."""
    return tuple(sorted(words, key=repr))


def _readings(word):
    """Every reading of one trace: (reflected, shift, word)."""
    n = len(word)
    for reflected, base in ((False, word), (True, reflect(word))):
        for shift in range(max(n, 1)):
            yield reflected, shift, base.rotate(shift)


def _carry(graph, model, targets):
    """The dual of a graph of several traces as a diagram of one of the ``targets`` (canonical words ->
    coefficient): each trace read by a rotation or a reflection, the traces in the targets' order."""
    duals = [dual_word(word, model) for word in graph.words]
    for readings in itertools.product(*[list(_readings(d)) for d in duals]):
        words = tuple(reading for _, _, reading in readings)
        key = _canonical(words)
        if key not in targets:
            continue
        order = sorted(range(len(words)), key=lambda v: repr(words[v]))
        place = {v: order.index(v) for v in range(len(words))}

        def move(dart):
            v, i = dart
            reflected, shift, _ = readings[v]
            n = len(words[v])
            return place[v], ((n - 1 - i if reflected else i) - shift) % n

        # reading one trace backwards reverses its orientation: a ribbon to another trace read the
        # other way round changes its twist
        edges = [(move(a), move(b), t != (readings[a[0]][0] != readings[b[0]][0])) for a, b, t in graph.edges]
        return RibbonGraph(key, graph.model, edges), targets[key]
    return None, None


def scatter_verdicts(model=None, order=2, *, diagrams=True, max_diagrams=MAX_DIAGRAMS):
    """Verdicts of the N <-> P duality on the variance of the test loss.

    For each exchange of two sizes among the widths and the samples:

    - ``variance over the teacher`` (E_{u,X}[Var_w L], noiseless) and the same ``with label
      noise``: on the parametric form (:func:`parametric_scatter`), at every ridge;
    - ``variance over the features and data`` (Var_{u,X}[E_w L]), noiseless and with noise:
      on the large-ridge coefficients to gamma^-order (it has no parametric form here);
    - with ``diagrams`` and one feature layer, class by class (:func:`scatter_pairs`):
      every planar class of each noiseless part at gamma^-k, k = 1..order, paired with a dual
      class of the exchanged weight and the same coefficient.

    Returns
    -------
    tuple of Verdict

    Examples
    --------
    >>> [(v.quantity, v.cause) for v in scatter_verdicts(mrs(), 3) if not v.invariant]  # doctest: +NORMALIZE_WHITESPACE
    [('variance over the teacher with label noise', 'the label noise (without it the remainder vanishes)'),
     ('variance over the features and data with label noise gamma^-3',
      'the label noise (without it the remainder vanishes)')]
    """
    model = model or mrs()
    order = check_order(order)
    ridge = model.regression.ridge
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    sizes = [model.spaces[s] for s in model.feature_spaces[1:]] + [model.spaces[model.samples]]
    exchanges = [(a, b) for i, a in enumerate(sizes) for b in sizes[i + 1:] if a.is_Symbol and b.is_Symbol]
    parametric = parametric_scatter(model)
    within = parametric.teacher + parametric.noise
    coefficients = scatter_coefficients(model, order)
    def verdict(kind, expr, sizes, **order):
        remainder = invariance(expr, dict([sizes, sizes[::-1]]))
        cause = ""
        if remainder != 0 and remainder.xreplace(noiseless) == 0:
            cause = "the label noise (without it the remainder vanishes)"
        return Verdict(kind, sizes, remainder == 0, remainder, cause=cause, ridge=ridge, **order)

    found = []
    for sizes in exchanges:
        found += [verdict(Quantity.VARIANCE, within.xreplace(noiseless), sizes),
                  verdict(Quantity.VARIANCE_WITH_NOISE, within, sizes)]
        for k, c in enumerate(coefficients):
            found += [verdict(Quantity.CONNECTED_VARIANCE, c.connected.xreplace(noiseless), sizes, order=k),
                      verdict(Quantity.CONNECTED_VARIANCE_WITH_NOISE, c.connected, sizes, order=k)]
    if diagrams and len(model.regression.features) == 1 and exchanges:
        ((a, b),) = exchanges
        for part in ("within", "connected"):
            for k in range(1 if part == "within" else 2, order + 1):
                pairs = scatter_pairs(model, k, part, max_diagrams=max_diagrams)
                found.append(_diagram_verdict(model, pairs, (a, b), k, part))
    return tuple(found)


def _diagram_verdict(model, pairs, sizes, order, part):
    """Invariant when every class has a dual class with the exchanged weight and the same coefficient; the
    remainder is the classes' sum minus its image."""
    unpaired = [p for p in pairs if p.dual is None]
    mismatched = [p for p in pairs if p.dual is not None and (
        p.dual_coefficient != p.coefficient or p.dual_weight != swap_sizes(p.weight, model))]
    total = sum((p.multiplicity * p.coefficient * p.weight for p in pairs), sympy.Integer(0))
    remainder = sympy.factor_terms(sympy.cancel(sympy.expand(total - swap_sizes(total, model))))
    cause = f"{len(unpaired)} class{'es' * (len(unpaired) != 1)} without a dual diagram" if unpaired else ""
    kind = Quantity.VARIANCE_DIAGRAMS if part == "within" else Quantity.CONNECTED_VARIANCE_DIAGRAMS
    return Verdict(kind, sizes, not (unpaired or mismatched), remainder, order=order, cause=cause,
                   ridge=model.regression.ridge)


@dataclass(frozen=True)
class ParametricScatter:
    """E_{u,X}[Var_z L] as functions of the renormalised ridge Delta and the effective dimensions n_k.

    ``teacher`` and ``noise`` are the parts of :class:`ScatterParts` for one output (C = 1: divide
    by C), in the variables of :func:`largen.diagrams.theory.parametric.ridgeless`, whose ``gamma``
    and ``loss`` they come with. ``regimes`` gives, for each ridgeless regime (n_1 -> a root of
    gamma), the relative variance teacher / loss**2 of the noiseless teacher there, and ``ridge``
    the same in the ridge regime: the leading law of the scatter, which a power-law spectrum's
    n_k turn into powers of the sizes.
    """

    model: object
    gamma: sympy.Expr
    loss: sympy.Expr
    teacher: sympy.Expr
    noise: sympy.Expr

    @property
    def regimes(self):
        """{root of n_1: teacher / loss**2 of the noiseless teacher in that ridgeless regime}."""
        n1 = effective_dimension(1)
        noiseless = {s: 0 for s in self.model.regression.noise_variance.free_symbols}
        found = {}
        for regime in ridgeless(self.model).regimes:
            relative = (self.teacher / self.loss**2).xreplace(noiseless).xreplace({n1: regime.n1})
            found[regime.n1] = sympy.factor(sympy.cancel(relative))
        return found

    @property
    def ridge(self):
        """teacher / loss**2 of the noiseless teacher in the ridge regime: every width and the
        samples far above the n_k (their ratios fixed), Delta set by the ridge."""
        noiseless = {s: 0 for s in self.model.regression.noise_variance.free_symbols}
        small = sympy.Dummy("x", positive=True)
        sizes = [self.model.spaces[s] for s in self.model.feature_spaces[1:]] + [self.model.spaces[self.model.samples]]
        large = {size: (i + 1) / small for i, size in enumerate(s for s in sizes if s.is_Symbol)}
        relative = (self.teacher / self.loss**2).xreplace(noiseless).xreplace(large)
        return sympy.factor(sympy.limit(sympy.cancel(relative), small, 0))

    def _latex(self, printer):
        rows = [(sympy.Symbol(r"\operatorname{E}\operatorname{Var}_w L"), self.teacher),
                (sympy.Symbol(r"\delta_\epsilon \operatorname{Var}"), self.noise)]
        return (r"\begin{aligned}" + r" \\ ".join(f"{printer._print(a)} &= {printer._print(b)}" for a, b in rows)
                + r"\end{aligned}")

    def _repr_latex_(self):
        return display(self)


class _FieldArithmetic:
    """The arithmetic of :func:`within_draw` in a field of rational functions (a sympy domain)."""

    def __init__(self, domain):
        self.domain, self.zero = domain, domain.zero

    def scale(self, x, q):
        return x * self.domain.convert(q)

    def inverse(self, K0):
        n, K = len(K0), self.domain
        matrix = DomainMatrix([[(K.one if i == j else K.zero) - K0[i][j] for j in range(n)] for i in range(n)], (n, n), K)
        inverse = matrix.inv()
        return [[inverse[i, j].element for j in range(n)] for i in range(n)]


@cache
def parametric_scatter(model=None):
    """Derive E_{u,X}[Var_z L] in the renormalised ridge and the effective dimensions.

    As :func:`largen.diagrams.theory.parametric.ridgeless` does for the loss: the
    latent self-energy is traded for Delta, every spectral sum of the jets
    becomes a combination of the n_k, the other self-energies and the ridge
    are put in from the parametric solution, and the ladder of the rates and
    the jets of sigma are solved in the field of rational functions.

    Examples
    --------
    >>> found = parametric_scatter(mrs())
    >>> N, P = mrs().sizes["N"], mrs().sizes["P"]
    >>> sympy.limit(found.regimes[N], P, sympy.oo)  # N-limited: 2 n_2/(N (N - n_2)) for one output
    -2*n2/(N*(-N + n2))
    """
    model = untie_ridge(model or mrs())
    limit = ridgeless(model)
    theory = fluctuation_theory(model)
    planar = theory.planar
    rho = planar.self_energy("rho", model.latent)
    (rho_of_delta,) = sympy.solve(sympy.Eq(DELTA, planar.renormalized_ridge), rho)
    solution = {**limit.solution, rho: rho_of_delta, planar.ridge: limit.gamma}

    def reduce(expr):
        return in_effective_dimensions(sympy.sympify(expr).xreplace({rho: rho_of_delta})).xreplace(solution)

    jacobian, right = theory.jacobian.applyfunc(reduce), theory.rate_sources[BETA].applyfunc(reduce)
    arithmetic = _FieldArithmetic(sympy.QQ.frac_field(*sorted(jacobian.free_symbols | right.free_symbols, key=str)))
    n = len(planar.unknowns)
    ladder = arithmetic.inverse([[arithmetic.domain.from_sympy(jacobian[i, j]) for j in range(n)] for i in range(n)])
    column = [arithmetic.domain.from_sympy(x) for x in right]
    rates = {x: arithmetic.domain.to_sympy(sum((a * b for a, b in zip(row, column)), arithmetic.zero))
             for x, row in zip(theory.rates[BETA], ladder)}

    def value(expr):
        return reduce(expr).xreplace(rates)

    jets = [(0, 0), (0, BETA), (BETA, 0), (BETA, BETA)]
    kernel = {key: theory.kernel[key].applyfunc(value) for key in jets}
    source = {key: {part: v.applyfunc(value) for part, v in b.items()} for key, b in theory.source.items()}
    observable = {key: ({k: value(x) for k, x in c0.items()}, {part: v.applyfunc(value) for part, v in row.items()})
                  for key, (c0, row) in theory.observable.items()}
    expressions = [*[x for m in kernel.values() for x in m], *[x for b in source.values() for v in b.values() for x in v],
                   *[x for c0, row in observable.values() for x in (*c0.values(), *[y for v in row.values() for y in v])]]
    symbols = sorted(set().union(*(sympy.sympify(e).free_symbols for e in expressions)), key=str)
    domain = sympy.QQ.frac_field(*symbols)

    def convert(expr):
        return domain.from_sympy(sympy.sympify(expr))

    kernel = {key: [[convert(m[i, j]) for j in range(m.cols)] for i in range(m.rows)] for key, m in kernel.items()}
    source = {key: {part: [convert(x) for x in v] for part, v in b.items()} for key, b in source.items()}
    observable = {key: ({k: convert(x) for k, x in c0.items()}, {part: [convert(x) for x in v] for part, v in row.items()})
                  for key, (c0, row) in observable.items()}
    arithmetic = _FieldArithmetic(domain)
    teacher, noise = within_draw(kernel, source, observable, arithmetic, arithmetic.inverse(kernel[0, 0]))
    return ParametricScatter(model, limit.gamma, limit.loss, sympy.factor_terms(domain.to_sympy(teacher)),
                             sympy.factor_terms(domain.to_sympy(noise)))
