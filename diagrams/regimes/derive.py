"""The one verb of the regimes: :func:`derive_regimes`, at a number or piecewise in the teacher exponent.

May import: the other modules of :mod:`largen.diagrams.regimes`.
"""

import sympy

from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.spectral import DELTA
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import ParameterError
from largen.diagrams.regimes.asymptotics import ALPHA, LAMBDA_PLUS, TEACHER_DELTA
from largen.diagrams.regimes.delta_ranges import _renamed, piecewise_regimes
from largen.diagrams.regimes.families import X, _DELTA_VAR, regimes_at

__all__ = ["derive_regimes"]


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
    [(-delta - 1, -1, 1), (-2, 1, 3), (-2, 3, 5), (-2, 5, oo)]
    """
    model = model or mrs()
    delta = None if delta is None else as_expr(delta)
    if delta is not None and delta.is_Symbol:
        taken = {str(s) for s in (ALPHA, LAMBDA_PLUS, DELTA, X, _DELTA_VAR)} | set(model.symbols)
        if delta != TEACHER_DELTA and str(delta) in taken:
            raise ParameterError(f"the teacher exponent cannot be named {delta}: the derivation uses that name")
        if latent != sympy.oo:
            raise ParameterError("the regimes in a symbolic teacher exponent are derived at M = oo")
        pieces = piecewise_regimes(with_teacher(model), as_expr(alpha), noise)
        return pieces if delta == TEACHER_DELTA else _renamed(pieces, delta)
    return regimes_at(model, alpha=alpha, latent=latent, noise=noise, delta=delta)


