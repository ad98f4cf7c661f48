"""Observables: polynomials in traces of words in a model's matrices.

A trace such as ``Trace(U.T*U*X*X.T)`` is read with the model's own matrix
symbols (``U`` is N x M, ``X`` is M x P) and becomes a :class:`Word`: a cyclic
sequence of :class:`Letter` (a Gaussian matrix, possibly transposed) with the
deterministic diagonal insertions (``Lambda**k``, and ``Omega**j`` of a teacher
covariance) recorded on the corners between letters. Corner ``i`` sits just before letter ``i``; its index runs
over the row space of letter ``i``.

Examples
--------
>>> from largen.diagrams import mrs
>>> obs = parse_observable("2*Trace(U.T*U*Lambda*X*X.T)", mrs())
>>> obs.terms[0][0], obs.terms[0][1][0]
(2, Word(U.T U Lambda X X.T))
"""

import math
from dataclasses import dataclass

import sympy
from sympy.matrices.expressions import Adjoint, MatAdd, MatMul, MatPow, MatrixSymbol, Trace, Transpose

from largen.diagrams.errors import ExpressionError
from largen.diagrams.engine.model import Ensemble, mrs
from largen.diagrams.engine.spectral import CovarianceTrace, covariance_trace
from largen.diagrams.engine.symbols import parse
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost

__all__ = ["Letter", "Word", "Observable", "namespace", "parse_observable"]


@dataclass(frozen=True)
class Letter:
    """One Gaussian matrix in a word, possibly transposed.

    ``transposed`` is the transpose of a real matrix, the conjugate transpose
    ``.H`` of a complex one, and the transpose of a Hermitian (GUE) matrix,
    which is its complex conjugate (``H.H`` is ``H`` itself). A real symmetric
    (GOE) matrix is its own transpose and is never marked.
    """

    matrix: str
    transposed: bool = False

    def __str__(self):
        return self.matrix + (".T" if self.transposed else "")


@dataclass(frozen=True)
class Word:
    """A cyclic word: letters, and the number of covariance insertions on each corner.

    ``spaces[i]`` is the index space of corner ``i`` (before letter ``i``). A
    word with no letters is a deterministic trace over ``spaces[0]``.
    ``weights[i]`` counts the insertions of the teacher covariance named
    ``teacher`` on corner ``i`` (empty when the word has none).
    """

    letters: tuple
    insertions: tuple
    spaces: tuple
    covariance: str = "Lambda"
    weights: tuple = ()
    teacher: str = None

    def weight(self, i):
        """The number of teacher-covariance insertions on corner ``i``."""
        return self.weights[i] if self.weights else 0

    def __len__(self):
        return len(self.letters)

    def rotate(self, shift):
        """The same trace read from letter ``shift`` on."""
        n = len(self.letters)
        if n == 0:
            return self
        turn = lambda seq: seq[shift % n:] + seq[: shift % n]  # noqa: E731
        return Word(turn(self.letters), turn(self.insertions), turn(self.spaces), self.covariance,
                    turn(self.weights) if self.weights else (), self.teacher)

    def __repr__(self):
        parts = []
        for i, letter in enumerate(self.letters or [None]):
            for name, k in ((self.covariance, self.insertions[i]), (self.teacher, self.weight(i))):
                if k:
                    parts.append(name + (f"**{k}" if k > 1 else ""))
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


def namespace(model):
    """Identifier -> sympy object: the model's symbols, matrices, covariances and ``Trace``."""
    names = dict(model.symbols)
    spaces = model.spaces
    for name, matrix in model.matrices.items():
        names[name] = MatrixSymbol(name, spaces[matrix.rows], spaces[matrix.cols])
    for space, size in spaces.items():
        covariance, teacher = model.covariance(space), model.teacher(space)
        if covariance:
            names[covariance] = MatrixSymbol(covariance, size, size)
            names[f"tr_{covariance}"] = covariance_trace(covariance)
        if teacher:
            names[teacher] = MatrixSymbol(teacher, size, size)
            names[f"tr_{covariance}_{teacher}"] = covariance_trace(covariance, teacher)
    names["Trace"] = Trace
    return names


