"""The derived planar equations of a model, compiled at one point.

:func:`largen.diagrams.theory.dyson.planar_theory` derives the Schwinger-Dyson equations
s = rhs(s) of a model, and its minimal training objective E (see
:mod:`largen.diagrams.theory.pencil`). :func:`equations` puts a point's parameters into
them and returns :class:`Equations`: functions of the unknowns and the ridge,
in either of mpmath's contexts, ``mpmath.fp`` (float64, with the spectral
moments approximated: a start) or ``mpmath.mp`` (the working precision, the
moments exact). Every spectral sum enters through the moments
T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b of
:meth:`largen.solver.numerics.spectrum.Spectrum.moments` (:func:`largen.diagrams.engine.spectral.moment_form`);
a teacher covariance's part of a sum through the weighted moments
sum_I omega_I lambda_I**a (lambda_I + p)**-b, kept in a slot of their own.
A spectrum whose teacher is isotropic puts omega = 1 into the derived
expressions first, so that they are the isotropic teacher's own.

Exact zeros are put in symbolically before anything is compiled: a
parameter equal to 0, or a spectrum of zeros, can make unknowns vanish
identically (no features at sigma_u = 0); those are removed from the system,
since a self-energy that is exactly 0 has no logarithm for Newton's method to
work in. The losses follow from E by the ladder equations
(1 - J) r = d rhs, with J the Jacobian Newton uses.

No formula of a particular model is written here: every expression is
lambdified from what was derived.
"""

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import mpmath
import numpy as np
import sympy
from sympy.printing.pycode import MpmathPrinter

from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import SpectrumError
from largen.diagrams.theory.finite_size import finite_size_theory
from largen.diagrams.engine.model import untie_ridge
from largen.diagrams.engine.spectral import (EIGENVALUE, INDEX, SOURCE, TEACHER, TEACHER_WEIGHTS, TRAIN_SOURCE, moment_form,
                               summand, teacher_parts)
from largen.diagrams.engine.symbols import as_expr

__all__ = ["Equations", "Evaluation", "derive", "equations", "mp_value", "scaled_solve"]

SCALARS = ("E", "E_beta", "E_train", "Delta")  # the blocks that are one number


@dataclass(frozen=True)
class Evaluation:
    """Every derived quantity at the unknowns ``s`` and the ridge ``gamma``, in one context.

    ``rhs``, ``d_beta``, ``d_train``, ``d_gamma`` (the equations and their derivatives in the
    sources of the two losses and in the ridge), ``jacobian`` (rows of d rhs_i/d s_j), ``E``,
    ``E_s``, ``E_beta``, ``E_train`` (the generating function and its derivatives),
    ``Delta`` (the renormalised ridge), ``moments`` ((k, a, b) -> T_ab(p_k))
    and ``poles`` (the p_k of each slot k; a slot of the teacher's weighted
    moments, ``weighted[k]``, has the pole of its plain slot).
    """

    rhs: list
    jacobian: list
    d_beta: list
    d_train: list
    d_gamma: list
    E: object
    E_s: list
    E_beta: object
    E_train: object
    Delta: object
    moments: dict
    poles: list
    factors: list = field(default_factory=list, compare=False, repr=False)  # see scaled_solve


