"""The restricted grammar of user text: exact numbers, known names, arithmetic.

Observables, model files, ``--set NAME=VALUE`` flags and spectrum files are
text that a user may have been handed by someone else. Text becomes sympy here
and only here, by walking the syntax tree of ``ast.parse(text, mode="eval")``
against a whitelist; nothing is ever evaluated by Python. The grammar is

* numbers: decimal integers and decimals, read exactly from their digits
  (``0.1`` is 1/10, never a binary float);
* names, each looked up in a namespace the caller gives (ASCII identifiers);
* ``+ - * / **`` and unary ``+``/``-``;
* calls by bare name, with one positional argument, of ``sqrt`` and of the
  functions the namespace provides (``Trace``, ``tr_Lambda``);
* the postfix ``.T`` (transpose) and ``.H`` (conjugate transpose) on matrix
  expressions.

Everything else (attributes, subscripts, strings, lambdas, comprehensions,
comparisons, assignment expressions, keywords, ...) is refused with the
caller's exception type and a one-line message naming the construct. Limits on
the text's length, its nesting, the digits and exponents of literals and the
size of numeric powers keep every refusal fast.

Examples
--------
>>> import sympy
>>> sigma, M = sympy.Symbol("sigma", positive=True), sympy.Symbol("M", positive=True)
>>> parse_expression("0.1*sigma**2/M", {"sigma": sigma, "M": M}, what="variance")
sigma**2/(10*M)
>>> parse_expression("sigma.__class__", {"sigma": sigma}, what="variance")
Traceback (most recent call last):
...
largen.diagrams.errors.ExpressionError: variance: attribute access '.__class__' is not allowed
>>> parse_number("1e-3", what="gamma")
1/1000
"""

import ast
import decimal
import fractions
import math
import numbers
import re

import sympy
from mpmath import libmp
from sympy.matrices.expressions import Adjoint, MatrixExpr, Transpose

from largen.diagrams.errors import ExpressionError, LargenError, ParameterError

__all__ = [
    "parse_expression", "parse_number", "FUNCTIONS",
    "MAX_TEXT", "MAX_DEPTH", "MAX_DIGITS", "MAX_EXPONENT", "MAX_POWER_DIGITS", "MAX_POWER",
]

MAX_TEXT = 10_000  # characters of one text
MAX_DEPTH = 100  # nesting of brackets, powers and calls
MAX_DIGITS = 1_000  # digits of one number
# |decimal exponent|: ridges from 1e-400 to 1e400 are legitimate, and a literal's digits with its exponent stay
# below the 4300 that Python converts between int and str, so that its exact text reads back (sympify) (probe N6)
MAX_EXPONENT = 3_000
MAX_POWER_DIGITS = 10_000  # digits of an exact numeric power such as 10**100
MAX_POWER = 1_000  # |integer exponent| of anything that is not a number

# The functions of the grammar itself; a namespace adds its own (Trace, tr_Lambda).
FUNCTIONS = {"sqrt": sympy.sqrt}

_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*(\d+)")
_INFINITY = {"inf", "infinity", "oo"}

_OPERATORS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
}
_REFUSED_OPERATORS = {
    ast.BitXor: "'^' (write powers as **)", ast.MatMult: "'@'", ast.FloorDiv: "'//'",
    ast.Mod: "'%'", ast.LShift: "'<<'", ast.RShift: "'>>'", ast.BitAnd: "'&'", ast.BitOr: "'|'",
}
_CONSTRUCTS = {
    ast.Subscript: "a subscript", ast.Slice: "a slice", ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string", ast.NamedExpr: "an assignment expression ':='",
    ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "a conditional expression",
    ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
    ast.Starred: "a starred argument", ast.Await: "'await'", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
}


