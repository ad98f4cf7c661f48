"""The optimal ridge in each ridgeless regime, and the best split of a budget of sizes.

May import: what :mod:`largen.diagrams.regimes.families` may, and it.
"""

import enum
import math
from dataclasses import dataclass

import sympy

from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.spectral import DELTA, effective_dimension
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import ParameterError
from largen.diagrams.regimes.asymptotics import ALPHA, LAMBDA_PLUS, exponent_sign
from largen.diagrams.regimes.dominance import Balance, Region, _condition, _exponent, _sign, _tidy
from largen.diagrams.regimes.families import X, _SMALL, Family, Part, _Derivation, regimes_at
from largen.diagrams.theory.parametric import parametric_losses

__all__ = ["Budget", "BudgetSplit", "Optimum", "optimal_ridge", "budget_split"]


def _optimum(self, root, others):
    """The optimal ridge inside the ridgeless regime of ``root``, or None if the loss grows with gamma.

    The loss near the root, L0 + L1 delta + L2 delta**2 (delta = root - n_1, which grows with
    gamma), is least at delta* = -L1/(2 L2) when L1 < 0 < L2; gamma* follows from the ridge.
    """
    if self.scales:
        return None  # written for roots that are sizes; the equivalent noise shifts them
    size, n1, variables, chain = self._root_variables(root, others)
    # at fixed sizes, n_k by their leading terms c_k X: c_1 X = size - delta, so d/d delta = -d/(c_1 dX)
    leading = {n: self._n1_balance(value, chain).leading for n, value in self._n("small").items()}
    c1 = leading[effective_dimension(1)] / X
    at_root = {X: size / c1}
    variables = [size] + variables[2:]
    # the root's size takes the place of n_1 ~ X at the bottom of the chain
    region = Region.chain(variables, [size] + [v for v in chain[0] if v not in (_SMALL, X)], chain[1])

    def coefficient(expr, k):
        e = expr.xreplace(leading).xreplace({DELTA: LAMBDA_PLUS * X ** -self.s})
        derivative = sympy.diff(e, X, k) * (-1 / c1) ** k / math.factorial(k)
        return Balance(derivative.xreplace(at_root), variables, region)

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
    return Optimum((size,), gamma_star, loss_star, gain, conditions, exponents(gamma_star), exponents(loss_star),
                   Family.RIDGELESS)


def optimal_ridge(model=None, *, alpha=ALPHA, latent=sympy.oo, noise=None, delta=None):
    """The optimal ridge gamma*(sizes) in each ridgeless regime where the loss falls with gamma.

    Returns
    -------
    list of Optimum
        A regime whose optimum lies on a crossover (delta* of the order of the size: with label
        noise, say) is left out.

    Examples
    --------
    >>> [(o.regime, o.gamma) for o in optimal_ridge(alpha=1)]
    [('ridgeless, N-limited', pi**2*lambda_+*sigma_u**2/4), ('ridgeless, P-limited', pi**2*lambda_+*sigma_u**2/4)]
    """
    model = with_teacher(model or mrs()) if delta is not None else (model or mrs())
    derivation = _Derivation(parametric_losses(model), alpha, latent, noise, 0 if delta is None else delta)
    roots = derivation.losses.roots
    out = [_optimum(derivation, r, [o for o in roots if o != r]) for r in roots]
    if noise is not None and not derivation.scales:
        out += _balanced_optima(model, alpha, latent, noise, delta)
    return [o for o in out if o is not None]


def _balanced_optima(model, alpha, latent, noise, delta):
    """The optima where the teacher's and the label noise's leading losses of one family balance.

    In a family whose teacher-dominated loss A gamma**a grows with gamma (a > 0) and whose
    noise-dominated loss B gamma**-b falls (b > 0), the sum is least at
    gamma* = (b B/(a A))**(1/(a + b)), where L* = (1 + a/b) A gamma***a; the conditions are those
    of both regimes but their mutual dominance (which the balance replaces), at gamma*. With a
    numeric noise the regimes are derived in a symbolic one and the value put in.
    """
    (sigma,) = sorted(model.regression.noise_variance.free_symbols, key=str)
    value = {} if noise is True else {sigma: sympy.sqrt(as_expr(noise))}
    regimes = regimes_at(model, alpha=alpha, latent=latent, noise=True, delta=delta)
    ridge = model.regression.ridge
    out = []
    for t in [r for r in regimes if r.dominant is Part.TEACHER]:
        for n in [r for r in regimes if r.dominant is Part.LABEL_NOISE and (r.family, r.limiting) ==
                  (t.family, t.limiting)]:
            a, b = t.exponents[ridge], -n.exponents[ridge]
            if exponent_sign(a) != 1 or exponent_sign(b) != 1:
                continue
            A, B = t.loss / ridge**a, n.loss * ridge**b
            free = sorted(t.exponents, key=str)
            gamma_star = _tidy(sympy.powsimp(sympy.expand_power_base((b * B / (a * A)) ** (1 / (a + b)), force=True),
                                             force=True), free)
            loss_star = _tidy(sympy.powsimp(sympy.expand_power_base((1 + a / b) * A * gamma_star**a, force=True),
                                            force=True), free)
            conditions = []
            for small, large in t.conditions + n.conditions:
                if (small / large).has(sigma, sympy.Abs):
                    continue  # the mutual dominance of the two parts, or a tie of sizes
                ratio = _tidy(sympy.powsimp(sympy.expand_power_base((small / large).xreplace({ridge: gamma_star}),
                                                                    force=True), force=True), free)
                if ratio.free_symbols & set(free) - {ridge}:
                    conditions.append(_condition(ratio, [v for v in free if v != ridge]))
            sizes = [v for v in free if v != ridge]

            def exponents(e):
                return {v: sympy.factor(_exponent(e.as_independent(*sizes, as_Add=False)[1], v)) for v in sizes}
            # at gamma*, A gamma**a and B gamma**-b are b/(a + b) and a/(a + b) of L*: each part's own correction
            # weighs in so (gamma* itself moves only at second order in L*, which is stationary there)
            own = [*t.corrections.own, *n.corrections.own]
            correction = None if None in own else _tidy_sum(((b * (own[0] + own[1]) + a * (own[2] + own[3])) / (a + b))
                                                            .xreplace({ridge: gamma_star}).xreplace(value), free)
            out.append(Optimum(t.limiting, gamma_star.xreplace(value), loss_star.xreplace(value), None,
                               tuple(dict.fromkeys((x.xreplace(value), y.xreplace(value)) for x, y in conditions)),
                               exponents(gamma_star), exponents(loss_star), t.family, correction))
    return out