class Equations:
    """The derived equations of a model at one point, as functions of the unknowns and the ridge.

    Build with :func:`equations`. ``unknowns`` are the self-energies that do
    not vanish identically at this point; ``vanishing`` those that do;
    ``infinite`` names the outputs that are infinite at this point (the
    renormalised ridge, when no features reach the latent space).
    """

    def __init__(self, compiled, values, spectrum):
        self.unknowns, self.vanishing, self.infinite = compiled.unknowns, compiled.vanishing, compiled.infinite
        self.spectrum = spectrum
        self._compiled = compiled
        self._exact = [values[x] for x in compiled.parameters]
        self._values = {}  # the parameters in a context, at a precision: a cache

    @property
    def names(self):
        """The names of the unknowns and of the vanishing ones (sympy's printer is slow: found once)."""
        return self._compiled.names

    @property
    def moment_keys(self):
        """The moments the equations need, as (k, a, b): T_ab at the k-th pole."""
        return self._compiled.moment_keys

    @property
    def weighted(self):
        """For each slot k of the moments, whether it holds the teacher's weighted moments."""
        return self._compiled.weighted

    def parameters(self, ctx):
        """The parameters' values in ``ctx`` at its precision; None if float64 cannot hold them."""
        key = (ctx is mpmath.fp) or ctx.prec
        if key not in self._values:
            if ctx is mpmath.fp:
                found = [float(v) for v in self._exact]
                self._values[key] = found if all(map(_finite, found)) and not any(
                    v == 0 and x != 0 for v, x in zip(found, self._exact)) else None
            else:
                self._values[key] = [mp_value(v) for v in self._exact]
        return self._values[key]

    def evaluate(self, ctx, s, gamma, *, split=1, shift=None):
        """The :class:`Evaluation` at unknowns ``s`` and ridge ``gamma`` in ``ctx``; None off the branch.

        Parameters
        ----------
        ctx : mpmath.fp or mpmath.mp
            float64 with approximate moments, or the working precision with exact ones.
        s : list
            The unknowns, in the order of ``unknowns``.
        gamma : number
            The ridge.
        split : number
            A factor on the length of a power law's direct head (see
            :meth:`largen.solver.numerics.spectrum.Spectrum.moments`).
        shift : dict, optional
            Relative shifts of moments, (k, a, b) -> epsilon: for derivatives in them.

        Returns
        -------
        Evaluation or None
            None off the physical branch (a pole p <= 0), or where the
            arithmetic of ``ctx`` cannot hold the values.
        """
        parameters = self.parameters(ctx)
        if parameters is None:
            return None
        arguments = [*s, gamma, *parameters]
        compiled = self._compiled
        functions = compiled.functions(ctx)
        fp = ctx is mpmath.fp
        try:
            # a constant pole comes as an int
            poles = [float(p) for p in functions.poles(*arguments)] if fp else [
                ctx.mpf(p) for p in functions.poles(*arguments)]
            moments = {}
            for first, orders, places in compiled.groups:  # the slots at one pole, plain and weighted: one pass
                p = poles[first]
                if not p > 0:
                    return None
                if fp:
                    found = self._approximate(p, orders)
                    if found is None:
                        return None
                else:
                    found = self.spectrum.moments(p, orders, split)
                for order, key in places:
                    moments[key] = found[order] * (1 + shift.get(key, 0)) if shift else found[order]
            flat = functions.flat(*arguments, *[moments[key] for key in compiled.moment_keys])
        except (ZeroDivisionError, OverflowError):
            return None
        # the float64 moments come finite (approximate_moments says None otherwise)
        if not _all_finite(ctx, flat) or ((not fp or shift) and not _all_finite(ctx, moments.values())):
            return None
        blocks = {}
        for key, start, rows, cols in compiled.layout:
            if key == "jacobian":
                blocks[key] = [flat[start + r * cols: start + (r + 1) * cols] for r in range(rows)]
            elif key in SCALARS:
                blocks[key] = flat[start]
            else:
                blocks[key] = flat[start: start + cols]
        return Evaluation(**blocks, moments=moments, poles=poles)

    def _approximate(self, p, orders):
        """The float64 moments at the pole ``p``, or None; numpy's warnings off once for all the pieces."""
        with np.errstate(all="ignore"):
            return self.spectrum.approximate_moments(p, orders)