def parse_expression(text, namespace, *, what, error=ExpressionError):
    """Read ``text`` as a sympy expression in the names of ``namespace``.

    Parameters
    ----------
    text : str
        Arithmetic on numbers and names (see the module's grammar).
    namespace : mapping
        Name -> sympy object (a symbol, a matrix symbol) or function (``Trace``,
        ``tr_Lambda``). A name it does not hold (``KeyError``) is refused; a
        mapping with ``__missing__`` may declare names as they are met.
    what : str
        What the text is, for messages ("variance of U", "observable").
    error : type
        The exception raised for text that is not in the grammar.

    Returns
    -------
    sympy.Basic
        Numbers are exact; no result is nan or infinite.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> parse_expression("sqrt(4)*x - 1/3", {"x": x}, what="example")
    2*x - 1/3
    >>> parse_expression("(x:=3)", {"x": x}, what="example")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: example: an assignment expression ':=' is not allowed
    >>> parse_expression("x/0", {"x": x}, what="example")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: example: division by zero in 'x/0'
    """
    if not isinstance(text, str):
        raise error(f"{what} must be text, got {type(text).__name__}")
    _check_text(text, what, error)
    text = text.strip()
    if not text:
        raise error(f"{what} is empty")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise error(f"{what}: cannot read {_short(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError):  # Python's parser recurses on chains like 1+1+...+1
        raise error(f"{what}: {_short(text)} is nested too deeply to read") from None
    _check_depth(tree, what, error)
    return _Reader(text, namespace, what, error).read(tree.body)


def parse_number(text, *, what, error=ParameterError):
    """One exact sympy number from text or a Python, numpy, mpmath or sympy number.

    Decimals are exact (``"0.1"`` is 1/10; a float is read from its shortest
    decimal form, and so is an mpmath number, at the precision of its mantissa and never at
    the ambient ``mpmath.mp.prec``: an exact binary value is given as a sympy number), fractions ``p/q`` are read, ``inf`` (``+inf``, ``-inf``,
    ``infinity``, ``oo``) is ``sympy.oo``. NaN, complex numbers, symbols, text
    longer than :data:`MAX_TEXT`, more than :data:`MAX_DIGITS` digits and
    exponents beyond :data:`MAX_EXPONENT` are refused with ``error``.

    Examples
    --------
    >>> parse_number("0.1", what="gamma"), parse_number(0.1, what="gamma")
    (1/10, 1/10)
    >>> import mpmath
    >>> parse_number(mpmath.mpf("1e-3"), what="gamma")  # made at 53 bits: the decimal it was made from
    1/1000
    >>> parse_number("-2/6", what="x"), parse_number("inf", what="M")
    (-1/3, oo)
    >>> parse_number("nan", what="gamma")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: gamma: 'nan' is not a number
    >>> parse_number("1e99999999", what="gamma")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: gamma: the exponent of '1e99999999' is beyond 3000
    """
    if isinstance(text, bool):
        raise error(f"{what}: {text!r} is not a number")
    if isinstance(text, sympy.Basic):
        return _sympy_number(text, what, error)
    if isinstance(text, numbers.Integral):
        value = int(text)
        if value.bit_length() > MAX_DIGITS * 3.33:
            raise error(f"{what}: an integer of more than {MAX_DIGITS} digits")
        return sympy.Integer(value)
    if isinstance(text, fractions.Fraction):
        return parse_number(f"{text.numerator}/{text.denominator}", what=what, error=error)
    if hasattr(text, "_mpf_"):  # an mpmath real: a binary float of its own precision
        text = _binary_decimal(text._mpf_, what, error)
    elif isinstance(text, numbers.Real):  # float, numpy floats
        value = float(text)
        if math.isnan(value):
            raise error(f"{what}: nan is not a number")
        if math.isinf(value):
            return sympy.oo if value > 0 else -sympy.oo
        return parse_number(repr(value), what=what, error=error)
    if isinstance(text, decimal.Decimal):  # exact decimal
        text = str(text)
    if not isinstance(text, str):
        raise error(f"{what}: {type(text).__name__} is not a number")
    _check_text(text, what, error)
    text = text.strip()
    lowered = text.lower()
    if lowered.lstrip("+-") in _INFINITY and len(lowered) - len(lowered.lstrip("+-")) <= 1:
        return -sympy.oo if lowered.startswith("-") else sympy.oo
    value = _decimal(text, what, error)
    if value is not None:
        return value
    match = _FRACTION.fullmatch(text)
    if match:
        numerator, denominator = match.groups()
        if len(numerator) + len(denominator) > MAX_DIGITS:
            raise error(f"{what}: {_short(text)} has more than {MAX_DIGITS} digits")
        if int(denominator) == 0:
            raise error(f"{what}: division by zero in {_short(text)}")
        return sympy.Rational(int(numerator), int(denominator))
    kind = "a complex number" if lowered.endswith("j") and any(c.isdigit() for c in text) else "not a number"
    raise error(f"{what}: {_short(text)} is {kind}")


# -- the pieces -------------------------------------------------------------------


def _short(text, limit=60):
    text = repr(text)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _check_text(text, what, error):
    """Length, characters and bracket depth, before any parser sees the text."""
    if len(text) > MAX_TEXT:
        raise error(f"{what}: the text is longer than {MAX_TEXT} characters")
    for position, character in enumerate(text):
        # Python folds identifiers by NFKC: a fullwidth N would become N, an alpha a new name
        if ord(character) > 126 or (ord(character) < 32 and character not in "\t\n\r"):
            code = f"U+{ord(character):04X}"
            raise error(f"{what}: character {character!r} ({code}) at position {position} is not allowed; "
                        "names and numbers are written in ASCII")
    depth = 0
    for character in text:
        if character in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise error(f"{what}: brackets nested deeper than {MAX_DEPTH}")
        elif character in ")]}":
            depth -= 1


def _check_depth(tree, what, error):
    """The nesting of powers, calls and transposes, iteratively.

    A sum or a product of many terms is flat in sympy and costs no depth;
    ``2**2**2**...`` nests, without a single bracket.
    """
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.Call) or isinstance(node, ast.Attribute) or (
                isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
            depth += 1
        if depth > MAX_DEPTH:
            raise error(f"{what}: powers and calls nested deeper than {MAX_DEPTH}")
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))


