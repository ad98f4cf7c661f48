"""The N <-> P duality: on models, on ribbon graphs, and on derived expressions.

Write the features as u = (sigma_u/sqrt(M)) U and the data as X = S Z with
S = Lambda**(1/2), U (N x M) and Z (M x P) standard Gaussian. In this *frame*
every observable is a trace of words in U, Z and the deterministic S, and the
duality exchanges U with Z^T and the space N with the space P, keeping gamma,
sigma_u, sigma_w and Lambda fixed (for the training loss summed over samples;
with a per-sample mean, gamma must go to gamma * P / N).

On a ribbon graph the map is a relabelling: every letter U, U^T, Z, Z^T
becomes Z^T, Z, U^T, U in place, so the pairing, the twists and the faces stay;
faces of N become faces of P, the S insertions stay on their faces, and the
variances of the two kinds of propagator are exchanged. A diagram with as many
U as Z propagators therefore keeps its weight up to N <-> P. The dual word is
in general the transpose of another word of the same observable, so the
graph is carried back into the observable's own diagrams by the rotation or
reflection (tr W = tr W^T) that identifies the two.

Where the map fails is reported, not hidden: the label-noise words have two
more U than Z letters, and their duals are no words of the loss.

Examples
--------
>>> pairs = dual_pairs(order=2)
>>> all(p.dual_weight == swap_sizes(p.weight, pairs[0].model) for p in pairs)
True
"""

from dataclasses import dataclass
from functools import cached_property

import sympy

from .errors import ModelError
from .model import Gaussian, Model, mrs
from .observable import Letter, Word, covariance_trace, namespace, parse_observable
from .planar import planar_contractions
from .ribbon import RibbonGraph
from .series import loss_observables
from .symbols import parse
from .wick import contractions, isomorphism_classes

FRAME_COVARIANCE = "S"  # S = Lambda**(1/2)
RESCALING = ": ridge rescaling"  # a verdict that is a factor on gamma, not a remainder


def frame(model=None):
    """The model in the duality frame: U and Z standard up to U's variance, S on the latent corners."""
    model = model or mrs()
    r = model.regression
    if r is None or len(r.features) != 1:
        depth = len(r.features) if r else 0
        raise ModelError(f"the diagram-level duality needs one feature layer; model {model.name} has {depth}")
    (feature,) = r.features
    U, X = model.matrices[feature], model.matrices[r.data]
    matrices = [Gaussian(U.name, U.rows, U.cols, U.variance), Gaussian("Z", X.rows, X.cols, X.variance)]
    return Model(f"{model.name}-frame", model.spaces, matrices, {model.latent: FRAME_COVARIANCE})


def size_map(model):
    """{N: P, P: N}: the exchange of the last feature width and the number of samples."""
    width = model.spaces[model.feature_spaces[-1]]
    samples = model.spaces[model.samples]
    return {width: samples, samples: width}


def swap_sizes(expr, model):
    return sympy.sympify(expr).xreplace(size_map(model))


def parameter_map(model=None, convention="sum"):
    """The duality on parameters: N <-> P, and gamma fixed (sum over samples) or rescaled (mean)."""
    model = model or mrs()
    mapping = dict(size_map(model))
    gamma = model.regression.ridge
    width, samples = model.spaces[model.feature_spaces[-1]], model.spaces[model.samples]
    if convention == "sum":
        mapping[gamma] = gamma
    elif convention == "mean":
        mapping[gamma] = gamma * samples / width
    else:
        raise ModelError(f"unknown convention {convention!r} (sum or mean)")
    return mapping


def to_frame(expr, model):
    """An observable of ``model`` (text or sympy) written in the frame: X -> S Z, Lambda -> S**2."""
    names, framed = namespace(model), namespace(frame(model))
    if isinstance(expr, str):
        expr = parse(expr, names, what="observable", error=ModelError)
    S = framed[FRAME_COVARIANCE]
    data = model.regression.data
    replacements = {names[data]: S * framed["Z"], names[model.covariance(model.latent)]: S**2}
    return sympy.sympify(expr).xreplace(replacements)


def from_frame(weight, model):
    """A frame weight in the model's terms: tr S**(2k) = tr Lambda**k."""
    S, Lam = covariance_trace(FRAME_COVARIANCE), covariance_trace(model.covariance(model.latent))
    return weight.replace(lambda e: isinstance(e, S), lambda e: Lam(e.args[0] / 2))


def dual_word(word, model):
    """The word with U, U^T, Z, Z^T replaced in place by Z^T, Z, U^T, U and N <-> P on the corners."""
    (feature,) = model.regression.features
    partner = {feature: "Z", "Z": feature}
    spaces = {model.feature_spaces[-1]: model.samples, model.samples: model.feature_spaces[-1]}
    letters = tuple(Letter(partner[l.matrix], not l.transposed) for l in word.letters)
    return Word(letters, word.insertions, tuple(spaces.get(s, s) for s in word.spaces), word.covariance)


def reflect(word):
    """The transposed trace: letters reversed and transposed; corner k comes from corner n - k."""
    n = len(word)
    letters = tuple(Letter(l.matrix, not l.transposed) for l in reversed(word.letters))
    return Word(letters, tuple(word.insertions[(n - k) % n] for k in range(n)),
                tuple(word.spaces[(n - k) % n] for k in range(n)), word.covariance)


def _orientations(word):
    """Every reading of one trace: (reflected, shift, word); dart i goes to its place in each."""
    n = len(word)
    for reflected, base in ((False, word), (True, reflect(word))):
        for shift in range(n):
            yield reflected, shift, base.rotate(shift)


