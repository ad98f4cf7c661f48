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
:func:`~largen.diagrams.theory.fluctuation_series.scatter_coefficients`.

The first part is of relative order 1/(C n), n the number of learned modes;
the second of relative order 1/size**2, the order of the first part's own
first finite-size correction (one crosscap), which is not derived here. Label
noise enters both, through Z. Nothing in this module knows which model it is
given: everything is read off the pencil.

:func:`parametric_scatter` writes the first part in Delta and the n_k, whose
ridgeless and ridge limits are the scatter's laws. The large-ridge series of
the parts and the diagrams they must equal are in
:mod:`largen.diagrams.theory.fluctuation_series`; the N <-> P duality of the
variance in :mod:`largen.diagrams.theory.fluctuation_duality`.

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
from sympy.polys.matrices import DomainMatrix

from largen.diagrams.engine.model import Ensemble, mrs, untie_ridge
from largen.diagrams.engine.spectral import DELTA, EIGENVALUE, SOURCE, TEACHER, effective_dimension, in_effective_dimensions
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import ModelError
from largen.diagrams.printing.latex import display
from largen.diagrams.theory.dyson import dressed, dressed_block, field_trace, partners, planar_theory
from largen.diagrams.theory.parametric import ridgeless

__all__ = [
    "Part", "BETA", "TAU", "BOTH", "JETS", "FluctuationTheory", "fluctuation_theory", "combine", "ScatterParts",
    "within_draw", "between_draws", "ParametricScatter", "parametric_scatter",
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
    return drop(as_expr(expr))


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
        return in_effective_dimensions(as_expr(expr).xreplace({rho: rho_of_delta})).xreplace(solution)

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
    symbols = sorted(set().union(*(as_expr(e).free_symbols for e in expressions)), key=str)
    domain = sympy.QQ.frac_field(*symbols)

    def convert(expr):
        return domain.from_sympy(as_expr(expr))

    kernel = {key: [[convert(m[i, j]) for j in range(m.cols)] for i in range(m.rows)] for key, m in kernel.items()}
    source = {key: {part: [convert(x) for x in v] for part, v in b.items()} for key, b in source.items()}
    observable = {key: ({k: convert(x) for k, x in c0.items()}, {part: [convert(x) for x in v] for part, v in row.items()})
                  for key, (c0, row) in observable.items()}
    arithmetic = _FieldArithmetic(domain)
    teacher, noise = within_draw(kernel, source, observable, arithmetic, arithmetic.inverse(kernel[0, 0]))
    return ParametricScatter(model, limit.gamma, limit.loss, sympy.factor_terms(domain.to_sympy(teacher)),
                             sympy.factor_terms(domain.to_sympy(noise)))
