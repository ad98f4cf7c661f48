"""Spectral sums sum_I f(lambda_I) over the latent eigenvalues, and their forms.

The planar theory meets the covariance Lambda only through sums over its
eigenvalues. A summand is written in the symbol ``EIGENVALUE`` (lambda); the
sum over the latent space of size M is a sympy ``Sum`` over ``INDEX`` of the
summand at ``EIGENVALUES[INDEX]``. A teacher covariance Omega, diagonal in the
same basis, enters the same sums through its own per-index symbol
``TEACHER`` (omega, at ``TEACHER_WEIGHTS[INDEX]``). The forms of a spectral sum used downstream
live here too: the power sums tr Lambda**k (:func:`covariance_trace`), the
effective dimensions n_k = sum_I (lambda_I/(lambda_I + Delta))**k of the
ridgeless limit, and the moments of a single-pole summand
(:func:`moment_form`) that the numerical solver evaluates.

Examples
--------
>>> M = sympy.Symbol("M", positive=True, integer=True)
>>> spectral_sum(EIGENVALUE**2, M)
Sum(lambda[I]**2, (I, 1, M))
"""

from functools import cache

import sympy

from largen.diagrams.errors import ExpressionError, SolverError
from largen.diagrams.engine.symbols import as_expr

__all__ = [
    "EIGENVALUE", "TEACHER", "SOURCE", "TRAIN_SOURCE", "INDEX", "EIGENVALUES", "TEACHER_WEIGHTS", "DELTA",
    "spectral_sum", "summand", "CovarianceTrace", "covariance_trace", "dimension_order", "teacher_parts",
    "effective_dimension", "in_effective_dimensions", "moment_form",
]

EIGENVALUE = sympy.Symbol("lambda", positive=True)  # a latent eigenvalue, inside spectral sums
TEACHER = sympy.Symbol("omega", positive=True)  # the teacher covariance's entry at that index
SOURCE = sympy.Symbol("beta")  # the source of the test loss
# the source of the training loss: a shift of the sample field's diagonal (see PlanarTheory.train_loss)
TRAIN_SOURCE = sympy.Symbol("beta_train")
INDEX = sympy.Symbol("I", integer=True, positive=True)
EIGENVALUES = sympy.IndexedBase("lambda", positive=True)
TEACHER_WEIGHTS = sympy.IndexedBase("omega", positive=True)
DELTA = sympy.Symbol("Delta", positive=True)  # the renormalised ridge


def spectral_sum(function, size):
    """sum_{I=1}^{size} function(lambda_I), for a summand written in ``EIGENVALUE``.

    Parameters
    ----------
    function : Expr
        The summand, a function of ``EIGENVALUE``.
    size : Expr
        The number of eigenvalues (the latent size).

    Returns
    -------
    Sum
        Inverted by :func:`summand`.

    Examples
    --------
    >>> M = sympy.Symbol("M")
    >>> spectral_sum(EIGENVALUE / (EIGENVALUE + 1), M)
    Sum(lambda[I]/(lambda[I] + 1), (I, 1, M))
    """
    indexed = {EIGENVALUE: EIGENVALUES[INDEX], TEACHER: TEACHER_WEIGHTS[INDEX]}
    return sympy.Sum(as_expr(function).xreplace(indexed), (INDEX, 1, size))


def summand(total):
    """The inverse of :func:`spectral_sum`: ``(summand in EIGENVALUE, size)``.

    Parameters
    ----------
    total : Sum
        A spectral sum, as built by :func:`spectral_sum`.

    Returns
    -------
    (Expr, Expr)

    Raises
    ------
    ExpressionError
        If ``total`` is not a sum over the eigenvalues from 1 to a size.

    Examples
    --------
    >>> M = sympy.Symbol("M")
    >>> summand(spectral_sum(EIGENVALUE**2 + 1, M))
    (lambda**2 + 1, M)
    """
    if not isinstance(total, sympy.Sum) or len(total.limits) != 1 or total.limits[0][:2] != (INDEX, 1):
        raise ExpressionError(f"{total} is not a spectral sum over the eigenvalues lambda_I, I = 1..size")
    ((_, _, size),) = total.limits
    return total.function.xreplace({EIGENVALUES[INDEX]: EIGENVALUE, TEACHER_WEIGHTS[INDEX]: TEACHER}), size


