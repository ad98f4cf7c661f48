"""A point: a model with every parameter and its covariance spectrum bound.

:func:`bind` is the one place where the values given by name, the spectrum of
the latent covariance and the latent size are checked against each other and
against the model, and where M = inf is given its meaning. The planar solver,
the Monte Carlo, the sweep and the command line all start from a
:class:`Point`.

At M = inf an entry variance such as ``sigma_u**2/M`` would vanish. The planar
theory is then read with the latent size set to 1 outside the spectral sums,
so that the parameters whose variances carry the latent size are the entry
variances themselves; :attr:`Point.normalization` says which ones, read off
the model's variance expressions.
"""

import math
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import sympy

from largen.diagrams.errors import ModelError, ParameterError, SpectrumError
from largen.diagrams.engine.expectations import preactivation_variance
from largen.diagrams.engine.model import Model, gaussian_equivalent, mrs, with_teacher
from largen.diagrams.engine.spectral import covariance_trace
from largen.diagrams.engine.symbols import as_expr, is_size_name, number

from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.numerics.activation import coefficients
from largen.solver.numerics.spectrum import Spectrum
from largen.solver.data.datasets import Dataset, data_spectrum
from largen.solver.data.kernel_spectrum import kernel_spectrum

__all__ = ["Point", "Route", "bind", "normalization", "noise_parameters", "short", "EQUIVALENCES"]

SIZES = ("real", "integer")
EQUIVALENCES = ("white", "kernel")


@dataclass(frozen=True)
class Route:
    """How a point's theory was made from a dataset or from the kernel of nonlinear features.

    Attributes
    ----------
    equivalence : str
        "linear" (linear features), "white" (Gaussian equivalence with a white xi) or
        "kernel" (the features' kernel spectrum as the latent spectrum).
    kernel : KernelSpectrum or None
    data : DataSpectrum or None
        Linear or white features on a dataset: its covariance spectrum, teacher and noise.
    unexplained : float
        Half the target's variance per output that the spectrum's teacher does not carry (a
        dataset's labels beyond the best linear teacher, or beyond the kernel's eigenfunctions):
        the loss against the target is the planar loss plus this.
    parameters : dict
        The caller's point by name, as text (the planar theory runs on an equivalent one).
    """

    equivalence: str
    kernel: object = None
    data: object = None
    unexplained: float = 0.0
    parameters: dict = field(default_factory=dict)

    def as_dict(self):
        return {"equivalence": self.equivalence, "unexplained": repr(float(self.unexplained)),
                **({"kernel": self.kernel.as_dict()} if self.kernel is not None else {}),
                **({"data": self.data.as_dict()} if self.data is not None else {})}


@dataclass(frozen=True)
class Point:
    """A model at one point of its parameter space, with its spectrum.

    Attributes
    ----------
    model : diagrams.Model
    spectrum : Spectrum or None
        None only for a partial point (``complete=False``) without a latent size.
    values : dict
        Symbol -> exact sympy number, for every symbol of the model (those given
        and the defaults, for a partial point); the latent size is ``oo`` at M = inf.
    latent_infinite : bool
    normalization : str
        At M = inf, the sentence naming the parameters that lose their 1/M;
        "" otherwise.
    scaled_values : dict
        The values the planar theory is evaluated at: at M = inf the latent
        size is 1 outside the spectral sums.
    activation : Coefficients or None
        For nonlinear features set by an activation: its Gaussian-equivalence
        coefficients (:mod:`largen.solver.numerics.activation`), from which mu_1 and mu_star are bound.
    route : Route or None
        A point made from a dataset or by the kernel route: the model and values are then
        those of the equivalent linear (or white) theory, and the route says how.
    """

    model: Model = field(repr=False)
    spectrum: object
    values: dict
    latent_infinite: bool
    normalization: str
    scaled_values: dict = field(repr=False)
    activation: object = None
    route: object = None

    def parameters(self):
        """The values by name, as text, sorted by name: for output.

        The coefficients an activation sets are printed as decimals (20 digits).

        Examples
        --------
        >>> bind(N=2, P=3, M=4, gamma="0.5").parameters()["gamma"]
        '1/2'
        >>> bind(N=2, P=3, M=4, gamma="0.5", activation="relu").parameters()["mu_star"]
        '0.17981103442496166868'
        """
        set_by = self.model.activation_parameters if self.activation is not None else {}

        def text(symbol, value):
            return short(value, 20) if symbol.name in set_by else _str(value)

        return {s.name: text(s, v) for s, v in sorted(self.values.items(), key=lambda kv: kv[0].name)}

    def size(self, space):
        """The size of the index space ``space`` (a number fixed by the model, or its symbol's value).

        Examples
        --------
        >>> bind(N=2, P=3, M=4, gamma=1).size("N")
        2
        """
        return as_expr(self.model.spaces[space]).xreplace(self.values)