def _tidy_sum(expr, free):
    """A sum of monomials, each tidied, like ones added."""
    terms = sympy.Add.make_args(sympy.expand(sympy.powsimp(sympy.expand_power_base(expr, force=True), force=True)))
    return sympy.Add(*[_tidy(sympy.powsimp(t, force=True), free) for t in terms])


class Budget(enum.Enum):
    """A budget of sizes: their product fixed (N P = B) or their sum (N + P = B)."""

    PRODUCT = "product"
    SUM = "sum"


@dataclass(frozen=True)
class Optimum:
    """The optimal ridge in the ridgeless regime limited by ``limiting`` (a 1-tuple of its size).

    ``gamma`` is gamma* (a monomial in the sizes), ``loss`` the leading loss there, ``gain`` the
    relative decrease of the loss from gamma -> 0 to gamma* (None at a balance of two parts), ``conditions`` pairs (small, large),
    ``exponents`` those of gamma* in each size and ``loss_exponents`` those of the loss.
    """

    limiting: tuple
    gamma: sympy.Expr
    loss: sympy.Expr
    gain: sympy.Expr
    conditions: tuple
    exponents: dict
    loss_exponents: dict
    family: Family = Family.RIDGELESS
    correction: sympy.Expr = None  # L at gamma* over ``loss``, less 1, to second order (a balance of two parts)

    @property
    def regime(self):
        """The name of the regime (family) it sits in: a balance of the teacher and the noise names the family."""
        if self.family is Family.RIDGELESS:
            return f"ridgeless, {self.limiting[0]}-limited"
        return f"{self.family.value}, teacher and label noise balanced"


@dataclass(frozen=True)
class BudgetSplit:
    """The best split of a ``budget`` in the regime named ``regime``: the sizes ``split`` = (small, large) are
    of one order at the best split (large = 1: the small size as small as it goes), and the loss
    falls as B**``exponent``."""

    regime: str
    budget: Budget
    split: tuple
    exponent: sympy.Expr


def budget_split(optima, budget=Budget.PRODUCT):
    """The best split of a budget (N P fixed, or N + P fixed) from the losses at the optimal ridge.

    In a regime ordered small << large with loss ~ small**a large**b, the budget
    fixes large; the loss falls toward the regime's edge (small ~ large) when its
    exponent along the budget is negative, and the best split sits there.

    Parameters
    ----------
    optima : list of Optimum
        From :func:`optimal_ridge`.
    budget : Budget

    Returns
    -------
    list of BudgetSplit

    Examples
    --------
    >>> budget_split(optimal_ridge(alpha=1), Budget.PRODUCT)[0]
    BudgetSplit(regime='ridgeless, N-limited', budget=<Budget.PRODUCT: 'product'>, split=(N, P), exponent=-1/2)
    """
    if not isinstance(budget, Budget):
        raise ParameterError(f"unknown budget {budget!r}: a Budget ({', '.join(b.name for b in Budget)})")
    out = []
    for o in optima:
        sizes = set(o.loss_exponents)
        orders = [(a, b) for a, b in o.conditions if a in sizes and b in sizes]
        if not orders:
            continue
        small, large = orders[0]
        a, b = o.loss_exponents[small], o.loss_exponents[large]
        along = a - b if budget is Budget.PRODUCT else a  # the exponent of the small size along the budget
        if exponent_sign(along) == -1:
            exponent = (a + b) / 2 if budget is Budget.PRODUCT else a + b
            split = (small, large)
        else:
            exponent, split = b, (small, sympy.Integer(1))
        out.append(BudgetSplit(o.regime, budget, split, sympy.factor(exponent)))
    return out