class CovarianceTrace(sympy.Function):
    """tr C**k for a diagonal covariance C: the spectral power sum sum_I lambda_I**k.

    With a teacher covariance W in the same basis, ``tr_C_W(k, j)`` is
    tr C**k W**j = sum_I lambda_I**k omega_I**j (``teacher`` names W).
    """

    nargs = 1
    covariance = "Lambda"
    teacher = None

    def _latex(self, printer, exp=None):
        k = printer._print(self.args[0])
        tex = rf"\operatorname{{tr}}{printer._print(sympy.Symbol(self.covariance))}^{{{k}}}"
        if self.teacher is not None:
            tex += rf"{printer._print(sympy.Symbol(self.teacher))}^{{{printer._print(self.args[1])}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def covariance_trace(name="Lambda", teacher=None):
    """The sympy function ``tr_<name>`` with ``tr_<name>(k) = tr <name>**k``; with a ``teacher``
    covariance W, ``tr_<name>_<W>(k, j) = tr <name>**k W**j``.

    Examples
    --------
    >>> tr = covariance_trace()
    >>> tr(2), sympy.latex(tr(2))
    (tr_Lambda(2), '\\\\operatorname{tr}\\\\Lambda^{2}')
    >>> covariance_trace("Lambda") is tr
    True
    >>> mixed = covariance_trace("Lambda", "Omega")
    >>> mixed(1, 1), sympy.latex(mixed(1, 1))
    (tr_Lambda_Omega(1, 1), '\\\\operatorname{tr}\\\\Lambda^{1}\\\\Omega^{1}')
    """
    return _covariance_trace_class(name, teacher)


@cache
def _covariance_trace_class(name, teacher):
    # one class per covariance name, so that equal traces compare equal
    if teacher is None:
        return type(f"tr_{name}", (CovarianceTrace,), {"covariance": name})
    return type(f"tr_{name}_{teacher}", (CovarianceTrace,), {"covariance": name, "teacher": teacher, "nargs": 2})


def teacher_parts(f):
    """A summand linear in the teacher's entry omega as (part without omega, coefficient of omega).

    Raises
    ------
    ExpressionError
        When omega enters other than linearly (the loss is linear in the teacher's covariance).

    Examples
    --------
    >>> teacher_parts(EIGENVALUE + TEACHER * EIGENVALUE**2)
    (lambda, lambda**2)
    """
    f = as_expr(f)
    if not f.has(TEACHER):
        return f, sympy.Integer(0)
    polynomial = sympy.Poly(f, TEACHER)
    if polynomial.degree() > 1:
        raise ExpressionError(f"the spectral summand {f} is not linear in the teacher's {TEACHER}")
    return polynomial.coeff_monomial(1), polynomial.coeff_monomial(TEACHER)


def effective_dimension(k, teacher=False):
    """The symbol n_k = sum_I (lambda_I/(lambda_I + Delta))**k; with ``teacher``, the teacher's
    m_k = sum_I omega_I (lambda_I/(lambda_I + Delta))**k.

    Examples
    --------
    >>> effective_dimension(2), effective_dimension(1, teacher=True)
    (n2, m1)
    """
    symbol = sympy.Symbol(f"{'m' if teacher else 'n'}{k}", positive=True)
    _DIMENSIONS[symbol] = (k, teacher)
    return symbol


_DIMENSIONS = {}  # each effective dimension made, with its order and whether it is the teacher's


