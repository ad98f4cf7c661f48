"""Planar diagrams of one trace, generated directly and summed by dynamic programming.

A contraction of a single trace is planar (a sphere) exactly when its pairs
do not cross around the trace and every ribbon is straight. Both facts are
used constructively: pair the first dart with a compatible dart ``j``, then
pair the darts inside ``(0, j)`` and those outside independently. Nothing is
filtered from the (2k - 1)!! pairings.

The same recursion sums the weights without listing the diagrams. For darts
``a .. b - 1`` paired among themselves, the corners ``a, .., b`` that are not
enclosed by a pair all lie on one open face; :func:`planar_sum` keeps, for each
interval, a polynomial in the face weights closed so far and in markers
counting the covariance (and teacher-covariance) insertions on that open face. Pairing ``a`` with ``j``
closes the face inside, whose weight is then known. The cost is polynomial in
the length of the word.

Examples
--------
>>> from largen.diagrams import mrs
>>> from largen.diagrams.engine.observable import parse_observable
>>> (_, (word,)), = parse_observable("Trace(X*X.T*X*X.T)").terms
>>> [g.weight for g in planar_contractions([word], mrs())]
[P**2*tr_Lambda(2), P*tr_Lambda(1)**2]
>>> planar_sum(word, mrs())
P**2*tr_Lambda(2) + P*tr_Lambda(1)**2
>>> planar_count(word, mrs())
2
"""

import math
from collections import defaultdict
from functools import lru_cache

import sympy

from largen.diagrams.engine.ribbon import RibbonGraph, face_weight
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contractions, gluings

__all__ = ["planar_contractions", "planar_sum", "planar_count", "planar_sum_cost"]

# planar_sum over a trace of 30 letters of one Wishart matrix takes about 53,000 diagrams' worth
# of time (7.5 s), and its cost grows like the 8th power of the length (the face polynomials grow)
_CALIBRATION_LETTERS, _CALIBRATION_COST, _GROWTH = 30, 53_000, 8
_EXACT_COUNT_LETTERS = 200  # planar_count takes about a second at 200 letters, and grows like n**3


def planar_contractions(words, model, *, max_diagrams=MAX_DIAGRAMS):
    """The planar Wick contractions of a product of traces.

    A single trace is generated directly (non-crossing, straight). For a
    product of several traces the planar ones (every connected component a
    sphere) are selected from the full enumeration. More than
    ``max_diagrams`` to list (or to filter) is refused with CostError first.
    """
    words = tuple(words)
    if len(words) != 1:
        graphs = contractions(words, model, max_diagrams=max_diagrams)
        return (g for g in graphs if g.planar)
    (word,) = words
    check_cost(_planar_listing_estimate(word, model), max_diagrams, lambda: f"the planar contractions of tr {word!r}")
    return (RibbonGraph(words, model, edges) for edges in _non_crossing(word, model, 0, len(word)))


def _non_crossing(word, model, a, b):
    """Non-crossing straight pairings of darts a..b-1 of one trace."""
    if a == b:
        yield ()
        return
    first = word.letters[a]
    for j in range(a + 1, b, 2):
        if word.letters[j].matrix != first.matrix or False not in gluings(model, first, word.letters[j]):
            continue
        for inside in _non_crossing(word, model, a + 1, j):
            for outside in _non_crossing(word, model, j + 1, b):
                yield (((0, a), (0, j), False),) + inside + outside


def planar_sum(word, model, *, max_diagrams=MAX_DIAGRAMS):
    """The sum of the weights of all planar contractions of one trace, as a sympy expression.

    Its cost, estimated by :func:`planar_sum_cost`, must not exceed ``max_diagrams``.
    """
    check_cost(planar_sum_cost(word), max_diagrams, lambda: f"the planar sum of tr {word!r}")
    polynomial = _planar_polynomial(word, model)
    return sympy.Add(*[count * sympy.Mul(*factors) for factors, count in polynomial.items()])


def planar_count(word, model):
    """The number of planar contractions of one trace: its non-crossing straight pairings.

    The same interval recursion as :func:`planar_sum` with plain counts, in
    O(n**3) operations for n letters, shortest intervals first.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> from largen.diagrams.engine.observable import parse_observable
    >>> (_, (word,)), = parse_observable("Trace((X*X.T)**5)").terms
    >>> planar_count(word, mrs())  # the Catalan number C_5
    42
    """
    letters, n = word.letters, len(word)
    straight = [[letters[j].matrix == letters[a].matrix and False in gluings(model, letters[a], letters[j])
                 for j in range(n)] for a in range(n)]
    count = {(a, a): 1 for a in range(n + 1)}  # (first dart, past the last dart) -> pairings
    for length in range(2, n + 1, 2):
        for a in range(n - length + 1):
            b = a + length
            count[a, b] = sum(count[a + 1, j] * count[j + 1, b] for j in range(a + 1, b, 2) if straight[a][j])
    return count[0, n]