def scaled_solve(q, s, vector):
    """(1 - J)^-1 vector, solved as D^-1 (1 - J) D y = D^-1 vector with D = diag(s); returns y = D^-1 x.

    Rescaling by the unknowns removes their spread over many orders of
    magnitude from the condition number. Returns None for a singular system.
    The factorisation is kept with ``q`` for the last ``s``: Newton's step, the
    tangent of the continuation and the two ladder equations of the losses are
    solved with one (measured: an elimination is 70 us at 27 digits, six in a solve).

    Examples
    --------
    >>> q = Evaluation([], [[mpmath.mpf(0.5)]], [], [], [], 0, [], 0, 0, 0, {}, [])
    >>> scaled_solve(q, [mpmath.mpf(-2)], [mpmath.mpf(1)])
    [mpf('-1.0')]
    """
    scale = [a or 1 for a in s]  # an unknown that is 0 at this point (a correction can be) is not rescaled
    if not q.factors or q.factors[0] is not s:  # the list itself is kept, so that its identity is not reused
        n = len(s)
        q.factors[:] = [s, _factor([[((i == j) - q.jacobian[i][j]) * scale[j] / scale[i] for j in range(n)]
                                    for i in range(n)])]
    factors = q.factors[1]
    return None if factors is None else _substitute(factors, [v / a for v, a in zip(vector, scale)])


def _eliminate(matrix, right):
    """The solution of matrix x = right by Gaussian elimination with partial pivoting, in the
    arithmetic of the entries; None if singular.

    The systems are a few unknowns wide and a solve meets hundreds of them. On
    a 4 x 4 system (measured) ``mpmath.mp.lu_solve`` takes 0.36 ms at 30 digits
    and ``mpmath.fp.lu_solve`` 0.14 ms, mostly building matrix objects;
    elimination on plain lists takes 0.10 ms and 0.02 ms. With the contexts'
    solver, linear algebra was half of a solve's time.
    """
    factors = _factor(matrix)
    return None if factors is None else _substitute(factors, right)


def _factor(matrix):
    """The LU factors of a square matrix (lists), with partial pivoting: (rows, order), the
    multipliers below the diagonal and U on and above it; None if singular.

    Plain loops over lists: a solve factors a few-wide matrix at every Newton step, and builtins
    with a key function or sliced rows cost more than the arithmetic there."""
    n = len(matrix)
    rows, order = [list(row) for row in matrix], list(range(n))
    for k in range(n):
        pivot, best = k, abs(rows[k][k])
        for i in range(k + 1, n):
            size = abs(rows[i][k])
            if size > best:
                pivot, best = i, size
        if pivot != k:
            rows[k], rows[pivot] = rows[pivot], rows[k]
            order[k], order[pivot] = order[pivot], order[k]
        top = rows[k]
        diagonal = top[k]
        if not best > 0 or not _finite(diagonal):
            return None
        for i in range(k + 1, n):
            row = rows[i]
            factor = row[k] / diagonal
            row[k] = factor
            for j in range(k + 1, n):
                row[j] = row[j] - factor * top[j]
    return rows, order


def _substitute(factors, right):
    """The solution from the LU factors of :func:`_factor`; None if not finite."""
    rows, order = factors
    n = len(rows)
    y = [right[i] for i in order]
    for k in range(n):
        here = y[k]
        for i in range(k + 1, n):
            y[i] = y[i] - rows[i][k] * here
    solution = [0] * n
    for k in range(n - 1, -1, -1):
        row, total = rows[k], 0
        for j in range(k + 1, n):
            total = total + row[j] * solution[j]
        solution[k] = (y[k] - total) / row[k]
    return solution if all(map(_finite, solution)) else None