def _law_parameter(params, name, model, spectrum, default):
    """A parameter of the default power law (alpha, delta) taken out of ``params``, unless the model
    has a symbol of that name; refused together with a spectrum, which has its own."""
    if name not in params or name in model.symbols:
        return default
    if spectrum is not None:
        raise ParameterError(f"give either a spectrum or {name}, not both")
    return params.pop(name)


def bind(model=None, *, spectrum=None, sizes="real", complete=True, activation=None, precision=30,
         equivalence="white", data=None, cutoff=None, max_degree=None, **params):
    """Bind parameter values (by name) and a spectrum to ``model``.

    Parameters
    ----------
    model : diagrams.Model, optional
        A ridge-regression model; the MRS model by default.
    spectrum : Spectrum, optional
        The spectrum of the latent covariance. By default a power law
        lambda_I = I**-(1 + alpha) with ``alpha`` (default 1) and the latent
        size given in ``params``, and the teacher's omega_I = I**-delta with
        ``delta`` (default 0, the isotropic teacher); ``alpha`` and ``delta``
        cannot be given with a spectrum. A spectrum that weighs the teacher
        gives a model without a teacher covariance one
        (:func:`largen.diagrams.engine.model.with_teacher`): the point's ``model`` is then that one.
    sizes : {"real", "integer"}
        "real" (the planar theory): sizes are positive reals, the latent size
        may be infinite (``math.inf``, ``mpmath.inf``, ``"inf"``, ``sympy.oo``).
        "integer" (the Monte Carlo): finite positive integers.
    complete : bool
        The label noise defaults to 0 and other lower-case scales to 1. If
        True, every other symbol of the model must have a value. If False, the
        point holds the values given and those defaults, and no spectrum when
        neither it nor the latent size is given (for an exact expression,
        evaluated where it can be).
    activation : str or callable, optional
        Nonlinear features s(F x) (:func:`largen.solver.numerics.activation.activation`): a model
        with linear features is replaced by its Gaussian equivalent
        (:func:`largen.diagrams.engine.model.gaussian_equivalent`), and mu_1 and mu_star are
        bound from the activation at the derived pre-activation variance
        (:func:`largen.diagrams.engine.expectations.preactivation_variance`) of this point.
    precision : int
        Decimal digits of the activation's coefficients.
    equivalence : {"white", "kernel"}
        How nonlinear features become Gaussian: "white" (mu_1 times the linear features plus a
        white xi, exact for isotropic data) or "kernel": the theory on the spectrum of the
        features' kernel (:mod:`largen.solver.data.kernel_spectrum`), with the features'
        weights of unit variance, mu_1 = 1 and the kernel's trace not listed as the white xi.
        The point's model and values are then those of that equivalent theory and its
        ``route`` says how it was made. Needs a one-layer model, a finite latent size and an
        activation whose kernel spectrum on Gaussian data is derived (linear, relu, x^K), or a
        dataset.
    data : Dataset, optional
        A dataset as the population (:mod:`largen.solver.data.datasets`): the latent spectrum
        is its covariance's, the teacher its best linear predictor, the rest of the targets
        the label noise (linear or white features); with the kernel route, the spectrum of the
        kernel on the dataset and the targets' projections on it. The latent size, the
        spectrum, sigma_w and the noise come from the data and cannot be given.
    cutoff, max_degree : optional
        The kernel route on Gaussian data: see :func:`largen.solver.data.kernel_spectrum.kernel_spectrum`.
    **params
        Values of the model's symbols by name: numbers, or text read exactly.

    Returns
    -------
    Point

    Raises
    ------
    ParameterError
        An unknown or missing symbol, a value out of range, a latent size the
        spectrum contradicts.
    SpectrumError
        A divergent or empty spectrum, or an infinite one for the Monte Carlo.

    Examples
    --------
    >>> point = bind(N=3, P=5, M="inf", gamma="1e-3")
    >>> point.latent_infinite, point.normalization
    (True, 'M = inf: sigma_u^2 and sigma_w^2 are the entry variances themselves (no 1/M)')
    >>> bind(N=3, P=5, gamma=1)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: no value for M: give M or a spectrum
    >>> bind(N=3, P=5, M=4, gamma=1, sizes="integer").values[sympy.Symbol("N", positive=True, integer=True)]
    3
    """
    model = mrs() if model is None else model
    if not isinstance(model, Model):
        raise ModelError(f"expected a diagrams.Model, got {type(model).__name__}")
    if model.regression is None:
        raise ModelError(f"model {model.name} is not a ridge-regression model")
    if sizes not in SIZES:
        raise ParameterError(f"sizes must be 'real' or 'integer', got {sizes!r}")
    if spectrum is not None and not isinstance(spectrum, Spectrum):
        raise SpectrumError(f"expected a Spectrum, got {type(spectrum).__name__}")
    params = {name: _shared(_plain(value)) for name, value in params.items()}
    if equivalence not in EQUIVALENCES:
        raise ParameterError(f"equivalence must be 'white' or 'kernel', got {equivalence!r}"[:200])
    if data is not None:
        return _data_point(model, data, spectrum, sizes, complete, activation, precision, equivalence, params)
    if equivalence == "kernel" and complete:
        if activation is None:
            raise ParameterError("the kernel route is for nonlinear features: give an activation")
        return _kernel_point(model, spectrum, sizes, activation, cutoff, max_degree, params)
    if activation is not None:
        act = parse_activation(activation)
        if model.regression.equivalent is None:
            model = _equivalent(model)
        given = sorted(set(params) & set(model.activation_parameters))
        if given:
            raise ParameterError(f"give either an activation or {', '.join(given)}, not both")
    latent = model.latent
    fixed = as_expr(model.spaces[latent])  # an integer when the model file fixes it
    alpha, delta = (_law_parameter(params, name, model, spectrum, default) for name, default in (("alpha", 1),
                                                                                                  ("delta", 0)))
    if fixed.is_Symbol and latent in params:
        size = number(params[latent], what=latent, error=ParameterError)
    elif fixed.is_Symbol:
        size = None
    else:
        if latent in params:
            raise ParameterError(f"the latent size is fixed to {fixed} by model {model.name}")
        size = fixed
    if spectrum is None and size is not None:
        if size != sympy.oo and not (size.is_integer and size > 0):
            raise ParameterError(f"size {latent} must be a positive integer or inf for a power-law spectrum, "
                                 f"got {short(size)}")
        spectrum = _power_law(alpha, math.inf if size == sympy.oo else size, delta)
    elif spectrum is None and complete:
        raise ParameterError(f"no value for {latent}: give {latent} or a spectrum")
    if spectrum is not None:
        if not spectrum.pieces or spectrum.size == 0:
            raise SpectrumError("the spectrum has no eigenvalues")
        infinite = spectrum.size == math.inf
        if size is not None and ((size == sympy.oo) != infinite or (not infinite and size != spectrum.size)):
            have = "infinitely many" if infinite else spectrum.size
            raise ParameterError(f"{latent} = {short(size)} but the spectrum has {have} eigenvalues")
        if infinite and sizes == "integer":
            raise SpectrumError(f"the Monte Carlo needs a finite spectrum: {latent} = inf")
        size = sympy.oo if infinite else sympy.Integer(spectrum.size)
        if fixed.is_Symbol:
            params[latent] = size
    if spectrum is not None and spectrum.teacher:
        model = _taught(model)
    values = model.bind(params, integer_sizes=sizes == "integer")
    found = None
    if activation is not None and spectrum is not None:
        found = _activation_values(model, values, spectrum, size == sympy.oo, act, precision)
    if complete:
        model.require(values)
    for symbol, value in values.items():
        if value is sympy.oo and symbol != fixed:  # oo is a singleton: no sympy comparison per value
            kind = "size" if is_size_name(symbol.name) else "parameter"
            raise ParameterError(f"{kind} {symbol.name} must be finite (only the latent size {latent} may be inf)")
    infinite = size is sympy.oo
    scaled = dict(values)
    if infinite:
        scaled[fixed] = sympy.Integer(1)
    return Point(model=model, spectrum=spectrum, values=values, latent_infinite=infinite,
                 normalization=normalization(model) if infinite else "", scaled_values=scaled, activation=found)


