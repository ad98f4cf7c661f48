"""Models: quivers of index spaces and independent Gaussian random matrices.

A model is a directed multigraph held in networkx. Its nodes are index spaces,
each with a size (a sympy symbol such as ``M``, ``N``, ``P``, or an integer) and
optionally a diagonal covariance (``Lambda`` on the latent space) and a second
diagonal insertion on the same space (a teacher covariance ``Omega``: the
teacher's rows have E w_I**2 proportional to omega_I). Its edges are
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

import enum
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import networkx as nx
import sympy
from sympy.matrices.expressions import Trace

from largen.diagrams.engine import spectral
from largen.diagrams.errors import ModelError, ParameterError
from largen.diagrams.engine.grammar import FUNCTIONS
from largen.diagrams.engine.symbols import as_expr, is_size_name, number, parameter_symbol, parse, size_symbol

__all__ = [
    "Ensemble", "ENSEMBLES", "Gaussian", "GaussianEquivalent", "Regression", "Model", "ridge_model", "gaussian_equivalent",
    "mrs", "deep_linear", "with_teacher", "untie_ridge", "vanishing_features", "reserved", "MAX_NAME",
]

class Ensemble(enum.Enum):
    """The symmetry of a Gaussian matrix's entries: how its propagators may glue."""

    REAL = "real"  # rectangular, real entries
    COMPLEX = "complex"  # rectangular, complex entries: pairs only with its conjugate
    SYMMETRIC = "symmetric"  # Wigner, real symmetric (GOE)
    HERMITIAN = "hermitian"  # Wigner, Hermitian (GUE)

    @property
    def wigner(self):
        """Whether the matrix is square on one space with a symmetry between its indices."""
        return self in (Ensemble.SYMMETRIC, Ensemble.HERMITIAN)


ENSEMBLES = tuple(e.value for e in Ensemble)
MAX_NAME = 80  # characters of a model's name, which titles tables and documents
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Gaussian:
    """An independent Gaussian matrix: an edge of the quiver.

    ``ensemble`` (an :class:`Ensemble`, or its name) is ``real`` or ``complex`` for a
    rectangular matrix, and ``symmetric`` (GOE) or ``hermitian`` (GUE) for a Wigner matrix on
    one space. ``dressed`` says whether the row index carries the row space's covariance.
    """

    name: str
    rows: str
    cols: str
    variance: sympy.Expr
    ensemble: Ensemble = Ensemble.REAL
    dressed: bool = False

    def __post_init__(self):
        if not isinstance(self.ensemble, Ensemble):  # a name becomes the enum here, once
            if self.ensemble not in ENSEMBLES:
                raise ModelError(f"matrix {self.name}: unknown ensemble {self.ensemble!r} (one of {', '.join(ENSEMBLES)})"[:200])
            object.__setattr__(self, "ensemble", Ensemble(self.ensemble))


@dataclass(frozen=True)
class GaussianEquivalent:
    """Nonlinear features by Gaussian equivalence: what replaces phi = s(F x).

    In the planar limit the features s(F x) of an activation s act like
    mu_0 + mu_1 F x + xi: ``linear`` is mu_1, the coefficient of the
    pre-activation F x (per unit of F x, whatever its variance), and
    ``matrix`` names xi, an independent Gaussian matrix from the samples to
    the last feature width whose entry variance is mu_star**2. The test point
    carries its own independent copy of xi, of entry variance ``test`` (None:
    xi's, as Gaussian equivalence has it; 0 measures the test loss against the
    linear part of the features alone, which is how :mod:`largen.diagrams.theory.duality`
    finds what breaks N <-> P). The constant mu_0 is a rank-one term, which
    changes no planar quantity (see :func:`gaussian_equivalent`).
    """

    matrix: str
    linear: sympy.Expr
    test: sympy.Expr = None

    def test_variance(self, model):
        """The entry variance of the test point's xi in ``model``."""
        return model.matrices[self.matrix].variance if self.test is None else self.test


@dataclass(frozen=True)
class Regression:
    """The roles of a ridge-regression model.

    ``features`` are the matrices of the feature map, the one applied to the
    data first leading; ``data`` is the training matrix (latent x samples);
    ``equivalent`` is None for linear features, else the Gaussian equivalent
    of nonlinear ones (:class:`GaussianEquivalent`).
    """

    features: tuple
    data: str
    teacher_variance: sympy.Expr
    noise_variance: sympy.Expr
    ridge: sympy.Symbol
    equivalent: GaussianEquivalent = None


