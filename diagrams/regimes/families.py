"""Asymptotic regimes of the planar theory for a power-law spectrum, by dominant balance.

The parametric theory (:func:`diagrams.ridgeless.ridgeless`) gives the ridge
gamma and the losses as rational functions of the renormalised ridge Delta and
the effective dimensions n_k. For lambda_I = lambda_+ I**-(1 + alpha) the n_k
have power-law expansions in each limit of Delta (:mod:`largen.diagrams.regimes.asymptotics`);
written in X = (lambda_+/Delta)**(1/(1 + alpha)) (or in Delta itself when Delta
>> lambda_+), every expression becomes a ratio of sums of monomials in X and the
sizes. A regime is a region where one monomial dominates each sum: its
conditions are "the other monomials are smaller" (the edges of the Newton
polytope at the dominant vertex), its leading term is the ratio of the
dominant monomials, and the first correction is the sum of the subleading
edges. The regimes are

- ``ridge``: n_1 below every size, Delta fixed by gamma (gamma enters the loss);
- ``ridgeless, <size>-limited``: one root of gamma(n_1) = 0 below the others,
  gamma -> 0 (n_1 -> that size);
- ``threshold <a> = <b>``: a double root of gamma(n_1), the loss ~ gamma**(-1/2);
- ``over-regularised``: Delta >> lambda_+;
- ``latent-limited`` (finite M below the sizes): Delta << lambda_M, n_k -> M;

each split by which part of the loss (teacher, label noise) dominates. Nothing
here knows the model: the roots, the parts and the balances come out of the
derived expressions. A teacher covariance omega_I = I**-delta (a number) enters
through the teacher's effective dimensions m_k, expanded by the same machinery.

Examples
--------
>>> regimes = derive_regimes(alpha=1)
>>> ridge = next(r for r in regimes if r.name == "ridge")
>>> ridge.loss
pi*sqrt(gamma)*sqrt(lambda_+)*sigma_w**2/(8*sqrt(N)*sqrt(P)*sigma_u)
>>> ridge.exponents
{gamma: 1/2, N: -1/2, P: -1/2}
"""

import math
from dataclasses import dataclass, field, replace
from functools import cache

import sympy

from largen.diagrams.regimes.asymptotics import (ALPHA, LAMBDA_PLUS, TEACHER_DELTA, DeltaRange, DeltaSplit, assuming, current_range,
                          exponent_sign, sample_alpha, teacher_dimension_asymptotics, unordered)
from largen.diagrams.regimes.asymptotics import effective_dimension_asymptotics as plain_asymptotics
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import LargenError, ParameterError
from largen.diagrams.printing.latex import display, text
from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.theory.parametric import _over_one_field, ridgeless
from largen.diagrams.engine.spectral import DELTA, SOURCE, effective_dimension, in_effective_dimensions
from largen.diagrams.engine.symbols import as_expr

__all__ = ["Regime", "ParametricLosses", "DeltaCase", "PiecewiseRegimes", "parametric_losses", "derive_regimes",
           "optimal_ridge", "budget_split", "X"]

X = sympy.Symbol("X", positive=True)  # (lambda_+/Delta)**(1/(1 + alpha)): the number of learned modes
_DELTA_VAR = sympy.Symbol("D", positive=True)  # Delta as a variable of the balance (Delta >> lambda_+)
_SMALL = sympy.Symbol("delta", positive=True)  # distance of n_1 from a root of the ridge
_MAX_ORDER = 4  # highest n_k kept from the expansions
_NEGLIGIBLE_SCALE = -61.3  # sample log of the equivalent noise's scale where it is negligible


@dataclass(frozen=True)
class ParametricLosses:
    """gamma, the test loss and the training loss as functions of Delta and the n_k."""

    model: object
    gamma: sympy.Expr
    loss: sympy.Expr
    train_loss: sympy.Expr
    roots: tuple

    def _latex(self, printer):
        rows = [(self.model.regression.ridge, self.gamma), (sympy.Symbol("L"), self.loss),
                (sympy.Symbol("L_train"), self.train_loss)]
        return (r"\begin{aligned}" + r" \\ ".join(f"{printer._print(a)} &= {printer._print(b)}" for a, b in rows)
                + r"\end{aligned}")

    def _repr_latex_(self):
        return display(self)


def parametric_losses(model=None):
    """The parametric planar theory, with the training loss reduced like the test loss.

    The training loss (E_min - gamma dE_min/dgamma)/P comes from the ladder of
    :attr:`PlanarTheory.train_loss`, reduced to Delta and the n_k by the same
    trade of the latent self-energy for Delta that :func:`ridgeless` makes.

    Examples
    --------
    >>> p = parametric_losses()
    >>> p.roots
    (N, P)
    >>> sympy.factor(p.train_loss)
    -(-P + n1)**2*(Delta*N*n1*sigma_w**2 - Delta*N*n2*sigma_w**2 + M*N*sigma_eps**2 - M*n2*sigma_eps**2)/(2*M*P*(-N*P + N*n2 + P*n2 + n1**2 - 2*n1*n2))
    """
    model = model or mrs()
    limit = ridgeless(model)
    theory = planar_theory(model)
    rho = theory.self_energy("rho", model.latent)
    (rho_of_delta,) = sympy.solve(sympy.Eq(DELTA, theory.renormalized_ridge), rho)
    solution = dict(limit.solution)
    solution[rho] = rho_of_delta
    solution[theory.ridge] = limit.gamma

    def reduce(expr):
        return in_effective_dimensions(expr.subs(SOURCE, 0).xreplace({rho: rho_of_delta})).xreplace(solution)

    expression, rates, ladder = theory.train_loss
    # the ladder is linear in the rates: solved in the field of rational functions, as ridgeless does
    # (sympy.solve took half a minute for nonlinear features)
    matrix, right = sympy.linear_eq_to_matrix([reduce(eq.lhs - eq.rhs) for eq in ladder], rates)
    row, constant = sympy.linear_eq_to_matrix([reduce(expression)], rates)  # train = row.rates - constant
    matrix, right, row, constant = _over_one_field(matrix, right, row, constant)
    value = (row * matrix.lu_solve(right) - constant).to_Matrix()[0, 0]
    train = sympy.factor_terms(sympy.cancel(value.xreplace(solution)))
    numerator = sympy.numer(sympy.together(limit.gamma))
    roots = tuple(sympy.solve(numerator, effective_dimension(1)))
    return ParametricLosses(model, limit.gamma, limit.loss, train, roots)


