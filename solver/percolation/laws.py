"""Scaling laws of Brill's percolation model of the data distribution, derived by dominant balance.

The data are the occupied sites of a percolation lattice; its clusters are
the subtasks. Clusters collected by growing them from a seed have the
population density s n_s ∝ s**(1 - tau); a subtask's frequency is its size.
Ranking subtasks by frequency gives P_k ∝ k**-(1 + alpha), with alpha derived
here from tau (:func:`rank_frequency_alpha`). A model with n degrees of
freedom on one cluster of fractal dimension D reaches the loss n**-beta_cl,
beta_cl = c/D_f (c = 2 for a piecewise-constant approximator).

- Model scaling: minimise sum_k P_k min(1, n_k**-beta_cl) subject to
  sum_k n_k = N (:func:`model_scaling`).
- Data scaling: cluster k receives P P_k of P samples and has the loss
  min(1, (P P_k)**-beta_cl) (:func:`data_scaling`).
- Above p_c one cluster of the lattice dimension d carries the data
  (:func:`manifold_scaling`).

Each problem is solved with sympy: the stationarity condition of the
allocation, the cut where a cluster's share falls to one, the sums over k as
power sums whose large-K behaviour (a power, a logarithm, or a convergent
zeta value) is split into cases by the sign of 1 - e for each summand k**-e,
the dominant term of every case, and the elimination of the cut K in favour
of N or P. Nothing about the answer is typed in; the cases and their
conditions come out of the exponents.

Examples
--------
>>> rank_frequency_alpha()
-(tau - 3)/(tau - 2)
>>> [(law.regime, law.exponent, law.log_power) for law in model_scaling(tau=sympy.Rational(5, 2), D=4, c=2)]
[('approximation-limited', 1/2, 0)]
>>> [(law.regime, law.exponent, law.log_power) for law in data_scaling(tau=sympy.Rational(5, 2), D=4, c=2)]
[('balanced', 1/2, 1)]
"""

from dataclasses import dataclass
from functools import lru_cache

import sympy

from largen.diagrams.regimes.asymptotics import ALPHA
from largen.diagrams.errors import ParameterError
from largen.diagrams.printing.latex import display, text
from largen.solver.percolation._validate import positive_argument

__all__ = ["TAU", "FRACTAL_DIMENSION", "SMOOTHNESS", "DIMENSION", "CLUSTER_EXPONENT", "MODEL_SIZE", "SAMPLES",
           "ScalingLaw", "rank_frequency_alpha", "cluster_exponent", "allocation_exponent", "allocation_laws",
           "sampling_laws", "model_scaling", "data_scaling", "manifold_scaling", "scaling_exponent"]

TAU = sympy.Symbol("tau", positive=True)  # the cluster-number exponent: n_s ∝ s**-tau
FRACTAL_DIMENSION = sympy.Symbol("D_f", positive=True)  # s ∝ R**D_f (D_f: apart from the regimes' D)
SMOOTHNESS = sympy.Symbol("c", positive=True)  # one cluster's loss ∝ n**(-c/D)
DIMENSION = sympy.Symbol("d", positive=True)  # the lattice dimension
# c/D: one cluster's loss exponent (beta_cl: apart from the teacher's source exponent beta)
CLUSTER_EXPONENT = sympy.Symbol("beta_cl", positive=True)
MODEL_SIZE = sympy.Symbol("N", positive=True)
SAMPLES = sympy.Symbol("P", positive=True)  # the dataset size (Brill's D; P is largen's name, D is the dimension)

_k, _K, _n, _mu, _s, _S = sympy.symbols("k K n mu s S", positive=True)
# the regimes, by the sign of e - 1 for the summand k**-e that decides between the tail and the learned part
_NAMES = {-1: "subtask-limited", 0: "balanced", 1: "approximation-limited"}
_EPSILON = sympy.Symbol("epsilon", positive=True)  # the distance of a summand's exponent from 1


