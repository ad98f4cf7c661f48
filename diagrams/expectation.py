"""Expectation values of observables: sums of ribbon-graph weights.

Examples
--------
>>> import sympy
>>> from diagrams import Gaussian, Model
>>> M, P = sympy.symbols("M P", positive=True, integer=True)
>>> wishart = Model("wishart", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1)])
>>> sympy.factor(expectation("Trace(X*X.T*X*X.T)", wishart))
M*P*(M + P + 1)
>>> sympy.factor(expectation("Trace(X*X.T*X*X.T)", wishart, planar=True))
M*P*(M + P)
"""

import sympy

from .model import mrs
from .observable import parse_observable
from .planar import planar_contractions, planar_sum
from .wick import contractions


def expectation(expr, model=None, planar=False):
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

    Returns
    -------
    sympy.Expr
        A polynomial in the sizes, the variances and ``tr_Lambda(k)``.
    """
    model = model or mrs()
    total = sympy.Integer(0)
    for coefficient, words in parse_observable(expr, model):
        total += coefficient * diagram_sum(words, model, planar=planar)
    return sympy.expand(total)


def diagram_sum(words, model, *, planar=False):
    """The sum of the weights of the (planar) contractions of a product of traces."""
    if not words:
        return sympy.Integer(1)
    if planar and len(words) == 1:
        return planar_sum(words[0], model)
    graphs = planar_contractions(words, model) if planar else contractions(words, model)
    return sympy.Add(*[graph.weight for graph in graphs])