@dataclass(frozen=True)
class Regime:
    """One asymptotic regime: conditions, leading losses, exponents, first correction.

    ``conditions`` are pairs ``(small, large)`` meaning small << large;
    ``correction`` is the relative size of the first corrections of ``loss`` (a sum of the
    magnitudes of the subleading monomials of every balance made: a size, not a signed series);
    ``witness`` maps each free symbol to the natural log of a point inside the
    regime (scale it to go deeper); ``tied`` maps a size to the size it equals;
    ``rivals`` are the leading terms of the parts of the loss that this one dominates.
    """

    name: str
    conditions: tuple
    loss: sympy.Expr
    train_loss: sympy.Expr
    exponents: dict
    correction: sympy.Expr
    witness: dict = field(default_factory=dict, compare=False)
    tied: dict = field(default_factory=dict, compare=False)
    rivals: tuple = field(default=(), compare=False)  # the leading terms of the other parts of the loss

    def _latex(self, printer):
        conditions = r",\ ".join(rf"{printer._print(a)} \ll {printer._print(b)}" for a, b in self.conditions)
        return (rf"{text(self.name)}: \quad L \simeq {printer._print(self.loss)} \quad "
                rf"{text('to relative order ')}{printer._print(self.correction)} \quad {text('when ')}{conditions}")

    def _repr_latex_(self):
        return display(self)

    def as_dict(self):
        return {"name": self.name,
                "conditions": [[str(a), str(b)] for a, b in self.conditions],
                "loss": str(self.loss), "train_loss": str(self.train_loss),
                "exponents": {str(k): str(v) for k, v in self.exponents.items()},
                "correction": str(self.correction)}


# ----------------------------------------------------------------------------------------------
# monomials and their dominance

def _exponent(term, variable):
    return sympy.cancel(sympy.expand_log(sympy.log(term), force=True).diff(variable) * variable)


def _monomials(expr, variables):
    """A sum as {exponent vector: coefficient}, coefficients free of the variables."""
    out = {}
    for term in sympy.Add.make_args(sympy.expand(sympy.powsimp(sympy.expand(expr), force=True))):
        dependent = term.as_independent(*variables, as_Add=False)[1]
        vector = tuple(_exponent(dependent, v) for v in variables)
        out[vector] = out.get(vector, 0) + term.xreplace({v: 1 for v in variables})
    return {v: c for v, c in out.items() if not _is_zero(c)}


def _is_zero(c):
    """An exact zero test, screened by a value at a generic point (simplify only when it is small)."""
    if c == 0:
        return True
    point = {x: sympy.Rational(7 + i, 13) for i, x in enumerate(sorted(c.free_symbols, key=str))}
    try:
        value = complex(sympy.N(c.xreplace(point), 20))
    except (TypeError, ValueError):
        return sympy.simplify(c) == 0
    return abs(value) < 1e-12 and sympy.simplify(c) == 0


def _sample(alpha):
    """The values the sample point gives alpha and, in a range of the symbolic teacher exponent, delta."""
    rng = current_range()
    return {ALPHA: sample_alpha(alpha), **({TEACHER_DELTA: rng.point(alpha)} if rng else {})}


def _height(vector, logs, alpha):
    """The log of a monomial at the sample point (alpha, and a symbolic delta, at their sample values)."""
    at = _sample(alpha)
    return sum(float(as_expr(e).subs(at)) * w for e, w in zip(vector, logs))


def _stays_above(top, other, logs, alpha):
    """With a symbolic teacher exponent: DeltaSplit where monomial ``other`` overtakes ``top`` at the
    sample point inside the range's window: ``"marginal"`` where their exponents meet, else ``"sample"``."""
    gap = [sympy.cancel(as_expr(a) - as_expr(b)) for a, b in zip(top, other)]
    difference = sympy.cancel(sum(g * sympy.Rational(str(w)) for g, w in zip(gap, logs)))
    if not difference.has(TEACHER_DELTA):
        return
    at = {ALPHA: sample_alpha(alpha)}
    lower, upper = current_range().bounds(alpha)
    for root in sympy.solve(sympy.numer(difference), TEACHER_DELTA):
        if root.subs(at).is_real and lower < root.subs(at) < upper:
            if all(sympy.cancel(g.subs(TEACHER_DELTA, root)) == 0 for g in gap):
                raise DeltaSplit(root, "marginal")
            raise DeltaSplit(root.subs(at), "sample")  # a place of the sample point: a number at the sample alpha


class Balance:
    """The dominant monomials of a ratio of sums at a point of log-space.

    ``alpha`` is the model's (a symbol is sampled at 1); with a symbolic teacher exponent the
    dominant monomial must stay dominant over its range (:func:`_stays_above`).
    """

    def __init__(self, expr, variables, logs, alpha):
        self.variables = variables
        numerator, denominator = sympy.fraction(sympy.together(expr))
        self.parts = []
        for part in (numerator, denominator):
            monomials = _monomials(part, variables)
            if not monomials:
                raise LargenError(f"{expr} vanishes identically at this order")
            ranked = sorted(monomials.items(), key=lambda item: -_height(item[0], logs, alpha))
            if current_range() is not None:
                for vector, _ in ranked[1:]:
                    _stays_above(ranked[0][0], vector, logs, alpha)
            if len(ranked) > 1 and _height(ranked[0][0], logs, alpha) - _height(ranked[1][0], logs, alpha) < 1e-9:
                raise LargenError(f"two monomials of {part} are equally large at the sample point")
            self.parts.append(ranked)

    def _monomial(self, vector, coefficient=1):
        return coefficient * sympy.Mul(*[v**e for v, e in zip(self.variables, vector)])

    @property
    def leading(self):
        (vn, cn), (vd, cd) = self.parts[0][0], self.parts[1][0]
        return sympy.powsimp(self._monomial([a - b for a, b in zip(vn, vd)], cn / cd), force=True)

    def ratios(self):
        """Each subleading monomial over the dominant one, signed: the first-order corrections."""
        out = []
        for sign, ranked in zip((1, -1), self.parts):
            (v0, c0) = ranked[0]
            out += [self._monomial([a - b for a, b in zip(v, v0)], sign * c / c0) for v, c in ranked[1:]]
        return out


