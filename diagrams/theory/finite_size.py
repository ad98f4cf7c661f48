"""The first finite-size correction: the pencil's loop equations at next-to-planar order.

For a real Gaussian block A between the fields p (its rows) and q (its
columns) of the pencil, with coupling c and entry variance v (the rows
dressed by Lambda when the data matrix), Gaussian integration by parts
(Stein's lemma) on E[Q_G R] in the identity Q_0 E R + E[Q_G R] = 1 gives two
contractions for the row i of p:

    c**2 v w_p(i) [ tr_w(R_qq) R_pi,.  +  sum_j R_pi,qj R_qj,. ],

with w_p = lambda_i when p is the dressed side and tr_w the trace over q,
weighted by Lambda when q is. The first is the planar rainbow: its average,
with the fluctuation of the trace dropped (relative order 1/size**2), is the
self-energy of :mod:`largen.diagrams.theory.dyson`. The second is the *twisted*
contraction: it has no free index loop and is suppressed by one power of the
size. Hence, exactly to relative order 1/size,

    (Q_0 - Sigma(E R)) E R = 1 + T,     T_pk = c**2 v w_p E[(R 1_q R)_pk],

with 1_q the identity on the field q (times Lambda when q is weighted). The
twisted average is a derivative of the resolvent: shifting the diagonal of
the field q in Q_0 by t (the same shift as Sigma_q -> Sigma_q - t) gives
d R/d t = -R 1_q R, so at planar order E[(R 1_q R)_pk] = -d G_pk/d t, with the
rates r_q = d Sigma/d t solving the planar ladder equations with that source.

Writing E R = G + dG with G the planar propagator and dSigma the correction
of the self-energies, the linearised equations are

    dG = G dSigma G + G T,        dSigma_p = c**2 v tr_w dG_qq,

the same Jacobian as the planar ladder acting on dSigma, with the twisted
term as its source; the correction of the generating function is
dE = teacher/2 tr dG_mu + noise/2 tr dG_nu, and the corrections of the test and
training losses follow from it by the sources beta and beta_train, exactly
as the planar losses do (:meth:`largen.diagrams.theory.dyson.PlanarTheory.derivative`).

A complex Gaussian matrix has no twisted contraction (E A_ij A_ij = 0): its
first correction is of genus one, relative order 1/size**2, and its
contribution here is 0.

Nothing in this module knows which model it is given: everything is read off
the pencil.

Examples
--------
>>> from largen.diagrams import mrs
>>> theory = finite_size_theory(mrs())
>>> [str(s) for s in theory.corrections]
['Sigma_1_theta', 'Sigma_1_mu_M', 'Sigma_1_rho_M', 'Sigma_1_nu']
>>> len(theory.extended.unknowns)
24
"""

from dataclasses import dataclass, replace
from functools import cache, cached_property

import sympy

from largen.diagrams.theory.dyson import dressed, dressed_block, field_trace, partners, planar_theory
from largen.diagrams.errors import ModelError
from largen.diagrams.engine.model import Ensemble, mrs
from largen.diagrams.theory.series import abstract_variances, check_order, resummed_coefficients
from largen.diagrams.engine.spectral import EIGENVALUE, TEACHER

__all__ = ["FiniteSizeTheory", "finite_size_theory", "correction_coefficients"]


@dataclass(frozen=True)
class FiniteSizeTheory:
    """The planar theory with its first finite-size correction (see the module docstring).

    Attributes
    ----------
    planar : PlanarTheory
        The planar theory of :func:`largen.diagrams.theory.dyson.planar_theory`.
    rates : dict
        Shifted field q -> the rates d Sigma_s / d t_q, one symbol per self-energy.
    corrections : tuple of Symbol
        dSigma_p, the corrections of the self-energies, in the order of the fields.
    twisted : dict
        Field p -> the row p of the twisted term T on its space: {field k: T_pk}.
    propagators : dict
        Field -> dG, the correction of its dressed propagator.
    extended : PlanarTheory
        The closed system: unknowns Sigma, the rates and dSigma; equations the planar
        ones, the ladders of the rates and the correction equations; generating
        the correction dE of E_min. Its ``test_loss`` and ``train_loss`` are the
        corrections of the losses.
    """

    planar: object
    rates: dict
    corrections: tuple
    twisted: dict
    propagators: dict
    extended: object

    @property
    def model(self):
        return self.planar.model

    @property
    def equations(self):
        """The correction equations dSigma_p = c**2 v tr_w dG_qq (the last block of ``extended``)."""
        return self.extended.equations[-len(self.corrections):]

    @property
    def ladders(self):
        """The ladder equations of the rates d Sigma / d t_q (the middle block of ``extended``)."""
        n = len(self.planar.unknowns)
        return self.extended.equations[n:-len(self.corrections)]

    @cached_property
    def test_loss(self):
        """(expression, rates, ladder) of the correction of the test loss (see :attr:`extended`)."""
        return self.extended.test_loss

    @cached_property
    def train_loss(self):
        """(expression, rates, ladder) of the correction of the training loss."""
        return self.extended.train_loss


