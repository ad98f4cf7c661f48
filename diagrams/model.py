"""Models: quivers of index spaces and independent Gaussian random matrices.

A model is a directed multigraph held in networkx. Its nodes are index spaces,
each with a size (a sympy symbol such as ``M``, ``N``, ``P``, or an integer) and
optionally a diagonal covariance (``Lambda`` on the latent space). Its edges are
independent Gaussian matrices ``A`` from the column space to the row space
(``A`` maps the column space into the row space), each with an entry variance
and, when its rows are dressed by the row space's covariance,
``E[A_ia A_jb] = variance * Lambda_ij * delta_ab``.

A ridge-regression model adds roles on top of the quiver: the chain of feature
matrices applied to the data, the training-data matrix, the teacher's entry
variance, the label-noise variance and the ridge.

Examples
--------
>>> model = mrs()
>>> sorted(model.spaces)
['M', 'N', 'P']
>>> model.matrices["U"].variance
sigma_u**2/M
>>> sorted(model.symbols)
['M', 'N', 'P', 'gamma', 'sigma_eps', 'sigma_u', 'sigma_w']
"""

from dataclasses import dataclass

import networkx as nx
import sympy

from .errors import ModelError, ParameterError
from .symbols import identifiers, is_size_name, number, parameter_symbol, parse, size_symbol

ENSEMBLES = ("real", "complex", "symmetric", "hermitian")


@dataclass(frozen=True)
class Gaussian:
    """An independent Gaussian matrix: an edge of the quiver.

    ``ensemble`` is ``real`` or ``complex`` for a rectangular matrix, and
    ``symmetric`` (GOE) or ``hermitian`` (GUE) for a Wigner matrix on one space.
    ``dressed`` says whether the row index carries the row space's covariance.
    """

    name: str
    rows: str
    cols: str
    variance: sympy.Expr
    ensemble: str = "real"
    dressed: bool = False


@dataclass(frozen=True)
class Regression:
    """The roles of a ridge-regression model.

    ``features`` are the matrices of the feature map, the one applied to the
    data first leading; ``data`` is the training matrix (latent x samples).
    """

    features: tuple
    data: str
    teacher_variance: sympy.Expr
    noise_variance: sympy.Expr
    ridge: sympy.Symbol


