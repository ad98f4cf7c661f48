"""The linear pencil of ridge regression: the regression as one Gaussian block matrix.

For features F = U_L ... U_1 and data X (latent x samples), introduce a field
for each step of the chain: theta on the last width, a pair (mu_s, rho_s) on
every earlier space s of the chain (rho_s = theta U_L ... carried down to s,
mu_s its Lagrange multiplier), and nu on the samples. The quadratic form of
these fields is a block matrix Q = Q_0 + Q_G, linear in the Gaussian matrices:

    Q_0: gamma on theta, i between mu_s and rho_s, 1 on nu, and a source
         beta * Lambda on rho_M;
    Q_G: -i U_l between the neighbouring fields of its two spaces, -i X
         between rho_M and nu (and the transposes).

Eliminating the fields one by one (Schur complements) gives, with
C_beta = X X^T + beta Lambda,

    (Q^-1)_{mu_M}  = (C_beta^-1 + F^T F / gamma)^-1
                   = C_beta - C_beta F^T (gamma + F C_beta F^T)^-1 F C_beta,
    (Q^-1)_{nu}    = 1 - Phi^T (gamma + F C_beta F^T)^-1 Phi.

Adding (beta/2) x (test loss) to the training objective and minimising over
theta shows that, per output and averaged over the teacher and the noise,

    E_min(beta) = sigma_w-variance/2 * tr Omega (Q^-1)_{mu_M} + noise-variance/2 * tr (Q^-1)_{nu},

with Omega the teacher covariance (E w^T w per output, over the teacher variance;
Omega = 1 for the isotropic teacher). Omega weighs only this trace: the
self-energies, and so the equations, do not depend on it.

so that the test loss is d E_min / d beta at beta = 0 and the training loss is
(E_min - gamma d E_min / d gamma) / P (the envelope theorem). Every observable
of the regression is thus a derivative of one resolvent of one Gaussian pencil.

Nonlinear features by their Gaussian equivalent (:func:`largen.diagrams.engine.model.gaussian_equivalent`),
Phi = mu_1 F X + xi, change two blocks and add one: the last feature coupling
becomes -i mu_1 U_L; xi couples theta to nu directly (-i xi); and the test
point's own xi_test adds (beta/2) mu_star**2 |theta|**2 to the objective, so
theta's diagonal is gamma + beta mu_star**2. Eliminating nu and writing the
teacher's residual r = w - mu_1 theta F as a field shows that the same two traces
still give E_min(beta).

Examples
--------
>>> from largen.diagrams import mrs
>>> [f.name for f in ridge_pencil(mrs()).fields]
['theta', 'mu_M', 'rho_M', 'nu']
"""

from dataclasses import dataclass

import sympy

from largen.diagrams.errors import ModelError
from largen.diagrams.engine.spectral import EIGENVALUE, SOURCE

__all__ = ["Field", "Coupling", "Pencil", "ROLES", "ridge_pencil"]


@dataclass(frozen=True)
class Field:
    """A block of the pencil: a field on ``space`` with deterministic entry ``diagonal``.

    ``role`` is what the field does in the regression: ``"theta"`` (the
    weights, on the last width), ``"mu"`` (a Lagrange multiplier) and ``"rho"``
    (theta carried down the chain) on each earlier space, ``"nu"`` on the samples.
    """

    name: str
    space: str
    diagonal: sympy.Expr
    role: str


@dataclass(frozen=True)
class Coupling:
    """An off-diagonal block ``coefficient * matrix`` between two fields (``matrix`` None: identity).

    For a Gaussian matrix, ``rows`` is the field on its row space.
    """

    rows: str
    cols: str
    matrix: object
    coefficient: sympy.Expr


ROLES = ("theta", "mu", "rho", "nu")


@dataclass(frozen=True)
class Pencil:
    """The fields of a ridge regression and their couplings (see the module docstring).

    Examples
    --------
    >>> from largen.diagrams import deep_linear
    >>> pencil = ridge_pencil(deep_linear(2))
    >>> pencil.find("mu", "M").name, pencil.find("rho", "N1").name, pencil.find("nu").space
    ('mu_M', 'rho_N1', 'P')
    """

    model: object
    fields: tuple
    couplings: tuple

    def field(self, name):
        return next(f for f in self.fields if f.name == name)

    def find(self, role, space=None):
        """The field of ``role``; on ``space`` for ``"mu"`` and ``"rho"``, which live on every earlier space."""
        if role not in ROLES:
            raise ModelError(f"unknown role {role!r} of a pencil field (one of {', '.join(ROLES)})")
        found = [f for f in self.fields if f.role == role and space in (None, f.space)]
        if len(found) != 1:
            where = f" on {space}" if space is not None else " (name its space)"
            raise ModelError(f"the pencil of {self.model.name} has {len(found)} fields {role}{where}")
        return found[0]

    def gaussians(self, name):
        """The Gaussian couplings at a field: one, or two for theta and nu when xi couples them directly."""
        return [c for c in self.couplings if c.matrix is not None and name in (c.rows, c.cols)]

    def on(self, space):
        """The fields on a space, in order."""
        return [f for f in self.fields if f.space == space]


def ridge_pencil(model):
    """The pencil of a ridge-regression model (a chain of feature matrices and data).

    Parameters
    ----------
    model : Model
        A model with a regression (:func:`largen.diagrams.engine.model.ridge_model`).

    Returns
    -------
    Pencil

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> [f.role for f in ridge_pencil(mrs()).fields]
    ['theta', 'mu', 'rho', 'nu']
    >>> pencil = ridge_pencil(mrs(nonlinear=True))
    >>> pencil.field("theta").diagonal, [(c.rows, c.cols, c.coefficient) for c in pencil.gaussians("theta")]
    (beta*mu_star**2 + gamma, [('theta', 'mu_M', -I*mu_1), ('theta', 'nu', -I)])
    """
    if model.regression is None:
        raise ModelError(f"model {model.name} is not a ridge-regression model")
    r, matrices = model.regression, model.matrices
    chain = model.feature_spaces  # latent space first, last width last
    latent = chain[0]
    equivalent = r.equivalent
    ridge = r.ridge
    if equivalent is not None:  # the test point's xi: (beta/2) mu_star**2 |theta|**2
        ridge = ridge + SOURCE * equivalent.test_variance(model)
    fields = [Field("theta", chain[-1], ridge, "theta")]
    couplings = []
    upper = fields[0]
    for layer in range(len(chain) - 2, -1, -1):
        space = chain[layer]
        mu = Field(f"mu_{space}", space, sympy.Integer(0), "mu")
        rho = Field(f"rho_{space}", space, SOURCE * EIGENVALUE if space == latent else sympy.Integer(0), "rho")
        fields += [mu, rho]
        gain = equivalent.linear if equivalent is not None and upper is fields[0] else 1
        couplings.append(Coupling(upper.name, mu.name, matrices[r.features[layer]], -sympy.I * gain))
        couplings.append(Coupling(mu.name, rho.name, None, sympy.I))
        upper = rho
    fields.append(Field("nu", model.samples, sympy.Integer(1), "nu"))
    couplings.append(Coupling(upper.name, "nu", matrices[r.data], -sympy.I))
    if equivalent is not None:
        couplings.append(Coupling("theta", "nu", matrices[equivalent.matrix], -sympy.I))
    return Pencil(model, tuple(fields), tuple(couplings))
