"""Expectation values of observables: sums of ribbon-graph weights.

Examples
--------
>>> import sympy
>>> from largen.diagrams import Gaussian, Model
>>> M, P = sympy.symbols("M P", positive=True, integer=True)
>>> wishart = Model("wishart", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1)])
>>> sympy.factor(expectation("Trace(X*X.T*X*X.T)", wishart))
M*P*(M + P + 1)
>>> sympy.factor(expectation("Trace(X*X.T*X*X.T)", wishart, planar=True))
M*P*(M + P)
"""

from functools import cache

import sympy

from largen.diagrams.errors import ModelError
from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions, planar_sum, planar_sum_cost
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count, contractions

__all__ = ["expectation", "diagram_sum", "diagram_cost", "preactivation_variance"]


def expectation(expr, model=None, planar=False, *, max_diagrams=MAX_DIAGRAMS):
    """The Gaussian expectation of a polynomial in traces, as an exact sympy polynomial.

    Parameters
    ----------
    expr : str or sympy expression
        Traces of words in the model's matrices, e.g. ``"Trace(U.T*U*X*X.T)"``.
    model : Model, optional
        The MRS model by default.
    planar : bool
        Keep only planar diagrams (every connected component a sphere): the
        leading large-N part of a single trace.
    max_diagrams : int or None
        The limit on the estimated cost, in diagrams, of all the terms
        together (None: no limit).

    Returns
    -------
    sympy.Expr
        A polynomial in the sizes, the variances and ``tr_Lambda(k)``.

    Raises
    ------
    CostError
        Before any diagram is listed, when the estimate exceeds ``max_diagrams``.
    """
    model = model or mrs()
    observable = parse_observable(expr, model, max_diagrams=max_diagrams)
    cost = sum(diagram_cost(words, model, planar=planar) for _, words in observable)
    check_cost(cost, max_diagrams, f"the expectation of {str(expr)[:100]}")
    total = sympy.Integer(0)
    for coefficient, words in observable:
        total += coefficient * diagram_sum(words, model, planar=planar, max_diagrams=None)
    return sympy.expand(total)


def diagram_sum(words, model, *, planar=False, max_diagrams=MAX_DIAGRAMS):
    """The sum of the weights of the (planar) contractions of a product of traces."""
    if not words:
        return sympy.Integer(1)
    if planar and len(words) == 1:
        return planar_sum(words[0], model, max_diagrams=max_diagrams)
    if planar:
        graphs = planar_contractions(words, model, max_diagrams=max_diagrams)
    else:
        graphs = contractions(words, model, max_diagrams=max_diagrams)
    return sympy.Add(*[graph.weight for graph in graphs])


def diagram_cost(words, model, *, planar=False):
    """The estimated cost of :func:`diagram_sum`, in diagrams, computed without listing any.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> (_, words), = parse_observable("Trace((X*X.T)**4)").terms
    >>> diagram_cost(words, mrs()), diagram_cost(words, mrs(), planar=True)
    (105, 1)
    """
    if not words:
        return 1
    if planar and len(words) == 1:
        return max(planar_sum_cost(words[0]), 1)
    return contraction_count(words, model)


@cache
def preactivation_variance(model):
    """E g_i**2 for the pre-activation g = F x of a feature, derived: (1/width) E tr(F Lambda F^T).

    F is the chain of feature matrices (without the activation's mu_1); the
    expectation is exact, and is the same for every feature.

    Examples
    --------
    >>> from largen.diagrams import deep_linear
    >>> preactivation_variance(mrs(nonlinear=True))
    sigma_u**2*tr_Lambda(1)/M
    >>> preactivation_variance(deep_linear(2))
    sigma_1**2*sigma_2**2*tr_Lambda(1)/M
    """
    r = model.regression
    if r is None:
        raise ModelError(f"model {model.name} is not a ridge-regression model")
    chain = "*".join(reversed(r.features))
    transposed = "*".join(f"{name}.T" for name in r.features)
    word = f"Trace({chain}*{model.covariance(model.latent)}*{transposed})"
    return sympy.factor(expectation(word, model) / model.spaces[model.feature_spaces[-1]])