def _vector(monomial, variables):
    dependent = monomial.as_independent(*variables, as_Add=False)[1]
    return tuple(_exponent(dependent, v) for v in variables)


def _side(e):
    """The sign of a condition's exponent, or None where it depends on alpha or changes inside the range of a
    symbolic delta: the power then stays on the large side, right either way."""
    try:
        return exponent_sign(e)
    except DeltaSplit:
        return None


def _prune(ratios, variables, sizes=()):
    """Drop the ratios implied by others or by 1 << size: a positive multiple of one, or one
    times a power of another (where that holds throughout the range of a symbolic delta; else kept)."""
    known = [(None, tuple(-1 if u == s else 0 for u in variables)) for s in sizes]
    vectors = [(r, _vector(r, variables)) for r in ratios]
    vectors = [(r, v) for r, v in vectors if any(e != 0 for e in v) and v not in [k for _, k in known]]
    vectors = known + vectors
    kept = []
    for i, (r, v) in enumerate(vectors):
        implied = False
        for j, (_, w) in enumerate(vectors):
            if i == j or w == v:
                continue
            scale = _proportional(v, w)
            if scale is not None and _side(scale - 1) == 1:
                implied = True
                break
            rest = None
            for k, (_, u) in enumerate(vectors):
                if k in (i, j) or u == v:
                    continue
                rest = rest or [sympy.cancel(a - b) for a, b in zip(v, w)]
                c = _proportional(rest, u)
                if c is not None and _side(c) in (0, 1):
                    implied = True
                    break
            if implied:
                break
        duplicate = any(v == w for _, w in kept)
        if r is not None and not implied and not duplicate:
            kept.append((r, v))
    return [r for r, _ in kept]


@cache
def _numeric(vector):
    # a screen at a generic point; the exact test follows
    return [float(as_expr(e).subs({ALPHA: sympy.Rational(37, 100), TEACHER_DELTA: sympy.Rational(4137, 10000)}))
            for e in vector]


def _proportional(v, w):
    """c with v = c w, or None."""
    fv, fw = _numeric(tuple(v)), _numeric(tuple(w))
    scale = next((a / b for a, b in zip(fv, fw) if b != 0), None)
    if scale is None or any(abs(a - scale * b) > 1e-9 * (1 + abs(a)) for a, b in zip(fv, fw)):
        return None
    c = None
    for a, b in zip(v, w):
        if b == 0:
            if a != 0:
                return None
            continue
        ratio = sympy.cancel(a / b)
        if c is None:
            c = ratio
        elif sympy.cancel(ratio - c) != 0:
            return None
    return c



# ----------------------------------------------------------------------------------------------
# the regimes

def _split(monomial, free):
    """(coefficient, exponent vector) of a monomial in ``free``; the coefficient is the monomial
    at free = 1, so constants inside powers such as (N A/B)**e are kept."""
    dependent = monomial.as_independent(*free, as_Add=False)[1]
    vector = [_exponent(dependent, v) for v in free] if dependent != 1 else [sympy.Integer(0)] * len(free)
    return monomial.xreplace({v: 1 for v in free}), vector


def _simplified(coefficient):
    """A constant with the sums inside its powers factored and its powers gathered."""
    coefficient = coefficient.replace(lambda e: e.is_Pow and e.base.is_Add,
                                      lambda e: sympy.factor(e.base) ** e.exp)
    coefficient = sympy.powsimp(sympy.expand_power_base(coefficient, force=True), force=True)
    coefficient = sympy.powsimp(sympy.factor(coefficient), force=True)
    return coefficient.replace(lambda e: e.is_Pow and e.exp.has(ALPHA),
                               lambda e: e.base ** sympy.factor(sympy.cancel(e.exp)))


def _power(name, k):
    """``name**k`` in words, the first power bare."""
    return name if k == 1 else f"{name}**{k}"


def _tidy(monomial, free):
    """A monomial with its coefficient simplified: its factors of alpha and lambda_+ gathered."""
    coefficient, vector = _split(monomial, free)
    return _simplified(coefficient) * sympy.Mul(*[v ** sympy.factor(e) for v, e in zip(free, vector)])


def _sign(monomial):
    """The sign of a monomial's coefficient (every symbol in it is positive)."""
    value = sympy.N(monomial.xreplace({s: 1 for s in monomial.free_symbols if s != ALPHA}).subs(ALPHA, 1))
    return 1 if value > 0 else -1


def _condition(ratio, free):
    """A ratio small/large << 1 as the pair (small, large), exponents normalised by the first one."""
    coefficient, vector = _split(ratio, free)
    coefficient = _simplified(coefficient)
    pivot = next((e for e in vector if e != 0), sympy.Integer(1))
    sign = _side(pivot)
    scale = sympy.cancel(pivot * sign) if sign is not None else sympy.Integer(1)  # |pivot|, also in a symbolic delta
    small = sympy.powsimp(abs(coefficient) ** (1 / scale), force=True)
    large = sympy.Integer(1)
    for v, e in zip(free, vector):
        e = sympy.cancel(e / scale)
        sign = _side(e)
        if sign == 1:
            small *= v**e
        elif sign != 0:
            large *= v ** (-e)
    return (small, large)


