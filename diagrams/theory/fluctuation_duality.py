"""The N <-> P duality of the variance of the test loss: on its parts, and class by class on its diagrams.

The map is that of :mod:`largen.diagrams.theory.duality` (U <-> Z^T in place, N <-> P at fixed
gamma, the training loss summed over samples). The variance over the teacher
(:func:`largen.diagrams.theory.fluctuations.parametric_scatter`) is compared at every ridge, the
variance over the features and data on its large-ridge coefficients
(:func:`largen.diagrams.theory.fluctuation_series.scatter_coefficients`), and the planar diagrams
of both, the sphere diagrams of one trace and the cylinder diagrams of two, are paired with their
duals one by one; a trace of a cylinder read backwards changes the twist of its ribbons to the other.

Examples
--------
>>> from largen.diagrams import mrs
>>> all(p.dual is not None for p in scatter_pairs(mrs(), 2, "connected"))
True
"""

import itertools

import sympy

from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.engine.ribbon import RibbonGraph
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count, isomorphism_classes
from largen.diagrams.errors import ModelError
from largen.diagrams.theory.duality import (PAIR_COST, DualPair, Quantity, Verdict, dual_word, frame, invariance,
                                            reflect, swap_sizes, to_frame)
from largen.diagrams.theory.fluctuation_series import scatter_coefficients, variance_observable
from largen.diagrams.theory.fluctuations import parametric_scatter
from largen.diagrams.theory.series import check_order, loss_observable

__all__ = ["scatter_pairs", "scatter_verdicts"]


def scatter_pairs(model=None, order=2, part="within", *, max_diagrams=MAX_DIAGRAMS):
    """The planar diagram classes of a part of the noiseless variance at gamma**-order, with their duals.

    ``part`` is ``"within"``, the sphere diagrams of E_{u,X}[Var_w L] (one trace,
    :func:`variance_observable`), or ``"connected"``, the cylinder diagrams of
    Var_{u,X}[E_w L] (two traces joined,
    :func:`~largen.diagrams.theory.fluctuation_series.connected_coefficients`). Each
    class is carried by the N <-> P map of :mod:`largen.diagrams.theory.duality`
    (U <-> Z^T in place, on every trace) into the words of the same
    coefficient, by a rotation or a reflection of each trace and an exchange
    of the traces; where no reading of the dual is a word of the
    coefficient, ``dual`` is None.

    Returns
    -------
    list of DualPair

    Examples
    --------
    >>> pairs = scatter_pairs(mrs(), 2, "connected")
    >>> len(pairs), all(p.dual_weight == swap_sizes(p.weight, p.model) for p in pairs)
    (6, True)
    """
    model = model or mrs()
    order = check_order(order)
    if part not in ("within", "connected"):
        raise ModelError(f"part must be 'within' or 'connected', got {part!r}"[:200])
    framed = frame(model)
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    if part == "within":
        observable = variance_observable(model, order).xreplace(noiseless)
    else:
        losses = [loss_observable(model, k, max_diagrams=max_diagrams).xreplace(noiseless) for k in range(order + 1)]
        observable = sum((losses[j] * losses[order - j] for j in range(1, order)), sympy.Integer(0))
    # one term per product of trace classes (a trace read from another letter, or backwards, is the same)
    merged = {}
    for coefficient, words in parse_observable(to_frame(sympy.expand(observable), model), framed):
        if words:
            key = tuple(sorted(min(repr(r) for _, _, r in _readings(w)) for w in words))
            known = merged.get(key, (words, 0))
            merged[key] = (known[0], known[1] + coefficient)
    terms = [(coefficient, words) for words, coefficient in merged.values() if coefficient != 0]
    targets = {_canonical(words): coefficient for coefficient, words in terms}
    check_cost(sum(PAIR_COST * contraction_count(words, framed) for _, words in terms), max_diagrams,
               lambda: f"the dual pairs of the scatter's diagrams at {model.regression.ridge}^-{order}")
    pairs = []
    for coefficient, words in terms:
        graphs = [g for g in planar_contractions(words, framed, max_diagrams=None) if g.components == 1]
        for graph, multiplicity in isomorphism_classes(graphs, words, max_diagrams=None):
            dual, dual_coefficient = _carry(graph, model, targets)
            pairs.append(DualPair(model, coefficient, graph, multiplicity, dual, dual_coefficient))
    return pairs


def _canonical(words):
    """A product of traces as a key: its words in a fixed order."""
    return tuple(sorted(words, key=repr))


def _readings(word):
    """Every reading of one trace: (reflected, shift, word)."""
    n = len(word)
    for reflected, base in ((False, word), (True, reflect(word))):
        for shift in range(max(n, 1)):
            yield reflected, shift, base.rotate(shift)