def dimension_order(symbol):
    """(k, teacher) of an effective dimension made by :func:`effective_dimension`, else None.

    Examples
    --------
    >>> dimension_order(effective_dimension(3)), dimension_order(sympy.Symbol("n3"))
    ((3, False), None)
    """
    return _DIMENSIONS.get(symbol)


def in_effective_dimensions(expr, delta=DELTA):
    """``expr`` with every spectral sum written in the effective dimensions n_k (and m_k).

    A summand that is a polynomial in x = lambda/(lambda + delta),
    sum_k c_k x**k, sums to sum_k c_k n_k, with n_0 the size; the teacher's
    omega times such a polynomial sums to sum_k c_k m_k (m_0 = tr Omega).

    Parameters
    ----------
    expr : Expr
        An expression whose spectral sums have summands rational in
        ``EIGENVALUE`` with their only pole at ``-delta``.
    delta : Expr
        The pole, ``DELTA`` by default.

    Returns
    -------
    Expr

    Raises
    ------
    ExpressionError
        If a summand is not a polynomial in lambda/(lambda + delta).

    Examples
    --------
    >>> M = sympy.Symbol("M")
    >>> lam = EIGENVALUE
    >>> in_effective_dimensions(1 + spectral_sum(lam * (lam + 2 * DELTA) / (lam + DELTA)**2, M))
    2*n1 - n2 + 1
    >>> in_effective_dimensions(spectral_sum(TEACHER * lam * DELTA / (lam + DELTA)**2, M))
    m1 - m2
    """
    x = sympy.Dummy("x", positive=True)

    def in_x(function):
        converted = sympy.cancel(function.xreplace({EIGENVALUE: delta * x / (1 - x)}))
        try:
            return sympy.Poly(converted, x).terms()
        except sympy.PolynomialError:
            raise ExpressionError(f"the spectral sum of {function} is not a polynomial in "
                                  f"lambda/(lambda + {delta})") from None

    def convert(total):
        function, size = summand(total)
        plain, weighted = teacher_parts(function)
        return (sum(c * (effective_dimension(k) if k else size) for (k,), c in in_x(plain))
                + sum(c * effective_dimension(k, teacher=True) for (k,), c in in_x(weighted)))

    return expr.replace(lambda e: isinstance(e, sympy.Sum), convert)


def moment_form(f):
    """A spectral summand as moments: sum_I f(lambda_I) = sum_j c_j T_{j,b}(p).

    ``f`` must be rational in lambda with at most one pole, -p: then
    f = sum_j c_j lambda**j / (lambda + p)**b, and its sum over the spectrum is a
    combination of the moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b of
    :meth:`largen.solver.numerics.spectrum.Spectrum.moments`.

    Returns
    -------
    (p, b, {j: c_j})

    Examples
    --------
    >>> lam = EIGENVALUE
    >>> x = sympy.Symbol("x", positive=True)
    >>> moment_form(lam / (x * lam + 1))
    (1/x, 1, {1: 1/x})
    """
    numerator, denominator = sympy.fraction(sympy.cancel(sympy.together(f)))
    _, factors = sympy.factor_list(denominator, EIGENVALUE)
    poles = [(f, m) for f, m in factors if f.has(EIGENVALUE)]
    if len(poles) > 1 or any(sympy.degree(f, EIGENVALUE) != 1 for f, _ in poles):
        raise SolverError(f"the spectral summand {f} has more than one pole in {EIGENVALUE}: "
                          "the solver sums single-pole summands only")
    if poles:
        (factor, b), = poles
        k1, k0 = sympy.Poly(factor, EIGENVALUE).all_coeffs()
        p = sympy.cancel(k0 / k1)
    else:
        p, b = sympy.Integer(1), 0
    scale = sympy.cancel(denominator / (EIGENVALUE + p) ** b)
    coefficients = sympy.Poly(numerator, EIGENVALUE).as_dict()
    return p, b, {j: sympy.cancel(c / scale) for (j,), c in coefficients.items()}