class Model:
    """A quiver of index spaces and Gaussian matrices, with optional regression roles.

    Parameters
    ----------
    name : str
        Printable text of at most :data:`MAX_NAME` characters.
    spaces : dict
        Space name -> size: a positive-integer size symbol, a size name, or a
        positive integer (a fixed size, see :attr:`fixed_sizes`).
    matrices : iterable of Gaussian
        Distinct names; each variance exact, finite, neither negative nor complex.
    covariances : dict, optional
        Space name -> name of its diagonal covariance (``{"M": "Lambda"}``).
    regression : Regression, optional
    teachers : dict, optional
        Space name -> name of a second diagonal insertion on a space that has a
        covariance (``{"M": "Omega"}``: the teacher covariance, weighing the teacher's entries).

    Raises
    ------
    ModelError
        For a malformed quiver, a repeated name, a name :func:`reserved` by the
        theory, or a variance that is negative, complex or infinite.

    Notes
    -----
    Models are hashed and cached, so the quiver is frozen (``nx.freeze``).

    Examples
    --------
    >>> Model("w", {"M": 3}, [Gaussian("A", "M", "M", -1)])
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: variance of A: -1 is negative
    """

    def __init__(self, name, spaces, matrices, covariances=None, regression=None, teachers=None):
        if not isinstance(name, str) or not name or len(name) > MAX_NAME or not name.isprintable():
            raise ModelError(f"a model's name must be printable text of 1 to {MAX_NAME} characters, got {name!r}"[:200])
        if not isinstance(spaces, Mapping) or not spaces:
            raise ModelError(f"model {name}: spaces must be a non-empty dict of name -> size")
        graph = nx.MultiDiGraph(name=name)
        covariances, teachers = dict(covariances or {}), dict(teachers or {})
        for space, size in spaces.items():
            if not isinstance(space, str):
                raise ModelError(f"model {name}: a space's name must be text, got {space!r}")
            size = _size(size, f"size of space {space}")
            if isinstance(size, sympy.Symbol) and size.name != space:
                raise ModelError(f"model {name}: space {space} has the size of another name, {size}")
            graph.add_node(space, size=size, covariance=covariances.get(space), teacher=teachers.get(space))
        unknown = set(covariances) - set(spaces)
        if unknown:
            raise ModelError(f"model {name}: a covariance on undeclared space {sorted(unknown)[0]!r}")
        bare = set(teachers) - set(covariances)
        if bare:
            raise ModelError(f"model {name}: a teacher covariance on space {sorted(bare)[0]!r}, which has no covariance")
        seen = set()
        for matrix in matrices:
            if not isinstance(matrix, Gaussian):
                raise ModelError(f"model {name}: {matrix!r} is not a Gaussian matrix"[:200])
            if matrix.name in seen:
                raise ModelError(f"model {name}: two matrices are named {matrix.name}")
            seen.add(matrix.name)
            for side in (matrix.rows, matrix.cols):
                if side not in graph:
                    raise ModelError(f"matrix {matrix.name} uses undeclared space {side!r}")
            if matrix.ensemble.wigner and matrix.rows != matrix.cols:
                raise ModelError(f"Wigner matrix {matrix.name} must act on one space")
            if matrix.dressed and graph.nodes[matrix.rows]["covariance"] is None:
                raise ModelError(f"matrix {matrix.name}: space {matrix.rows} has no covariance")
            matrix = Gaussian(matrix.name, matrix.rows, matrix.cols,
                              _variance(matrix.variance, f"variance of {matrix.name}"),
                              matrix.ensemble, matrix.dressed)
            graph.add_edge(matrix.cols, matrix.rows, key=matrix.name, matrix=matrix)
        if regression is not None:
            if not isinstance(regression, Regression):
                raise ModelError(f"model {name}: regression must be a Regression")
            regression = replace(regression,
                                 teacher_variance=_variance(regression.teacher_variance, "teacher variance"),
                                 noise_variance=_variance(regression.noise_variance, "noise variance"))
            if regression.equivalent is not None:
                equivalent = regression.equivalent
                if not isinstance(equivalent, GaussianEquivalent):
                    raise ModelError(f"model {name}: the Gaussian equivalent must be a GaussianEquivalent")
                test = None if equivalent.test is None else _variance(equivalent.test, "variance of the test point's xi")
                regression = replace(regression, equivalent=replace(
                    equivalent, linear=_variance(equivalent.linear, "linear coefficient of the activation"), test=test))
        # models are hashed and cached: nothing may change the quiver afterwards
        self.name = name
        self.graph = nx.freeze(graph)
        self.regression = regression
        if regression is not None:
            self._check_regression()
        self._check_names()

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

    def teacher(self, space):
        """The name of the second diagonal insertion (the teacher covariance) on ``space``, or None.

        Examples
        --------
        >>> mrs().teacher("M"), ridge_model("t", [("U", "N", "1/M")], teacher_covariance="Omega").teacher("M")
        (None, 'Omega')
        """
        return self.graph.nodes[space]["teacher"]

    @property
    def diagonals(self):
        """Space name -> the names of its diagonal insertions (covariance, then teacher covariance)."""
        return {space: tuple(n for n in (self.covariance(space), self.teacher(space)) if n) for space in self.spaces}

    @property
    def symbols(self):
        """Every symbol of the model, by name."""
        exprs = list(self.spaces.values()) + [m.variance for m in self.matrices.values()]
        if self.regression is not None:
            r = self.regression
            exprs += [r.teacher_variance, r.noise_variance, r.ridge]
            if r.equivalent is not None:
                exprs += [r.equivalent.linear, r.equivalent.test_variance(self)]
        found = set().union(*(e.free_symbols for e in exprs))
        return {s.name: s for s in found}

    @property
    def sizes(self):
        """The size symbols, by name."""
        return {n: s for n, s in self.symbols.items() if s in set(self.spaces.values())}

    @property
    def fixed_sizes(self):
        """Space name -> size, for the spaces whose size is a number rather than a symbol.

        Examples
        --------
        >>> ridge_model("w", [("U", 5, "1/M")]).fixed_sizes
        {'N': 5}
        """
        return {space: size for space, size in self.spaces.items() if size.is_Number}

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
        if not isinstance(r.ridge, sympy.Symbol) or is_size_name(r.ridge.name):
            raise ModelError(f"model {self.name}: the ridge must be a lower-case parameter, got {r.ridge}")
        if r.equivalent is not None:
            xi = matrices.get(r.equivalent.matrix)
            if xi is None:
                raise ModelError(f"model {self.name}: no matrix {r.equivalent.matrix!r}")
            if (xi.rows, xi.cols) != (space, self.samples) or xi.dressed or xi.ensemble is not Ensemble.REAL:
                raise ModelError(f"model {self.name}: the Gaussian equivalent {xi.name} must be a real, undressed "
                                 f"matrix from the samples {self.samples} to the last width {space}")
            if xi.name in r.features or xi.name == r.data:
                raise ModelError(f"model {self.name}: {xi.name} cannot be both a feature and the Gaussian equivalent")

    @property
    def activation_parameters(self):
        """The symbols the activation sets (mu_1 and those of xi's variance); empty for linear features.

        Examples
        --------
        >>> sorted(mrs(nonlinear=True).activation_parameters)
        ['mu_1', 'mu_star']
        """
        e = self.regression.equivalent if self.regression else None
        if e is None:
            return {}
        found = e.linear.free_symbols | self.matrices[e.matrix].variance.free_symbols
        return {s.name: s for s in found}

    def _check_names(self):
        """Every name a user may write is an ASCII identifier, unreserved and used once."""
        kinds = {}
        for symbol in self.symbols:
            kinds[symbol] = "size" if is_size_name(symbol) else "parameter"
        for space in self.spaces:
            covariance = self.covariance(space)
            if covariance is not None:
                kinds.setdefault(f"tr_{covariance}", "covariance trace")
            if self.teacher(space) is not None:
                kinds.setdefault(f"tr_{covariance}_{self.teacher(space)}", "covariance trace")
        diagonals = [d for names in self.diagonals.values() for d in names]
        if len(set(diagonals)) != len(diagonals):
            raise ModelError(f"model {self.name}: two diagonal insertions share a name")
        for names, kind in ((self.matrices, "matrix"), (set(diagonals), "covariance")):
            for name in names:
                if name in kinds:
                    raise ModelError(f"model {self.name}: {kind} {name} has the name of a {kinds[name]}")
                kinds[name] = kind
        for name, kind in kinds.items():
            reason = reserved(name)
            if reason:
                raise ModelError(f"model {self.name}: the {kind} name {name!r} {reason}")

    # -- parameters ---------------------------------------------------------
    def bind(self, values, *, defaults=True, integer_sizes=False):
        """Check parameter values against the model and return ``{Symbol: number}``.

        Sizes must be positive reals or ``oo`` (the planar theory is analytic
        in them); with ``integer_sizes`` (a Monte Carlo) positive integers or
        ``oo``. Every other parameter must be non-negative. NaN and complex
        values are refused. With ``defaults``, the label noise defaults to 0
        and other lower-case scales to 1; sizes, the ridge and the coefficients an
        activation sets (:attr:`activation_parameters`) must be given.

        Examples
        --------
        >>> mrs().bind({"N": 3, "P": "5", "M": 4, "gamma": "0.5"})[parameter_symbol("gamma")]
        1/2
        >>> mrs().bind({"N": "2.5"}, defaults=False)
        {N: 5/2}
        >>> mrs().bind({"N": "2.5"}, integer_sizes=True)
        Traceback (most recent call last):
        ...
        largen.diagrams.errors.ParameterError: size N must be a positive integer, got 5/2
        >>> mrs().bind({"Q": 1})
        Traceback (most recent call last):
        ...
        largen.diagrams.errors.ParameterError: model mrs has no symbol 'Q' (its symbols: M, N, P, gamma, sigma_eps, sigma_u, sigma_w)
        """
        if not isinstance(values, Mapping):
            raise ParameterError(f"parameter values must be a dict of name -> value, got {type(values).__name__}")
        symbols = self.symbols
        bound = {}
        for name, value in values.items():
            if name not in symbols:
                known = ", ".join(sorted(symbols))
                raise ParameterError(f"model {self.name} has no symbol {name!r} (its symbols: {known})")
            value = number(value, what=name, error=ParameterError)
            if is_size_name(name):
                if integer_sizes and (value != sympy.oo and (not value.is_integer or value <= 0)):
                    raise ParameterError(f"size {name} must be a positive integer, got {value}")
                if not value.is_extended_positive:
                    raise ParameterError(f"size {name} must be positive, got {value}")
            elif value.is_extended_negative:
                raise ParameterError(f"{name} must be non-negative, got {value}")
            bound[symbols[name]] = value
        if defaults:
            for name, symbol in symbols.items():
                if symbol in bound:
                    continue
                if is_size_name(name) or (self.regression and symbol == self.regression.ridge):
                    continue
                if self.regression and name in self.activation_parameters:
                    continue  # set by an activation, never by a default
                noise = self.regression is not None and symbol in self.regression.noise_variance.free_symbols
                bound[symbol] = sympy.Integer(0 if noise else 1)
        return bound

    def require(self, bound):
        """Raise ParameterError naming the first symbol without a value."""
        for name, symbol in sorted(self.symbols.items()):
            if symbol not in bound:
                activation = " (or an activation: activation=NAME)" if (
                    self.regression and name in self.activation_parameters) else ""
                raise ParameterError(f"no value for {name}: give {name}=VALUE{activation}")

    def key(self):
        """What the model is: equal keys are equal models (a copy in another process included)."""
        covariances = tuple((s, self.covariance(s), self.teacher(s)) for s in self.spaces)
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
                teacher=None, noise="sigma_eps**2", ridge="gamma", nonlinear=False, teacher_covariance=None):
    """A ridge-regression model with a chain of linear feature maps.

    Parameters
    ----------
    name : str
    features : list of (matrix, width, variance)
        Applied to the data first, in order; ``width`` names the space the
        matrix maps into (a size name or a positive integer), ``variance`` is
        its entry variance as text (or an exact number).
    latent, samples : str or int
        Size names (or fixed sizes) of the latent and sample spaces.
    covariance : str
        Name of the diagonal covariance of the data (on the latent space).
    teacher, noise, ridge : str
        Teacher entry variance [``sigma_w**2/<latent>``], label-noise variance,
        and the ridge symbol.
    nonlinear : bool
        Features s(F x) of an activation s, by their Gaussian equivalent
        (:func:`gaussian_equivalent`); linear features F x by default.
    teacher_covariance : str, optional
        Name of the teacher covariance Omega, diagonal in the latent basis:
        E w_I**2 = teacher variance * omega_I. None (the default) is the
        isotropic teacher, omega = 1.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        For text outside the grammar, an undeclared size, a reserved or
        repeated name, or a variance that is negative or not real for some
        positive value of its parameters.

    Examples
    --------
    >>> ridge_model("deep2", [("U1", "N1", "sigma_1**2/M"), ("U2", "N2", "sigma_2**2/N1")]).feature_spaces
    ['M', 'N1', 'N2']
    >>> ridge_model("w", [("U", "N", "sigma_u**2/M")], ridge="lambda")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: model w: the ridge 'lambda' is a Python keyword
    """
    if not isinstance(name, str):
        raise ModelError(f"a model's name must be text, got {type(name).__name__}")
    if not isinstance(features, (list, tuple)) or not features:
        raise ModelError(f"model {name}: at least one feature layer is needed")
    for layer in features:
        if not isinstance(layer, (list, tuple)) or len(layer) != 3:
            raise ModelError(f"model {name}: a feature layer is (matrix, width, variance), got {layer!r}"[:200])
    # a space is named by its size symbol; a space of fixed size by its role (M, P, N or N1, N2, ...),
    # so that two spaces of the same fixed size stay two spaces
    roles = [(latent, "latent size", "M"), (samples, "sample size", "P"),
             *((width, f"width of {matrix}", "N" if len(features) == 1 else f"N{i}")
               for i, (matrix, width, _) in enumerate(features, 1))]
    sized = [(_size(space, what), what, role) for space, what, role in roles]
    spaces, names = {}, []
    for size, what, role in sized:
        if isinstance(size, sympy.Symbol):
            if size.name in spaces:
                raise ModelError(f"model {name}: {what} {size} is already a space")
            label = size.name
        else:
            taken = set(spaces) | {s.name for s, _, _ in sized if isinstance(s, sympy.Symbol)}
            label = next(c for c in (role, *(f"{role}_{k}" for k in range(2, len(sized) + 2))) if c not in taken)
        spaces[label] = size
        names.append(label)
    latent, samples, widths = names[0], names[1], names[2:]
    features = [(matrix, width, variance) for (matrix, _, variance), width in zip(features, widths)]
    namespace = _Declaring(dict(spaces), name)  # a space of fixed size stands for its size

    def expression(text, what):
        if isinstance(text, str):
            return parse(text, namespace, what=what, error=ModelError)
        return number(text, what=what, error=ModelError)

    for label, value in (("ridge", ridge), ("covariance", covariance),
                         *((("teacher covariance", teacher_covariance),) if teacher_covariance is not None else ())):
        if not isinstance(value, str) or not _ASCII_IDENTIFIER.fullmatch(value):
            raise ModelError(f"model {name}: the {label} {value!r} is not a name")
        if keyword.iskeyword(value) or value.startswith("__") and value.endswith("__"):
            raise ModelError(f"model {name}: the {label} {value!r} is a Python "
                             f"{'keyword' if keyword.iskeyword(value) else 'special name'}")
    if is_size_name(ridge):
        raise ModelError(f"model {name}: the ridge {ridge!r} must begin with a lower-case letter")
    matrices, previous = [], latent
    for matrix, width, variance in features:
        if not isinstance(matrix, str) or not _ASCII_IDENTIFIER.fullmatch(matrix) or keyword.iskeyword(matrix):
            raise ModelError(f"model {name}: {matrix!r} is not a matrix name")
        matrices.append(Gaussian(matrix, str(width), previous, expression(variance, f"variance of {matrix}")))
        previous = str(width)
    matrices.append(Gaussian("X", latent, samples, sympy.Integer(1), dressed=True))
    regression = Regression(
        features=tuple(m for m, _, _ in features),
        data="X",
        teacher_variance=expression(f"sigma_w**2/{latent}" if teacher is None else teacher, "teacher variance"),
        noise_variance=expression(noise, "noise variance"),
        ridge=parameter_symbol(ridge),
    )
    if not isinstance(nonlinear, bool):
        raise ModelError(f"model {name}: nonlinear must be true or false, got {nonlinear!r}"[:200])
    teachers = {latent: teacher_covariance} if teacher_covariance is not None else None
    model = Model(name, spaces, matrices, {latent: covariance}, regression, teachers)
    return gaussian_equivalent(model) if nonlinear else model


