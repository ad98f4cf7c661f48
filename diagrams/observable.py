"""Observables: polynomials in traces of words in a model's matrices.

A trace such as ``Trace(U.T*U*X*X.T)`` is read with the model's own matrix
symbols (``U`` is N x M, ``X`` is M x P) and becomes a :class:`Word`: a cyclic
sequence of :class:`Letter` (a Gaussian matrix, possibly transposed) with the
deterministic diagonal insertions (``Lambda**k``) recorded on the corners
between letters. Corner ``i`` sits just before letter ``i``; its index runs
over the row space of letter ``i``.

Examples
--------
>>> from diagrams import mrs
>>> obs = parse_observable("2*Trace(U.T*U*Lambda*X*X.T)", mrs())
>>> obs.terms[0][0], obs.terms[0][1][0]
(2, Word(U.T U Lambda X X.T))
"""

import re
from dataclasses import dataclass
from functools import cache

import sympy
from sympy.matrices.expressions import Adjoint, MatAdd, MatMul, MatPow, MatrixSymbol, Trace, Transpose

from .errors import ExpressionError
from .model import mrs
from .symbols import parse


@dataclass(frozen=True)
class Letter:
    """One Gaussian matrix in a word; ``transposed`` means its (conjugate) transpose."""

    matrix: str
    transposed: bool = False

    def __str__(self):
        return self.matrix + (".T" if self.transposed else "")


@dataclass(frozen=True)
class Word:
    """A cyclic word: letters, and the number of covariance insertions on each corner.

    ``spaces[i]`` is the index space of corner ``i`` (before letter ``i``). A
    word with no letters is a deterministic trace over ``spaces[0]``.
    """

    letters: tuple
    insertions: tuple
    spaces: tuple
    covariance: str = "Lambda"

    def __len__(self):
        return len(self.letters)

    def rotate(self, shift):
        """The same trace read from letter ``shift`` on."""
        n = len(self.letters)
        if n == 0:
            return self
        turn = lambda seq: seq[shift % n:] + seq[: shift % n]  # noqa: E731
        return Word(turn(self.letters), turn(self.insertions), turn(self.spaces), self.covariance)

    def __repr__(self):
        parts = []
        for i, letter in enumerate(self.letters or [None]):
            k = self.insertions[i]
            if k:
                parts.append(self.covariance + (f"**{k}" if k > 1 else ""))
            if letter is not None:
                parts.append(str(letter))
        return f"Word({' '.join(parts)})"


@dataclass(frozen=True)
class Observable:
    """A sum of terms ``coefficient * product of traces``: ``terms = ((coeff, (Word, ...)), ...)``."""

    terms: tuple
    model: object

    def __iter__(self):
        return iter(self.terms)


class CovarianceTrace(sympy.Function):
    """tr C**k for a diagonal covariance C: the spectral power sum sum_I lambda_I**k."""

    nargs = 1
    covariance = "Lambda"

    def _latex(self, printer, exp=None):
        k = printer._print(self.args[0])
        tex = rf"\operatorname{{tr}}{sympy.latex(sympy.Symbol(self.covariance))}^{{{k}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def covariance_trace(name="Lambda"):
    """The sympy function ``tr_<name>`` with ``tr_<name>(k) = tr <name>**k``.

    Examples
    --------
    >>> tr = covariance_trace()
    >>> tr(2), sympy.latex(tr(2))
    (tr_Lambda(2), '\\\\operatorname{tr}\\\\Lambda^{2}')
    >>> covariance_trace("Lambda") is tr
    True
    """
    return _covariance_trace_class(name)


@cache
def _covariance_trace_class(name):
    # one class per covariance name, so that equal traces compare equal
    return type(f"tr_{name}", (CovarianceTrace,), {"covariance": name})


def namespace(model):
    """Identifier -> sympy object: the model's symbols, matrices, covariances and ``Trace``."""
    names = dict(model.symbols)
    spaces = model.spaces
    for name, matrix in model.matrices.items():
        names[name] = MatrixSymbol(name, spaces[matrix.rows], spaces[matrix.cols])
    for space, size in spaces.items():
        covariance = model.covariance(space)
        if covariance:
            names[covariance] = MatrixSymbol(covariance, size, size)
            names[f"tr_{covariance}"] = covariance_trace(covariance)
    names["Trace"] = Trace
    return names