def _solve_monomial(equation_leading, value, variable):
    """variable from value = equation_leading, a monomial in variable."""
    coefficient, (power,) = _split(equation_leading, [variable])
    return sympy.powsimp(sympy.expand_power_base((value / coefficient) ** (1 / power), force=True), force=True)


class _Derivation:
    """Everything one set of options (alpha, latent size, noise) needs to derive the regimes."""

    def __init__(self, losses, alpha, latent, noise, teacher=0):
        self.model = model = losses.model
        self.teacher = as_expr(teacher)
        self.losses = losses
        self.alpha = as_expr(alpha)
        self.sample_alpha = float(sample_alpha(self.alpha))
        self.s = 1 + self.alpha
        self.M = model.spaces[model.latent]
        self.latent = latent
        self.finite = latent != sympy.oo
        self.ridge = model.regression.ridge
        self.sizes = sorted((v for v in model.sizes.values() if v != self.M), key=str)
        noise_symbols = sorted(model.regression.noise_variance.free_symbols, key=str)
        fixed = {}
        if noise is None:
            fixed.update({v: 0 for v in noise_symbols})
        elif noise is not True:
            # the noise variance given as a number: sigma**2 = value for its one symbol
            if len(noise_symbols) != 1:
                raise ParameterError("a noise variance needs a model with one noise symbol")
            (v,) = noise_symbols
            fixed[v] = sympy.sqrt(as_expr(noise))
        if not self.finite:
            fixed[self.M] = 1  # entry variances without 1/M: M is 1 outside the spectral sums
        elif latent != self.M:
            raise ParameterError("the latent size is oo or its symbol; numbers go to the solver")
        self.fixed = fixed
        self.noise_symbol = noise_symbols[0] if noise is True and len(noise_symbols) == 1 else None
        self.gamma = losses.gamma.xreplace(fixed)
        self.loss_parts = self._parts(losses.loss.xreplace(fixed))
        self.train_parts = self._parts(losses.train_loss.xreplace(fixed))
        exprs = [self.gamma, losses.loss, losses.train_loss]
        self.orders = sorted({k for k in range(1, 10) for e in exprs if e.has(effective_dimension(k))})
        self.teacher_orders = sorted({k for k in range(1, 10) for e in exprs if e.has(effective_dimension(k, True))})
        if self.teacher.is_number and self.teacher_orders and not self.finite:
            self._check_admissible()
        # nonlinear features: the variance of the equivalent noise is a scale of the balance, sampled
        # both far below and far above the other terms it meets (each side has its own regimes)
        e = model.regression.equivalent
        self.scales = sorted(model.matrices[e.matrix].variance.free_symbols, key=str) if e is not None else []
        self.scale_log = _NEGLIGIBLE_SCALE
        self.free = [self.ridge] + self.sizes + ([self.M] if self.finite else []) + self.scales

    @property
    def teacher_lower(self):
        """The least teacher exponent at M = oo: the loss's sum_I omega_I lambda_I**k, k its lowest teacher
        order, converges for (1 + alpha) k + delta > 1."""
        return sympy.cancel(1 - self.s * min(self.teacher_orders))

    def _check_admissible(self):
        sign = exponent_sign(self.teacher - self.teacher_lower, self.alpha)
        if sign != 1:
            where = "for every alpha > 0" if sign is None else f"at alpha = {self.alpha}"
            raise ParameterError(f"the teacher exponent delta = {self.teacher} must exceed {self.teacher_lower} "
                                 f"{where} (sum_I omega_I {_power('lambda_I', min(self.teacher_orders))} diverges "
                                 "at M = oo otherwise)")

    def _parts(self, loss):
        """The loss split into its teacher and label-noise parts (it is affine in the noise variance)."""
        if self.noise_symbol is None:
            return {"teacher": loss}
        teacher = loss.xreplace({self.noise_symbol: 0})
        return {"teacher": teacher, "label noise": sympy.factor_terms(sympy.cancel(loss - teacher))}

    # the effective dimensions in each limit of Delta, as sums of monomials
    def _n(self, limit):
        sub = {}
        dimensions = [(k, False) for k in self.orders] + [(k, True) for k in self.teacher_orders]
        for k, teacher in dimensions:

            def effective_dimension_asymptotics(k, limit, **kwargs):  # the teacher's m_k, or n_k
                if teacher:
                    return teacher_dimension_asymptotics(k, limit, self.teacher, **kwargs)
                return plain_asymptotics(k, limit, **kwargs)

            if limit == "small":
                e = effective_dimension_asymptotics(k, "small", alpha=self.alpha,
                                                    latent=self.M if self.finite else sympy.oo)
                near = [t for t in e.terms if not t.has(self.M)][:3]
                tail = [t for t in e.terms if t.has(self.M)][:1]
                value = sum(near + tail).xreplace({DELTA: LAMBDA_PLUS * X ** -self.s})
            elif limit == "large":
                e = effective_dimension_asymptotics(k, "large", alpha=self.alpha)
                value = sum(e.terms[:2]).xreplace({DELTA: _DELTA_VAR})
            else:
                e = effective_dimension_asymptotics(k, "below", alpha=self.alpha, latent=self.M)
                # a harmonic number of negative order by its leading power of M
                value = sum(sympy.expand(t.replace(lambda h: isinstance(h, sympy.harmonic),
                                                   lambda h: self.M ** (1 - h.args[1]) / (1 - h.args[1])))
                            for t in e.terms[:2]).xreplace({DELTA: _DELTA_VAR})
                value = sympy.expand(sympy.expand_power_base(value, force=True))
            sub[effective_dimension(k, teacher)] = value
        return sub

    def _internal(self, limit, extra=None):
        sub = self._n(limit)
        delta = LAMBDA_PLUS * X ** -self.s if limit == "small" else _DELTA_VAR

        def internal(expr):
            e = expr.xreplace(extra or {}) if extra else expr
            return e.xreplace(sub).xreplace({DELTA: delta})
        return internal

    def _logs(self, first, order):
        """Sample logs: sizes in ``order`` at 20, 31, 43, ... apart, M far above unless listed; the scales at
        the pass's log."""
        logs = dict(first)
        for i, v in enumerate(order):
            logs[v] = 20 + 11 * i + i * i
        if self.finite and self.M not in logs:
            logs[self.M] = 90
        for v in self.scales:
            logs[v] = self.scale_log
        return logs

    def regimes(self):
        if not self.scales:
            return self._regimes()
        out = []
        # the equivalent noise negligible; then dominant in the roots of the ridge, its shift
        # mu_star**2 X**(1 + alpha) between n_1 ~ X (log 20) and the other sizes (log 31 and up)
        for log in (_NEGLIGIBLE_SCALE, (25.5 - 20 * (1 + self.sample_alpha)) / 2):
            self.scale_log = log
            found = self._regimes()
            if log != _NEGLIGIBLE_SCALE:
                # the regimes where the equivalent noise sets the loss; the others are the first pass's
                found = [replace(r, name=f"{r.name}, feature-variance-limited") for r in found
                         if r.loss.has(*self.scales)]
            out += [r for r in found if r not in out]
        return out

    def _regimes(self):
        out = self.ridge_regimes() + self.over_regularised()
        roots = self.losses.roots
        for root in roots:
            out += self.ridgeless(root, [r for r in roots if r != root])
        for i, a in enumerate(roots):
            for b in roots[i + 1:]:
                out += self.threshold(a, b, [r for r in roots if r not in (a, b)])
        if self.finite:
            out += self.latent_limited()
        return out

    def _balanced(self, name, internal, variables, logs, solve_for, limit):
        """Solve gamma = G for ``solve_for`` by its dominant monomial; the losses' dominant monomials."""
        point = [logs[v] for v in variables]
        G = Balance(internal(self.gamma), variables, point, self.alpha)
        value = _solve_monomial(G.leading, self.ridge, solve_for)
        gamma_log = _height(_vector(G.leading, variables), point, self.alpha)
        solution = [(solve_for, value)]
        return self._finish(name, internal, variables, logs, solution, G.ratios(),
                            {self.ridge: gamma_log}, {}, (), limit)

    def _finish(self, name, internal, variables, logs, solution, ratios, witness, tied, extra_conditions, limit):
        """The regimes of each dominant part of the loss; ``limit`` is the ratio that defines the
        limit of Delta the expansions hold in (a condition even where its correction vanishes)."""
        point = [logs[v] for v in variables]

        def model_form(e):
            e = as_expr(e)
            for var, value in solution:
                e = e.xreplace({var: value})
            for var, value in tied.items():
                e = e.xreplace({var: value})
            return _tidy(sympy.powsimp(sympy.expand_power_base(e, force=True), force=True), self.free)

        free = [v for v in self.free if v not in tied]
        sizes = [v for v in free if v != self.ridge and v not in self.scales]  # 1 << size; not so a scale
        parts = {k: Balance(internal(e), variables, point, self.alpha) for k, e in self.loss_parts.items()}
        train = {k: Balance(internal(e), variables, point, self.alpha) for k, e in self.train_parts.items()}
        # each part of the training loss keeps its own leading term: which one dominates depends on
        # the noise, not on the balance of the test loss
        train_leading = sympy.Add(*[model_form(b.leading) for b in train.values()])
        for v in free:
            if v not in witness and v in logs:
                witness[v] = logs[v]
        for v, u in tied.items():
            witness[v] = witness[u]
        out = []
        for label, balance in parts.items():
            loss = model_form(balance.leading)
            corrections = _prune([model_form(r) for r in list(ratios) + balance.ratios()], free, sizes)
            dominance = [model_form(parts[o].leading) / loss for o in parts if o != label]
            limits = _prune([model_form(limit)] + corrections, free, sizes)[:1] if model_form(limit) not in \
                corrections else []
            conditions = tuple(dict.fromkeys(tuple(extra_conditions) + tuple(
                _condition(r, free) for r in limits + corrections + _prune(dominance, free))))
            exponents = {v: sympy.factor(_exponent(loss.as_independent(*free, as_Add=False)[1], v))
                         for v in free}
            relative = corrections + [model_form(parts[o].leading) / loss for o in parts if o != label]
            out.append(Regime(name if len(parts) == 1 else f"{name}, {label} dominated", conditions, loss,
                              train_leading, exponents, sympy.Add(*[abs(c) for c in relative]),
                              dict(witness), dict(tied),
                              tuple(model_form(parts[o].leading) for o in parts if o != label)))
        return out

    def ridge_regimes(self):
        variables = [X] + self.sizes + ([self.M] if self.finite else []) + self.scales
        logs = self._logs({X: 10}, self.sizes)
        return self._balanced("ridge", self._internal("small"), variables, logs, X, 1 / X)

    def over_regularised(self):
        variables = [_DELTA_VAR] + self.sizes + ([self.M] if self.finite else []) + self.scales
        logs = self._logs({_DELTA_VAR: 10}, self.sizes)
        return self._balanced("over-regularised", self._internal("large"), variables, logs, _DELTA_VAR,
                              LAMBDA_PLUS / _DELTA_VAR)

    def latent_limited(self):
        variables = [_DELTA_VAR, self.M] + self.sizes + self.scales
        logs = self._logs({_DELTA_VAR: -60, self.M: 10}, self.sizes)
        smallest = LAMBDA_PLUS * self.M ** -self.s
        return self._balanced("latent-limited", self._internal("below"), variables, logs, _DELTA_VAR,
                              _DELTA_VAR / smallest)

    def _root_variables(self, root, others):
        """The root's size traded for n_1(X) + shift + delta: the variables and the sample logs.

        A root of the ridge is a size, or a size less a shift (nonlinear features: the equivalent
        noise's M mu_star**2/(Delta mu_1**2 sigma_u**2)); ``n1`` is n_1 + shift in X.
        """
        found = [v for v in self.sizes if v in root.free_symbols]
        shift = sympy.expand(found[0] - root) if len(found) == 1 else None
        if shift is None or shift.has(effective_dimension(1), *self.sizes):
            raise LargenError(f"the root n_1 = {root} of the ridge is not a size: no regime derived for it")
        (size,) = found
        n1 = self._internal("small")(effective_dimension(1) + shift.xreplace(self.fixed))
        rest = [v for v in self.sizes if v != size]
        variables = [X, _SMALL] + rest + ([self.M] if self.finite else []) + self.scales
        order = sorted(rest, key=lambda v: 0 if v in others else -1)
        logs = self._logs({X: 20, _SMALL: 8}, [])
        for i, v in enumerate(order):
            logs[v] = 31 + 12 * i + i * i
        return size, n1, variables, logs

    def _trade(self, size, root):
        """The substitution of ``size`` by n_1 + shift + delta at the root."""
        return {size: effective_dimension(1) + sympy.expand(size - root).xreplace(self.fixed) + _SMALL}

    def _n1_balance(self, n1, logs):
        """n_1 (+ the root's shift) in X (and M, whose tail it loses, and the scales) at the sample point."""
        variables = [X] + ([self.M] if self.finite else []) + self.scales
        return Balance(n1, variables, [logs[v] for v in variables], self.alpha)

    def ridgeless(self, root, others):
        size, n1, variables, logs = self._root_variables(root, others)
        internal = self._internal("small", self._trade(size, root))
        point = [logs[v] for v in variables]
        G = Balance(internal(self.gamma), variables, point, self.alpha)
        delta = _solve_monomial(G.leading, self.ridge, _SMALL)
        x_of_size = _solve_monomial(self._n1_balance(n1, logs).leading, size, X)
        solution = [(_SMALL, delta), (X, x_of_size)]
        witness = {self.ridge: _height(_vector(G.leading, variables), point, self.alpha), size: 20}
        ratios = G.ratios() + self._n1_balance(n1, logs).ratios() + [_SMALL / X]
        return self._finish(f"ridgeless, {size}-limited", internal, variables, logs, solution, ratios,
                            witness, {}, (), 1 / X)

    def optimum(self, root, others):
        """The optimal ridge inside the ridgeless regime of ``root``, or None if the loss grows with gamma.

        The loss near the root, L0 + L1 delta + L2 delta**2 (delta = root - n_1, which grows with
        gamma), is least at delta* = -L1/(2 L2) when L1 < 0 < L2; gamma* follows from the ridge.
        """
        if self.scales:
            return None  # written for roots that are sizes; the equivalent noise shifts them
        size, n1, variables, logs = self._root_variables(root, others)
        # at fixed sizes, n_k by their leading terms c_k X: c_1 X = size - delta, so d/d delta = -d/(c_1 dX)
        leading = {n: self._n1_balance(value, logs).leading for n, value in self._n("small").items()}
        c1 = leading[effective_dimension(1)] / X
        at_root = {X: size / c1}
        variables = [size] + variables[2:]
        logs[size] = 20
        point = [logs[v] for v in variables]

        def coefficient(expr, k):
            e = expr.xreplace(leading).xreplace({DELTA: LAMBDA_PLUS * X ** -self.s})
            derivative = sympy.diff(e, X, k) * (-1 / c1) ** k / math.factorial(k)
            return Balance(derivative.xreplace(at_root), variables, point, self.alpha)

        loss = sum(self.loss_parts.values())
        terms = [coefficient(loss, k) for k in range(3)]
        G = coefficient(self.gamma, 1)
        L0, L1, L2 = (t.leading for t in terms)
        if not (_sign(L1) < 0 < _sign(L2)):
            return None
        delta = sympy.powsimp(-L1 / (2 * L2), force=True)
        free = self.free

        def model_form(e):
            e = as_expr(e).xreplace({_SMALL: delta})
            return _tidy(sympy.powsimp(sympy.expand_power_base(e, force=True), force=True), free)

        gamma_star = model_form(G.leading * _SMALL)
        loss_star = model_form(L0)
        gain = model_form(-L1**2 / (4 * L2 * L0))
        conditions = tuple(dict.fromkeys(_condition(model_form(r), free) for r in
                                         [delta / size] + terms[0].ratios()))
        if any(not (a / b).free_symbols - {ALPHA} for a, b in conditions):
            return None  # delta* is of the order of the size: the optimum sits on a crossover, not inside
        sizes = [v for v in free if v != self.ridge and v not in self.scales]  # 1 << size; not so a scale

        def exponents(e):
            return {v: sympy.factor(_exponent(e.as_independent(*sizes, as_Add=False)[1], v)) for v in sizes}
        return {"regime": f"ridgeless, {size}-limited", "gamma": gamma_star, "loss": loss_star,
                "gain": gain, "conditions": conditions, "exponents": exponents(gamma_star),
                "loss_exponents": exponents(loss_star)}

    def threshold(self, a, b, others):
        size, n1, variables, logs = self._root_variables(a, others)
        (tie,) = [v for v in self.sizes if v in b.free_symbols]
        variables = [v for v in variables if v != tie]
        internal_root = self._internal("small", {**self._trade(tie, b), **self._trade(size, a)})
        point = [logs[v] for v in variables]
        G = Balance(internal_root(self.gamma), variables, point, self.alpha)
        delta = _solve_monomial(G.leading, self.ridge, _SMALL)
        x_of_size = _solve_monomial(self._n1_balance(n1, logs).leading, size, X)
        solution = [(_SMALL, delta), (X, x_of_size)]
        witness = {self.ridge: _height(_vector(G.leading, variables), point, self.alpha), size: 20}
        ratios = G.ratios() + self._n1_balance(n1, logs).ratios() + [_SMALL / X]
        gap = _tidy(sympy.powsimp(sympy.expand_power_base(delta.xreplace({X: x_of_size}), force=True),
                                  force=True), [v for v in self.free if v != tie])
        return self._finish(f"threshold {size} = {tie}", internal_root, variables, logs, solution, ratios,
                            witness, {tie: size}, ((sympy.Abs(size - tie), gap),), 1 / X)