def equations(model, values, spectrum, order=0):
    """The derived equations of ``model`` with ``values`` put in, for ``spectrum``.

    Parameters
    ----------
    model : diagrams.Model
    values : dict
        Symbol -> exact number for every symbol of the model (the latent size
        1 at M = inf: :attr:`largen.solver.numerics.point.Point.scaled_values`).
    spectrum : Spectrum
    order : int
        0: the planar equations. 1: the closed system of the first finite-size
        correction (:attr:`largen.diagrams.theory.finite_size.FiniteSizeTheory.extended`), whose
        generating function is the correction of E and whose equations beyond
        the planar ones are linear in their unknowns.

    Returns
    -------
    Equations

    Examples
    --------
    >>> from largen.diagrams.engine.model import mrs
    >>> from largen.solver.numerics.point import bind
    >>> point = bind(mrs(), N=10, P=20, M=30, gamma="0.1", sigma_u=0)
    >>> system = equations(mrs(), point.scaled_values, point.spectrum)
    >>> system.unknowns, system.vanishing
    ((Sigma_rho_M,), (Sigma_theta, Sigma_mu_M, Sigma_nu))
    """
    model, values = _untied(model, values)
    zeros = frozenset(x for x, v in values.items() if v == 0)
    compiled = _compile(model, zeros, _zero_spectrum(spectrum), order, not spectrum.teacher)
    # a sum the theory needs that diverges: refused before solving
    spectrum.check([(a, b, int(w)) for w, orders in zip(compiled.weighted, compiled.orders) for a, b in orders])
    return Equations(compiled, values, spectrum)


def _untied(model, values):
    """The model with a ridge symbol of its own (:func:`~largen.diagrams.engine.model.untie_ridge`),
    and the values with the ridge's value under that symbol too."""
    untied = untie_ridge(model)
    if untied is model:
        return model, values
    return untied, {**values, untied.regression.ridge: values[model.regression.ridge]}


def _all_finite(ctx, values):
    """Whether every value is finite; in float64 by math.isfinite, a C call (a complex value, which
    it refuses, by the general test)."""
    if ctx is mpmath.fp:
        try:
            return all(map(math.isfinite, values))
        except TypeError:
            pass
    if ctx is mpmath.mp:  # a third of x - x == 0 on mpf (measured: 10 against 30 us for 40 values)
        return all(map(ctx.isfinite, values))
    return all(map(_finite, values))


def _finite(x):
    return x - x == 0  # false for inf and nan, in float64 and in mpmath alike (mpmath.fp has no isfinite)


def _zero_spectrum(spectrum):
    """True when every eigenvalue is 0: sum_I lambda_I = 0 (they are non-negative)."""
    if spectrum.exact:  # power laws only, each with lam_plus > 0
        return False
    with mpmath.workdps(15):
        return spectrum.moments(mpmath.mpf(1), [(1, 0)])[1, 0] == 0


def mp_value(value):
    """An exact sympy number as an mpf at the working precision.

    Examples
    --------
    >>> with mpmath.workdps(20):
    ...     print(mp_value(sympy.pi / 1000))
    0.0031415926535897932385
    """
    if value.is_Rational:
        return mpmath.mpf(value.p) / value.q
    return mpmath.mpf(sympy.N(value, mpmath.mp.dps + 10)._mpf_)


@dataclass(frozen=True)
class _Functions:
    poles: object
    flat: object


