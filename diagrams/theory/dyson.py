"""Planar resummation: the Schwinger-Dyson equations of a ridge-regression model.

The planar diagrams of the pencil's resolvent are the rainbow diagrams nested
inside each other: the dressed propagator of a field p is the inverse of its
block of Q_0 minus a self-energy, and the self-energy is one Gaussian
propagator with the dressed propagator of the field at its other end, summed
over the independent Gaussian matrices that meet p,

    Sigma_p = sum_q c**2 * v * tr R_q,      R = (Q_0 - Sigma)^-1,

with c the coupling of the Gaussian matrix between p and q, v its entry
variance, and the covariance Lambda weighting the trace (and the self-energy)
on the side of a dressed matrix's rows. Crossed and twisted contractions are
non-planar. Because every block of Q_0 - Sigma is diagonal in the index basis,
R is found space by space by inverting a 1 x 1 or 2 x 2 matrix, and a trace
over the latent space is a spectral sum sum_I f(lambda_I).

:func:`planar_theory` derives these equations for any model of the class, and
with them the test loss and the training loss (see :mod:`largen.diagrams.theory.pencil`).

Examples
--------
>>> from largen.diagrams import mrs
>>> theory = planar_theory(mrs())
>>> len(theory.equations), [str(s) for s in theory.unknowns]
(4, ['Sigma_theta', 'Sigma_mu_M', 'Sigma_rho_M', 'Sigma_nu'])
>>> theory.equations[1]
Eq(Sigma_mu_M, N*sigma_u**2/(M*(Sigma_theta - gamma)))
>>> planar_theory(mrs(nonlinear=True)).equations[3]  # xi adds a rainbow to Sigma_nu, and one to Sigma_theta
Eq(Sigma_nu, N*mu_star**2/(Sigma_theta - beta*mu_star**2 - gamma) - Sum(-Sigma_mu_M*lambda[I]/(Sigma_mu_M*Sigma_rho_M*lambda[I] - Sigma_mu_M*beta*lambda[I] + 1), (I, 1, M)))
"""

from dataclasses import dataclass, replace
from functools import cached_property

import sympy

from largen.diagrams.errors import ModelError
from largen.diagrams.printing.latex import display
from largen.diagrams.engine.model import mrs
from largen.diagrams.theory.pencil import ridge_pencil
from largen.diagrams.engine.spectral import EIGENVALUE, SOURCE, TEACHER, TRAIN_SOURCE, spectral_sum

__all__ = ["PlanarTheory", "planar_theory", "dressed", "partners", "dressed_block", "field_trace"]