def optimal_ridge(model=None, *, alpha=ALPHA, latent=sympy.oo, noise=None, delta=None):
    """The optimal ridge gamma*(sizes) in each ridgeless regime where the loss falls with gamma.

    Returns
    -------
    list of dict
        ``regime``, ``gamma`` (gamma* as a monomial), ``loss`` (the leading loss there),
        ``gain`` (the relative decrease of the loss from gamma -> 0 to gamma*), ``conditions``,
        ``exponents`` (of gamma* in each size) and ``loss_exponents``. A regime whose optimum
        lies on a crossover (delta* of the order of the size: with label noise, say) is left out.

    Examples
    --------
    >>> [(o["regime"], o["gamma"]) for o in optimal_ridge(alpha=1)]
    [('ridgeless, N-limited', pi**2*lambda_+*sigma_u**2/4), ('ridgeless, P-limited', pi**2*lambda_+*sigma_u**2/4)]
    """
    model = with_teacher(model or mrs()) if delta is not None else model
    derivation = _Derivation(parametric_losses(model), alpha, latent, noise, 0 if delta is None else delta)
    roots = derivation.losses.roots
    out = [derivation.optimum(r, [o for o in roots if o != r]) for r in roots]
    return [o for o in out if o is not None]


def budget_split(optima, budget="product"):
    """The best split of a budget (N P fixed, or N + P fixed) from the losses at the optimal ridge.

    In a regime ordered small << large with loss ~ small**a large**b, the budget
    fixes large; the loss falls toward the regime's edge (small ~ large) when its
    exponent along the budget is negative, and the best split sits there.

    Parameters
    ----------
    optima : list of dict
        From :func:`optimal_ridge`.
    budget : {"product", "sum"}

    Returns
    -------
    list of dict
        Per regime: ``split`` (a pair of sizes tied at the edge, or the small size at 1) and
        ``exponent`` (of the loss in the budget B).

    Examples
    --------
    >>> budget_split(optimal_ridge(alpha=1), "product")[0]
    {'regime': 'ridgeless, N-limited', 'split': 'N ~ P', 'exponent': -1/2}
    """
    if budget not in ("product", "sum"):
        raise ParameterError(f"unknown budget {budget!r}: product or sum")
    out = []
    for o in optima:
        sizes = set(o["loss_exponents"])
        orders = [(a, b) for a, b in o["conditions"] if a in sizes and b in sizes]
        if not orders:
            continue
        small, large = orders[0]
        a, b = o["loss_exponents"][small], o["loss_exponents"][large]
        along = a - b if budget == "product" else a  # the exponent of the small size along the budget
        if exponent_sign(along) == -1:
            exponent = (a + b) / 2 if budget == "product" else a + b
            split = f"{small} ~ {large}"
        else:
            exponent, split = b, f"{small} ~ 1"
        out.append({"regime": o["regime"], "split": split, "exponent": sympy.factor(exponent)})
    return out