def _one_layer(model, route):
    """The one feature matrix of ``model`` (a Gaussian equivalent's base layer), or a ParameterError."""
    r = model.regression
    if len(r.features) != 1:
        raise ParameterError(f"{route} is derived for one layer of features; model {model.name} has {len(r.features)}")
    return r.features[0]


def _float_value(expr, values, what):
    value = as_expr(expr).xreplace(values)
    if value.free_symbols:
        raise ParameterError(f"no value for {sorted(s.name for s in value.free_symbols)[0]}, which {what} needs")
    return float(value)


def _route_parameters(model, values, activation, extra=()):
    shown = {s.name: str(v) for s, v in sorted(values.items(), key=lambda kv: kv[0].name)
             if s.name not in model.activation_parameters}
    shown.update(extra)
    if activation is not None:
        shown["activation"] = parse_activation(activation).name
    return shown


def _kernel_point(model, spectrum, sizes, activation, cutoff, max_degree, params):
    """The point of the kernel route on Gaussian data: the caller's point is bound first (every check), then
    the kernel's spectrum computed and the equivalent theory bound on it."""
    base = model
    if base.regression.equivalent is not None:
        given = sorted(set(params) & set(base.activation_parameters))
        if given:
            raise ParameterError(f"give either an activation or {', '.join(given)}, not both")
    original = bind(base, spectrum=spectrum, sizes=sizes, **params,
                    **{name: 0 for name in base.activation_parameters})  # placeholders: the route sets them
    model, values = original.model, original.scaled_values
    if original.latent_infinite:
        raise ParameterError("the kernel route lists the kernel's spectrum on finitely many latent directions: "
                             "give a finite M (its exponents at M = inf come from the kernel's asymptotics)")
    matrix = _one_layer(model, "the kernel route")
    q = _float_value(model.matrices[matrix].variance, values, "the feature weights' variance")
    r = model.regression
    lam = original.spectrum.array()
    omega = original.spectrum.teacher_array() if original.spectrum.teacher else 1.0
    teacher = _float_value(r.teacher_variance, values, "the teacher's variance") * omega * lam
    found = kernel_spectrum(activation, lam, entry_variance=q, teacher=teacher, cutoff=cutoff, max_degree=max_degree)
    noise = _float_value(r.noise_variance, values, "the label noise")
    point = _equivalent_point(found, original, matrix, noise, sizes)
    shown = _route_parameters(model, original.values, activation)
    return _with_route(point, Route("kernel", kernel=found, unexplained=found.unexplained / 2, parameters=shown))