@dataclass(frozen=True)
class PlanarTheory:
    """The planar self-consistent equations of a model, and its observables.

    Attributes
    ----------
    pencil : Pencil
        The pencil whose fields the self-energies dress (:mod:`largen.diagrams.theory.pencil`).
    unknowns : tuple of Symbol
        The self-energies, one per field of the pencil, in its order.
    equations : tuple of Eq
        ``Eq(Sigma_p, rhs)``: the Schwinger-Dyson equations; rhs depends on the
        unknowns, the ridge, the source ``beta`` (zero for the physical
        problem) and spectral sums.
    propagators : dict
        Field name -> dressed propagator (a function of ``lambda`` on the latent space).
    generating : Expr
        E_min(beta): the minimal training objective with the test-loss source.

    Examples
    --------
    >>> theory = planar_theory(mrs())
    >>> theory.self_energy("rho", "M"), theory.propagator("nu")
    (Sigma_rho_M, -1/(Sigma_nu - 1))
    """

    model: object
    pencil: object
    unknowns: tuple
    equations: tuple
    propagators: dict
    generating: sympy.Expr

    @property
    def ridge(self):
        return self.model.regression.ridge

    def self_energy(self, role, space=None):
        """The self-energy (an unknown) of the field of ``role`` (see :meth:`Pencil.find`)."""
        return self.unknowns[self.pencil.fields.index(self.pencil.find(role, space))]

    def propagator(self, role, space=None):
        """The dressed propagator of the field of ``role``, in the unknowns (and ``lambda`` on the latent space)."""
        return self.propagators[self.pencil.find(role, space).name]

    @cached_property
    def renormalized_ridge(self):
        """Delta: the latent propagator is proportional to lambda/(lambda + Delta) at beta = 0.

        The pole of the dressed propagator of ``mu`` on the latent space, in terms of the unknowns.
        """
        propagator = sympy.together(self.propagator("mu", self.model.latent).subs(SOURCE, 0))
        pole = sympy.Poly(sympy.denom(propagator), EIGENVALUE)
        if pole.degree() != 1:
            raise ModelError(f"the latent propagator of model {self.model.name} has no single pole in lambda")
        slope, value = pole.all_coeffs()  # the pole sits at lambda = -value/slope
        return sympy.factor_terms(sympy.cancel(value / slope))

    @property
    def conditions(self):
        """The physical branch: every self-energy is negative (all loop factors positive)."""
        return tuple(sympy.StrictLessThan(s, 0) for s in self.unknowns)

    # -- observables by implicit differentiation (the ladder equations) --------
    def derivative(self, variable):
        """d E_min / d variable, with the unknowns following the equations.

        Returns ``(expression, rates, ladder)``: the derivative in terms of the
        unknowns and of their rates ``d Sigma_p / d variable``, which solve the
        linear ``ladder`` equations (the ladder resummation of the two-point
        function).
        """
        rates = tuple(sympy.Symbol(f"d{s.name}_d{variable.name}") for s in self.unknowns)
        ladder = tuple(
            sympy.Eq(rate, sympy.diff(eq.rhs, variable) + sum(sympy.diff(eq.rhs, s) * r for s, r in zip(self.unknowns, rates)))
            for rate, eq in zip(rates, self.equations)
        )
        expression = sympy.diff(self.generating, variable) + sum(
            sympy.diff(self.generating, s) * r for s, r in zip(self.unknowns, rates))
        return expression, rates, ladder

    @cached_property
    def test_loss(self):
        """(expression, rates, ladder) of the test loss d E_min / d beta at beta = 0."""
        expression, rates, ladder = self.derivative(SOURCE)
        at_zero = {SOURCE: 0}
        return expression.subs(at_zero), rates, tuple(sympy.Eq(e.lhs, e.rhs.subs(at_zero)) for e in ladder)

    @cached_property
    def train_loss(self):
        """(expression, rates, ladder) of the training loss, -(1/P) dE_min/d beta_train at zero sources.

        Shifting the diagonal of the sample field nu from 1 to 1 + beta_train turns
        E_min into the average of (1/2) y^T (1 + beta_train + Phi^T Phi/gamma)^-1 y, whose
        derivative is -(1/2) y^T R^2 y with R = gamma (gamma + Phi^T Phi)^-1 the map from
        the labels to the training residuals. The training loss (1/2P) |R y|^2 is
        therefore -(1/P) dE_min/d beta_train. It equals (E_min - gamma dE_min/dgamma)/P,
        but is not a difference: it keeps its digits where the training loss vanishes
        (N >> P interpolates) while E_min and gamma dE_min/dgamma do not. The shift
        enters the nu block as 1 + beta_train - Sigma_nu, so it is Sigma_nu -> Sigma_nu -
        beta_train in the equations and in E_min (:meth:`train_shift`).
        """
        shift = self.train_shift()
        shifted = replace(self, equations=tuple(sympy.Eq(e.lhs, e.rhs.xreplace(shift)) for e in self.equations),
                                      generating=self.generating.xreplace(shift))
        expression, rates, ladder = shifted.derivative(TRAIN_SOURCE)
        samples = self.model.spaces[self.model.samples]
        at_zero = {SOURCE: 0, TRAIN_SOURCE: 0}
        return ((-expression / samples).subs(at_zero), rates,
                tuple(sympy.Eq(e.lhs, e.rhs.subs(at_zero)) for e in ladder))

    def train_shift(self):
        """The substitution by which the training-loss source enters: Sigma_nu -> Sigma_nu - beta_train."""
        nu = self.self_energy("nu")
        return {nu: nu - TRAIN_SOURCE}

    def _latex(self, printer):
        lines = [rf"{printer._print(eq.lhs)} &= {printer._print(eq.rhs)}" for eq in self.equations]
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    def _repr_latex_(self):
        return display(self)