@dataclass(frozen=True, eq=False)  # hashed by identity: one per model and pattern of zeros
class _Compiled:
    """The flattened blocks, with zeros put in and spectral sums as moments; lambdified per context."""

    unknowns: tuple
    vanishing: tuple
    infinite: tuple
    ridge: object
    shape: dict
    flat: tuple
    poles: tuple
    moment_keys: tuple
    placeholders: tuple
    orders: tuple
    parameters: tuple
    weighted: tuple

    @cached_property
    def groups(self):
        """The slots by pole: for each pole, the slots that share it (a plain and a weighted one),
        the orders (a, b, w) of its moments, and where each goes: (order, (k, a, b))."""
        found = {}
        for k, p in enumerate(self.poles):
            found.setdefault(p, []).append(k)
        groups = []
        for group in found.values():
            places = [((a, b, int(self.weighted[k])), (k, a, b)) for k in group for a, b in self.orders[k]]
            groups.append((group[0], [order for order, _ in places], places))
        return tuple(groups)

    @cached_property
    def names(self):
        return tuple(map(str, self.unknowns)), tuple(map(str, self.vanishing))

    @cached_property
    def layout(self):
        """Where each block lies in the flat list: (key, start, rows, cols)."""
        found, i = [], 0
        for key, (rows, cols) in self.shape.items():
            found.append((key, i, rows, cols))
            i += rows * cols
        return tuple(found)

    def functions(self, ctx):
        if ctx is mpmath.fp:  # asked at every float64 evaluation: found by identity, not through the lru_cache
            entry = _FLOAT_FUNCTIONS.get(id(self))
            if entry is None or entry[0] is not self:
                if len(_FLOAT_FUNCTIONS) >= 64:
                    _FLOAT_FUNCTIONS.clear()
                entry = _FLOAT_FUNCTIONS[id(self)] = (self, _lambdified(self, ctx))
            return entry[1]
        return _lambdified(self, ctx)


_FLOAT_FUNCTIONS = {}  # id(compiled) -> (compiled, its float64 functions); the entry holds it, so the id is not reused


@lru_cache(maxsize=64)
def _lambdified(compiled, ctx):
    """The poles and the flat blocks as functions in ``ctx``: mpmath's printer, the context's names."""
    namespace = {name: getattr(ctx, name) for name in dir(ctx) if not name.startswith("_")}
    arguments = [*compiled.unknowns, compiled.ridge, *compiled.parameters]
    printer = MpmathPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
    # common subexpressions once: the blocks share most of theirs (measured: 52 -> 21 us per call at 30 digits)
    return _Functions(sympy.lambdify(arguments, list(compiled.poles), modules=[namespace], printer=printer, cse=True),
                      sympy.lambdify([*arguments, *compiled.placeholders], list(compiled.flat),
                                     modules=[namespace], printer=printer, cse=True))


def _drop_zero_sums(expr):
    return expr.replace(lambda e: isinstance(e, sympy.Sum) and e.function == 0, lambda e: sympy.Integer(0))