def _carry(graph, model, targets):
    """The dual of a graph of several traces as a diagram of one of the ``targets`` (canonical words ->
    coefficient): each trace read by a rotation or a reflection, the traces in the targets' order."""
    duals = [dual_word(word, model) for word in graph.words]
    for readings in itertools.product(*[list(_readings(d)) for d in duals]):
        words = tuple(reading for _, _, reading in readings)
        key = _canonical(words)
        if key not in targets:
            continue
        order = sorted(range(len(words)), key=lambda v: repr(words[v]))
        place = {v: order.index(v) for v in range(len(words))}

        def move(dart):
            v, i = dart
            reflected, shift, _ = readings[v]
            n = len(words[v])
            return place[v], ((n - 1 - i if reflected else i) - shift) % n

        # reading one trace backwards reverses its orientation: a ribbon to another trace read the
        # other way round changes its twist
        edges = [(move(a), move(b), t != (readings[a[0]][0] != readings[b[0]][0])) for a, b, t in graph.edges]
        return RibbonGraph(key, graph.model, edges), targets[key]
    return None, None


def scatter_verdicts(model=None, order=2, *, diagrams=True, max_diagrams=MAX_DIAGRAMS):
    """Verdicts of the N <-> P duality on the variance of the test loss.

    For each exchange of two sizes among the widths and the samples:

    - ``variance over the teacher`` (E_{u,X}[Var_w L], noiseless) and the same ``with label
      noise``: on the parametric form (:func:`parametric_scatter`), at every ridge;
    - ``variance over the features and data`` (Var_{u,X}[E_w L]), noiseless and with noise:
      on the large-ridge coefficients to gamma^-order (it has no parametric form here);
    - with ``diagrams`` and one feature layer, class by class (:func:`scatter_pairs`):
      every planar class of each noiseless part at gamma^-k, k = 1..order, paired with a dual
      class of the exchanged weight and the same coefficient.

    Returns
    -------
    tuple of Verdict

    Examples
    --------
    >>> [(v.quantity, v.cause) for v in scatter_verdicts(mrs(), 3) if not v.invariant]  # doctest: +NORMALIZE_WHITESPACE
    [('variance over the teacher with label noise', 'the label noise (without it the remainder vanishes)'),
     ('variance over the features and data with label noise gamma^-3',
      'the label noise (without it the remainder vanishes)')]
    """
    model = model or mrs()
    order = check_order(order)
    ridge = model.regression.ridge
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    sizes = [model.spaces[s] for s in model.feature_spaces[1:]] + [model.spaces[model.samples]]
    exchanges = [(a, b) for i, a in enumerate(sizes) for b in sizes[i + 1:] if a.is_Symbol and b.is_Symbol]
    parametric = parametric_scatter(model)
    within = parametric.teacher + parametric.noise
    coefficients = scatter_coefficients(model, order)
    def verdict(kind, expr, sizes, **order):
        remainder = invariance(expr, dict([sizes, sizes[::-1]]))
        cause = ""
        if remainder != 0 and remainder.xreplace(noiseless) == 0:
            cause = "the label noise (without it the remainder vanishes)"
        return Verdict(kind, sizes, remainder == 0, remainder, cause=cause, ridge=ridge, **order)

    found = []
    for sizes in exchanges:
        found += [verdict(Quantity.VARIANCE, within.xreplace(noiseless), sizes),
                  verdict(Quantity.VARIANCE_WITH_NOISE, within, sizes)]
        for k, c in enumerate(coefficients):
            found += [verdict(Quantity.CONNECTED_VARIANCE, c.connected.xreplace(noiseless), sizes, order=k),
                      verdict(Quantity.CONNECTED_VARIANCE_WITH_NOISE, c.connected, sizes, order=k)]
    if diagrams and len(model.regression.features) == 1 and exchanges:
        ((a, b),) = exchanges
        for part in ("within", "connected"):
            for k in range(1 if part == "within" else 2, order + 1):
                pairs = scatter_pairs(model, k, part, max_diagrams=max_diagrams)
                found.append(_diagram_verdict(model, pairs, (a, b), k, part))
    return tuple(found)


def _diagram_verdict(model, pairs, sizes, order, part):
    """Invariant when every class has a dual class with the exchanged weight and the same coefficient; the
    remainder is the classes' sum minus its image."""
    unpaired = [p for p in pairs if p.dual is None]
    mismatched = [p for p in pairs if p.dual is not None and (
        p.dual_coefficient != p.coefficient or p.dual_weight != swap_sizes(p.weight, model))]
    total = sum((p.multiplicity * p.coefficient * p.weight for p in pairs), sympy.Integer(0))
    remainder = sympy.factor_terms(sympy.cancel(sympy.expand(total - swap_sizes(total, model))))
    cause = f"{len(unpaired)} class{'es' * (len(unpaired) != 1)} without a dual diagram" if unpaired else ""
    kind = Quantity.VARIANCE_DIAGRAMS if part == "within" else Quantity.CONNECTED_VARIANCE_DIAGRAMS
    return Verdict(kind, sizes, not (unpaired or mismatched), remainder, order=order, cause=cause,
                   ridge=model.regression.ridge)
