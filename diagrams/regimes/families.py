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
>>> regimes = regimes_at(alpha=1)
>>> ridge = next(r for r in regimes if r.name == "ridge")
>>> ridge.loss
pi*sqrt(gamma)*sqrt(lambda_+)*sigma_w**2/(8*sqrt(N)*sqrt(P)*sigma_u)
>>> ridge.exponents
{gamma: 1/2, N: -1/2, P: -1/2}
"""

import contextlib
import enum
import functools
import itertools
from dataclasses import dataclass, field, replace

import sympy

from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.spectral import DELTA, dimension_order, effective_dimension
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import LargenError, ParameterError
from largen.diagrams.printing.latex import display, text
from largen.diagrams.regimes.asymptotics import (LAMBDA_PLUS, assuming, current_range, exponent_sign,
                                                 teacher_dimension_asymptotics)
from largen.diagrams.regimes.asymptotics import effective_dimension_asymptotics as plain_asymptotics
from largen.diagrams.regimes.corrections import collected, first_correction
from largen.diagrams.regimes.dominance import (Balance, Region, _condition, _exponent, _prune, _solve_monomial, _tidy,
                                               EmptyRegion, interior_point)
from largen.diagrams.theory.parametric import parametric_losses

__all__ = ["Corrections", "Family", "Part", "Regime", "regimes_at", "X"]

X = sympy.Symbol("X", positive=True)  # (lambda_+/Delta)**(1/(1 + alpha)): the number of learned modes
_DELTA_VAR = sympy.Symbol("D", positive=True)  # Delta as a variable of the balance (Delta >> lambda_+)
_SMALL = sympy.Symbol("delta", positive=True)  # distance of n_1 from a root of the ridge


class Family(enum.Enum):
    """The family of a regime: where the renormalised ridge Delta sits and what limits the loss."""

    RIDGE = "ridge"  # n_1 below every size: gamma enters the loss
    OVER_REGULARISED = "over-regularised"  # Delta >> lambda_+
    RIDGELESS = "ridgeless"  # n_1 -> one root of the ridge (a size): gamma -> 0
    THRESHOLD = "threshold"  # a double root of the ridge: two sizes equal
    LATENT_LIMITED = "latent-limited"  # finite M below the sizes, Delta << lambda_M


class Part(enum.Enum):
    """The part of the loss that dominates a regime, when the loss has more than one."""

    TEACHER = "teacher"
    LABEL_NOISE = "label noise"


@dataclass(frozen=True)
class Corrections:
    """The first and second orders of a regime's relative correction, derived when first asked for (the
    expansion to second order costs more than the regime itself): ``derive(rivals)`` gives them, with the
    other parts of the loss (``rivals=True``: what the whole loss deviates by) or without (its own part's)."""

    derive: object

    @functools.cached_property
    def orders(self):
        return tuple(self.derive(True))

    @functools.cached_property
    def own(self):
        """The orders of this part of the loss alone, the other parts left out."""
        return tuple(self.derive(False))

    def mapped(self, f):
        """The corrections with ``f`` applied to each order (symbols given values)."""
        return Corrections(lambda rivals: tuple(None if c is None else f(c)
                                                for c in (self.orders if rivals else self.own)))


@dataclass(frozen=True)
class Regime:
    """One asymptotic regime: its family, conditions, leading losses, exponents, first correction.

    ``limiting`` are the sizes that limit the loss: the root's size (ridgeless) or the two sizes
    that meet (threshold, the first kept); ``dominant`` the part of the loss that leads (None when the
    loss has one part); ``scale_limited``: the equivalent noise of nonlinear features sets the loss.
    ``conditions`` are pairs ``(small, large)`` meaning small << large;
    ``correction`` is the first-order relative correction of ``loss``, signed, with its coefficients
    (L = loss (1 + correction + next_correction + ...)), and ``next_correction`` the second order
    (:mod:`largen.diagrams.regimes.corrections`; None in a symbolic alpha, where the expansion is
    too costly);
    ``witness`` maps each free symbol to the natural log of a point inside the
    regime (scale it to go deeper); ``tied`` maps a size to the size it equals;
    ``rivals`` are the leading terms of the parts of the loss that this one dominates.
    """

    family: Family
    limiting: tuple
    conditions: tuple
    loss: sympy.Expr
    train_loss: sympy.Expr
    exponents: dict
    corrections: Corrections = field(compare=False, repr=False)
    dominant: Part = None
    scale_limited: bool = False
    witness: dict = field(default_factory=dict, compare=False)
    tied: dict = field(default_factory=dict, compare=False)
    rivals: tuple = field(default=(), compare=False)  # the leading terms of the other parts of the loss

    @property
    def correction(self):
        """The first-order relative correction of ``loss``, signed (derived when first asked for)."""
        return self.corrections.orders[0]

    @property
    def next_correction(self):
        """The second-order relative correction of ``loss``."""
        return self.corrections.orders[1]

    @property
    def name(self):
        """The regime in words, e.g. ``"ridgeless, N-limited, label noise dominated"`` (printed from the fields)."""
        if self.family is Family.RIDGELESS:
            words = [f"ridgeless, {self.limiting[0]}-limited"]
        elif self.family is Family.THRESHOLD:
            words = [f"threshold {self.limiting[0]} = {self.limiting[1]}"]
        else:
            words = [self.family.value]
        if self.dominant is not None:
            words.append(f"{self.dominant.value} dominated")
        if self.scale_limited:
            words.append("feature-variance-limited")
        return ", ".join(words)

    def _latex(self, printer):
        conditions = r",\ ".join(rf"{printer._print(a)} \ll {printer._print(b)}" for a, b in self.conditions)
        order = "" if self.correction is None else \
            rf"{text('to relative order ')}{printer._print(self.correction)} \quad "
        return (rf"{text(self.name)}: \quad L \simeq {printer._print(self.loss)} \quad "
                rf"{order}{text('when ')}{conditions}")

    def _repr_latex_(self):
        return display(self)


def _power(name, k):
    """``name**k`` in words, the first power bare."""
    return name if k == 1 else f"{name}**{k}"



class _Derivation:
    """Everything one set of options (alpha, latent size, noise) needs to derive the regimes."""

    def __init__(self, losses, alpha, latent, noise, teacher=0):
        self.model = model = losses.model
        self.teacher = as_expr(teacher)
        self.losses = losses
        self.alpha = as_expr(alpha)
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
        # every effective dimension the theory holds, whatever its order: read from the expressions
        found = [dimension_order(s) for e in exprs for s in e.free_symbols]
        self.orders = sorted({k for k, teacher in filter(None, found) if not teacher})
        self.teacher_orders = sorted({k for k, teacher in filter(None, found) if teacher})
        if self.teacher.is_number and self.teacher_orders and not self.finite:
            self._check_admissible()
        # nonlinear features: the variance of the equivalent noise is a scale of the balance, taken
        # both far below and far above the other terms it meets (each side has its own regimes)
        e = model.regression.equivalent
        self.scales = sorted(model.matrices[e.matrix].variance.free_symbols, key=str) if e is not None else []
        self.priority, self.regions = None, []  # the order of the chain's links; the regions made in it
        self.scales_dominant = False  # the second pass: the equivalent noise's shift of the roots sets the loss
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

    def _shift(self, internal):
        """The equivalent noise's shift of the roots of the ridge (a monomial in the scales), in a limit's
        variables."""
        shifts = [sympy.expand(v - root) for root in self.losses.roots for v in self.sizes if v in root.free_symbols]
        shift = next(sh for sh in shifts if sh.has(*self.scales))
        return self._bare(internal(shift.xreplace(self.fixed)))

    def _bare(self, monomial):
        """A monomial without its constant factor: its powers of the balance's variables alone."""
        return monomial.as_independent(X, _DELTA_VAR, _SMALL, self.M, *self.sizes, *self.scales, as_Add=False)[1]

    def _chain(self, ascending, shift_at=None, shift=None):
        """A region's chain 1 << a_1 << a_2 << ... and its negligible monomials: the scales are
        negligible in the first pass; in the second the shift of the roots takes the place
        ``shift_at`` of the chain (None: still negligible)."""
        ascending = list(ascending) + ([self.M] if self.finite and self.M not in ascending else [])
        if not self.scales:
            return ascending, ()
        if not self.scales_dominant:
            return ascending, tuple(self.scales)
        if shift_at is None:
            return ascending, (shift,)
        return ascending[:shift_at] + [shift] + ascending[shift_at:], ()

    def regimes(self):
        if not self.scales:
            return self._regimes()
        out = []
        # the equivalent noise negligible; then dominant in the roots of the ridge, its shift
        # mu_star**2 X**(1 + alpha) between n_1 ~ X and the other sizes
        for dominant in (False, True):
            self.scales_dominant = dominant
            found = self._regimes()
            if dominant:
                # the regimes where the equivalent noise sets the loss; the others are the first pass's
                found = [replace(r, scale_limited=True) for r in found
                         if r.loss.has(*self.scales)]
            out += [r for r in found if r not in out]
        return out

    def _regimes(self):
        out = self._cells(self.ridge_regimes) + self._cells(self.over_regularised)
        roots = self.losses.roots
        for root in roots:
            out += self._cells(self.ridgeless, root, [r for r in roots if r != root])
        for i, a in enumerate(roots):
            for b in roots[i + 1:]:
                out += self._cells(self.threshold, a, b, [r for r in roots if r not in (a, b)])
        if self.finite:
            out += self._cells(self.latent_limited)
        return out

    def _region(self, variables, chain):
        region = Region.chain(variables, *chain, priority=self.priority)
        self.regions.append(region)
        return region

    def _cells(self, family, *args):
        """A family's regimes in every cell of its region.

        The region's chain orders the comparisons; where a dominant monomial is dominant by that
        order only (another dominates elsewhere in the region), the family is derived again in
        each order of the chain's links, and the regimes of the cells that exist are kept.
        """
        self.priority, self.regions = None, []
        out = family(*args)
        if not any(r.undecided for r in self.regions):
            return out
        elements = list(dict.fromkeys(e for r in self.regions for e in r.elements))
        for order in itertools.permutations(elements):
            self.priority, self.regions = {e: i for i, e in enumerate(order)}, []
            try:
                found = family(*args)
            except EmptyRegion:
                continue
            out += [r for r in found if r not in out]
        self.priority = None
        return out

    def _balanced(self, kind, internal, variables, chain, solve_for, limit):
        """Solve gamma = G for ``solve_for`` by its dominant monomial; the losses' dominant monomials."""
        region = self._region(variables, chain)
        G = Balance(internal(self.gamma), variables, region)
        value = _solve_monomial(G.leading, self.ridge, solve_for)
        solution = [(solve_for, value)]
        return self._finish(kind, internal, region, solution, G.ratios(), {}, (), limit, [(G, solve_for)])

    def _finish(self, kind, internal, region, solution, ratios, tied, extra_conditions, limit, equations):
        """The regimes of each dominant part of the loss; ``kind`` the family and its limiting sizes;
        ``limit`` is the ratio that defines the
        limit of Delta the expansions hold in (a condition even where its correction vanishes);
        ``equations`` the balances solved at leading order, each with its variable (for the signed correction)."""
        variables = region.variables

        def substitute(e):
            e = as_expr(e)
            for var, value in solution:
                e = e.xreplace({var: value})
            for var, value in tied.items():
                e = e.xreplace({var: value})
            return sympy.powsimp(sympy.expand_power_base(e, force=True), force=True)

        def model_form(e):
            return _tidy(substitute(e), self.free)

        free = [v for v in self.free if v not in tied]
        sizes = [v for v in free if v != self.ridge and v not in self.scales]  # 1 << size; not so a scale
        parts = {k: Balance(internal(e), variables, region) for k, e in self.loss_parts.items()}
        train = {k: Balance(internal(e), variables, region) for k, e in self.train_parts.items()}
        # each part of the training loss keeps its own leading term: which one dominates depends on
        # the noise, not on the balance of the test loss
        train_leading = sympy.Add(*[model_form(b.leading) for b in train.values()])
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
            rivals = [parts[o].leading / balance.leading for o in parts if o != label]
            def orders(with_rivals, balance=balance, rivals=rivals, conditions=conditions, where=current_range()):
                if self.alpha.free_symbols:
                    return None, None  # the expansion in a symbolic alpha does not finish in minutes
                # derived later, in the range of a symbolic delta the regime was derived in
                with assuming(where) if where is not None else contextlib.nullcontext():
                    return collected(*first_correction(balance, equations, rivals if with_rivals else ()), substitute,
                                     lambda m: _tidy(m, self.free), free, conditions, sizes)
            witness = interior_point(conditions, [v for v in free if v in self.free], sizes,
                                     [self.noise_symbol] if self.noise_symbol is not None else [])
            witness.update({v: witness[u] for v, u in tied.items() if u in witness})
            out.append(Regime(*kind, conditions, loss, train_leading, exponents, Corrections(orders),
                              dominant=Part(label) if len(parts) > 1 else None, witness=dict(witness),
                              tied=dict(tied), rivals=tuple(model_form(parts[o].leading) for o in parts if o != label)))
        return out

    def ridge_regimes(self):
        # 1 << X << the sizes (<< M): no mode of the spectrum is cut by a size
        variables = [X] + self.sizes + ([self.M] if self.finite else []) + self.scales
        internal = self._internal("small")
        chain = self._chain([X] + self.sizes, 0, self.scales and self._shift(internal))
        return self._balanced((Family.RIDGE, ()), internal, variables, chain, X, 1 / X)

    def over_regularised(self):
        # lambda_+ << Delta, 1 << the sizes
        variables = [_DELTA_VAR] + self.sizes + ([self.M] if self.finite else []) + self.scales
        internal = self._internal("large")
        chain = self._chain([_DELTA_VAR] + self.sizes, None, self.scales and self._shift(internal))
        return self._balanced((Family.OVER_REGULARISED, ()), internal, variables, chain, _DELTA_VAR,
                              LAMBDA_PLUS / _DELTA_VAR)

    def latent_limited(self):
        # Delta << lambda_M (the most separated), 1 << M << the sizes
        variables = [_DELTA_VAR, self.M] + self.sizes + self.scales
        internal = self._internal("below")
        ascending, negligible = self._chain([self.M] + self.sizes, None,
                                            self.scales and self._shift(internal))
        below = _DELTA_VAR * self.M ** self.s
        chain = (ascending, tuple(negligible[:1]) + (below,) + tuple(negligible[1:]))
        smallest = LAMBDA_PLUS * self.M ** -self.s
        return self._balanced((Family.LATENT_LIMITED, ()), internal, variables, chain, _DELTA_VAR,
                              _DELTA_VAR / smallest)

    def _root_variables(self, root, others):
        """The root's size traded for n_1(X) + shift + delta: the variables and the region's chain,
        0 << delta << X << the other sizes (those not a root first) (<< M).

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
        shift = self.scales and self._bare(self._internal("small")(shift.xreplace(self.fixed)))
        return size, n1, variables, self._chain([_SMALL, X] + order, 2, shift)

    def _trade(self, size, root):
        """The substitution of ``size`` by n_1 + shift + delta at the root."""
        return {size: effective_dimension(1) + sympy.expand(size - root).xreplace(self.fixed) + _SMALL}

    def _n1_balance(self, n1, chain):
        """n_1 (+ the root's shift) in X (and M, whose tail it loses, and the scales) in the region's chain."""
        variables = [X] + ([self.M] if self.finite else []) + self.scales
        return Balance(n1, variables, self._region(variables, chain))

    def ridgeless(self, root, others):
        size, n1, variables, chain = self._root_variables(root, others)
        internal = self._internal("small", self._trade(size, root))
        region = self._region(variables, chain)
        G = Balance(internal(self.gamma), variables, region)
        delta = _solve_monomial(G.leading, self.ridge, _SMALL)
        modes = self._n1_balance(n1, chain)
        x_of_size = _solve_monomial(modes.leading, size, X)
        solution = [(_SMALL, delta), (X, x_of_size)]
        ratios = G.ratios() + modes.ratios() + [_SMALL / X]
        # the size is n_1 + delta exactly: its balance moves X with delta too
        size_balance = Balance(n1 + _SMALL, variables, region)
        return self._finish((Family.RIDGELESS, (size,)), internal, region, solution, ratios, {}, (), 1 / X,
                            [(G, _SMALL), (size_balance, X)])

    def threshold(self, a, b, others):
        size, n1, variables, chain = self._root_variables(a, others)
        (tie,) = [v for v in self.sizes if v in b.free_symbols]
        variables = [v for v in variables if v != tie]
        internal_root = self._internal("small", {**self._trade(tie, b), **self._trade(size, a)})
        region = self._region(variables, chain)
        G = Balance(internal_root(self.gamma), variables, region)
        delta = _solve_monomial(G.leading, self.ridge, _SMALL)
        modes = self._n1_balance(n1, chain)
        x_of_size = _solve_monomial(modes.leading, size, X)
        solution = [(_SMALL, delta), (X, x_of_size)]
        ratios = G.ratios() + modes.ratios() + [_SMALL / X]
        gap = _tidy(sympy.powsimp(sympy.expand_power_base(delta.xreplace({X: x_of_size}), force=True),
                                  force=True), [v for v in self.free if v != tie])
        return self._finish((Family.THRESHOLD, (size, tie)), internal_root, region, solution, ratios,
                            {tie: size}, ((sympy.Abs(size - tie), gap),), 1 / X,
                            [(G, _SMALL), (Balance(n1 + _SMALL, variables, region), X)])




def regimes_at(model=None, *, alpha, latent=sympy.oo, noise=None, delta=None):
    """The regimes at a numeric (or absent) teacher exponent: :func:`~largen.diagrams.regimes.derive.derive_regimes`
    without its piecewise branch."""
    model = model or mrs()
    if delta is not None:
        model = with_teacher(model)
    return _Derivation(parametric_losses(model), alpha, latent, noise, 0 if delta is None else delta).regimes()