def planar_theory(model=None):
    """Derive the planar Schwinger-Dyson equations of a ridge-regression model.

    Nothing in this function knows which model it is given: the equations come
    from the pencil of :func:`largen.diagrams.theory.pencil.ridge_pencil`, one per field.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.

    Returns
    -------
    PlanarTheory

    Examples
    --------
    >>> planar_theory().self_energy("theta")
    Sigma_theta
    """
    model = model or mrs()
    pencil = ridge_pencil(model)
    sigma = {f.name: sympy.Symbol(f"Sigma_{f.name}") for f in pencil.fields}
    propagators = {}
    for space in dict.fromkeys(f.space for f in pencil.fields):
        names = [f.name for f in pencil.on(space)]
        inverse = dressed_block(pencil, sigma, space).inv()
        for i, name in enumerate(names):
            propagators[name] = sympy.factor(sympy.cancel(inverse[i, i]))

    def trace(field, weighted, teacher=False):
        entry = propagators[field] * (EIGENVALUE if weighted else 1) * (TEACHER if teacher else 1)
        return field_trace(pencil, field, entry)

    equations = []
    for field in pencil.fields:
        energy = sum(c.coefficient**2 * c.matrix.variance * trace(other, weighted)
                     for c, other, weighted in partners(pencil, field.name))
        equations.append(sympy.Eq(sigma[field.name], energy))

    r = model.regression
    # the teacher's covariance Omega weighs its trace: E w^T w = teacher variance * Omega
    generating = (r.teacher_variance / 2 * trace(pencil.find("mu", model.latent).name, False,
                                                 model.teacher(model.latent) is not None)
                  + r.noise_variance / 2 * trace(pencil.find("nu").name, False))
    return PlanarTheory(model, pencil, tuple(sigma.values()), tuple(equations), propagators, generating)


def dressed(pencil, field):
    """Whether the self-energy of ``field`` carries Lambda (the row side of a dressed matrix).

    Examples
    --------
    >>> pencil = ridge_pencil(mrs())
    >>> [f.name for f in pencil.fields if dressed(pencil, f.name)]
    ['rho_M']
    """
    sides = {c.matrix.dressed and c.rows == field for c in pencil.gaussians(field)}
    if len(sides) != 1:
        raise ModelError(f"model {pencil.model.name}: field {field} meets dressed and undressed matrices")
    return sides.pop()


def partners(pencil, field):
    """``(coupling, other, weighted)`` for each Gaussian coupling at ``field``: the field at its
    other end, and whether the trace over that field carries Lambda (it is the dressed rows).
    Independent matrices meeting one field add their rainbows to its self-energy.

    Examples
    --------
    >>> [(c.matrix.name, other, weighted) for c, other, weighted in partners(ridge_pencil(mrs()), "nu")]
    [('X', 'rho_M', True)]
    """
    found = []
    for c in pencil.gaussians(field):
        other = c.cols if c.rows == field else c.rows
        found.append((c, other, c.matrix.dressed and other == c.rows))
    return tuple(found)


def dressed_block(pencil, sigma, space):
    """The block of Q_0 - Sigma on ``space``: one row per field on it, diagonal in the index.

    ``sigma`` maps field names to their self-energies; a dressed field's enters
    times ``lambda``. Its inverse is the planar propagator on that space.

    Examples
    --------
    >>> pencil = ridge_pencil(mrs())
    >>> dressed_block(pencil, {f.name: 0 for f in pencil.fields}, "M").tolist()
    [[0, I], [I, beta*lambda]]
    """
    names = [f.name for f in pencil.on(space)]
    block = sympy.zeros(len(names))
    for i, name in enumerate(names):
        block[i, i] = pencil.field(name).diagonal - sigma[name] * (EIGENVALUE if dressed(pencil, name) else 1)
    for c in pencil.couplings:
        if c.matrix is None and c.rows in names:
            i, j = names.index(c.rows), names.index(c.cols)
            block[i, j] = block[j, i] = c.coefficient
    return block


def field_trace(pencil, field, entry):
    """The trace over the space of ``field`` of a diagonal ``entry`` (a function of ``lambda``
    on the latent space): a spectral sum there, the size times the entry elsewhere.

    Examples
    --------
    >>> field_trace(ridge_pencil(mrs()), "theta", 2)
    2*N
    """
    model = pencil.model
    space = pencil.field(field).space
    if space == model.latent:
        return spectral_sum(entry, model.spaces[space])
    return model.spaces[space] * entry