@dataclass(frozen=True)
class DeltaCase:
    """The regimes for lower < delta < upper, a range of the symbolic teacher exponent.

    Two regimes may share a name: the regions on either side of a boundary in the sizes whose
    place moves with delta (their conditions tell them apart). ``excluded``: marginal values
    inside the range, where a logarithm appears in a term beyond the stated ones (the regimes
    on both sides are the same).
    """

    lower: sympy.Expr
    upper: sympy.Expr
    regimes: tuple
    excluded: tuple = ()  # marginal values inside the range: a logarithm beyond the stated terms

    def _latex(self, printer):
        delta = printer._print(TEACHER_DELTA)
        excluded = "".join(rf",\ {delta} \neq {printer._print(e)}" for e in self.excluded)
        return (rf"{printer._print(self.lower)} < {delta} < {printer._print(self.upper)}{excluded}: \quad "
                + r" \\ ".join(printer._print(r) for r in self.regimes))

    def as_dict(self):
        return {"lower": str(self.lower), "upper": str(self.upper), "excluded": [str(e) for e in self.excluded],
                "regimes": [r.as_dict() for r in self.regimes]}


@dataclass(frozen=True)
class PiecewiseRegimes:
    """The regimes piecewise in the teacher exponent delta: ``cases`` in increasing delta. Between two
    cases a regime changes form; at the ``marginal`` values two powers of Delta meet (a logarithm of
    the sizes, not derived: those values are excluded)."""

    cases: tuple
    marginal: tuple

    def case(self, delta):
        """The case whose range holds a number delta (None at a marginal value).

        Examples
        --------
        >>> PiecewiseRegimes((DeltaCase(-1, 1, ()), DeltaCase(1, sympy.oo, ())), (1,)).case(2).lower
        1
        """
        if as_expr(delta).free_symbols:
            raise ParameterError(f"delta must be a number to find its case, got {delta}")
        try:
            for c in self.cases:
                if c.lower < delta < c.upper and delta not in c.excluded:
                    return c
        except TypeError:  # a bound in the symbolic alpha: no truth value
            raise ParameterError(f"the ranges of delta depend on alpha: delta = {delta} has no place among "
                                 "them (derive at a numeric alpha)") from None
        return None

    def as_dict(self):
        return {"cases": [c.as_dict() for c in self.cases], "marginal": [str(m) for m in self.marginal]}