def _planar_listing_estimate(word, model):
    """The number of planar contractions of a trace, exact up to 200 letters, above that the Catalan bound."""
    if len(word) <= _EXACT_COUNT_LETTERS:
        return planar_count(word, model)
    return math.comb(len(word), len(word) // 2) // (len(word) // 2 + 1)


def planar_sum_cost(word):
    """The estimated cost of :func:`planar_sum` on ``word``, in diagrams' worth of time.

    The interval recursion visits O(n**3) pairings of a word of n letters,
    but the polynomials in the face weights it carries grow with n too: the
    time grows like n**8, calibrated on the Wishart words (X*X.T)**k. The
    estimate depends on the length only, so it is deterministic and an upper
    bound for words of several matrices.

    Examples
    --------
    >>> from largen.diagrams.engine.observable import parse_observable
    >>> (_, (word,)), = parse_observable("Trace((X*X.T)**15)").terms
    >>> planar_sum_cost(word)
    53000
    """
    return _CALIBRATION_COST * len(word) ** _GROWTH // _CALIBRATION_LETTERS**_GROWTH


def _planar_polynomial(word, model):
    """Planar sum as {tuple of factors: count}; factors are variances and face weights."""
    n = len(word)
    matrices = model.matrices
    letters, spaces = word.letters, word.spaces
    # the insertions on a corner: (covariance, teacher covariance)
    insertions = [(k, word.weight(i)) for i, k in enumerate(word.insertions)]
    if n == 0:
        return {(face_weight(model, spaces[0], *insertions[0]),): 1}

    def corner(c):
        return c % n

    def close(poly, space):
        """Close the open face of ``poly`` on ``space``: its insertions become its face weight."""
        closed = defaultdict(int)
        for (k, factors), count in poly.items():
            factor = (face_weight(model, space, *k),)
            closed[((0, 0), tuple(sorted(factors + factor, key=sympy.default_sort_key)))] += count
        return closed

    def times(p, q, shift=(0, 0), extra=()):
        out = defaultdict(int)
        for (k1, f1), c1 in p.items():
            for (k2, f2), c2 in q.items():
                factors = tuple(sorted(f1 + f2 + extra, key=sympy.default_sort_key))
                out[(_plus(k1, k2, shift), factors)] += c1 * c2
        return out

    def pairs(a, b):
        """Darts j in (a, b) that dart a may pair with, straight, leaving even intervals."""
        for j in range(a + 1, b, 2):
            if letters[j].matrix == letters[a].matrix and False in gluings(model, letters[a], letters[j]):
                yield j

    def arc(a, j, outside, own):
        """Pair a with j: close the face inside (corners a+1..j) and join corner a,
        carrying ``own`` insertions, to the open face of ``outside``."""
        matrix = matrices[letters[a].matrix]
        # a dressed propagator puts one insertion on the face of its row index
        dressed_inside = matrix.dressed and letters[a].transposed
        dressed_outside = matrix.dressed and not letters[a].transposed
        inside = S(a + 1, j)
        if dressed_inside:
            inside = {(_plus(k, (1, 0)), f): c for (k, f), c in inside.items()}
        inside = close(inside, spaces[corner(a + 1)])
        variance = (matrix.variance,)
        return times(inside, outside, shift=_plus(own, (int(dressed_outside), 0)), extra=variance)

    @lru_cache(maxsize=None)
    def S(a, b):
        if a == b:
            return {(insertions[corner(a)], ()): 1}
        total = defaultdict(int)
        for j in pairs(a, b):
            for key, count in arc(a, j, S(j + 1, b), insertions[a]).items():
                total[key] += count
        return total

    total = defaultdict(int)
    for j in pairs(0, n):
        # corner n is corner 0, already counted on the open face of S(j + 1, n)
        for (_, factors), count in close(arc(0, j, S(j + 1, n), (0, 0)), spaces[0]).items():
            total[factors] += count
    return dict(total)


def _plus(*counts):
    """The sum of insertion counts (covariance, teacher covariance)."""
    return tuple(map(sum, zip(*counts)))