@dataclass(frozen=True)
class ScalingLaw:
    """L ≈ prefactor * variable**-exponent * log(variable)**log_power where ``condition`` holds.

    ``regime`` names what limits the loss: ``"subtask-limited"`` (the tail of
    unseen or unlearned subtasks), ``"approximation-limited"`` (the finite
    resolution on the learned ones), ``"balanced"`` (both, with a logarithm)
    or ``"manifold"`` (one d-dimensional cluster above p_c).
    """

    variable: sympy.Symbol
    exponent: sympy.Expr
    log_power: sympy.Expr
    prefactor: sympy.Expr
    condition: object
    regime: str

    @property
    def loss(self):
        """The leading term of the loss as a sympy expression in ``variable``."""
        return self.prefactor * self.variable**-self.exponent * sympy.log(self.variable) ** self.log_power

    def _latex(self, printer):
        return rf"L \simeq {printer._print(self.loss)} \quad {text('when ')}{printer._print(self.condition)}"

    def _repr_latex_(self):
        return display(self)


def _power(expr, variable):
    """The exponent a of expr ∝ variable**a, or ParameterError if expr is not a power of variable."""
    a = sympy.simplify(variable * sympy.diff(sympy.expand_log(sympy.log(expr), force=True), variable))
    if a.has(variable):
        raise ParameterError(f"{expr} is not a power of {variable}")
    return a


def rank_frequency_alpha(tau=TAU):
    """alpha of P_k ∝ k**-(1 + alpha) for subtasks drawn with density s n_s ∝ s**(1 - tau).

    The rank of a subtask of size S is the number of subtasks at least as
    large, the integral of the density from S up; inverting it gives S(k), and
    the frequency is ∝ S. Valid for tau > 2 (a finite number of subtasks above
    any size) and tau < 3 (alpha > 0: frequencies that sum to one).

    Examples
    --------
    >>> rank_frequency_alpha(sympy.Rational(5, 2)), rank_frequency_alpha(sympy.Rational(187, 91))
    (1, 86/5)
    """
    tau = _value(tau, "tau")
    if tau.is_number and not 2 < tau < 3:
        raise ParameterError(f"tau = {tau}: the rank-frequency law needs 2 < tau < 3")
    symbol = sympy.Symbol("tau", positive=True)
    condition = sympy.Q.gt(symbol, 2)
    with sympy.assuming(condition):
        rank = sympy.integrate(_s ** (1 - symbol), (_s, _S, sympy.oo), conds="none")
        rank_exponent = _power(rank, _S)  # rank ∝ S**rank_exponent, so S ∝ k**(1/rank_exponent)
    alpha = sympy.simplify(-1 / rank_exponent - 1)
    return sympy.factor(alpha.subs(symbol, tau))


def _sign(expr, slack):
    """The sign (-1, 0, 1) of an expression in positive symbols, or ParameterError if undecided.

    Tried in the slack epsilon, then in the eliminated symbol (whose positivity the slack form hides).
    """
    (free, value), = slack.items()
    forms = [sympy.simplify(expr.subs(slack))]
    if value.has(_EPSILON):
        epsilon = sympy.solve(sympy.Eq(free, value), _EPSILON)[0]
        forms.append(sympy.simplify(forms[0].subs(_EPSILON, epsilon)))
    for form in forms:
        if form == 0:
            return 0
        if form.is_positive is not None:
            return 1 if form.is_positive else -1
    raise ParameterError(f"the sign of {forms[0]} is undecided")


def _sum_leading(summand, slack, tail=False):
    """The large-K leading term (coefficient, power of K, power of log K) of sum_{k=1}^{K} summand,
    or of sum_{k>K} summand with ``tail``; summand = A(K) k**-e.

    ``slack`` writes alpha through epsilon so that the sign of e - 1 is decided:
    e > 1, the sum converges (a zeta value) and the tail is an integral; e = 1,
    a logarithm; e < 1, the sum grows as its integral.
    """
    factor, kpart = sympy.expand_power_base(summand, force=True).as_independent(_k)
    e = sympy.simplify((-_power(kpart, _k)).subs(slack))
    sign = _sign(e - 1, slack)
    if tail:
        if sign != 1:
            raise ParameterError(f"the tail sum of k**-({e}) diverges")
        integral = sympy.integrate(_k**-e, (_k, _K, sympy.oo), conds="none")
        power = _power(integral, _K)
        return _normalise((factor.subs(slack) * sympy.simplify(integral / _K**power), power, 0))
    if sign == 1:
        return _normalise((factor.subs(slack) * sympy.summation(_k**-e, (_k, 1, sympy.oo)), 0, 0))
    integral = sympy.integrate(_k**-e, (_k, 1, _K), conds="none")
    if sign == 0:
        return _normalise((factor.subs(slack) * sympy.limit(integral / sympy.log(_K), _K, sympy.oo), 0, 1))
    growing = sympy.expand(integral).as_independent(_K, as_Add=True)[1]  # drop the constant of the lower end
    power = _power(growing, _K)
    return _normalise((factor.subs(slack) * sympy.simplify(growing / _K**power), power, 0))