def _ordered(root, delta_range, alpha):
    """Refuse a split point whose place in the range depends on alpha (alpha and delta both symbolic)."""
    for below, above in ((delta_range.lower, root), (root, delta_range.upper)):
        if above != sympy.oo and exponent_sign(above - below, alpha) != 1:
            raise unordered(root, delta_range.lower if below == delta_range.lower else delta_range.upper)


class _Boundary(Exception):
    """A value of delta where a regime's form changes (a split other than a sample point's)."""

    def __init__(self, split):
        super().__init__(str(split))
        self.at, self.marginal = sympy.factor(split.at), split.kind == "marginal"


def _piecewise(losses, alpha, noise):
    """The regimes in each range of the symbolic teacher exponent between the values where a form changes.

    In a range, every comparison of exponents is decided over the whole range; the sample point of
    the balances (which regime they land in) moves in a window of it, split where it crosses a
    boundary between two regimes (a boundary in the sizes that moves with delta): the range's
    regimes are those of every window, each derived over the whole range.
    """
    lower = _Derivation(losses, alpha, sympy.oo, noise, 0).teacher_lower
    boundaries = {}

    @cache
    def derive(delta_range):  # a new boundary derives the ranges again: those it leaves are known
        with assuming(delta_range):
            try:
                return _Derivation(losses, alpha, sympy.oo, noise, TEACHER_DELTA).regimes()
            except DeltaSplit as split:
                return split

    def case(delta_range):
        regimes, pending = [], [delta_range.bounds(alpha)]
        while pending:
            window = pending.pop()
            found = derive(replace(delta_range, window=window))
            if isinstance(found, DeltaSplit):
                if found.kind != "sample":
                    raise _Boundary(found)
                pending += [(found.at, window[1]), (window[0], found.at)]  # the lower window first
                continue
            regimes += [r for r in found if r not in regimes]
        return DeltaCase(delta_range.lower, delta_range.upper, tuple(regimes))

    def place(value):
        return float(as_expr(value).subs(ALPHA, sample_alpha(alpha)))

    while True:
        points = sorted(boundaries, key=place)
        ranges = [DeltaRange(a, b) for a, b in zip([lower] + points, points + [sympy.oo])]
        try:
            cases = tuple(case(r) for r in ranges)
            break
        except _Boundary as new:
            (inside,) = [r for r in ranges if place(r.lower) < place(new.at) < place(r.upper)]
            _ordered(new.at, inside, alpha)
            boundaries[new.at] = new.marginal
    merged = [cases[0]]
    for c in cases[1:]:
        last = merged[-1]
        if len(c.regimes) == len(last.regimes) and all(r in last.regimes for r in c.regimes):  # nothing changes
            excluded = last.excluded + ((last.upper,) if boundaries[last.upper] else ())  # a marginal value
            merged[-1] = replace(last, upper=c.upper, excluded=excluded)
        else:
            merged.append(c)
    return PiecewiseRegimes(tuple(merged), tuple(b for b in points if boundaries[b]))