def _equivalent_point(found, original, matrix, noise, sizes):
    """The Gaussian-equivalent MRS model bound on a kernel spectrum, with the caller's sizes and ridge; the
    target's variance on no listed eigenfunction joins the label noise."""
    model = original.model
    equivalent = _equivalent(mrs())
    values = {name: number(repr(value), what=name, error=ParameterError) if isinstance(value, float) else value
              for name, value in found.equivalent().items()}
    values.update(N=original.size(model.matrices[matrix].rows), P=original.size(model.samples),
                  gamma=original.values[model.regression.ridge])
    values.update(noise_parameters(equivalent, repr(noise + found.unexplained)))
    return bind(equivalent, spectrum=found.spectrum(), sizes=sizes, **values)


def _with_route(point, route):
    return Point(model=point.model, spectrum=point.spectrum, values=point.values,
                 latent_infinite=point.latent_infinite, normalization=point.normalization,
                 scaled_values=point.scaled_values, activation=point.activation, route=route)


def _data_point(model, data, spectrum, sizes, complete, activation, precision, equivalence, params):
    """A point whose population is a dataset: its spectrum, teacher and noise (linear or white features), or its
    kernel's spectrum and the labels' projections on it (the kernel route)."""
    if not isinstance(data, Dataset):
        raise ParameterError(f"data must be a Dataset (largen.solver.data.digits() or load(...)), got "
                             f"{type(data).__name__}")
    r = model.regression
    latent = model.latent
    given = sorted({latent, "alpha", "delta"} & set(params))
    given += sorted(s.name for s in (as_expr(r.teacher_variance).free_symbols | as_expr(r.noise_variance).free_symbols)
                    if s.name in params and s.name != latent)
    if spectrum is not None or given:
        what = ", ".join((["a spectrum"] if spectrum is not None else []) + given)
        raise ParameterError(f"the dataset sets the latent size, spectrum, teacher and noise: {what} cannot be given "
                             "with it")
    inputs = data.inputs.shape[1]
    if equivalence == "kernel":
        if activation is None:
            raise ParameterError("the kernel route is for nonlinear features: give an activation")
        if not complete:
            return bind(model, sizes=sizes, complete=False, **{latent: inputs}, **params)
        original = bind(model, sizes=sizes, **{latent: inputs}, **params,
                        **{name: 0 for name in model.activation_parameters})
        matrix = _one_layer(original.model, "the kernel route")
        q = _float_value(original.model.matrices[matrix].variance, original.scaled_values,
                         "the feature weights' variance")
        found = kernel_spectrum(activation, data=data, entry_variance=q)
        # the dataset's targets are its labels: their variance beyond the listed eigenfunctions is the noise
        point = _equivalent_point(found, original, matrix, 0.0, sizes)
        shown = _route_parameters(original.model, original.values, activation, {"data": data.name})
        return _with_route(point, Route("kernel", kernel=found, unexplained=found.unexplained / 2, parameters=shown))
    found = data_spectrum(data)
    teacher = as_expr(r.teacher_variance)
    size = as_expr(model.spaces[latent])
    scales = {symbol: 1 for symbol in teacher.free_symbols if symbol != size}
    if sympy.simplify(teacher.xreplace(scales) * size - 1) != 0:
        raise ParameterError(f"model {model.name}: a dataset's teacher needs the teacher variance sigma_w^2/M")
    values = dict(params)
    values[latent] = found.rank
    values.update(noise_parameters(model, repr(found.noise)))
    values.update({symbol.name: 1 for symbol in scales})  # sigma_w = 1: E w_I^2 = omega_I/M', the data's teacher
    point = bind(model, spectrum=found.spectrum(), sizes=sizes, complete=complete, activation=activation,
                 precision=precision, **values)
    shown = _route_parameters(point.model, point.values, activation, {"data": data.name})
    equivalence = "white" if activation is not None else "linear"
    return _with_route(point, Route(equivalence, data=found, unexplained=found.noise / 2, parameters=shown))