def _decimal(text, what, error):
    """An exact Rational from a decimal literal, or None if ``text`` is not one."""
    match = _DECIMAL.fullmatch(text)
    if not match or not (match.group(2) or match.group(3)):
        return None
    sign, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    if len(whole) + len(fraction) > MAX_DIGITS:
        raise error(f"{what}: {_short(text)} has more than {MAX_DIGITS} digits")
    exponent = exponent or "0"
    if len(exponent.lstrip("+-")) > 6 or abs(int(exponent)) > MAX_EXPONENT:
        raise error(f"{what}: the exponent of {_short(text)} is beyond {MAX_EXPONENT}")
    shift = int(exponent) - len(fraction)
    mantissa = int(whole + fraction or "0")
    value = sympy.Integer(mantissa) * sympy.Rational(10) ** shift
    return -value if sign == "-" else value


def _binary_decimal(value, what, error):
    """The shortest decimal that rounds back to the mpmath number ``value`` (its ``_mpf_`` tuple)
    at the precision it was made at, as ``repr`` reads a float.

    An mpf does not carry that precision, and it must not be read at the caller's ambient
    ``mpmath.mp.prec`` (the value of ``mpf('1e-3')`` depends on it, and what the user meant does
    not): the precision is that of its mantissa, at least float64's 53 bits. A number made at 53
    bits whose mantissa has trailing zeros is then still the nearest at the shorter precision, so
    the decimal it was made from rounds to it.
    """
    sign, mantissa, exponent, bits = value
    if not mantissa:
        if exponent:  # mpmath's special values: inf, -inf, nan
            return {"+inf": "inf", "-inf": "-inf"}.get(libmp.to_str(value, 5), "nan")
        return "0"
    prec = max(53, bits)
    digits = libmp.prec_to_dps(prec) + 3  # enough for any value at prec bits to round back
    low, high = 1, digits
    while low < high:  # the shortest that rounds back; a longer one then does too
        middle = (low + high) // 2
        if libmp.from_str(libmp.to_str(value, middle), prec, libmp.round_nearest) == value:
            high = middle
        else:
            low = middle + 1
    text = libmp.to_str(value, low)
    if libmp.from_str(text, prec, libmp.round_nearest) != value:
        text = libmp.to_str(value, digits)
    return text


def _sympy_number(value, what, error):
    if not value.is_number:
        raise error(f"{what}: {_short(str(value))} is not a number")
    if value.has(sympy.nan, sympy.zoo):
        raise error(f"{what}: {value} is not a number")
    if value.is_extended_real is not True:
        raise error(f"{what}: {_short(str(value))} is not real")
    if isinstance(value, sympy.Float):  # a binary float: read it as the decimal it prints as
        return parse_number(str(value), what=what, error=error)
    return value


def _numeric_power_digits(base, exponent):
    """An upper bound on the digits of base**exponent for rational base and exponent."""
    if base in (0, 1, -1) or exponent.is_zero:
        return 1
    p, q = sympy.fraction(sympy.Abs(base))
    return abs(float(exponent)) * max(math.log10(int(p)), math.log10(int(q)), 1)