def derive_regimes(model=None, *, alpha=ALPHA, latent=sympy.oo, noise=None, delta=None):
    """Every asymptotic regime of a model's planar theory for a power-law spectrum.

    Parameters
    ----------
    model : Model, optional
        MRS by default; any model of the class.
    alpha : Expr
        The spectral decay: a symbol (default) or a positive number.
    latent : oo or Symbol
        The latent size: oo (entry variances without 1/M) or the model's latent symbol.
    noise : None, True or number
        No label noise (None), a symbolic noise variance (True) or its value;
        with noise, each regime splits by which part of the loss dominates.
    delta : number or Symbol, optional
        The teacher exponent, omega_I = I**-delta: the model gets a teacher
        covariance (:func:`largen.diagrams.engine.model.with_teacher`) and its loss the
        teacher's effective dimensions m_k. None: the model's own teacher,
        isotropic unless it has a teacher covariance (then delta = 0). A
        symbol (:data:`~largen.diagrams.regimes.asymptotics.TEACHER_DELTA`): the regimes
        piecewise in delta over its admissible range (M = oo only).

    Returns
    -------
    list of Regime, or PiecewiseRegimes for a symbolic delta

    Raises
    ------
    ParameterError
        A numeric delta outside the admissible range, or a symbolic one with a finite latent size.
    ExpressionError
        alpha and delta both symbolic where the order of two values of delta depends on alpha.

    Examples
    --------
    >>> pieces = derive_regimes(alpha=1, delta=TEACHER_DELTA)
    >>> pieces.marginal
    (1, 3, 5)
    >>> N = mrs().symbols["N"]
    >>> [(r.exponents[N], c.lower, c.upper) for c in pieces.cases for r in c.regimes if "N-limited" in r.name]
    [(-delta - 1, -1, 1), (-2, 1, 3), (-2, 3, oo)]
    """
    model = model or mrs()
    if delta is not None:
        model = with_teacher(model)
    delta = None if delta is None else as_expr(delta)
    if delta is not None and delta.is_Symbol:
        taken = {str(s) for s in (ALPHA, LAMBDA_PLUS, DELTA, X, _DELTA_VAR)} | set(model.symbols)
        if delta != TEACHER_DELTA and str(delta) in taken:
            raise ParameterError(f"the teacher exponent cannot be named {delta}: the derivation uses that name")
        if latent != sympy.oo:
            raise ParameterError("the regimes in a symbolic teacher exponent are derived at M = oo")
        pieces = _piecewise_regimes(model, as_expr(alpha), noise)
        return pieces if delta == TEACHER_DELTA else _renamed(pieces, delta)
    return _Derivation(parametric_losses(model), alpha, latent, noise, 0 if delta is None else delta).regimes()


@cache
def _piecewise_regimes(model, alpha, noise):
    # the derivation in every range of delta takes tens of seconds: asked once per model and options
    return _piecewise(parametric_losses(model), alpha, noise)


def _renamed(pieces, symbol):
    """The piecewise regimes with the user's symbol for delta."""
    swap = {TEACHER_DELTA: symbol}
    cases = tuple(replace(c, regimes=tuple(_regime_at(r, swap) for r in c.regimes)) for c in pieces.cases)
    return replace(pieces, cases=cases)


def _regime_at(regime, at):
    """A regime with symbols replaced."""
    def put(e):
        return e.xreplace(at) if isinstance(e, sympy.Basic) else tuple(put(x) for x in e)
    return replace(regime, conditions=tuple(put(c) for c in regime.conditions), loss=put(regime.loss),
                   train_loss=put(regime.train_loss), exponents={k: put(v) for k, v in regime.exponents.items()},
                   correction=put(regime.correction))