def _normalise(term):
    """A term (coefficient, power, log power) whose coefficient may still carry powers of K."""
    coefficient, power, logs = term
    coefficient = sympy.powsimp(sympy.expand_power_base(coefficient, force=True), force=True)
    if coefficient.has(_K):
        extra = _power(coefficient.as_independent(_K)[1], _K)
        coefficient = sympy.simplify(coefficient / _K**extra)
        power = power + extra
    return coefficient, sympy.simplify(power), logs


def _dominant(terms, slack):
    """The sum of the terms (coefficient, power, log power) of largest power, then log power."""
    def beats(a, b):
        sign = _sign(a[1] - b[1], slack)
        return a[2] >= b[2] if sign == 0 else sign > 0

    top = next(t for t in terms if all(beats(t, u) for u in terms))
    kept = [t for t in terms if _sign(t[1] - top[1], slack) == 0 and t[2] == top[2]]
    return sympy.Add(*[t[0] for t in kept]), top[1], top[2]


def _eliminate(variable_term, loss_term):
    """L as a function of the variable V, from V ≈ A K**a (log K)**b and L ≈ C K**p (log K)**r.

    K ≈ (V/A)**(1/a) (log V/a)**(-b/a), so that log K ≈ log V / a at leading order.
    """
    (A, a, b), (C, p, r) = variable_term, loss_term
    log_power = sympy.simplify(r - b * p / a)
    exponent = sympy.simplify(-p / a)
    prefactor = sympy.simplify(C * A ** (-p / a) * a ** (-log_power))
    return exponent, log_power, prefactor


def _case(build, e, sign):
    """The leading law where sign(e - 1) = sign, with alpha or beta (the first that decides every
    comparison) written through the slack epsilon, e = 1 + sign*epsilon, and back."""
    for free in (ALPHA, CLUSTER_EXPONENT):
        slack = {free: sympy.solve(sympy.Eq(e, 1 + sign * _EPSILON), free)[0]}
        try:
            variable_term, loss_terms = build(slack)
            exponent, log_power, prefactor = _eliminate(variable_term, _dominant(loss_terms, slack))
        except ParameterError:
            continue
        if sign:
            back = {_EPSILON: sympy.solve(sympy.Eq(free, slack[free]), _EPSILON)[0]}
            exponent, prefactor = exponent.subs(back), prefactor.subs(back)
        return exponent, log_power, prefactor
    raise ParameterError(f"no dominant balance decided where sign({e} - 1) = {sign}")


def _laws(build, variable, e, names):
    """One law per sign of e - 1, e the exponent of the summand that decides the regime."""
    laws = []
    for sign, relation in ((-1, sympy.StrictLessThan), (0, sympy.Eq), (1, sympy.StrictGreaterThan)):
        exponent, log_power, prefactor = _case(build, e, sign)
        condition = relation(sympy.factor(e - 1), 0)
        laws.append(ScalingLaw(variable, sympy.factor(sympy.simplify(exponent)), sympy.simplify(log_power),
                               sympy.simplify(prefactor), condition, names[sign]))
    return tuple(laws)


def _value(value, what):
    """A parameter: a sympy expression as it is (symbolic laws), anything else read as a positive number."""
    if isinstance(value, sympy.Basic) and not value.is_number:
        return value
    return positive_argument(value, what)


def _substitute(laws, alpha, beta):
    substitution = {ALPHA: _value(alpha, "alpha"), CLUSTER_EXPONENT: _value(beta, "beta")}
    kept = []
    for law in laws:
        condition = law.condition.subs(substitution)
        if condition is sympy.false:
            continue
        kept.append(ScalingLaw(law.variable, sympy.factor(sympy.simplify(law.exponent.subs(substitution))),
                               sympy.simplify(law.log_power.subs(substitution)),
                               sympy.simplify(law.prefactor.subs(substitution)), condition, law.regime))
    return tuple(kept)


