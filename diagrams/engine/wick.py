"""Wick's theorem: every contraction of a product of traces, as ribbon graphs.

Independent matrices never pair. Two darts of one matrix pair with the
gluings its ensemble allows (see :func:`gluings`), each carrying the matrix's
variance.

Examples
--------
>>> from largen.diagrams import mrs
>>> from largen.diagrams.engine.observable import parse_observable
>>> (_, words), = parse_observable("Trace(X*X.T*X*X.T)").terms
>>> [g.euler for g in contractions(words, mrs())]
[2, 1, 2]
"""

import math
from itertools import permutations, product

from largen.diagrams.errors import CostError
from largen.diagrams.engine.model import Ensemble
from largen.diagrams.engine.ribbon import RibbonGraph

__all__ = [
    "MAX_DIAGRAMS", "gluings", "darts_by_matrix", "contraction_count", "contractions", "symmetries",
    "isomorphism_classes", "check_cost",
]

# About 20 s of listing on one core: a ribbon graph costs some 140 microseconds.
MAX_DIAGRAMS = 150_000
_EDGES_PER_DIAGRAM = 140  # edges relabelled (about a microsecond each) in the time of one diagram


def check_cost(count, limit, what, unit="diagrams"):
    """Raise CostError if ``count`` (an estimate, in ``unit``) exceeds ``limit``; None is no limit.

    ``what`` names the computation, or is a function that names it (printing
    a large expression costs time, spent only on a refusal).

    Examples
    --------
    >>> check_cost(10**40, 1000, "Trace(X*X.T)**20")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.CostError: Trace(X*X.T)**20: about 10^40.0 diagrams, beyond the limit of 1000; pass max_diagrams= (the CLI's --max-diagrams) to allow more
    """
    if limit is not None and count > limit:
        about = f"{count:.0f}" if count < 10**6 else f"about 10^{math.log10(count):.1f}"
        what = what() if callable(what) else what
        raise CostError(f"{what}: {about} {unit}, beyond the limit of {limit}; "
                        "pass max_diagrams= (the CLI's --max-diagrams) to allow more")


def gluings(model, a, b):
    """The allowed gluings of two letters of one matrix: a list of ``twisted`` flags.

    Real rectangular: rows glue to rows, so the ribbon is straight between a
    matrix and its transpose and twisted between two equal orientations.
    Complex: only a matrix with its adjoint, straight. Hermitian Wigner
    (E H_ij H_kl = v d_il d_jk): straight between equal orientations, and
    twisted between H and its transpose, the complex conjugate. Real
    symmetric Wigner: both (E H_ij H_kl = v (d_il d_jk + d_ik d_jl)).

    Examples
    --------
    >>> from largen.diagrams import Gaussian, Model
    >>> from largen.diagrams.engine.observable import Letter
    >>> gue = Model("gue", {"N": "N"}, [Gaussian("H", "N", "N", 1, ensemble="hermitian")])
    >>> gluings(gue, Letter("H"), Letter("H")), gluings(gue, Letter("H"), Letter("H", True))
    ([False], [True])
    """
    ensemble = model.matrices[a.matrix].ensemble
    if ensemble is Ensemble.SYMMETRIC:
        return [False, True]
    if ensemble is Ensemble.HERMITIAN:
        return [False] if a.transposed == b.transposed else [True]
    if a.transposed != b.transposed:
        return [False]
    return [True] if ensemble is Ensemble.REAL else []


def darts_by_matrix(words):
    """Darts grouped by the matrix of their letter."""
    groups = {}
    for v, word in enumerate(words):
        for i, letter in enumerate(word.letters):
            groups.setdefault(letter.matrix, []).append((v, i))
    return groups