@lru_cache(maxsize=64)
def _compile(model, zeros, zero_spectrum, order=0, isotropic_teacher=True):
    """The derived blocks at this pattern of exact zeros (parameters, and a spectrum of zeros), with
    omega = 1 put in for an isotropic teacher."""
    theory = finite_size_theory(model).extended if order else planar_theory(model)
    gamma = theory.ridge
    latent = as_expr(model.spaces[model.latent])
    known = {x: sympy.Integer(0) for x in zeros}
    if isotropic_teacher:
        known[TEACHER_WEIGHTS[INDEX]] = sympy.Integer(1)

    def put_zeros(expr):
        expr = as_expr(expr).xreplace(known)
        if zero_spectrum:  # sum_I f(0) = M f(0)
            expr = expr.replace(lambda e: isinstance(e, sympy.Sum),
                                lambda e: latent * summand(e)[0].xreplace({EIGENVALUE: 0}))
            if expr.has(TEACHER):
                raise SpectrumError("a spectrum of zeros with a teacher covariance: its loss needs tr Omega, "
                                    "which the solver does not take")
        return _drop_zero_sums(expr)

    rhs = {eq.lhs: put_zeros(eq.rhs) for eq in theory.equations}
    vanishing = []
    while True:  # the unknowns that vanish identically, in beta and gamma, once the zeros are in
        found = [x for x, f in rhs.items() if x not in vanishing
                 and _drop_zero_sums(f.xreplace({y: 0 for y in vanishing})) == 0]
        if not found:
            break
        vanishing += found
    gone = {x: sympy.Integer(0) for x in vanishing}
    s = [x for x in theory.unknowns if x not in gone]
    rhs = [_drop_zero_sums(rhs[x].xreplace(gone)) for x in s]
    E = _drop_zero_sums(put_zeros(theory.generating).xreplace(gone))

    def train_rate(expr):  # d/d beta_train at 0 of the expression with the training-loss shift in
        shifted = _drop_zero_sums(put_zeros(expr.xreplace(theory.train_shift())).xreplace(gone))
        return sympy.diff(shifted, TRAIN_SOURCE).subs(TRAIN_SOURCE, 0)

    equation = {eq.lhs: eq.rhs for eq in theory.equations}
    blocks = {
        "rhs": [rhs],
        # the system of a correction is sparse: most of its equations do not hold most unknowns
        "jacobian": [[sympy.diff(f, x) if x in f.free_symbols else sympy.Integer(0) for x in s] for f in rhs] or [[]],
        "d_beta": [[sympy.diff(f, SOURCE) for f in rhs]],
        "d_train": [[train_rate(equation[x]) for x in s]],
        "d_gamma": [[sympy.diff(f, gamma) for f in rhs]],
        "E": [[E]],
        "E_s": [[sympy.diff(E, x) for x in s]],
        "E_beta": [[sympy.diff(E, SOURCE)]],
        "E_train": [[train_rate(theory.generating)]],
        "Delta": [[put_zeros(theory.renormalized_ridge).xreplace(gone)]],
    }
    infinite = ()
    if blocks["Delta"][0][0].has(sympy.zoo, sympy.oo, sympy.nan):
        # no features reach the latent space (a vanishing variance): the latent propagator vanishes
        infinite, blocks["Delta"] = ("Delta",), [[sympy.Integer(0)]]
    shape = {key: (len(rows), len(rows[0])) for key, rows in blocks.items()}
    flat = [_drop_zero_sums(as_expr(e).subs(SOURCE, 0)) for rows in blocks.values() for row in rows for e in row]
    slots, moments, replacements = [], {}, {}  # a slot: (pole, weighted by the teacher)
    for term in sorted({x for e in flat for x in e.atoms(sympy.Sum)}, key=sympy.default_sort_key):
        parts = []
        for weighted, part in enumerate(teacher_parts(summand(term)[0])):
            if part == 0:
                continue
            p, b, coefficients = moment_form(part)
            if (p, bool(weighted)) not in slots:
                slots.append((p, bool(weighted)))
            k = slots.index((p, bool(weighted)))
            for a in coefficients:
                moments.setdefault((k, a, b), sympy.Symbol(f"T{k}_{a}_{b}"))
            parts += [c * moments[k, a, b] for a, c in coefficients.items()]
        replacements[term] = sympy.Add(*parts)
    poles = [p for p, _ in slots]
    flat = [e.xreplace(replacements) for e in flat]
    placeholders = tuple(moments.values())
    parameters = sorted(set().union(*(e.free_symbols for e in flat + poles)) - {*s, gamma, *placeholders},
                        key=str)
    # every parameter of the model is an argument, used or not: the values are bound by symbol
    parameters = tuple(parameters)
    keys = tuple(moments)
    orders = tuple(tuple((a, b) for (k, a, b) in keys if k == index) for index in range(len(poles)))
    return _Compiled(tuple(s), tuple(vanishing), infinite, gamma, shape, tuple(flat), tuple(poles), keys, placeholders,
                     orders, parameters, tuple(w for _, w in slots))


def derive(model):
    """Derive and compile the planar equations of ``model`` once (cached): a process that forks
    workers calls it first, so that they inherit the derivation.

    Examples
    --------
    >>> from largen.diagrams.engine.model import mrs
    >>> derive(mrs()).unknowns
    (Sigma_theta, Sigma_mu_M, Sigma_rho_M, Sigma_nu)
    """
    compiled = _compile(model, frozenset(), False)
    for ctx in (mpmath.fp, mpmath.mp):
        compiled.functions(ctx)
    return compiled