def parse_observable(text, model=None):
    """Read a polynomial in traces of matrix words, with ``model``'s names.

    Raises
    ------
    ExpressionError
        For an unknown name, a product whose shapes do not match, or a trace
        of a non-square word.
    """
    model = model or mrs()
    names = namespace(model)
    if isinstance(text, str):
        # sympy's matrix symbols spell the conjugate transpose .adjoint(); accept the usual .H
        expr = parse(re.sub(r"\.H\b", ".adjoint()", text), names, what="observable", error=ExpressionError)
    else:
        expr = text
    # Each trace is a linear combination of words; stand a placeholder symbol in
    # for every word and expand the polynomial in the placeholders.
    placeholders = {}

    def placeholder(word):
        return placeholders.setdefault(word, sympy.Dummy(f"w{len(placeholders)}"))

    traces = {t: sympy.Add(*[c * placeholder(w) for c, w in _trace_words(t.arg, model)]) for t in expr.atoms(Trace)}
    polynomial = sympy.expand(expr.xreplace(traces))
    words = {symbol: word for word, symbol in placeholders.items()}
    try:
        monomials = sympy.Poly(polynomial, *words).terms() if words else [((), polynomial)]
    except sympy.PolynomialError:
        monomials = [((), polynomial)]
    terms = []
    for monomial, coefficient in monomials:
        if coefficient.has(*words) or coefficient.has(sympy.MatrixExpr) or isinstance(coefficient, sympy.MatrixExpr):
            raise ExpressionError(f"an observable is a polynomial in traces; cannot read {expr}")
        product = tuple(w for w, k in zip(words.values(), monomial) for _ in range(k))
        terms.append((coefficient, product))
    return Observable(tuple(terms), model)


def _trace_words(expr, model):
    """The words of a trace's argument, as a list of (coefficient, Word)."""
    result = []
    for coefficient, items in _expand(expr, model):
        result.append((coefficient, _word(items, model, expr)))
    return result


def _expand(expr, model):
    """A matrix expression as a list of (coefficient, items); an item is a Letter or a covariance space."""
    matrices = model.matrices
    if isinstance(expr, MatrixSymbol):
        name = expr.name
        if name in matrices:
            return [(sympy.Integer(1), [Letter(name)])]
        for space in model.spaces:
            if model.covariance(space) == name:
                return [(sympy.Integer(1), [space])]
        raise ExpressionError(f"unknown matrix {name!r}")
    if isinstance(expr, (Transpose, Adjoint)):
        flipped = []
        for coefficient, items in _expand(expr.arg, model):
            reverse = []
            for item in reversed(items):
                if isinstance(item, Letter):
                    ensemble = matrices[item.matrix].ensemble
                    if ensemble == "complex" and isinstance(expr, Transpose):
                        raise ExpressionError(f"use {item.matrix}.H for the conjugate transpose of complex {item.matrix}")
                    item = Letter(item.matrix, not item.transposed)
                reverse.append(item)
            flipped.append((coefficient, reverse))
        return flipped
    if isinstance(expr, MatAdd):
        return [term for arg in expr.args for term in _expand(arg, model)]
    if isinstance(expr, MatPow):
        base, power = expr.args
        if not (power.is_Integer and power > 0):
            raise ExpressionError(f"a matrix power must be a positive integer: {expr}")
        return _expand(MatMul(*[base] * int(power), evaluate=False), model)
    if isinstance(expr, MatMul):
        products = [(sympy.Integer(1), [])]
        for arg in expr.args:
            if not isinstance(arg, sympy.MatrixExpr):
                products = [(c * arg, items) for c, items in products]
                continue
            products = [(c * d, items + more) for c, items in products for d, more in _expand(arg, model)]
        return products
    raise ExpressionError(f"cannot expand {expr} into words of the model's matrices")


def _word(items, model, expr):
    """Build a Word from items, checking that neighbouring indices live in one space."""
    matrices = model.matrices

    def ends(item):  # (left index space, right index space) in reading order
        if not isinstance(item, Letter):
            return item, item
        m = matrices[item.matrix]
        return (m.cols, m.rows) if item.transposed else (m.rows, m.cols)

    def name(item):
        return str(item) if isinstance(item, Letter) else model.covariance(item)

    for a, b in zip(items, items[1:] + items[:1]):
        if ends(a)[1] != ends(b)[0]:
            raise ExpressionError(f"shapes do not match in {expr}: {name(a)} ends on space {ends(a)[1]}, "
                                  f"{name(b)} begins on space {ends(b)[0]}")
    letters, insertions, spaces, pending = [], [], [], 0
    for item in items:
        if isinstance(item, Letter):
            m = matrices[item.matrix]
            wigner = m.ensemble in ("symmetric", "hermitian")
            letters.append(Letter(item.matrix, item.transposed and not wigner))
            insertions.append(pending)
            spaces.append(ends(item)[0])
            pending = 0
        else:
            pending += 1
    if not letters:
        return Word((), (pending,), (items[0],), model.covariance(items[0]))
    insertions[0] += pending  # the insertions after the last letter sit on corner 0, cyclically
    covariances = {model.covariance(s) for s in spaces} - {None}
    covariance = covariances.pop() if covariances else "Lambda"
    return Word(tuple(letters), tuple(insertions), tuple(spaces), covariance)