# a model is immutable, and building one (its quiver, its names checked) was most of the time a
# point with nonlinear features and a teacher took to bind: each derived model is built once
@lru_cache(maxsize=16)
def _equivalent(model):
    """:func:`largen.diagrams.engine.model.gaussian_equivalent` of ``model``, built once."""
    return gaussian_equivalent(model)


@lru_cache(maxsize=16)
def _taught(model):
    """:func:`largen.diagrams.engine.model.with_teacher` of ``model``, built once."""
    return with_teacher(model)


def _activation_values(model, values, spectrum, infinite, act, precision):
    """Bind mu_1 and mu_star of ``model`` (in ``values``) from the activation; return its Coefficients.

    The pre-activation variance is the derived expectation with the point's
    values (the latent size 1 outside tr Lambda at M = inf) and tr Lambda.
    """
    e = model.regression.equivalent
    star = sympy.sqrt(model.matrices[e.matrix].variance)
    if not (e.linear.is_Symbol and star.is_Symbol):
        raise ParameterError(f"model {model.name}: an activation sets a linear coefficient that is one symbol "
                             f"and a variance of {e.matrix} that is a symbol squared")
    variance = preactivation_variance(model)
    trace = covariance_trace(model.covariance(model.latent))(1)
    scaled = {**values, model.spaces[model.latent]: sympy.Integer(1)} if infinite else values
    factor = as_expr(variance.coeff(trace)).xreplace(scaled)
    missing = sorted(s.name for s in factor.free_symbols)
    if missing:
        raise ParameterError(f"no value for {missing[0]}, which the pre-activation variance needs")
    with mpmath.workdps(precision + 20):
        v = mpmath.mpf(sympy.N(factor, precision + 30)._mpf_) * spectrum.power_sum_value(1)
    if not v > 0:
        raise ParameterError("the pre-activation variance is 0 (no features reach the data): "
                             "an activation has no coefficients there")
    found = coefficients(act, v, precision)
    with mpmath.workdps(precision + 10):
        values[e.linear] = _exact(found.mu_1)
        values[star] = _exact(found.mu_star)
    return found


