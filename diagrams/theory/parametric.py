"""The ridgeless limit, derived from the planar equations.

At beta = 0 every latent summand of the planar theory is a rational function
of lambda whose only pole is at lambda = -Delta, the renormalised ridge. Written
in x = lambda/(lambda + Delta) it is a polynomial, so every spectral sum is a
combination of the effective dimensions

    n_k = sum_I (lambda_I / (lambda_I + Delta))**k,

and the equations become algebraic. Trading one self-energy for Delta, they
can be solved for the other self-energies *and for the ridge*: gamma is an
explicit function of Delta (through n_1). The ridgeless limit is a zero of
that function; on the physical branch (all self-energies negative) the zero
is the smallest of its roots in n_1, and each root gives one regime. The loss
in each regime is the limit of the parametric loss there; at a double root
(two regimes meeting) the loss diverges and the small-ridge expansion shows
how the ridge regularises it.

Examples
--------
>>> from largen.diagrams import mrs
>>> limit = ridgeless(mrs())
>>> limit.gamma
Delta*sigma_u**2*(-N + n1)*(-P + n1)/M
>>> [str(r.n1) for r in limit.regimes]
['N', 'P']
"""

from dataclasses import dataclass
from functools import cached_property

import sympy
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError as NonInvertibleMatrixError

from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.errors import CostError, LargenError, ModelError
from largen.diagrams.printing.latex import display
from largen.diagrams.engine.model import mrs, untie_ridge, vanishing_features
from largen.diagrams.engine.spectral import DELTA, SOURCE, effective_dimension, in_effective_dimensions

__all__ = ["RidgelessRegime", "Ridgeless", "ridgeless", "ParametricLosses", "parametric_losses"]


@dataclass(frozen=True)
class RidgelessRegime:
    """One ridgeless regime: n_1 tends to ``n1``, smaller than every other root."""

    n1: sympy.Expr
    others: tuple
    loss: sympy.Expr

    @property
    def condition(self):
        return sympy.And(*[sympy.StrictLessThan(self.n1, o) for o in self.others])

    def _latex(self, printer):
        n1 = printer._print(effective_dimension(1))
        return (rf"L = {printer._print(self.loss)} \quad \text{{as }} {n1} \to {printer._print(self.n1)}"
                rf" \quad \text{{when }} {printer._print(self.condition)}")

    def _repr_latex_(self):
        return display(self)


@dataclass(frozen=True)
class Ridgeless:
    """The planar theory in terms of Delta and the effective dimensions.

    ``solution`` gives the self-energies, ``gamma`` the ridge and ``loss`` the
    test loss, all as functions of Delta and of n_1, n_2, ...
    """

    model: object
    solution: dict
    gamma: sympy.Expr
    loss: sympy.Expr

    def _latex(self, printer):
        gamma = printer._print(self.model.regression.ridge)
        return (rf"\begin{{aligned}}{gamma} &= {printer._print(self.gamma)} \\ "
                rf"L &= {printer._print(self.loss)}\end{{aligned}}")

    def _repr_latex_(self):
        return display(self)

    @cached_property
    def regimes(self):
        n1 = effective_dimension(1)
        roots = sympy.solve(sympy.numer(sympy.together(self.gamma)), n1)
        if not roots:
            raise LargenError("the ridge does not vanish for any effective dimension")
        regimes = []
        for root in roots:
            others = tuple(r for r in roots if r != root)
            loss = sympy.limit(self.loss, n1, root, dir="-")
            regimes.append(RidgelessRegime(root, others, sympy.factor(loss)))
        return regimes

    def near_threshold(self, order=1):
        """Where two regimes meet (n_1 -> N = P, say): the loss in powers of sqrt(gamma).

        Sets the two roots equal, writes n_1 = root - delta, and returns the
        leading term of gamma in delta and the loss's coefficients
        ``{power of delta: coefficient}`` from delta**-1 to delta**(order - 1).
        """
        regimes = self.regimes
        if len(regimes) < 2:
            raise LargenError("only one regime: there is no threshold")
        a, b = regimes[0].n1, regimes[1].n1
        sizes = sorted((a - b).free_symbols & set(self.model.sizes.values()), key=str)
        if not sizes:
            raise LargenError("the regimes do not meet")
        meet = {sizes[-1]: sympy.solve(a - b, sizes[-1])[0]}  # e.g. P = N
        delta = sympy.Symbol("delta", positive=True)
        at = {effective_dimension(1): a.xreplace(meet) - delta}
        gamma = sympy.series(self.gamma.xreplace(meet).xreplace(at), delta, 0, 3).removeO()
        loss = sympy.series(self.loss.xreplace(meet).xreplace(at), delta, 0, order).removeO()
        coefficients = {}
        for term in sympy.Add.make_args(sympy.expand(sympy.apart(sympy.together(loss), delta))):
            coefficient, power = term.as_coeff_exponent(delta)
            coefficients[int(power)] = coefficients.get(int(power), 0) + coefficient
        return sympy.factor(gamma), {p: sympy.factor(c) for p, c in sorted(coefficients.items())}


