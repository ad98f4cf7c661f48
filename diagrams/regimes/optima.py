"""The optimal ridge in each ridgeless regime, and the best split of a budget of sizes.

May import: what :mod:`largen.diagrams.regimes.families` may, and it.
"""

import math

import sympy

from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.spectral import DELTA, effective_dimension
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import ParameterError
from largen.diagrams.regimes.asymptotics import ALPHA, LAMBDA_PLUS, exponent_sign
from largen.diagrams.regimes.dominance import Balance, Region, _condition, _exponent, _sign, _tidy
from largen.diagrams.regimes.families import X, _SMALL, _Derivation
from largen.diagrams.theory.parametric import parametric_losses

__all__ = ["optimal_ridge", "budget_split"]


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
    return {"regime": f"ridgeless, {size}-limited", "gamma": gamma_star, "loss": loss_star,
            "gain": gain, "conditions": conditions, "exponents": exponents(gamma_star),
            "loss_exponents": exponents(loss_star)}


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
    out = [_optimum(derivation, r, [o for o in roots if o != r]) for r in roots]
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


