"""The large-ridge series of the test loss, two independent ways.

1. From the resummed theory: solve the Schwinger-Dyson equations as power
   series in epsilon = 1/gamma (fixed-point iteration, each quantity a
   truncated Laurent series), expand the summands of the spectral sums, and
   replace sum_I lambda_I**k by tr Lambda**k.
2. From the diagrams: expand the resolvent (gamma + Phi Phi^T)^-1 in 1/gamma,
   write the test loss as traces of words, and sum their (planar, or all)
   Wick contractions with the ribbon-graph engine.

The planar coefficients of 2 must equal those of 1 exactly; the exact ones
are the finite-size coefficients.

Examples
--------
>>> from diagrams import mrs
>>> theory_coefficients(mrs(), 1)[0]
sigma_w**2*tr_Lambda(1)/(2*M)
"""

from dataclasses import replace

import sympy
from sympy import QQ
from sympy.matrices.expressions import MatMul, Trace
from sympy.polys.rings import ring

from .dyson import EIGENVALUES, INDEX, planar_theory
from .errors import LargenError
from .expectation import expectation
from .model import Model, mrs
from .observable import covariance_trace, namespace, parse_observable
from .planar import planar_count
from .wick import contractions
from .pencil import EIGENVALUE, SOURCE

GUARD = 2  # extra orders carried through divisions


class Algebra:
    """Polynomials over the rationals in the theory's parameters, with the
    eigenvalue ``lambda`` and the spectral power sums as generators, first order
    in the source beta. Series coefficients live here."""

    def __init__(self, parameters, max_power):
        self.traces = [sympy.Symbol(f"t{k}") for k in range(1, max_power + 1)]
        self.symbols = [SOURCE, EIGENVALUE, *sorted(parameters, key=str), *self.traces]
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
        """sum_I p(lambda_I): lambda**k becomes t_k, and lambda**0 the size."""
        result = self.zero
        size = self.element(size)
        for monom, c in p.items():
            k = monom[1]
            rest = self.ring.from_dict({monom[:1] + (0,) + monom[2:]: c})
            if k == 0:
                result += rest * size
            elif k <= len(self.traces):
                result += rest * self.ring.gens[self.symbols.index(self.traces[k - 1])]
            else:
                raise LargenError("spectral power beyond the orders prepared")
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


def evaluate(expr, env, algebra, order):
    """The series of a sympy expression, given the series of some of its symbols in ``env``."""
    if expr in env:
        return env[expr]
    if not expr.has(sympy.Sum, *env):
        return Series(algebra, {0: algebra.element(expr)}, order)
    if isinstance(expr, sympy.Add):
        result = Series(algebra, {}, order)
        for arg in expr.args:
            result = result + evaluate(arg, env, algebra, order)
        return result
    if isinstance(expr, sympy.Mul):
        result = Series(algebra, {0: algebra.one}, order)
        for arg in expr.args:
            result = result * evaluate(arg, env, algebra, order)
        return result
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        return evaluate(expr.base, env, algebra, order) ** int(expr.exp)
    if isinstance(expr, sympy.Sum):
        ((_, _, size),) = expr.limits
        summand = evaluate(expr.function, env, algebra, order)
        return Series(algebra, {p: algebra.spectral(c, size) for p, c in summand.terms.items()}, summand.order)
    raise LargenError(f"cannot expand {expr} as a series in 1/gamma")


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
    return Model(model.name, model.spaces, matrices, covariances, regression), back


def theory_coefficients(model=None, order=4):
    """Coefficients of gamma**-k, k = 0..order, of the planar test loss, from the resummed theory."""
    model = model or mrs()
    abstract, back = abstract_variances(model)
    theory = planar_theory(abstract)
    plain = {EIGENVALUES[INDEX]: EIGENVALUE}
    equations = [(eq.lhs, eq.rhs.xreplace(plain)) for eq in theory.equations]
    generating = theory.generating.xreplace(plain)
    parameters = set().union(*(rhs.free_symbols for _, rhs in equations), generating.free_symbols)
    parameters -= {*theory.unknowns, theory.ridge, INDEX, SOURCE, EIGENVALUE}
    work = order + GUARD
    algebra = Algebra(parameters, 2 * work + 4)
    env = {theory.ridge: Series(algebra, {-1: algebra.one}, work)}
    current = {s: Series(algebra, {}, work) for s in theory.unknowns}
    for _ in range(4 * work + 8):
        env.update(current)
        following = {lhs: evaluate(rhs, env, algebra, work) for lhs, rhs in equations}
        if following == current:
            break
        current = following
    else:
        raise LargenError("the large-ridge iteration did not settle")
    env.update(current)
    series = evaluate(generating, env, algebra, work)
    trace = covariance_trace(model.covariance(model.latent))
    restore = {**back, **{t: trace(k) for k, t in enumerate(algebra.traces, start=1)}}
    coefficients = []
    for k in range(order + 1):
        term = series.terms.get(k, algebra.zero).as_expr()
        coefficients.append(sympy.expand(sympy.expand(term).coeff(SOURCE, 1).xreplace(restore)))
    return coefficients


def loss_observables(model, order):
    """The test loss's coefficient of gamma**-k as a polynomial in traces, for k = 0..order.

    With G = (gamma + Phi Phi^T)^-1 = sum_j (-1)^j gamma^(-j-1) (Phi Phi^T)^j,
    the loss is (s_w/2)[tr L - 2 tr(X Phi^T G F L) + tr(X Phi^T G F L F^T G Phi X^T)]
    + (s_eps/2) tr(Phi^T G F L F^T G Phi), L = Lambda.
    """
    names = namespace(model)
    r = model.regression
    F = [names[m] for m in reversed(r.features)]
    X, Ft = names[r.data], [f.T for f in reversed(F)]
    Lam = names[model.covariance(model.latent)]
    Phi, PhiT = F + [X], [X.T] + Ft

    def trace(*parts):
        return Trace(MatMul(*[m for part in parts for m in (part if isinstance(part, list) else [part])]))

    def gram(j):
        return (Phi + PhiT) * j

    observables = []
    for k in range(order + 1):
        teacher = trace(Lam) if k == 0 else -2 * (-1) ** (k - 1) * trace(X, PhiT, gram(k - 1), F, Lam)
        noise = sympy.Integer(0)
        for j in range(k - 1):
            teacher += (-1) ** k * trace(X, PhiT, gram(j), F, Lam, Ft, gram(k - 2 - j), Phi, X.T)
            noise += (-1) ** k * trace(PhiT, gram(j), F, Lam, Ft, gram(k - 2 - j), Phi)
        observables.append(r.teacher_variance / 2 * teacher + r.noise_variance / 2 * noise)
    return observables


def diagram_coefficients(model=None, order=4, planar=True):
    """Coefficients of gamma**-k, k = 0..order, of the test loss, summed over (planar) diagrams."""
    model = model or mrs()
    return [expectation(obs, model, planar=planar) for obs in loss_observables(model, order)]


def diagram_count(observable, model, planar=True):
    """How many (planar) Wick contractions the traces of an observable have."""
    total = 0
    for _, words in parse_observable(observable, model):
        if planar and len(words) == 1:
            total += planar_count(words[0], model)
        elif words:
            graphs = contractions(words, model)
            total += sum(1 for g in graphs if g.planar or not planar)
    return total
