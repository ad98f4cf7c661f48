"""The value of an exact expression at a point, with every digit printed right.

The expressions are those :mod:`diagrams` derives: polynomials (or rational
functions) in the model's symbols and the spectral power sums tr Lambda**k.
:func:`evaluate` puts in the point's values and is exact where that is cheap:
when every power sum is a rational number (a short power law, a short list).
Otherwise it evaluates in mpmath, with the power sums from
:meth:`Spectrum.power_sum_value` at a cost flat in the latent size (no
100000-term harmonic numbers), twice at different working precisions, and
returns the digits the two agree on; a value that does not settle is refused
rather than printed.
"""

import sys
from dataclasses import dataclass

import mpmath
import sympy

from largen.diagrams.errors import ExpressionError, ParameterError, SolverError
from largen.diagrams.engine.spectral import CovarianceTrace

from largen.solver.numerics.certification import check_dps

__all__ = ["Value", "evaluate", "decimal", "check_finite", "check_printable"]

GUARDS = (10, 40, 160)  # guard digits tried in turn: cancellation costs digits


@dataclass(frozen=True)
class Value:
    """A value with ``dps`` significant digits, and the exact rational when there is one."""

    decimal: str
    exact: object = None  # sympy.Rational or None

    def as_dict(self):
        return {"value": self.decimal, **({"exact": str(self.exact)} if self.exact is not None else {})}


def check_finite(expr, what="the expression"):
    """Refuse an expression that is infinite or undefined (a division by zero).

    Examples
    --------
    >>> check_finite(sympy.zoo * sympy.Symbol("N"))
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: the expression is not finite (zoo*N): a division by zero?
    """
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(f"{what} is not finite ({_short_text(expr)}): a division by zero?")
    return expr


def check_printable(expr, what="the expression"):
    """Refuse an expression holding a number too long to print exactly.

    Python converts at most :func:`sys.get_int_max_str_digits` digits between an
    integer and its decimal text (4300 by default): a longer number has no exact
    text that ``sympy.sympify`` reads back. Every literal of the grammar is shorter
    (:data:`largen.diagrams.engine.grammar.MAX_EXPONENT`); products of them need not be.

    Examples
    --------
    >>> check_printable(sympy.Rational(1, 3) * sympy.Symbol("N"))
    N/3
    >>> check_printable(sympy.Integer(10) ** -5000 * sympy.Symbol("N"))
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: the expression holds a number of about 5001 digits, beyond the 4300 that print exactly
    """
    limit = sys.get_int_max_str_digits()
    if limit:
        bits = max((max(abs(r.p).bit_length(), r.q.bit_length()) for r in expr.atoms(sympy.Rational)), default=0)
        digits = int(bits * 0.30103) + 1  # log10(2): at least the digits of the longest number
        if digits > limit:
            raise ExpressionError(f"{what} holds a number of about {digits} digits, beyond the {limit} that print "
                                  "exactly")
    return expr