@cache
def finite_size_theory(model=None):
    """Derive the next-to-planar correction of a ridge-regression model's equations and losses.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.

    Returns
    -------
    FiniteSizeTheory

    Raises
    ------
    ModelError
        For a Wigner (symmetric or Hermitian) matrix in the pencil: its
        transposed contraction is the matrix itself, which the pencil's
        rectangular couplings do not describe.

    Examples
    --------
    >>> theory = finite_size_theory()
    >>> theory.equations[0].lhs, theory.rates["mu_M"][0]
    (Sigma_1_theta, Sigma_theta_t_mu_M)
    """
    model = model or mrs()
    planar = planar_theory(model)
    pencil = planar.pencil
    fields = [f.name for f in pencil.fields]
    sigma = dict(zip(fields, planar.unknowns))
    for c in pencil.couplings:
        if c.matrix is not None and c.matrix.ensemble.wigner:
            raise ModelError(f"matrix {c.matrix.name} of model {model.name} is a {c.matrix.ensemble.value} Wigner "
                             "matrix: the finite-size correction of the pencil takes rectangular ones")
    spaces = list(dict.fromkeys(f.space for f in pencil.fields))
    names = {space: [f.name for f in pencil.on(space)] for space in spaces}
    propagator = {space: _cancelled(dressed_block(pencil, sigma, space).inv()) for space in spaces}
    rhs = {eq.lhs: eq.rhs for eq in planar.equations}

    # the planar rates of the self-energies under a shift t of the diagonal of the field q
    # (Sigma_q -> Sigma_q - t in the equations): the ladder with the source -d rhs/d Sigma_q
    couplings = {p: partners(pencil, p) for p in fields}
    shifted = list(dict.fromkeys(other for found in couplings.values() for _, other, _ in found))
    rates, ladders = {}, []
    for q in shifted:
        rates[q] = tuple(sympy.Symbol(f"{s.name}_t_{q}") for s in planar.unknowns)
        rate = dict(zip(planar.unknowns, rates[q]))
        for s in planar.unknowns:
            ladders.append(sympy.Eq(rate[s], _shift_rate(rhs[s], sigma[q], rate)))

    # the twisted term, row by row: T_pk = c**2 v w_p (-dG_pk/dt_q)
    twisted = {}
    for p in fields:
        space = pencil.field(p).space
        i = names[space].index(p)
        weight = EIGENVALUE if dressed(pencil, p) else 1
        twisted[p] = {k: sympy.Integer(0) for k in names[space]}
        for c, q, _ in couplings[p]:  # independent matrices: their twisted terms add
            if c.matrix.ensemble is not Ensemble.REAL:
                continue
            rate = dict(zip(planar.unknowns, rates[q]))
            for j, k in enumerate(names[space]):
                twisted[p][k] += (-c.coefficient**2 * c.matrix.variance * weight
                                  * _shift_rate(propagator[space][i, j], sigma[q], rate))

    # dG = G dSigma G + G T on each space: only its diagonal enters the traces
    corrections = tuple(sympy.Symbol(f"Sigma_1_{p}") for p in fields)
    delta = dict(zip(fields, corrections))
    propagators = {}
    for space in spaces:
        G, rows = propagator[space], names[space]
        D = sympy.diag(*[delta[f] * (EIGENVALUE if dressed(pencil, f) else 1) for f in rows])
        T = sympy.Matrix([[twisted[p][k] for k in rows] for p in rows])
        dG = G * D * G + G * T
        for i, f in enumerate(rows):
            propagators[f] = sympy.together(dG[i, i])

    def trace(field, weighted, teacher=False):
        entry = propagators[field] * (EIGENVALUE if weighted else 1) * (TEACHER if teacher else 1)
        return field_trace(pencil, field, entry)

    equations = []
    for p in fields:
        equations.append(sympy.Eq(delta[p], sum(c.coefficient**2 * c.matrix.variance * trace(q, weighted)
                                                for c, q, weighted in couplings[p])))
    r = model.regression
    # a teacher covariance Omega weighs the teacher's trace, as in the planar E_min
    generating = (r.teacher_variance / 2 * trace(pencil.find("mu", model.latent).name, False,
                                                 model.teacher(model.latent) is not None)
                  + r.noise_variance / 2 * trace(pencil.find("nu").name, False))
    extended = replace(planar, unknowns=(*planar.unknowns, *[x for q in shifted for x in rates[q]], *corrections),
                       equations=(*planar.equations, *ladders, *equations), generating=generating)
    return FiniteSizeTheory(planar, rates, corrections, twisted, propagators, extended)


def _cancelled(matrix):
    return matrix.applyfunc(lambda e: sympy.factor(sympy.cancel(e)))


def _shift_rate(expr, shifted, rate):
    """d expr/d t for expr a function of the self-energies, with ``shifted`` -> ``shifted`` - t
    and every self-energy s moving at ``rate[s]``."""
    return -sympy.diff(expr, shifted) + sum(sympy.diff(expr, s) * r for s, r in rate.items())


def correction_coefficients(model=None, order=3):
    """Coefficients of gamma**-k, k = 0..order, of the derived correction of the test loss.

    The correction's equations are iterated as series in 1/gamma (as
    :func:`largen.diagrams.theory.series.theory_coefficients` does for the planar ones); the
    result must equal, coefficient by coefficient, the one-crosscap part of the
    exact diagram sums (:func:`largen.diagrams.theory.series.subleading_coefficients`).

    Examples
    --------
    >>> correction_coefficients(mrs(), 1)
    [0, 0]
    """
    return list(_correction_coefficients(model or mrs(), check_order(order)))


@cache
def _correction_coefficients(model, order):
    abstract, back = abstract_variances(model)
    return tuple(resummed_coefficients(finite_size_theory(abstract).extended, back, order))