def gaussian_equivalent(model, *, matrix="Xi", linear="mu_1", noise="mu_star"):
    """The model with features s(F x) for an activation s, by Gaussian equivalence.

    For a pre-activation g = (F x)_i with variance v (the same for every
    feature in the planar limit: the chain's entry variances times tr Lambda
    over the latent size), write s(g) = mu_0 + mu_1 g + r(g) with

        mu_0 = E s(g),   mu_1 = E[g s(g)] / v,   mu_star**2 = E s(g)**2 - mu_0**2 - mu_1**2 v,

    so that r(g) has mean 0, variance mu_star**2 and no correlation with g.
    In the planar limit the features of the P training samples act like
    mu_0 + mu_1 F X + xi, with xi an independent Gaussian matrix (last width x
    samples, entry variance mu_star**2), and the test point's like
    mu_0 + mu_1 F x + xi_test with its own independent xi_test. The model gets
    xi as a matrix of its quiver and mu_1 as the coefficient of the last
    feature layer; the pencil and the planar resummation treat xi like every
    other Gaussian matrix, and xi_test adds mu_star**2 |theta|**2 / 2 to the test loss.

    The constant mu_0 multiplies the all-ones matrix, of rank one: it moves a
    single eigenvalue of the Gram matrix and changes the traces of the
    resolvent by O(1) against their O(size), so no planar quantity depends on
    it (Mei and Montanari 2019 find the same: their limit depends on the
    activation through mu_1 and mu_star only). It is left out of the theory;
    the Monte Carlo keeps it (``largen simulate --activation``).

    Parameters
    ----------
    model : Model
        A ridge-regression model with linear features.
    matrix, linear, noise : str
        The names of xi, of mu_1 and of mu_star.

    Returns
    -------
    Model

    Examples
    --------
    >>> nonlinear = gaussian_equivalent(mrs())
    >>> nonlinear.matrices["Xi"].variance, nonlinear.regression.equivalent.linear
    (mu_star**2, mu_1)
    >>> gaussian_equivalent(nonlinear)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: model mrs-nonlinear: its features are already nonlinear
    """
    r = model.regression
    if r is None:
        raise ModelError(f"model {model.name} is not a ridge-regression model")
    if r.equivalent is not None:
        raise ModelError(f"model {model.name}: its features are already nonlinear")
    namespace = _Declaring(dict(model.sizes), model.name)
    for name in (linear, noise):
        if not isinstance(name, str) or not _ASCII_IDENTIFIER.fullmatch(name) or is_size_name(name):
            raise ModelError(f"model {model.name}: {name!r} cannot name a coefficient of the activation")
    if not isinstance(matrix, str) or not _ASCII_IDENTIFIER.fullmatch(matrix) or keyword.iskeyword(matrix):
        raise ModelError(f"model {model.name}: {matrix!r} is not a matrix name")
    xi = Gaussian(matrix, model.feature_spaces[-1], model.samples, parse(f"{noise}**2", namespace,
                                                                        what="variance of xi", error=ModelError))
    covariances = {s: model.covariance(s) for s in model.spaces if model.covariance(s)}
    name = f"{model.name}-nonlinear"[:MAX_NAME]
    equivalent = GaussianEquivalent(matrix, parse(linear, namespace, what="mu_1", error=ModelError))
    teachers = {s: model.teacher(s) for s in model.spaces if model.teacher(s)}
    return Model(name, model.spaces, [*model.matrices.values(), xi], covariances, replace(r, equivalent=equivalent),
                 teachers)