def parse_observable(text, model=None, *, max_diagrams=MAX_DIAGRAMS):
    """Read a polynomial in traces of matrix words, with ``model``'s names.

    Parameters
    ----------
    text : str or sympy.Expr
        Read by :mod:`largen.diagrams.engine.grammar`: the model's symbols and matrices, the
        postfix ``.T`` and ``.H``, ``Trace`` and ``tr_Lambda(k)`` for a
        positive integer ``k``.
    model : Model, optional
        The MRS model by default.
    max_diagrams : int or None
        Each word and each product of traces costs at least one diagram:
        refuse (CostError) to expand into more of them than this.

    Returns
    -------
    Observable

    Raises
    ------
    ExpressionError
        For an unknown name, a product whose shapes do not match, a trace of
        a non-square word, or a power sum ``tr_Lambda(k)`` with ``k`` not a
        positive integer (its sum may diverge).

    Examples
    --------
    >>> parse_observable("tr_Lambda(2)*Trace(X*X.T)").terms[0][0]
    tr_Lambda(2)
    >>> parse_observable("tr_Lambda(0)")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: tr_Lambda(0): the power of a covariance trace must be a positive integer
    """
    model = model or mrs()
    names = namespace(model)
    if isinstance(text, str):
        expr = parse(text, names, what="observable", error=ExpressionError)
    elif isinstance(text, sympy.Basic):
        expr = text
    else:
        raise ExpressionError(f"an observable is text or a sympy expression, got {type(text).__name__}")
    for power_sum in expr.atoms(CovarianceTrace):
        k, *j = power_sum.args
        if j and not (all(x.is_Integer for x in (k, *j)) and k >= 0 and j[0] > 0):
            raise ExpressionError(f"{power_sum}: the powers of a mixed trace must be an integer >= 0 and one > 0")
        if not j and not (k.is_Integer and k > 0):
            raise ExpressionError(f"{power_sum}: the power of a covariance trace must be a positive integer")
    # Each trace is a linear combination of words; stand a placeholder symbol in
    # for every word and expand the polynomial in the placeholders.
    placeholders = {}

    def placeholder(word):
        return placeholders.setdefault(word, sympy.Dummy(f"w{len(placeholders)}"))

    traces = {t: sympy.Add(*[c * placeholder(w) for c, w in _trace_words(t.arg, model, max_diagrams)])
              for t in expr.atoms(Trace)}
    polynomial = expr.xreplace(traces)
    check_cost(_monomials(polynomial), max_diagrams, lambda: f"the products of traces of {str(expr)[:100]}")
    polynomial = sympy.expand(polynomial)
    words = {symbol: word for word, symbol in placeholders.items()}
    terms = []
    for monomial, coefficient in _monomial_terms(polynomial, list(words)):
        if coefficient.has(*words) or coefficient.has(sympy.MatrixExpr) or isinstance(coefficient, sympy.MatrixExpr):
            raise ExpressionError(f"an observable is a polynomial in traces; cannot read {expr}")
        product = tuple(w for w, k in zip(words.values(), monomial) for _ in range(k))
        terms.append((coefficient, product))
    return Observable(tuple(terms), model)


def _monomial_terms(polynomial, symbols):
    """An expanded polynomial in ``symbols`` as ``[(exponents, coefficient)]``, the exponents in
    decreasing lexicographic order, as ``sympy.Poly(polynomial, *symbols).terms()`` has them.

    Read term by term: Poly's dense representation nests one level per symbol,
    and an observable may have thousands of words (the loss with an
    activation, a word per choice of the parts of its features). A factor
    that is no positive power of a symbol stays in the coefficient, which the
    caller checks for the symbols.
    """
    position = {symbol: i for i, symbol in enumerate(symbols)}
    found = {}
    for term in sympy.Add.make_args(polynomial):
        exponents, coefficient = [0] * len(symbols), []
        for factor in sympy.Mul.make_args(term):
            base, exponent = factor.as_base_exp()
            if base in position and exponent.is_Integer and exponent > 0:
                exponents[position[base]] += int(exponent)
            else:
                coefficient.append(factor)
        found.setdefault(tuple(exponents), []).append(sympy.Mul(*coefficient))
    # Add of one part is the part itself: a matrix (no scalar) reaches the caller's check unsummed
    terms = [(k, c) for k, c in ((k, sympy.Add(*parts)) for k, parts in found.items()) if c != 0]
    return sorted(terms, reverse=True, key=lambda t: t[0]) or [((0,) * len(symbols), sympy.Integer(0))]