@lru_cache(maxsize=None)
def _allocation():
    alpha, beta = ALPHA, CLUSTER_EXPONENT
    zeta = sympy.summation(_k ** -(1 + alpha), (_k, 1, sympy.oo))
    frequency = _k ** -(1 + alpha) / zeta
    share = sympy.solve(sympy.diff(frequency * _n**-beta, _n) + _mu, _n)[0]
    mu = sympy.solve(share.subs(_k, _K) - 1, _mu)[0]
    share = sympy.powsimp(sympy.simplify(share.subs(_mu, mu)), force=True)
    e = -_power(sympy.expand_power_base(share, force=True).as_independent(_k)[1], _k)
    learned = sympy.powsimp(sympy.expand_power_base(frequency * share**-beta, force=True), force=True)

    def build(slack):
        return _sum_leading(share, slack), [_sum_leading(learned, slack), _sum_leading(frequency, slack, tail=True)]

    return _laws(build, MODEL_SIZE, e, _NAMES)


@lru_cache(maxsize=None)
def _sampling():
    alpha, beta = ALPHA, CLUSTER_EXPONENT
    zeta = sympy.summation(_k ** -(1 + alpha), (_k, 1, sympy.oo))
    frequency = _k ** -(1 + alpha) / zeta
    samples = sympy.solve(frequency.subs(_k, _K) * SAMPLES - 1, SAMPLES)[0]  # P at the cut K
    learned = sympy.powsimp(sympy.expand_power_base(frequency * (samples * frequency) ** -beta, force=True),
                            force=True)
    e = -_power(learned.as_independent(_k)[1], _k)

    def build(slack):
        variable = _normalise((samples.subs(slack), 0, 0))
        return variable, [_sum_leading(learned, slack), _sum_leading(frequency, slack, tail=True)]

    return _laws(build, SAMPLES, e, _NAMES)


def allocation_laws(alpha=ALPHA, beta=CLUSTER_EXPONENT):
    """L(N) from the optimal allocation of N degrees of freedom over subtasks P_k ∝ k**-(1+alpha),
    one subtask's loss being min(1, n**-beta).

    Stationarity of P_k n**-beta + mu n gives n_k(mu); mu is fixed by the cut
    n_K = 1 (subtasks beyond K get nothing and keep the loss P_k); then
    N = sum_{k<=K} n_k and L = sum_{k<=K} P_k n_k**-beta + sum_{k>K} P_k, each
    to leading order in K, and K is eliminated. P_k = k**-(1+alpha)/zeta(1+alpha).

    Returns
    -------
    tuple of ScalingLaw
        One per regime whose condition is not false (one for numbers).

    Examples
    --------
    >>> for law in allocation_laws():
    ...     print(law.regime, law.condition, law.exponent, law.log_power)
    subtask-limited (alpha - beta_cl)/(beta_cl + 1) < 0 alpha 0
    balanced Eq((alpha - beta_cl)/(beta_cl + 1), 0) beta_cl beta_cl + 1
    approximation-limited (alpha - beta_cl)/(beta_cl + 1) > 0 beta_cl 0
    >>> allocation_laws(2, sympy.Rational(1, 2))[0].loss
    sqrt(6)*pi**3/(36*sqrt(N)*zeta(3))
    """
    return _substitute(_allocation(), alpha, beta)


def sampling_laws(alpha=ALPHA, beta=CLUSTER_EXPONENT):
    """L(P) when subtask k receives P P_k of P samples and has the loss min(1, (P P_k)**-beta).

    The cut K is where P P_K = 1; L = sum_{k<=K} P_k (P P_k)**-beta +
    sum_{k>K} P_k to leading order in K, and K is eliminated in favour of P.

    Examples
    --------
    >>> for law in sampling_laws():
    ...     print(law.regime, law.condition, law.exponent, law.log_power)
    subtask-limited -alpha*beta_cl + alpha - beta_cl < 0 alpha/(alpha + 1) 0
    balanced Eq(-alpha*beta_cl + alpha - beta_cl, 0) alpha/(alpha + 1) 1
    approximation-limited -alpha*beta_cl + alpha - beta_cl > 0 beta_cl 0
    """
    return _substitute(_sampling(), alpha, beta)