class _Reader:
    """One walk over a syntax tree, iteratively so that no text can exhaust the stack."""

    def __init__(self, text, namespace, what, error):
        self.text, self.namespace, self.what, self.error = text, namespace, what, error

    def fail(self, message):
        raise self.error(f"{self.what}: {message}")

    def read(self, root):
        values, stack = [], [(root, False)]
        while stack:
            node, ready = stack.pop()
            children = self.children(node)
            if not ready and children:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
            arguments = values[len(values) - len(children):] if children else []
            del values[len(values) - len(arguments):]
            values.append(self.combine(node, arguments))
        (result,) = values
        if isinstance(result, sympy.Basic) and result.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            self.fail(f"{_short(self.text)} is not finite")
        if not isinstance(result, sympy.Basic):
            self.fail(f"{_short(self.text)} is a function, not a value")
        return result

    def children(self, node):
        """The operands of ``node`` in order, after refusing what is not in the grammar."""
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.Name):
            return []
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                self.fail(f"the operator {_REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)} "
                          "is not allowed")
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                self.fail(f"the operator {'not' if isinstance(node.op, ast.Not) else repr('~')} is not allowed")
            return [node.operand]
        if isinstance(node, ast.Call):
            if node.keywords:
                self.fail("keyword arguments are not allowed")
            if isinstance(node.func, ast.Attribute):
                self.fail(f"attribute access '.{node.func.attr}' is not allowed")
            if not isinstance(node.func, ast.Name):
                self.fail("only functions called by their bare name are allowed")
            if any(isinstance(arg, ast.Starred) for arg in node.args):
                self.fail("a starred argument is not allowed")
            if len(node.args) != 1:
                self.fail(f"{node.func.id}() takes one argument, got {len(node.args)}")
            return list(node.args)
        if isinstance(node, ast.Attribute):
            if node.attr not in ("T", "H"):
                self.fail(f"attribute access '.{node.attr}' is not allowed")
            return [node.value]
        self.fail(f"{_CONSTRUCTS.get(type(node), type(node).__name__)} is not allowed")

    def combine(self, node, arguments):
        try:
            return self._combine(node, arguments)
        except LargenError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, NotImplementedError) as exc:
            # sympy reports shape mismatches, non-square traces and bad arguments with these
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.fail(f"cannot read {_short(self.text)} ({message})")

    def _combine(self, node, arguments):
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id, called=False)
        if isinstance(node, ast.Call):
            return self.name(node.func.id, called=True)(*arguments)
        if isinstance(node, ast.Attribute):
            (value,) = arguments
            if not isinstance(value, MatrixExpr):
                self.fail(f"'.{node.attr}' applies to a matrix, not to {_short(str(value))}")
            return Transpose(value) if node.attr == "T" else Adjoint(value)
        for value in arguments:
            if not isinstance(value, sympy.Basic):
                self.fail("a function must be called: write it with its arguments in brackets")
        if isinstance(node, ast.UnaryOp):
            (value,) = arguments
            return -value if isinstance(node.op, ast.USub) else value
        left, right = arguments
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right.is_zero:
                self.fail(f"division by zero in {_short(self.text)}")
            return left / right
        return self.power(left, right)

    def constant(self, node):
        value = node.value
        if isinstance(value, str):
            self.fail("a string is not allowed")
        if isinstance(value, complex):
            self.fail("an imaginary number is not allowed")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{value!r} is not allowed")
        source = ast.get_source_segment(self.text, node)
        number = _decimal(source, self.what, self.error)
        if number is None:  # 0x10, 0o7, 1_000
            self.fail(f"the literal {source!r} is not a decimal number")
        return number

    def name(self, identifier, *, called):
        if identifier in FUNCTIONS:
            value = FUNCTIONS[identifier]
        else:
            try:
                value = self.namespace[identifier]
            except KeyError:
                self.fail(f"undefined symbol {identifier!r} in {_short(self.text)}")
        function = not isinstance(value, sympy.Basic) and callable(value)
        if called and not function:
            self.fail(f"{identifier!r} is not a function")
        if not called and function:
            self.fail(f"the function {identifier!r} must be called")
        return value

    def power(self, base, exponent):
        if base.is_zero and exponent.is_negative:
            self.fail(f"division by zero in {_short(self.text)}")
        if isinstance(base, MatrixExpr) or not base.is_number:
            if exponent.is_Integer and abs(exponent) > MAX_POWER:
                self.fail(f"the power {exponent} is beyond {MAX_POWER}")
            return base**exponent
        if base.is_Rational and exponent.is_Rational:
            digits = _numeric_power_digits(base, exponent)
            if digits > MAX_POWER_DIGITS:
                self.fail(f"{_short(self.text)} has about {digits:.3g} digits, beyond {MAX_POWER_DIGITS}")
        elif exponent.is_number and exponent.is_extended_real and abs(exponent) > MAX_POWER:
            self.fail(f"the power {exponent} is beyond {MAX_POWER}")
        return base**exponent
