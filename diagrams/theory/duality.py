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
more U than Z letters, and their duals are no words of the loss. For nonlinear
features (:func:`largen.diagrams.engine.model.gaussian_equivalent`) the ridge equation stays
invariant while the test loss does not: the verdicts on the same model with the
test point's own xi removed locate the failure there (the mu_star**2 |theta|**2/2
of the test loss has no counterpart on the side of the samples). Diagram by
diagram, xi (N x P) is its own partner, xi -> xi^T in place: every class pairs
except those of the test point's xi, whose words have two more Z than U
letters (the identity where the linear readout has U Lambda U^T); their sum is
the series' remainder.

Examples
--------
>>> pairs = dual_pairs(order=2)
>>> all(p.dual_weight == swap_sizes(p.weight, pairs[0].model) for p in pairs)
True
"""

import enum
from dataclasses import dataclass, replace
from functools import cache, cached_property

import sympy

from largen.diagrams.errors import ModelError
from largen.diagrams.theory.finite_size import correction_coefficients
from largen.diagrams.printing.latex import display, text
from largen.diagrams.engine.model import Gaussian, Model, mrs, vanishing_features
from largen.diagrams.engine.observable import Letter, namespace, parse_observable
from largen.diagrams.engine.planar import planar_contractions, planar_count
from largen.diagrams.engine.ribbon import RibbonGraph
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.theory.series import check_order, loss_observable, theory_coefficients
from largen.diagrams.engine.spectral import covariance_trace, effective_dimension
from largen.diagrams.engine.symbols import as_expr, parse
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count, contractions, isomorphism_classes

__all__ = [
    "FRAME_COVARIANCE", "frame", "size_map", "swap_sizes", "parameter_map", "to_frame", "from_frame",
    "dual_word", "reflect", "dual_graph", "DualPair", "carry", "dual_pairs_cost", "dual_pairs",
    "noise_breaks_duality", "invariance", "Quantity", "Verdict", "verdicts", "next_order_verdicts", "crosscap_pairs",
    "Symmetry", "symmetry", "without_test_xi",
]

FRAME_COVARIANCE = "S"  # S = Lambda**(1/2)
PAIR_COST = 8  # a dual pair (listing, classes, carrying) costs some 8 diagrams' worth of listing


def frame(model=None):
    """The model in the duality frame: U and Z standard up to U's variance, S on the latent corners
    (and the Gaussian equivalent xi of nonlinear features as it is)."""
    model = model or mrs()
    r = model.regression
    if r is None or len(r.features) != 1:
        depth = len(r.features) if r else 0
        raise ModelError(f"the diagram-level duality needs one feature layer; model {model.name} has {depth}")
    (feature,) = r.features
    U, X = model.matrices[feature], model.matrices[r.data]
    matrices = [Gaussian(U.name, U.rows, U.cols, U.variance), Gaussian("Z", X.rows, X.cols, X.variance)]
    if r.equivalent is not None:  # xi, samples to the width, is a letter of the frame as it is of the model
        matrices.append(model.matrices[r.equivalent.matrix])
    teacher = model.teacher(model.latent)  # the teacher covariance stays on the latent corners
    return Model(f"{model.name}-frame", model.spaces, matrices, {model.latent: FRAME_COVARIANCE},
                 teachers={model.latent: teacher} if teacher else None)


def size_map(model):
    """{N: P, P: N}: the exchange of the last feature width and the number of samples."""
    width = model.spaces[model.feature_spaces[-1]]
    samples = model.spaces[model.samples]
    return {width: samples, samples: width}


def swap_sizes(expr, model):
    return as_expr(expr).xreplace(size_map(model))


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
    teacher = model.teacher(model.latent)
    if teacher:
        replacements[names[teacher]] = framed[teacher]
    return as_expr(expr).xreplace(replacements)


def from_frame(weight, model):
    """A frame weight in the model's terms: tr S**(2k) = tr Lambda**k (and tr S**(2k) W**j =
    tr Lambda**k W**j with a teacher covariance W)."""
    S, Lam = covariance_trace(FRAME_COVARIANCE), covariance_trace(model.covariance(model.latent))
    weight = weight.replace(lambda e: isinstance(e, S), lambda e: Lam(e.args[0] / 2))
    teacher = model.teacher(model.latent)
    if teacher:
        SW = covariance_trace(FRAME_COVARIANCE, teacher)
        LamW = covariance_trace(model.covariance(model.latent), teacher)
        weight = weight.replace(lambda e: isinstance(e, SW), lambda e: LamW(e.args[0] / 2, e.args[1]))
    return weight


def dual_word(word, model):
    """The word with U, U^T, Z, Z^T replaced in place by Z^T, Z, U^T, U and N <-> P on the corners.

    The Gaussian equivalent xi of nonlinear features (N x P) becomes xi^T in
    place, as xi^T becomes xi: it is its own partner, with its own variance.
    """
    r = model.regression
    (feature,) = r.features
    partner = {feature: "Z", "Z": feature}
    if r.equivalent is not None:
        partner[r.equivalent.matrix] = r.equivalent.matrix
    spaces = {model.feature_spaces[-1]: model.samples, model.samples: model.feature_spaces[-1]}
    letters = tuple(Letter(partner[l.matrix], not l.transposed) for l in word.letters)
    return replace(word, letters=letters, spaces=tuple(spaces.get(s, s) for s in word.spaces))


def reflect(word):
    """The transposed trace: letters reversed and transposed; corner k comes from corner n - k."""
    n = len(word)
    letters = tuple(Letter(l.matrix, not l.transposed) for l in reversed(word.letters))
    turn = lambda seq: tuple(seq[(n - k) % n] for k in range(n)) if seq else seq  # noqa: E731
    return replace(word, letters=letters, insertions=turn(word.insertions), spaces=turn(word.spaces),
                   weights=turn(word.weights))


def _orientations(word):
    """Every reading of one trace: (reflected, shift, word); dart i goes to its place in each."""
    n = len(word)
    if n == 0:  # a trace of the covariances alone, tr Lambda**k: one reading
        yield False, 0, word
        return
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
    """A diagram class of a loss coefficient and its dual, or None where its dual is no diagram of
    the coefficient (its dual word is none of the coefficient's words: the pair is broken)."""

    model: object
    coefficient: sympy.Expr
    diagram: RibbonGraph
    multiplicity: int
    dual: RibbonGraph | None
    dual_coefficient: sympy.Expr | None

    @cached_property
    def weight(self):
        return from_frame(self.diagram.weight, self.model)

    @cached_property
    def dual_weight(self):
        return None if self.dual is None else from_frame(self.dual.weight, self.model)

    def _latex(self, printer):
        dual = r"\text{no diagram of the coefficient}" if self.dual is None else printer._print(self.dual_weight)
        return rf"{self.multiplicity} \times {printer._print(self.weight)} \;\longleftrightarrow\; {dual}"

    def _repr_latex_(self):
        return display(self)


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


def _noiseless(model, order, max_diagrams):
    return loss_observable(model, order, max_diagrams=max_diagrams).xreplace({model.regression.noise_variance: 0})


def dual_pairs_cost(model, order, planar=True, *, max_diagrams=MAX_DIAGRAMS):
    """The estimated cost, in diagrams, of :func:`dual_pairs` at ``order``.

    Each (planar) contraction of the noiseless coefficient is listed, sorted
    into classes and carried to its dual, for some ``PAIR_COST`` diagrams'
    worth of time. The count grows with the order, so the lower orders are
    counted first and an absurd order is refused (CostError) after a few.

    Examples
    --------
    >>> dual_pairs_cost(mrs(), 3)
    352
    """
    for k in range(check_order(order) + 1):
        cost = 0
        for _, words in parse_observable(_noiseless(model, k, max_diagrams), model):
            count = planar_count(words[0], model) if planar and len(words) == 1 else contraction_count(words, model)
            cost += PAIR_COST * count
        ridge = model.regression.ridge
        check_cost(cost, max_diagrams, f"the dual pairs of the diagrams of {ridge}^-{order}"
                                       + (f" (already of {ridge}^-{k})" if k < order else ""))
    return cost


def dual_pairs(model=None, order=1, planar=True, *, max_diagrams=MAX_DIAGRAMS):
    """The diagram classes of the noiseless gamma**-order coefficient of the test loss, with their duals.

    Every class of every word is paired with its dual, carried into the
    coefficient's own words; a class whose dual word is no word of the
    coefficient (a teacher covariance's, say; the test point's own xi of
    nonlinear features) is kept with the dual None: no diagram of the
    coefficient is its partner (see also :func:`noise_breaks_duality`).

    Parameters
    ----------
    model : Model, optional
        A model with one feature layer; MRS by default.
    order : int
        The power of 1/gamma.
    planar : bool
        The planar classes only, or every genus.
    max_diagrams : int or None
        Refuse (CostError) before listing when :func:`dual_pairs_cost` exceeds this.

    Returns
    -------
    list of DualPair

    Examples
    --------
    >>> pairs = dual_pairs(mrs(nonlinear=True), 2)
    >>> len(pairs), sorted({str(p.coefficient) for p in pairs if p.dual is None})  # the test point's xi
    (13, ['mu_1**2*mu_star**2*sigma_w**2/(2*M)', 'mu_star**2*sigma_w**2/(2*M)'])
    """
    model = model or mrs()
    framed = frame(model)
    dual_pairs_cost(model, order, planar, max_diagrams=max_diagrams)
    terms = list(parse_observable(to_frame(_noiseless(model, order, max_diagrams), model), framed))
    targets = {}
    for coefficient, words in terms:
        if len(words) == 1:
            targets[words[0]] = targets.get(words[0], 0) + coefficient
    pairs = []
    for coefficient, words in terms:
        graphs = (planar_contractions(words, framed, max_diagrams=None) if planar
                  else contractions(words, framed, max_diagrams=None))
        if len(words) != 1:
            raise ModelError(f"the duality of a product of traces is not written: {coefficient} {words}")
        for graph, multiplicity in isomorphism_classes(list(graphs), words, max_diagrams=None):
            dual, dual_coefficient = carry(graph, model, targets)
            pairs.append(DualPair(model, coefficient, graph, multiplicity, dual, dual_coefficient))
    return pairs


def noise_breaks_duality(model=None, order=2, *, max_diagrams=MAX_DIAGRAMS):
    """The label-noise words of a loss coefficient whose duals are no words of the loss.

    Returns a list of (word, dual word) pairs; empty would mean the noise kept
    the duality. The order is bounded as in :func:`dual_pairs`.
    """
    model = model or mrs()
    framed = frame(model)
    dual_pairs_cost(model, order, max_diagrams=max_diagrams)
    loss = loss_observable(model, order, max_diagrams=max_diagrams)
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
    """Zero if ``expr`` is invariant under the substitution ``mapping``, else the non-zero remainder.

    The remainder is a cancelled fraction: cancel is deterministic, where
    simplify and factor run Wang's factorisation with random evaluation
    points, whose time varied from one second to minutes between runs.

    Examples
    --------
    >>> N, P = sympy.symbols("N P")
    >>> invariance(N * P / (N + P), {N: P, P: N}), invariance(N**2 - P, {N: P, P: N})
    (0, N**2 + N - P**2 - P)
    """
    expr = as_expr(expr)
    return sympy.factor_terms(sympy.cancel(expr - expr.xreplace(mapping)))


class Quantity(enum.Enum):
    """What a :class:`Verdict` compares with its image under an exchange of sizes."""

    RIDGE_EQUATION = "ridge equation"
    TEST_LOSS = "test loss"
    TEST_LOSS_WITH_NOISE = "test loss with label noise"
    TEST_LOSS_WITHOUT_TEST_XI = "test loss without the test point's xi"
    SERIES = "series"  # a coefficient of the large-ridge series
    CORRECTION = "correction"  # a coefficient of the first finite-size correction
    CORRECTION_WITH_NOISE = "correction with label noise"
    CROSSCAP_DIAGRAMS = "one-crosscap diagrams"  # the diagrams of a correction's coefficient, class by class
    # the variance of the test loss (largen.diagrams.theory.fluctuations): over the teacher at fixed draws,
    # and of the teacher-averaged loss over the features and data
    VARIANCE = "variance over the teacher"
    VARIANCE_WITH_NOISE = "variance over the teacher with label noise"
    CONNECTED_VARIANCE = "variance over the features and data"
    CONNECTED_VARIANCE_WITH_NOISE = "variance over the features and data with label noise"
    VARIANCE_DIAGRAMS = "sphere diagrams of the variance over the teacher"
    CONNECTED_VARIANCE_DIAGRAMS = "cylinder diagrams of the variance over the features and data"


@dataclass(frozen=True)
class Verdict:
    """Whether an exchange of two sizes leaves a derived quantity invariant.

    Attributes
    ----------
    kind : Quantity
        What is compared.
    sizes : tuple of Symbol
        The two sizes exchanged.
    invariant : bool
        Whether the remainder is zero; for the diagrams class by class,
        whether every class has its dual (the remainder may vanish without).
    remainder : Expr
        The quantity minus its image, zero where invariant.
    rescaling : Expr or None
        For a ridge equation that is not invariant: the factor c with
        gamma(image) = c gamma at every Delta, when there is one (the same
        Delta then solves the exchanged problem at the ridge gamma * c); for a
        coefficient of the correction, the image is taken at that ridge.
    order : int or None
        For a coefficient (series, correction, diagrams): k of gamma**-k.
    cause : str
        Where the exchange fails, what breaks it, read off the remainder: the
        parts of the model (label noise, a teacher covariance) without which it
        vanishes; "" when no single part is the cause.
    ridge : Symbol
        The model's ridge, which the quantity's words and a rescaling name.

    ``exchange``, ``quantity`` and ``term`` are the same data as text and as
    the power of the ridge, for printing.
    """

    kind: Quantity
    sizes: tuple
    invariant: bool
    remainder: sympy.Expr
    rescaling: sympy.Expr = None
    order: int = None
    cause: str = ""
    ridge: sympy.Symbol = None

    @property
    def exchange(self):
        """The map as text, e.g. ``"N <-> P"``."""
        return _exchange(self.sizes)

    @property
    def term(self):
        """The power of the ridge gamma**-k whose coefficient is compared (unevaluated), or None."""
        return None if self.order is None else sympy.Pow(self.ridge, -self.order, evaluate=False)

    @property
    def quantity(self):
        """What is compared, as text: ``"series gamma^-2"``, ``"correction gamma^-1 at gamma * N1/N2"``."""
        if self.order is None:
            return self.kind.value
        at = f" at {self.ridge} * {self.rescaling}" if self.rescaling is not None else ""
        return f"{self.kind.value} {self.ridge}^-{self.order}{at}"

    def _latex(self, printer):
        if self.invariant:
            found = text("invariant")
        elif self.remainder == 0:  # diagrams without a dual whose sum is invariant
            found = text(f"invariant as a sum, not class by class: {self.cause}")
        else:
            found = rf"{text('changes by ')}{printer._print(self.remainder)}"
        if self.rescaling is not None and self.order is None:
            found += rf",\ {text('invariant at ')}{printer._print(self.ridge)} \cdot {printer._print(self.rescaling)}"
        return rf"{_latex_exchange(self.sizes, printer)}:\ {self.quantity_latex(printer)}\ {found}"

    def quantity_latex(self, printer):
        """The quantity compared, in LaTeX: its words, and the term of the series as math."""
        if self.order is None:
            return text(self.kind.value)
        base = printer._print(self.ridge)
        found = rf"{text(self.kind.value + ' coefficient of ')}{base}^{{{printer._print(-self.order)}}}"
        if self.rescaling is not None:
            found += rf"\ {text('at ')}{base} \cdot {printer._print(self.rescaling)}"
        return found

    def _repr_latex_(self):
        return display(self)


def _exchanges(model):
    """Each pair of symbolic sizes among the feature widths and the samples."""
    sizes = [model.spaces[s] for s in model.feature_spaces[1:]] + [model.spaces[model.samples]]
    sizes = [s for s in sizes if s.is_Symbol]  # a fixed width is no parameter to exchange
    return [(a, b) for i, a in enumerate(sizes) for b in sizes[i + 1:]]


def _exchange(sizes):
    a, b = sizes
    return f"{a} <-> {b}"


def _latex_exchange(sizes, printer):
    a, b = sizes
    return rf"{printer._print(a)} \leftrightarrow {printer._print(b)}"


@cache
def _parametric_verdicts(model):
    """The verdicts on the parametric solution, at every ridge (see :func:`verdicts`)."""
    limit = ridgeless(model)
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    parametric = limit.gamma.free_symbols - set(model.symbols.values())  # Delta and the n_k
    ridge, found = model.regression.ridge, []
    for a, b in _exchanges(model):
        mapping = {a: b, b: a}
        remainder = invariance(limit.gamma, mapping)
        rescaling = None
        if remainder != 0:
            factor = sympy.cancel(limit.gamma.xreplace(mapping) / limit.gamma)
            if not factor.free_symbols & parametric:
                rescaling = factor
        found.append(Verdict(Quantity.RIDGE_EQUATION, (a, b), remainder == 0, remainder, rescaling, ridge=ridge))
        losses = ((Quantity.TEST_LOSS, limit.loss.xreplace(noiseless)), (Quantity.TEST_LOSS_WITH_NOISE, limit.loss))
        if model.regression.equivalent is not None:
            losses += ((Quantity.TEST_LOSS_WITHOUT_TEST_XI, ridgeless(without_test_xi(model)).loss.xreplace(noiseless)),)
        for kind, loss in losses:
            remainder = invariance(loss, mapping)
            found.append(Verdict(kind, (a, b), remainder == 0, remainder, ridge=ridge))
    return tuple(found)


def without_test_xi(model):
    """A nonlinear model whose test point has the linear part of the features only (its xi's variance 0).

    Examples
    --------
    >>> without_test_xi(mrs(nonlinear=True)).regression.equivalent.test
    0
    """
    r = model.regression
    if r.equivalent is None:
        raise ModelError(f"model {model.name} has linear features")
    covariances = {s: model.covariance(s) for s in model.spaces if model.covariance(s)}
    equivalent = replace(r.equivalent, test=sympy.Integer(0))
    teachers = {s: model.teacher(s) for s in model.spaces if model.teacher(s)}
    return Model(model.name, model.spaces, list(model.matrices.values()), covariances,
                 replace(r, equivalent=equivalent), teachers)


def verdicts(model=None, order=3, *, max_diagrams=MAX_DIAGRAMS):
    """Symbolic verdicts of the duality on what the planar theory derives.

    The Schwinger-Dyson equations are written for a pencil that treats the
    features and the data differently, so they are compared through their
    exact parametric solution (:mod:`largen.diagrams.theory.parametric`), valid at every
    ridge: the ridge gamma(Delta, n_k) and the test loss L(Delta, n_k). Every
    exchange of two sizes among the widths and the samples is tried; for a
    model with one feature layer the noiseless large-ridge coefficients up to
    gamma^-order are compared too.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.
    order : int
        The last coefficient of the large-ridge series compared (one feature layer).
    max_diagrams : int or None
        The cost limit of the series (:func:`largen.diagrams.theory.series.theory_cost`).

    Returns
    -------
    tuple of Verdict

    Examples
    --------
    >>> [(v.exchange, v.quantity, v.invariant) for v in verdicts(mrs(), 0)]  # doctest: +NORMALIZE_WHITESPACE
    [('N <-> P', 'ridge equation', True), ('N <-> P', 'test loss', True),
     ('N <-> P', 'test loss with label noise', False), ('N <-> P', 'series gamma^-0', True)]
    """
    model = model or mrs()
    check_order(order)
    found = tuple(replace(v, cause=_cause(model, v.remainder)) if not v.invariant else v
                  for v in _parametric_verdicts(model))
    exchanges = _exchanges(model)
    if len(model.regression.features) != 1 or not exchanges:
        return found
    ((a, b),) = exchanges
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    series = []
    for k, c in enumerate(theory_coefficients(model, order, max_diagrams=max_diagrams)):
        remainder = invariance(c.xreplace(noiseless), {a: b, b: a})
        ridge = model.regression.ridge
        series.append(Verdict(Quantity.SERIES, (a, b), remainder == 0, remainder, order=k,
                              cause=_cause(model, remainder) if remainder != 0 else "", ridge=ridge))
    return found + tuple(series)


def _cause(model, remainder):
    """The parts of the model whose removal makes a remainder vanish: the label noise (set to 0), a
    teacher covariance (made the identity: m_k -> n_k, tr Lambda**k Omega -> tr Lambda**k)."""
    parts = {"the label noise": {s: 0 for s in model.regression.noise_variance.free_symbols}}
    teacher = model.teacher(model.latent)
    if teacher is not None:
        latent, plain = model.spaces[model.latent], covariance_trace(model.covariance(model.latent))
        mixed = covariance_trace(model.covariance(model.latent), teacher)
        isotropic = {effective_dimension(k, True): effective_dimension(k) if k else latent for k in range(10)}
        isotropic.update({t: (plain(t.args[0]) if t.args[0] else latent) for t in remainder.atoms(mixed)
                          if t.args[1] == 1})
        parts[f"the teacher covariance {teacher}"] = isotropic
    parts = {name: removal for name, removal in parts.items() if removal}
    found = [name for name, removal in parts.items() if sympy.simplify(remainder.xreplace(removal)) == 0]
    if found:
        return " or ".join(f"{name} (without it the remainder vanishes)" for name in found)
    together = {k: v for removal in parts.values() for k, v in removal.items()}
    if len(parts) > 1 and sympy.simplify(remainder.xreplace(together)) == 0:
        return " and ".join(parts) + " together (without both the remainder vanishes)"
    return ""


def next_order_verdicts(model=None, order=3, *, max_diagrams=MAX_DIAGRAMS):
    """Verdicts of the duality on the first finite-size correction of the test loss.

    Every exchange of two sizes among the widths and the samples is tried on
    the large-ridge coefficients of the derived correction
    (:func:`largen.diagrams.theory.finite_size.correction_coefficients`), without and with
    label noise; where the planar ridge equation is invariant only at a
    rescaled ridge gamma * c, the coefficient of gamma**-k is compared with its
    image times c**-k. For a model with one feature layer (the diagram-level
    duality's, :func:`frame`) the one-crosscap diagrams (Euler genus 1: the
    diagrams of the correction) are paired with their duals one by one (:func:`crosscap_pairs`), and the verdict
    ``"one-crosscap diagrams gamma^-k"`` says whether every class maps to a
    class of the same Euler genus with the exchanged weight.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.
    order : int
        The last coefficient compared.
    max_diagrams : int or None
        The cost limit of the diagram pairs (:func:`dual_pairs_cost`).

    Returns
    -------
    tuple of Verdict
        Quantities ``"correction gamma^-k"`` and ``"correction with label noise gamma^-k"``.

    Examples
    --------
    >>> found = next_order_verdicts(mrs(), 3)
    >>> [v.quantity for v in found if not v.invariant]
    ['correction with label noise gamma^-3']
    >>> [v.quantity for v in found if v.invariant][-3:]
    ['one-crosscap diagrams gamma^-1', 'one-crosscap diagrams gamma^-2', 'one-crosscap diagrams gamma^-3']
    """
    model = model or mrs()
    order = check_order(order)
    coefficients = correction_coefficients(model, order)
    noiseless = {s: 0 for s in model.regression.noise_variance.free_symbols}
    rescalings = {v.sizes: v.rescaling for v in _parametric_verdicts(model) if v.kind is Quantity.RIDGE_EQUATION}
    ridge, found = model.regression.ridge, []
    for a, b in _exchanges(model):
        factor = rescalings.get((a, b))
        for k, c in enumerate(coefficients):
            for kind, expr in ((Quantity.CORRECTION, c.xreplace(noiseless)), (Quantity.CORRECTION_WITH_NOISE, c)):
                image = expr.xreplace({a: b, b: a}) * (1 if factor is None else factor ** -k)
                remainder = sympy.factor_terms(sympy.cancel(expr - image))
                found.append(Verdict(kind, (a, b), remainder == 0, remainder, factor, k, ridge=ridge))
    if len(model.regression.features) == 1 and _exchanges(model):
        ((a, b),) = _exchanges(model)
        for k in range(1, order + 1):
            found.append(_crosscap_verdict(model, k, (a, b), max_diagrams))
    return tuple(found)


def _crosscap_verdict(model, order, sizes, max_diagrams):
    """The one-crosscap diagrams of gamma**-order class by class: invariant when each class has a dual
    of Euler genus 1 with the exchanged weight and the same coefficient. The remainder is their sum
    minus its image (the dual map is an involution, so the classes without a dual are a set closed
    under it, and only their sum can be compared); ``cause`` counts those classes."""
    pairs = crosscap_pairs(model, order, max_diagrams=max_diagrams)
    unpaired = [p for p in pairs if p.dual is None]
    mismatched = [p for p in pairs if p.dual is not None and (
        p.dual.euler_genus != 1 or p.dual_coefficient != p.coefficient or p.dual_weight != swap_sizes(p.weight, model))]
    alone = sum(p.multiplicity * p.coefficient * p.weight for p in unpaired)
    change = sum(p.multiplicity * (p.coefficient * p.weight - p.dual_coefficient * swap_sizes(p.dual_weight, model))
                 for p in mismatched) + alone - swap_sizes(alone, model)
    remainder = sympy.factor_terms(sympy.cancel(sympy.expand(change)))
    cause = f"{len(unpaired)} class{'es' * (len(unpaired) != 1)} without a dual diagram" if unpaired else ""
    return Verdict(Quantity.CROSSCAP_DIAGRAMS, sizes, not (unpaired or mismatched), remainder, order=order, cause=cause,
                   ridge=model.regression.ridge)


def crosscap_pairs(model=None, order=1, *, max_diagrams=MAX_DIAGRAMS):
    """The dual pairs (:func:`dual_pairs`, every genus) of the one-crosscap classes of gamma**-order.

    A diagram of Euler genus 1 (one crosscap: a twisted ribbon of a real
    matrix) has one face fewer than a planar one; these are the diagrams of
    the first finite-size correction, and their weighted sum is the noiseless
    part of the correction's coefficient.

    Examples
    --------
    >>> pairs = crosscap_pairs(mrs(), 2)
    >>> sum(p.multiplicity * p.coefficient * p.weight for p in pairs)
    3*N**2*P*sigma_u**4*sigma_w**2*tr_Lambda(3)/(2*M**3) + 3*N*P**2*sigma_u**4*sigma_w**2*tr_Lambda(3)/(2*M**3) + 2*N*P*sigma_u**4*sigma_w**2*tr_Lambda(1)*tr_Lambda(2)/M**3
    """
    return [p for p in dual_pairs(model, order, planar=False, max_diagrams=max_diagrams) if p.diagram.euler_genus == 1]


@dataclass(frozen=True)
class Symmetry:
    """The exchanges of sizes that leave a model's noiseless planar test loss invariant.

    Attributes
    ----------
    samples : Symbol
        The number of samples, over which the training loss is summed (the convention).
    exchanges : tuple of (Symbol, Symbol)
        The pairs of sizes whose exchange leaves the loss invariant at fixed gamma.
    rescaled : tuple of ((Symbol, Symbol), Expr)
        The pairs whose exchange leaves it invariant at the ridge gamma * factor.
    broken_by_test_xi : tuple of ((Symbol, Symbol), Expr)
        Nonlinear features: the pairs whose exchange fails only through the test
        point's own xi, with the variance of that xi.
    ridge : Symbol
        The model's ridge, held fixed or rescaled.
    vanishing : tuple of str
        The feature matrices whose variance is 0: the features vanish, the
        predictor is 0 and the loss does not depend on the sizes (no
        renormalised ridge, no parametric form to compare).
    """

    samples: sympy.Expr
    exchanges: tuple
    rescaled: tuple
    broken_by_test_xi: tuple = ()
    ridge: sympy.Symbol = None
    vanishing: tuple = ()

    def __str__(self):
        return self._statement(_exchange, sympy.sstr, str, lambda a, b: f"{sympy.sstr(a)} * {sympy.sstr(b)}")

    def _latex(self, printer):
        return self._statement(lambda sizes: _latex_exchange(sizes, printer), printer._print, text,
                               lambda a, b: rf"{printer._print(a)} \cdot {printer._print(b)}")

    def _repr_latex_(self):
        return display(self)

    def _statement(self, exchange, expression, text, product):
        """The statement in words (``text``) and maths: ``exchange`` of two sizes, ``expression``,
        and ``product`` of the ridge and its rescaling, each a function to strings."""
        sentence = [text("training loss summed over the "), expression(self.samples),
                    text(" samples (no 1/"), expression(self.samples), text("): ")]
        if self.vanishing:
            return "".join(sentence + [text(f"the features vanish (the variance of {', '.join(self.vanishing)} is 0): "
                                            "the predictor is 0 and the loss does not depend on the sizes")])
        if self.exchanges:
            sentence.append(text("the noiseless planar test loss is invariant under "))
            for i, sizes in enumerate(self.exchanges):
                sentence += [text(", ")] * bool(i) + [exchange(sizes)]
            sentence += [text(" at fixed "), expression(self.ridge)]
        else:
            sentence += [text("no exchange of sizes leaves the noiseless planar test loss invariant at fixed "),
                         expression(self.ridge)]
        for sizes, factor in self.rescaled:
            sentence += [text("; under "), exchange(sizes), text(" it is invariant at "),
                         product(self.ridge, factor)]
        for sizes, variance in self.broken_by_test_xi:
            sentence += [text("; "), exchange(sizes), text(" fails only through the test point's own equivalent noise, of "
                                                                   "variance "),
                         expression(variance), text(", independent of every training sample's: without it the ridge "
                                                    "equation and the loss are invariant")]
        return "".join(sentence)


def symmetry(model=None):
    """The model's convention and the exchanges of sizes its noiseless planar test loss survives.

    Derived from the parametric solution (:func:`verdicts`), and cached with
    it: an exchange counts when it leaves the ridge equation gamma(Delta, n_k)
    and the loss L(Delta, n_k) invariant, or the loss invariant and the ridge
    equation rescaled by a factor free of Delta and the n_k.

    Parameters
    ----------
    model : Model, optional
        A ridge-regression model; MRS by default.

    Returns
    -------
    Symmetry

    Examples
    --------
    >>> print(symmetry(mrs()))
    training loss summed over the P samples (no 1/P): the noiseless planar test loss is invariant under N <-> P at fixed gamma
    >>> print(symmetry(mrs(nonlinear=True)))  # doctest: +NORMALIZE_WHITESPACE
    training loss summed over the P samples (no 1/P): no exchange of sizes leaves the noiseless planar test loss
    invariant at fixed gamma; N <-> P fails only through the test point's own equivalent noise, of variance mu_star**2,
    independent of every training sample's: without it the ridge equation and the loss are invariant
    """
    model = model or mrs()
    vanishing = vanishing_features(model)
    if vanishing:
        return Symmetry(model.spaces[model.samples], (), (), ridge=model.regression.ridge, vanishing=vanishing)
    found = {(v.sizes, v.kind): v for v in _parametric_verdicts(model)}
    exchanges, rescaled, broken = [], [], []
    without = Quantity.TEST_LOSS_WITHOUT_TEST_XI
    for sizes in _exchanges(model):
        ridge, loss = found[sizes, Quantity.RIDGE_EQUATION], found[sizes, Quantity.TEST_LOSS]
        if loss.invariant and ridge.invariant:
            exchanges.append(sizes)
        elif loss.invariant and ridge.rescaling is not None:
            rescaled.append((sizes, ridge.rescaling))
        elif ridge.invariant and (sizes, without) in found and found[sizes, without].invariant:
            equivalent = model.regression.equivalent
            broken.append((sizes, equivalent.test_variance(model)))
    return Symmetry(model.spaces[model.samples], tuple(exchanges), tuple(rescaled), tuple(broken),
                    model.regression.ridge)