@lru_cache(maxsize=64)
def normalization(model, expression=None, infinity="inf"):
    """The sentence saying what the variances mean at M = inf, read off the model (once per model).

    Each variance (of a feature matrix, of the teacher, of the label noise)
    that depends on the latent size is, with the latent size set to 1, an entry
    variance itself. ``expression`` writes an expression (default: ``**`` as
    ``^``; the report writes LaTeX), ``infinity`` is how infinity is written.

    Examples
    --------
    >>> from largen.diagrams.engine.model import deep_linear
    >>> normalization(deep_linear(2))
    'M = inf: sigma_1^2 and sigma_w^2 are the entry variances themselves (no 1/M)'
    """
    expression = expression or _caret
    latent = model.spaces[model.latent]
    r = model.regression
    variances = [model.matrices[name].variance for name in r.features] + [r.teacher_variance, r.noise_variance]
    carried, factors = [], []
    for variance in map(sympy.sympify, variances):
        if variance.has(latent):
            at_one = variance.subs(latent, 1)
            carried.append(expression(at_one))
            factors.append(expression(sympy.cancel(variance / at_one)) if at_one != 0 else expression(latent))
    if not carried:
        return (f"{expression(latent)} = {infinity}: no variance depends on {expression(latent)}, "
                f"which is 1 outside the spectral sums")
    names = " and ".join([", ".join(carried[:-1]), carried[-1]] if len(carried) > 1 else carried)
    verb = "are the entry variances themselves" if len(carried) > 1 else "is the entry variance itself"
    return f"{expression(latent)} = {infinity}: {names} {verb} (no {' or '.join(dict.fromkeys(factors))})"