def _monomials(expr):
    """An upper bound on the number of terms of ``expr`` expanded, computed without expanding it."""
    if isinstance(expr, sympy.Add):
        return sum(map(_monomials, expr.args))
    if isinstance(expr, sympy.Mul):
        return math.prod(map(_monomials, expr.args))
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 0:
        terms, power = _monomials(expr.base), int(expr.exp)
        return math.comb(terms + power - 1, power)
    return 1


def _word_count(expr):
    """An upper bound on the number of words of a matrix expression, computed without expanding it."""
    if isinstance(expr, (Transpose, Adjoint)):
        return _word_count(expr.arg)
    if isinstance(expr, MatAdd):
        return sum(map(_word_count, expr.args))
    if isinstance(expr, MatPow) and expr.args[1].is_Integer:
        return _word_count(expr.args[0]) ** max(int(expr.args[1]), 0)
    if isinstance(expr, MatMul):
        return math.prod(_word_count(arg) for arg in expr.args if isinstance(arg, sympy.MatrixExpr))
    return 1


def _trace_words(expr, model, max_diagrams):
    """The words of a trace's argument, as a list of (coefficient, Word)."""
    check_cost(_word_count(expr), max_diagrams, lambda: f"the words of Trace({str(expr)[:100]})")
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
            if model.teacher(space) == name:
                return [(sympy.Integer(1), [_Teacher(space)])]
        raise ExpressionError(f"unknown matrix {name!r}")
    if isinstance(expr, (Transpose, Adjoint)):
        flipped = []
        for coefficient, items in _expand(expr.arg, model):
            reverse = []
            for item in reversed(items):
                if isinstance(item, Letter):
                    ensemble = matrices[item.matrix].ensemble
                    if ensemble is Ensemble.COMPLEX and isinstance(expr, Transpose):
                        raise ExpressionError(f"use {item.matrix}.H for the conjugate transpose of complex {item.matrix}")
                    # H.H is H for a Hermitian matrix; its transpose is its conjugate
                    if not (ensemble is Ensemble.HERMITIAN and isinstance(expr, Adjoint)):
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
        if isinstance(item, _Teacher):
            return item.space, item.space
        if not isinstance(item, Letter):
            return item, item
        m = matrices[item.matrix]
        return (m.cols, m.rows) if item.transposed else (m.rows, m.cols)

    def name(item):
        if isinstance(item, _Teacher):
            return model.teacher(item.space)
        return str(item) if isinstance(item, Letter) else model.covariance(item)

    for a, b in zip(items, items[1:] + items[:1]):
        if ends(a)[1] != ends(b)[0]:
            raise ExpressionError(f"shapes do not match in {expr}: {name(a)} ends on space {ends(a)[1]}, "
                                  f"{name(b)} begins on space {ends(b)[0]}")
    letters, insertions, weights, spaces, pending, weighing = [], [], [], [], 0, 0
    for item in items:
        if isinstance(item, Letter):
            symmetric = matrices[item.matrix].ensemble is Ensemble.SYMMETRIC  # H.T is H only for GOE
            letters.append(Letter(item.matrix, item.transposed and not symmetric))
            insertions.append(pending)
            weights.append(weighing)
            spaces.append(ends(item)[0])
            pending = weighing = 0
        elif isinstance(item, _Teacher):
            weighing += 1
        else:
            pending += 1
    if not letters:
        space = ends(items[0])[0]
        return Word((), (pending,), (space,), model.covariance(space), (weighing,) if weighing else (),
                    model.teacher(space) if weighing else None)
    insertions[0] += pending  # the insertions after the last letter sit on corner 0, cyclically
    weights[0] += weighing
    covariances = {model.covariance(s) for s in spaces} - {None}
    covariance = covariances.pop() if covariances else "Lambda"
    if not any(weights):
        return Word(tuple(letters), tuple(insertions), tuple(spaces), covariance)
    teacher = next(model.teacher(s) for s, w in zip(spaces, weights) if w)
    return Word(tuple(letters), tuple(insertions), tuple(spaces), covariance, tuple(weights), teacher)


@dataclass(frozen=True)
class _Teacher:
    """An insertion of the teacher covariance on ``space``, while a word is read."""

    space: str