class Model:
    """A quiver of index spaces and Gaussian matrices, with optional regression roles.

    Parameters
    ----------
    name : str
    spaces : dict
        Space name -> size (sympy expression).
    matrices : iterable of Gaussian
    covariances : dict, optional
        Space name -> name of its diagonal covariance (``{"M": "Lambda"}``).
    regression : Regression, optional
    """

    def __init__(self, name, spaces, matrices, covariances=None, regression=None):
        graph = nx.MultiDiGraph(name=name)
        covariances = dict(covariances or {})
        for space, size in spaces.items():
            graph.add_node(space, size=sympy.sympify(size), covariance=covariances.get(space))
        for matrix in matrices:
            for side in (matrix.rows, matrix.cols):
                if side not in graph:
                    raise ModelError(f"matrix {matrix.name} uses undeclared space {side!r}")
            if matrix.ensemble not in ENSEMBLES:
                raise ModelError(f"matrix {matrix.name}: unknown ensemble {matrix.ensemble!r}")
            if matrix.ensemble in ("symmetric", "hermitian") and matrix.rows != matrix.cols:
                raise ModelError(f"Wigner matrix {matrix.name} must act on one space")
            if matrix.dressed and graph.nodes[matrix.rows]["covariance"] is None:
                raise ModelError(f"matrix {matrix.name}: space {matrix.rows} has no covariance")
            graph.add_edge(matrix.cols, matrix.rows, key=matrix.name, matrix=matrix)
        self.name = name
        self.graph = graph
        self.regression = regression
        if regression is not None:
            self._check_regression()

    # -- the quiver -------------------------------------------------------
    @property
    def spaces(self):
        """Space name -> size."""
        return {space: data["size"] for space, data in self.graph.nodes(data=True)}

    @property
    def matrices(self):
        """Matrix name -> Gaussian."""
        return {key: data["matrix"] for _, _, key, data in self.graph.edges(keys=True, data=True)}

    def covariance(self, space):
        """The name of the diagonal covariance on ``space``, or None."""
        return self.graph.nodes[space]["covariance"]

    @property
    def symbols(self):
        """Every symbol of the model, by name."""
        exprs = list(self.spaces.values()) + [m.variance for m in self.matrices.values()]
        if self.regression is not None:
            r = self.regression
            exprs += [r.teacher_variance, r.noise_variance, r.ridge]
        found = set().union(*(sympy.sympify(e).free_symbols for e in exprs))
        return {s.name: s for s in found}

    @property
    def sizes(self):
        """The size symbols, by name."""
        return {n: s for n, s in self.symbols.items() if s in set(self.spaces.values())}

    # -- regression roles ---------------------------------------------------
    @property
    def latent(self):
        return self.matrices[self.regression.data].rows

    @property
    def samples(self):
        return self.matrices[self.regression.data].cols

    @property
    def feature_spaces(self):
        """The spaces of the feature chain, from the latent space to the last width."""
        chain = [self.latent]
        for name in self.regression.features:
            chain.append(self.matrices[name].rows)
        return chain

    def _check_regression(self):
        matrices, r = self.matrices, self.regression
        for name in (*r.features, r.data):
            if name not in matrices:
                raise ModelError(f"model {self.name}: no matrix {name!r}")
        space = matrices[r.data].rows
        for name in r.features:
            if matrices[name].cols != space:
                raise ModelError(f"feature {name} does not act on space {space}")
            space = matrices[name].rows

    # -- parameters ---------------------------------------------------------
    def bind(self, values, *, defaults=True):
        """Check parameter values against the model and return ``{Symbol: number}``.

        Sizes must be positive integers (``oo`` is allowed for a space and
        checked by whoever uses it), every other parameter non-negative. With
        ``defaults``, the label noise defaults to 0 and other lower-case scales
        to 1; sizes and the ridge must be given.

        Examples
        --------
        >>> mrs().bind({"N": 3, "P": "5", "M": 4, "gamma": "0.5"})[parameter_symbol("gamma")]
        1/2
        >>> mrs().bind({"Q": 1})
        Traceback (most recent call last):
        ...
        diagrams.errors.ParameterError: model mrs has no symbol 'Q' (its symbols: M, N, P, gamma, sigma_eps, sigma_u, sigma_w)
        """
        symbols = self.symbols
        bound = {}
        for name, value in values.items():
            if name not in symbols:
                known = ", ".join(sorted(symbols))
                raise ParameterError(f"model {self.name} has no symbol {name!r} (its symbols: {known})")
            value = number(value, what=name, error=ParameterError)
            if is_size_name(name):
                if value != sympy.oo and (not value.is_integer or value <= 0):
                    raise ParameterError(f"size {name} must be a positive integer, got {value}")
            elif value < 0:
                raise ParameterError(f"{name} must be non-negative, got {value}")
            bound[symbols[name]] = value
        if defaults:
            for name, symbol in symbols.items():
                if symbol in bound:
                    continue
                if is_size_name(name) or (self.regression and symbol == self.regression.ridge):
                    continue
                noise = self.regression is not None and symbol in self.regression.noise_variance.free_symbols
                bound[symbol] = sympy.Integer(0 if noise else 1)
        return bound

    def require(self, bound):
        """Raise ParameterError naming the first symbol without a value."""
        for name, symbol in sorted(self.symbols.items()):
            if symbol not in bound:
                raise ParameterError(f"no value for {name}: give --{name} or --set {name}=VALUE")

    def key(self):
        """What the model is: equal keys are equal models (a copy in another process included)."""
        covariances = tuple((s, self.covariance(s)) for s in self.spaces)
        return (self.name, tuple(self.spaces.items()), tuple(sorted(self.matrices.items())), covariances, self.regression)

    def __eq__(self, other):
        return isinstance(other, Model) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        spaces = ", ".join(f"{s}:{z}" for s, z in self.spaces.items())
        mats = ", ".join(f"{m.name}:{m.rows}x{m.cols}" for m in self.matrices.values())
        return f"Model({self.name!r}; spaces {spaces}; matrices {mats})"