def contraction_count(words, model):
    """The number of Wick contractions of a product of traces, counted without listing them.

    Letters of different matrices never pair; the letters of one matrix pair
    in (n - 1)!! ways, each with one gluing (real, Hermitian) or two (real
    symmetric); a complex matrix pairs only with its adjoint, in n! ways.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> from largen.diagrams.engine.observable import parse_observable
    >>> (_, words), = parse_observable("Trace((X*X.T)**3)").terms
    >>> contraction_count(words, mrs()) == len(list(contractions(words, mrs()))) == 15
    True
    """
    words = tuple(words)
    total = 1
    for darts in darts_by_matrix(words).values():
        letters = [words[v].letters[i] for v, i in darts]
        ensemble = model.matrices[letters[0].matrix].ensemble
        if ensemble is Ensemble.COMPLEX:
            adjoints = sum(letter.transposed for letter in letters)
            if 2 * adjoints != len(letters):
                return 0
            total *= math.factorial(adjoints)
            continue
        if len(letters) % 2:
            return 0
        total *= math.prod(range(len(letters) - 1, 0, -2)) * (2 ** (len(letters) // 2) if ensemble is Ensemble.SYMMETRIC else 1)
    return total


def contractions(words, model, *, max_diagrams=MAX_DIAGRAMS):
    """Every Wick contraction of the product of traces ``words``, all genera.

    Parameters
    ----------
    words : sequence of Word
    model : Model
    max_diagrams : int or None
        Refuse (CostError) before listing more contractions than this.

    Returns
    -------
    iterator of RibbonGraph
    """
    words = tuple(words)
    check_cost(contraction_count(words, model), max_diagrams, f"the Wick contractions of {_show(words)}")
    return _contractions(words, model)


def _show(words):
    return " ".join(f"tr {word!r}" for word in words)[:200]


def _contractions(words, model):
    per_matrix = [list(_matchings(darts, words, model)) for darts in darts_by_matrix(words).values()]
    for choice in product(*per_matrix):
        yield RibbonGraph(words, model, [edge for edges in choice for edge in edges])


def _matchings(darts, words, model):
    if not darts:
        yield ()
        return
    first, rest = darts[0], darts[1:]
    letter = words[first[0]].letters[first[1]]
    for k, other in enumerate(rest):
        for twisted in gluings(model, letter, words[other[0]].letters[other[1]]):
            for more in _matchings(rest[:k] + rest[k + 1:], words, model):
                yield ((first, other, twisted),) + more


def symmetries(words, *, max_diagrams=MAX_DIAGRAMS):
    """Relabellings of darts that leave the product of traces unchanged.

    Rotations of each trace onto itself, and permutations of equal traces.
    Returns a list of dicts dart -> dart; refuses (CostError) more than
    ``max_diagrams`` of them.
    """
    rotations = []
    for word in words:
        n = len(word)
        rotations.append([r for r in range(max(n, 1)) if n == 0 or word.rotate(r) == word])
    groups = {}
    for v, word in enumerate(words):
        groups.setdefault(word, []).append(v)
    count = math.prod(map(len, rotations)) * math.prod(math.factorial(len(vs)) for vs in groups.values())
    check_cost(count, max_diagrams, f"the symmetries of {_show(words)}")
    perms = []
    for blocks in product(*[list(permutations(vs)) for vs in groups.values()]):
        target = {}
        for vs, image in zip(groups.values(), blocks):
            target.update(zip(vs, image))
        perms.append(target)
    maps = []
    for target in perms:
        for shifts in product(*rotations):
            maps.append({(v, i): (target[v], (i - shifts[v]) % len(words[v]))
                         for v in range(len(words)) for i in range(len(words[v]))})
    return maps


def isomorphism_classes(graphs, words, *, max_diagrams=MAX_DIAGRAMS):
    """Group contractions of ``words`` up to the observable's symmetries.

    Returns a list of ``(representative, multiplicity)``, in order of first
    appearance; the multiplicities add up to the number of graphs. Every graph
    is relabelled by every symmetry: at about a microsecond per edge and
    relabelling, against some 140 for listing a diagram, the work is refused
    (CostError) past ``max_diagrams`` diagrams' worth.
    """
    graphs = list(graphs)
    maps = symmetries(words, max_diagrams=max_diagrams)
    edges = sum(map(len, words)) // 2
    check_cost(len(graphs) * len(maps) * edges // _EDGES_PER_DIAGRAM, max_diagrams,
               lambda: f"the classes of the contractions of {_show(words)}")
    classes = {}
    for graph in graphs:
        key = min(tuple(sorted((min(m[a], m[b]), max(m[a], m[b]), t) for a, b, t in graph.edges)) for m in maps)
        if key in classes:
            classes[key][1] += 1
        else:
            classes[key] = [graph, 1]
    return [(graph, count) for graph, count in classes.values()]