@lru_cache(maxsize=2)
def mrs(nonlinear=False):
    """The model of Maloney, Roberts and Sully: features u = U (N x M), data X (M x P).

    Built once: a model is immutable, and the default of every solve. With
    ``nonlinear``, the features s(u x) of an activation, by their Gaussian
    equivalent (:func:`gaussian_equivalent`).

    Examples
    --------
    >>> mrs().feature_spaces
    ['M', 'N']
    >>> sorted(mrs(nonlinear=True).matrices)
    ['U', 'X', 'Xi']
    """
    return ridge_model("mrs", [("U", "N", "sigma_u**2/M")], nonlinear=nonlinear)


def deep_linear(depth):
    """Deep linear features u_L ... u_1 with widths N1..NL and variances sigma_l**2/N_{l-1}.

    Examples
    --------
    >>> deep_linear(2).feature_spaces
    ['M', 'N1', 'N2']
    >>> deep_linear(2.5)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: depth must be a positive integer, got 2.5
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ModelError(f"depth must be a positive integer, got {depth!r}"[:200])
    widths = ["M"] + [f"N{l}" for l in range(1, depth + 1)]
    return ridge_model(
        f"deep{depth}",
        [(f"U{l}", widths[l], f"sigma_{l}**2/{widths[l - 1]}") for l in range(1, depth + 1)],
    )


def vanishing_features(model):
    """The names of the feature matrices of ``model`` whose entry variance is identically 0.

    Examples
    --------
    >>> vanishing_features(ridge_model("zero", [("U", "N", "0")])), vanishing_features(mrs())
    (('U',), ())
    """
    return tuple(name for name in model.regression.features if as_expr(model.matrices[name].variance) == 0)


def untie_ridge(model):
    """``model`` with a ridge symbol of its own, if its ridge also names a variance's scale.

    A model file may tie the ridge to another scale (``ridge = "s"``, ``variance = "s**2/M"``).
    The theory moves the ridge alone at fixed variances (the continuation of the solver, the
    parametric form gamma(Delta)): the ridge's slot gets a fresh symbol, ``<ridge>_ridge``, and the
    variances keep the one given. The model itself when nothing is tied.

    Examples
    --------
    >>> tied = ridge_model("tied", [("U", "N", "s**2/M")], ridge="s")
    >>> untie_ridge(tied).regression.ridge, untie_ridge(mrs()) == mrs()
    (s_ridge, True)
    """
    r = model.regression
    others = [m.variance for m in model.matrices.values()] + [r.teacher_variance, r.noise_variance]
    if not any(as_expr(e).has(r.ridge) for e in others):
        return model
    candidates = (f"{r.ridge.name}_ridge{i or ''}" for i in range(len(model.symbols) + 1))
    ridge = sympy.Symbol(next(c for c in candidates if c not in model.symbols), **r.ridge.assumptions0)
    return Model(model.name, dict(model.spaces), list(model.matrices.values()),
                 {space: model.covariance(space) for space in model.spaces if model.covariance(space)},
                 replace(r, ridge=ridge), {space: model.teacher(space) for space in model.spaces if model.teacher(space)})


def with_teacher(model, name="Omega"):
    """The same ridge-regression model with a teacher covariance ``name`` on its latent space
    (``model`` itself when it has one).

    Examples
    --------
    >>> with_teacher(mrs()).teacher("M")
    'Omega'
    >>> with_teacher(mrs()) == ridge_model("mrs", [("U", "N", "sigma_u**2/M")], teacher_covariance="Omega")
    True
    """
    if model.regression is None:
        raise ModelError(f"model {model.name} is not a ridge-regression model")
    if model.teacher(model.latent) is not None:
        return model
    covariances = {s: model.covariance(s) for s in model.spaces if model.covariance(s)}
    return Model(model.name, model.spaces, list(model.matrices.values()), covariances, model.regression,
                 {model.latent: name})


def reserved(name):
    """Why ``name`` cannot name a size, a parameter or a matrix, or None if it can.

    The derived theory writes its own symbols next to the model's (the
    eigenvalue ``lambda``, the summation index ``I``, the renormalised ridge
    ``Delta``, ...), and numerical code maps sympy's constants (``E``, ``I``,
    ``pi``) to numbers; a model's name equal to one of them would be confused.

    Examples
    --------
    >>> reserved("I")
    'is the summation index of the spectral sums'
    >>> reserved("n2")
    'is an effective dimension of the ridgeless limit'
    >>> reserved("sigma_u") is None
    True
    """
    if not _ASCII_IDENTIFIER.fullmatch(name):
        return "is not an ASCII identifier"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name.startswith("__") and name.endswith("__"):
        return "is a Python special name"
    theory = _theory_names()
    if name in theory:
        return theory[name]
    if re.fullmatch(r"n[1-9][0-9]*", name) and spectral.effective_dimension(int(name[1:])).name == name:
        return "is an effective dimension of the ridgeless limit"
    if re.fullmatch(r"m(0|[1-9][0-9]*)", name) and spectral.effective_dimension(int(name[1:]), True).name == name:
        return "is a teacher's effective dimension of the ridgeless limit"
    if name.startswith("Sigma_"):  # dyson.py names its self-energies Sigma_<field>
        return "is the prefix of the self-energies of the planar theory"
    if name in FUNCTIONS or name == Trace.__name__:
        return "is a function of the observable grammar"
    value = getattr(sympy, name, None)
    if isinstance(value, sympy.Basic) and value.is_number:
        return f"is sympy's constant {name}"
    return None


def _theory_names():
    """The symbols of the derived theory, by name, with what each one is."""
    return {
        spectral.EIGENVALUE.name: "is the eigenvalue of the spectral sums",
        spectral.TEACHER.name: "is the teacher covariance's entry in the spectral sums",
        spectral.EIGENVALUES.label.name: "is the eigenvalue of the spectral sums",
        spectral.SOURCE.name: "is the source of the test loss",
        spectral.TRAIN_SOURCE.name: "is the source of the training loss",
        spectral.INDEX.name: "is the summation index of the spectral sums",
        spectral.DELTA.name: "is the renormalised ridge",
    }


class _Declaring(dict):
    """A namespace that declares a lower-case name as a parameter when text first uses it."""

    def __init__(self, sizes, model):
        super().__init__(sizes)
        self.model = model

    def __missing__(self, name):
        if is_size_name(name):
            raise ModelError(f"model {self.model}: undefined symbol {name!r} (not a declared size)")
        reason = reserved(name)
        if reason:
            raise ModelError(f"model {self.model}: the parameter name {name!r} {reason}")
        self[name] = parameter_symbol(name)
        return self[name]


def _size(value, what):
    """A space size: a size name (a symbol), a size symbol, or a positive integer."""
    if isinstance(value, sympy.Symbol):
        if not (value.is_positive and value.is_integer):
            raise ModelError(f"{what} {value} must be a positive integer symbol")
        return value
    if isinstance(value, str) and _ASCII_IDENTIFIER.fullmatch(value.strip()):
        text = value.strip()
        if not is_size_name(text):
            raise ModelError(f"{what} {text!r} must begin with an upper-case letter")
        reason = reserved(text)
        if reason:
            raise ModelError(f"{what} {text!r} {reason}")
        return size_symbol(text)
    if isinstance(value, bool) or not isinstance(value, (str, int, sympy.Integer)):
        raise ModelError(f"{what} must be a size name or a positive integer, got {value!r}"[:200])
    try:
        size = number(value, what=what, error=ModelError)
    except ModelError:
        raise ModelError(f"{what} {value!r} is neither a size name nor a number"[:200]) from None
    if size == sympy.oo or not size.is_integer or size <= 0:
        raise ModelError(f"{what} must be positive, got {value}")
    return size


def _variance(value, what):
    """An entry variance: exact, finite, and neither negative nor complex.

    The symbols of a model are positive, so sympy decides the sign of a
    variance for all their values at once (``-s**2/M`` is negative); a sign it
    cannot decide (``s - t``) is the model's responsibility.
    """
    if not isinstance(value, sympy.Basic):
        value = number(value, what=what, error=ModelError)
    if not isinstance(value, sympy.Expr) or isinstance(value, sympy.MatrixExpr):
        raise ModelError(f"{what}: {value} is not a scalar")
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise ModelError(f"{what}: {value} is not finite")
    if value.is_extended_real is False:
        raise ModelError(f"{what}: {value} is not real")
    if value.is_negative:
        raise ModelError(f"{what}: {value} is negative")
    return value