def _move(dart, n, reflected, shift):
    v, i = dart
    if reflected:
        i = n - 1 - i
    return v, (i - shift) % n


def dual_graph(graph, model):
    """The dual ribbon graph: same pairs and twists on the dual word."""
    (word,) = graph.words
    return RibbonGraph((dual_word(word, model),), graph.model, graph.edges)


@dataclass(frozen=True)
class DualPair:
    """A planar diagram class of a loss coefficient and its dual."""

    model: object
    coefficient: sympy.Expr
    diagram: RibbonGraph
    multiplicity: int
    dual: RibbonGraph
    dual_coefficient: sympy.Expr

    @cached_property
    def weight(self):
        return from_frame(self.diagram.weight, self.model)

    @cached_property
    def dual_weight(self):
        return from_frame(self.dual.weight, self.model)


def carry(graph, model, targets):
    """The dual of ``graph`` as a diagram of one of the ``targets`` (word -> coefficient)."""
    dual = dual_graph(graph, model)
    (word,) = dual.words
    n = len(word)
    for reflected, shift, reading in _orientations(word):
        if reading in targets:
            edges = [(_move(a, n, reflected, shift), _move(b, n, reflected, shift), t) for a, b, t in dual.edges]
            return RibbonGraph((reading,), graph.model, edges), targets[reading]
    return None, None


def dual_pairs(model=None, order=1, planar=True):
    """The diagram classes of the noiseless gamma**-order coefficient of the test loss, with their duals.

    Every class of every word is paired with its dual, carried into the
    coefficient's own words; a word whose dual is no word of the coefficient
    raises ModelError (see :func:`noise_breaks_duality`).
    """
    model = model or mrs()
    framed = frame(model)
    observable = loss_observables(model, order)[order].xreplace({model.regression.noise_variance: 0})
    terms = list(parse_observable(to_frame(observable, model), framed))
    targets = {}
    for coefficient, words in terms:
        if len(words) == 1:
            targets[words[0]] = targets.get(words[0], 0) + coefficient
    pairs = []
    for coefficient, words in terms:
        graphs = planar_contractions(words, framed) if planar else contractions(words, framed)
        for graph, multiplicity in isomorphism_classes(list(graphs), words):
            dual, dual_coefficient = carry(graph, model, targets) if len(words) == 1 else (None, None)
            if dual is None:
                raise ModelError(f"the dual of {words} is no word of the coefficient of gamma^-{order}")
            pairs.append(DualPair(model, coefficient, graph, multiplicity, dual, dual_coefficient))
    return pairs


def noise_breaks_duality(model=None, order=2):
    """The label-noise words of a loss coefficient whose duals are no words of the loss.

    Returns a list of (word, dual word) pairs; empty would mean the noise kept the duality.
    """
    model = model or mrs()
    framed = frame(model)
    loss = loss_observables(model, order)[order]
    noise_part = loss - loss.xreplace({model.regression.noise_variance: 0})
    words_of_loss = {w for _, ws in parse_observable(to_frame(loss, model), framed) for w in ws}
    broken = []
    for _, words in parse_observable(to_frame(noise_part, model), framed):
        for word in words:
            dual = dual_word(word, model)
            if not any(reading in words_of_loss for _, _, reading in _orientations(dual)):
                broken.append((word, dual))
    return broken


def invariance(expr, mapping):
    """Zero if ``expr`` is invariant under the substitution ``mapping``, else the non-zero remainder."""
    return sympy.simplify(sympy.together(expr - sympy.sympify(expr).xreplace(mapping)))


def verdicts(model=None, order=3):
    """Symbolic verdicts of the duality on what the planar theory derives.

    The Schwinger-Dyson equations are written for a pencil that treats the
    features and the data differently, so they are compared through their
    exact parametric solution (:mod:`diagrams.ridgeless`), valid at every
    ridge: the ridge gamma(Delta, n_k) and the test loss L(Delta, n_k). Returns
    ``{name: remainder}``, zero where the map leaves the expression invariant.
    For a deep model every exchange of two sizes is tried.
    """
    from .ridgeless import DELTA, ridgeless
    from .series import theory_coefficients

    model = model or mrs()
    limit = ridgeless(model)
    noise = model.regression.noise_variance.free_symbols
    noiseless = {s: 0 for s in noise}
    sizes = [model.spaces[s] for s in model.feature_spaces[1:]] + [model.spaces[model.samples]]
    exchanges = {}
    for i, a in enumerate(sizes):
        for b in sizes[i + 1:]:
            exchanges[f"{a}<->{b}"] = {a: b, b: a}
    result = {}
    parametric = {DELTA} | {s for s in limit.gamma.free_symbols if s.name.startswith("n")}
    for name, mapping in exchanges.items():
        result[f"{name}: ridge equation"] = invariance(limit.gamma, mapping)
        factor = sympy.simplify(limit.gamma.xreplace(mapping) / limit.gamma)
        if factor != 1 and not factor.free_symbols & parametric:
            # the same Delta solves the exchanged problem at a rescaled ridge
            result[f"{name}{RESCALING}"] = factor
        result[f"{name}: test loss"] = invariance(limit.loss.xreplace(noiseless), mapping)
        result[f"{name}: test loss with label noise"] = invariance(limit.loss, mapping)
    if len(model.regression.features) == 1:
        mapping = size_map(model)
        for k, c in enumerate(theory_coefficients(model, order)):
            result[f"series gamma^-{k}"] = invariance(c.xreplace(noiseless), mapping)
    return result