def noise_parameters(model, variance):
    """The value of the noise symbol that makes the label-noise variance ``variance``.

    Examples
    --------
    >>> noise_parameters(mrs(), "0.25")
    {'sigma_eps': 1/2}
    >>> noise_parameters(mrs(), 0)
    {'sigma_eps': 0}
    """
    variance = number(_plain(variance), what="noise variance", error=ParameterError)
    if variance < 0:
        raise ParameterError(f"noise variance must be non-negative, got {short(variance)}")
    if variance == sympy.oo:
        raise ParameterError("noise variance must be finite, got inf")
    expr = as_expr(model.regression.noise_variance)
    free = sorted(expr.free_symbols, key=lambda s: s.name)
    if not free:
        if expr == variance:
            return {}
        raise ParameterError(f"model {model.name} fixes the noise variance to {expr}: it cannot be {short(variance)}")
    if len(free) > 1:
        names = ", ".join(s.name for s in free)
        raise ParameterError(f"the noise variance {expr} of model {model.name} has several symbols ({names}): "
                             "set them one by one")
    (symbol,) = free
    unknown = sympy.Dummy("x", nonnegative=True)
    roots = sympy.solve(sympy.Eq(expr.xreplace({symbol: unknown}), variance), unknown)
    if not roots:
        raise ParameterError(f"no non-negative {symbol.name} gives the noise variance {expr} = {short(variance)}")
    return {symbol.name: min(roots)}


_SHARED = {}  # an exact number -> the one object of that value that points are bound with
_READ = {}  # a value as the caller gave it (text or int) -> its shared number: read once
MAX_SHARED = 4096


def _shared(value):
    """The value as the one sympy number of its value that every point shares, when it reads as one;
    else as given (the model's checks then say what is wrong with it, under its name).

    A sympy number answers its assumptions (sign, integrality) from a cache of its own, filled at
    the first question: about 60 us, which a fresh number paid at every point (a decimal such as
    "1e-3" is made afresh at each reading, out of sympy's cache of numbers). Shared, it is paid
    once per value. Text and ints are read once too (the grammar's reading of "1e-3" was half of a
    point's binding).
    """
    if isinstance(value, bool) or not isinstance(value, (int, str, sympy.Number)):
        return value
    raw = not isinstance(value, sympy.Number)
    if raw and value in _READ:
        return _READ[value]
    try:
        found = number(value, what="a value", error=ParameterError)
    except ParameterError:
        return value
    if len(_SHARED) >= MAX_SHARED:
        _SHARED.clear()
    if len(_READ) >= MAX_SHARED:
        _READ.clear()
    found = _SHARED.setdefault(found, found)
    if raw:
        _READ[value] = found
    return found


@lru_cache(maxsize=64)
def _power_law(alpha, size, delta):
    """:meth:`Spectrum.power_law`, one object per law (its caches, and those keyed by it, then serve
    every point on it)."""
    return Spectrum.power_law(alpha, size, delta=delta)


def _plain(value):
    """A value given by the caller, infinities as oo; a binary float (Python's or mpmath's) is
    read as the shortest decimal that rounds back to it (:func:`largen.diagrams.engine.symbols.number`), never at
    the caller's ambient precision."""
    if isinstance(value, (float, mpmath.mpf)):
        if value != value:
            raise ParameterError("a value is NaN")
        if value in (math.inf, -math.inf):
            return sympy.oo if value > 0 else -sympy.oo
        return number(value, what="a value", error=ParameterError)
    return value


def _exact(value):
    """A number this package computed, as the exact sympy number of its binary value."""
    man, exp = value.man_exp
    return sympy.Integer(man) * sympy.Integer(2) ** exp


def _str(value):
    """str(value), for a rational without sympy's printer (set up afresh at every call: 10 us a value)."""
    if isinstance(value, sympy.Rational):
        return str(value.p) if value.q == 1 else f"{value.p}/{value.q}"
    return str(value)


def _caret(expr):
    return sympy.sstr(expr).replace("**", "^")


def short(value, digits=6):
    """A number for a message: as it is when short, else ``digits`` significant digits (1e-300, not 300 zeros).

    Examples
    --------
    >>> short(sympy.Rational(1, 10)), short(sympy.Rational(-1, 10**300)), short(sympy.Integer(10)**400)
    ('1/10', '-1.0e-300', '1.0e+400')
    """
    text = str(value)
    if len(text) <= 20:
        return text
    try:
        with mpmath.workdps(digits + 14):
            return mpmath.nstr(mpmath.mpf(sympy.N(as_expr(value), digits + 14)), digits)
    except (TypeError, ValueError, sympy.SympifyError):
        return text[:17] + "..."