def _subtasks(tau, D, c):
    return rank_frequency_alpha(_value(tau, "tau")), _value(c, "c") / _value(D, "D")


def model_scaling(tau=TAU, D=FRACTAL_DIMENSION, c=SMOOTHNESS):
    """L(N) of the percolation data at or below p_c: :func:`allocation_laws` with alpha(tau) and
    beta = c/D.

    Examples
    --------
    >>> [(law.regime, law.exponent) for law in model_scaling(sympy.Rational(5, 2), 4, 2)]
    [('approximation-limited', 1/2)]
    """
    return allocation_laws(*_subtasks(tau, D, c))


def data_scaling(tau=TAU, D=FRACTAL_DIMENSION, c=SMOOTHNESS):
    """L(P) of the percolation data at or below p_c: :func:`sampling_laws` with alpha(tau) and
    beta = c/D.

    Examples
    --------
    >>> [(law.regime, law.exponent, law.log_power) for law in data_scaling(sympy.Rational(5, 2), 4, 2)]
    [('balanced', 1/2, 1)]
    """
    return sampling_laws(*_subtasks(tau, D, c))


def manifold_scaling(c=SMOOTHNESS, d=DIMENSION):
    """Above p_c: one cluster of dimension d carries the data, and both N and P go to it.

    The allocation of :func:`model_scaling` with a single subtask: n = N, the
    loss N**-(c/d); with P samples, P**-(c/d).

    Examples
    --------
    >>> [(law.variable, law.exponent) for law in manifold_scaling(2, 2)]
    [(N, 1), (P, 1)]
    """
    c = c if c is SMOOTHNESS else positive_argument(c, "c")
    d = d if d is DIMENSION else positive_argument(d, "d")
    loss = _n ** -(c / d)
    exponent = -_power(loss, _n)
    return tuple(ScalingLaw(variable, exponent, sympy.Integer(0), sympy.Integer(1), sympy.true, "manifold")
                 for variable in (MODEL_SIZE, SAMPLES))


def cluster_exponent(c=SMOOTHNESS, D=FRACTAL_DIMENSION):
    """One cluster's loss exponent beta_cl: the law of :func:`manifold_scaling` for a single cluster of
    dimension D, whose loss falls as n**-beta_cl with n degrees of freedom.

    Examples
    --------
    >>> cluster_exponent(2, 4), cluster_exponent()
    (1/2, c/D_f)
    """
    law, _ = manifold_scaling(c, DIMENSION if D is FRACTAL_DIMENSION else D)
    return law.exponent.subs(DIMENSION, FRACTAL_DIMENSION)


def allocation_exponent(beta=CLUSTER_EXPONENT):
    """The exponent g of the optimal allocation n_k ∝ P_k**g: the stationarity condition of
    :func:`allocation_laws` solved for n_k, g = 1/(1 + beta_cl).

    Examples
    --------
    >>> allocation_exponent(), allocation_exponent(sympy.Rational(1, 2))
    (1/(beta_cl + 1), 2/3)
    """
    frequency = sympy.Symbol("P_k", positive=True)
    share = sympy.solve(sympy.diff(frequency * _n**-CLUSTER_EXPONENT, _n) + _mu, _n)[0]
    exponent = sympy.simplify(frequency * sympy.diff(sympy.log(share), frequency))
    return sympy.simplify(exponent.subs(CLUSTER_EXPONENT, _value(beta, "beta")))


def scaling_exponent(laws):
    """The exponent of a tuple of laws as one sympy Piecewise over their conditions.

    Examples
    --------
    >>> scaling_exponent(allocation_laws())
    Piecewise((alpha, (alpha - beta_cl)/(beta_cl + 1) < 0), (beta_cl, Eq((alpha - beta_cl)/(beta_cl + 1), 0) | ((alpha - beta_cl)/(beta_cl + 1) > 0)))
    """
    return sympy.Piecewise(*[(law.exponent, law.condition) for law in laws])