def evaluate(expr, point, dps, *, normalized=False):
    """The value of ``expr`` at ``point`` to ``dps`` digits; None when a symbol or a spectrum is missing.

    Parameters
    ----------
    expr : sympy.Expr
        In the model's symbols and power sums tr Lambda**k.
    point : largen.solver.numerics.point.Point
        A complete or partial point (``bind(..., complete=False)``).
    dps : int
        Significant digits of the decimal.
    normalized : bool
        At M = inf, evaluate with the latent size 1 outside the spectral sums
        (:attr:`Point.normalization`), as the planar losses are; otherwise an
        expression in the latent size itself has no value there.

    Returns
    -------
    Value or None

    Raises
    ------
    ParameterError
        At M = inf, when the expression depends on the latent size itself.
    ExpressionError
        When the value is infinite or undefined.

    Examples
    --------
    >>> from largen.diagrams.engine.spectral import covariance_trace
    >>> from largen.solver.numerics.point import bind
    >>> tr = covariance_trace()
    >>> P = sympy.Symbol("P", positive=True, integer=True)
    >>> evaluate(P * tr(1), bind(P=2, M=3, complete=False), 10)
    Value(decimal='2.722222222', exact=49/18)
    >>> evaluate(P * tr(1), bind(P=2, M="inf", complete=False), 10).decimal  # pi^2/3
    '3.289868134'
    >>> evaluate(P * tr(1), bind(P=2, M=10**5, complete=False), 10).decimal
    '3.289848134'
    >>> M = sympy.Symbol("M", positive=True, integer=True)
    >>> evaluate(tr(1) / M, bind(M="inf", complete=False), 10, normalized=True).decimal
    '1.644934067'
    """
    dps = check_dps(dps)
    check_finite(expr)
    values = dict(point.scaled_values if normalized else point.values)
    latent = point.model.spaces[point.model.latent]
    if point.latent_infinite and not normalized:
        if expr.has(latent):
            raise ParameterError(f"the expression depends on {latent} itself: it has no value at {latent} = inf")
        del values[latent]
    value = expr.xreplace(values)
    traces = value.atoms(CovarianceTrace)
    if value.free_symbols or (traces and point.spectrum is None):
        return None
    exact = value.xreplace({t: point.spectrum.power_sum(*t.args) for t in traces}) if traces else value
    if exact.is_extended_real is False:  # a coefficient such as sqrt(-1) in the observable
        raise ExpressionError(f"the value is not real ({_short_text(exact)})")
    if exact.is_Rational:
        return Value(_rational(exact, dps), exact)
    check_finite(exact, "the value")
    return Value(decimal(_numeric(value, point.spectrum, dps), dps))


def decimal(x, dps):
    """``x`` (an mpf) as a decimal with ``dps`` significant digits: '1e-5', not mpmath's '1.e-5'.

    Examples
    --------
    >>> decimal(mpmath.mpf("1e-5"), 1), decimal(mpmath.mpf(2) / 3, 3)
    ('1e-5', '0.667')
    """
    text = mpmath.nstr(x, dps, strip_zeros=False).replace(".e", "e")
    return text[:-1] if text.endswith(".") else text


def _rational(value, dps):
    # the rational is exact: enough working digits round it right, whatever its size
    digits = dps + 12 + int((abs(value.p).bit_length() + value.q.bit_length()) * 0.30103)  # no int -> str
    with mpmath.workdps(digits):
        return decimal(mpmath.mpf(value.p) / value.q, dps)


def _numeric(value, spectrum, dps):
    """``value`` in mpmath: two precisions that agree to dps digits, with more guard digits if they do not."""
    for guard in GUARDS:
        with mpmath.workdps(dps + guard):
            first = _mp(value, spectrum)
        with mpmath.workdps(dps + 2 * guard + 5):
            second = _mp(value, spectrum)
            if not mpmath.isfinite(second):
                raise ExpressionError(f"the value is not finite ({second})")
            if abs(first - second) <= abs(second) * mpmath.mpf(10) ** -(dps + 2):
                return second
    raise SolverError(f"the value does not settle to {dps} digits (it cancels to below "
                      f"{guard} guard digits): ask for fewer digits")


def _mp(expr, spectrum):
    """``expr`` at mpmath's working precision; power sums from the spectrum."""
    if isinstance(expr, CovarianceTrace):
        return spectrum.power_sum_value(*expr.args)
    if expr.is_Rational:
        return mpmath.mpf(expr.p) / expr.q
    if expr.is_Add:
        return mpmath.fsum(_mp(a, spectrum) for a in expr.args)
    if expr.is_Mul:
        return mpmath.fprod(_mp(a, spectrum) for a in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer:
            return _mp(base, spectrum) ** int(exponent)
        return mpmath.power(_mp(base, spectrum), _mp(exponent, spectrum))
    if expr.is_number:
        # a constant such as pi or zeta(3): sympy evaluates it to the digits asked for
        return mpmath.mpf(sympy.N(expr, mpmath.mp.dps + 5))
    raise ExpressionError(f"cannot evaluate {_short_text(expr)} numerically")


def _short_text(expr):
    text = sympy.sstr(expr)
    return text if len(text) <= 80 else text[:77] + "..."