def ridgeless(model=None):
    """Derive the parametric form of the planar theory and its ridgeless regimes.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.

    Returns
    -------
    Ridgeless

    Raises
    ------
    ModelError
        When the features vanish (a variance of 0).
    CostError
        For nonlinear features over more than one layer, whose exact elimination is refused.
    """
    model = untie_ridge(model or mrs())  # gamma(Delta) moves the ridge alone, at fixed variances
    vanishing = vanishing_features(model)
    if vanishing:
        raise ModelError(f"the features of model {model.name} vanish (the variance of {', '.join(vanishing)} is 0): "
                         "the renormalised ridge is infinite, and there is no parametric form")
    layers = len(model.feature_spaces) - 1
    if model.regression.equivalent is not None and layers > 1:
        # measured: the ladder of deep2's Gaussian equivalent, eliminated over rational functions of its 13
        # symbols, spends minutes in multivariate gcds (one layer: 2 s; three linear layers: 1 s)
        raise CostError(f"the parametric form of model {model.name} (nonlinear features over {layers} layers) is "
                        "not derived: its exact elimination over rational functions of every symbol was measured "
                        "at minutes (one nonlinear layer: seconds); the planar equations and the solver serve it")
    theory = planar_theory(model)
    rho = theory.self_energy("rho", model.latent)
    (rho_of_delta,) = sympy.solve(sympy.Eq(DELTA, theory.renormalized_ridge), rho)
    trade = {rho: rho_of_delta}

    def reduce(expr):
        return in_effective_dimensions(expr.xreplace(trade))

    unknowns = [u for u in theory.unknowns if u != rho] + [theory.ridge]
    equations = [reduce(eq.lhs - eq.rhs.subs(SOURCE, 0)) for eq in theory.equations]
    # check=False: the solution is checked below by being unique; sympy's checks and
    # simplifications cost most of the time here
    solutions = sympy.solve(equations, unknowns, dict=True, check=False, simplify=False)
    if len(solutions) != 1:
        raise LargenError(f"the parametric equations have {len(solutions)} solutions, expected one")
    (solution,) = solutions
    solution = {k: sympy.factor(v) for k, v in solution.items()}
    loss, rates, ladder = theory.test_loss
    # the ladder is linear in the rates, with rational entries: solved, and the loss
    # formed, in the field of rational functions, where no expression is simplified
    matrix, right = sympy.linear_eq_to_matrix([reduce(eq.lhs - eq.rhs).xreplace(solution) for eq in ladder], rates)
    row, constant = sympy.linear_eq_to_matrix([reduce(loss).xreplace(solution)], rates)  # loss = row.rates - constant
    matrix, right, row, constant = _over_one_field(matrix, right, row, constant)
    try:
        value = (row * matrix.lu_solve(right) - constant).to_Matrix()[0, 0]
    except NonInvertibleMatrixError:
        raise LargenError("the ladder equations of the test loss have no unique solution") from None
    # no factor: the loss's numerator is irreducible, and factoring it runs Wang's algorithm,
    # whose random evaluation points made the time vary from 1 s to minutes between runs
    return Ridgeless(model, solution, solution.pop(theory.ridge), sympy.factor_terms(value))


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
    >>> p = parametric_losses(mrs())
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



def _over_one_field(*matrices):
    """The sympy matrices as DomainMatrix over one field (rational functions of their symbols)."""
    converted = [DomainMatrix.from_Matrix(m) for m in matrices]
    domain = converted[0].domain
    for m in converted[1:]:
        domain = domain.unify(m.domain)
    if not domain.is_Field:
        domain = domain.get_field()
    return [m.convert_to(domain) for m in converted]