def ridge_model(name, features, *, latent="M", samples="P", covariance="Lambda",
                teacher="sigma_w**2/M", noise="sigma_eps**2", ridge="gamma"):
    """A ridge-regression model with a chain of linear feature maps.

    Parameters
    ----------
    name : str
    features : list of (matrix, width, variance)
        Applied to the data first, in order; ``width`` names the space the
        matrix maps into (a size name or a positive integer), ``variance`` is
        its entry variance as text.
    latent, samples : str
        Size names of the latent and sample spaces.
    covariance : str
        Name of the diagonal covariance of the data (on the latent space).
    teacher, noise, ridge : str
        Teacher entry variance, label-noise variance, and the ridge symbol.

    Examples
    --------
    >>> ridge_model("deep2", [("U1", "N1", "sigma_1**2/M"), ("U2", "N2", "sigma_2**2/N1")]).feature_spaces
    ['M', 'N1', 'N2']
    """
    if not features:
        raise ModelError(f"model {name}: at least one feature layer is needed")
    spaces = {latent: _size(latent, "latent size"), samples: _size(samples, "sample size")}
    for matrix, width, _ in features:
        width = str(width)
        if width in spaces:
            raise ModelError(f"model {name}: width {width} of {matrix} is already a space")
        spaces[width] = _size(width, f"width of {matrix}")
    namespace = {s: size for s, size in spaces.items() if isinstance(size, sympy.Symbol)}

    def expression(text, what):
        for ident in sorted(identifiers(text)):
            if ident not in namespace:
                if is_size_name(ident):
                    raise ModelError(f"{what}: undefined symbol {ident!r} (not a declared size)")
                namespace[ident] = parameter_symbol(ident)
        return parse(text, namespace, what=what, error=ModelError)

    matrices, previous = [], latent
    for matrix, width, variance in features:
        if not str(matrix).isidentifier():
            raise ModelError(f"model {name}: {matrix!r} is not a matrix name")
        matrices.append(Gaussian(matrix, str(width), previous, expression(variance, f"variance of {matrix}")))
        previous = str(width)
    matrices.append(Gaussian("X", latent, samples, sympy.Integer(1), dressed=True))
    regression = Regression(
        features=tuple(m for m, _, _ in features),
        data="X",
        teacher_variance=expression(teacher, "teacher variance"),
        noise_variance=expression(noise, "noise variance"),
        ridge=parameter_symbol(ridge),
    )
    return Model(name, spaces, matrices, {latent: covariance}, regression)


def mrs():
    """The model of Maloney, Roberts and Sully: features u = U (N x M), data X (M x P)."""
    return ridge_model("mrs", [("U", "N", "sigma_u**2/M")])


def deep_linear(depth):
    """Deep linear features u_L ... u_1 with widths N1..NL and variances sigma_l**2/N_{l-1}."""
    if depth < 1:
        raise ModelError(f"depth must be at least 1, got {depth}")
    widths = ["M"] + [f"N{l}" for l in range(1, depth + 1)]
    return ridge_model(
        f"deep{depth}",
        [(f"U{l}", widths[l], f"sigma_{l}**2/{widths[l - 1]}") for l in range(1, depth + 1)],
    )


def _size(text, what):
    """A space size: a size name (a symbol) or a positive integer."""
    text = str(text).strip()
    if text.isidentifier():
        if not is_size_name(text):
            raise ModelError(f"{what} {text!r} must begin with an upper-case letter")
        return size_symbol(text)
    try:
        value = number(text, what=what, error=ModelError)
    except ModelError:
        raise ModelError(f"{what} {text!r} is neither a size name nor a number") from None
    if value == sympy.oo or not value.is_integer or value <= 0:
        raise ModelError(f"{what} must be positive, got {text}")
    return value
