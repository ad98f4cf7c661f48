"""The model's parameters fitted to measured learning curves, by weighted least squares.

A learning curve is the test loss measured at points (N, P, gamma): sizes of
a model, of a data set, a ridge. :func:`fit` finds the values of the
parameters a user chooses (the spectrum's alpha, delta and lam_plus, a scale
sigma_*, the label noise) that bring the planar theory closest to the measured
losses, solving the theory at every point at once by the float64 path
(:func:`largen.solver.numerics.fast.solve_many`), and reports each estimate with its
standard error, the fit's chi-squared and its degrees of freedom (:class:`Fit`).

With standard errors of the losses, the residuals are (theory - measured)/error
and the covariance of the estimates is (J^T J)^-1. Without, the losses are taken
to scatter by a common relative amount: the residuals are log(theory/measured),
the scatter is estimated from them, sqrt(chi2/dof), and the covariance is scaled
by it (then chi2 = dof by construction; :attr:`Fit.scatter` says how large it is).

Beside it, :func:`power_law_fit` fits what everyone fits today, a free power law
plus a constant, L = C + A N**-a + B P**-b (a term for each size that varies in
the data), with the same weights: it has no N <-> P structure, and the two
chi-squared values say what that structure buys.
"""

import csv
import enum
import math
import os
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from largen.diagrams.engine.model import Model, mrs
from largen.diagrams.engine.symbols import is_size_name
from largen.diagrams.errors import ParameterError, SolverError

from largen.solver.numerics.fast import solve_many

__all__ = ["Estimate", "Weighting", "Fit", "PowerLawFit", "fit", "power_law_fit", "read_curves"]

LAW_PARAMETERS = ("alpha", "delta", "lam_plus")  # the default power law's, fitted like the model's symbols
STEP = 1e-6  # relative step of the Jacobian's differences (the float64 path holds 1e-10)
ERROR_COLUMN = "loss_error"


@dataclass(frozen=True)
class Estimate:
    """A fitted value and its standard error."""

    value: float
    error: float

    def __str__(self):
        return f"{self.value:.6g} +- {self.error:.2g}"


class Weighting(enum.Enum):
    """How the residuals are weighted."""

    ERRORS = "the standard errors given with the losses"
    SCATTER = "a common relative scatter, estimated from the residuals"


@dataclass(frozen=True)
class PowerLawFit:
    """L = C + A N**-a + B P**-b fitted to the same curves (a term per size that varies):
    ``parameters`` name -> :class:`Estimate` (``C``, ``A_N``, ``a_N``, ...), ``chi2`` (with the
    theory fit's weights, so that the two compare), ``dof``, its own estimated relative ``scatter``
    without standard errors, and the ``predicted`` losses at the data's points."""

    parameters: dict
    chi2: float
    dof: int
    scatter: object
    predicted: np.ndarray = field(repr=False)

    def predict(self, **sizes):
        """The fitted law at ``sizes`` (name -> array, the sizes it has a term for): a curve to draw.

        Examples
        --------
        >>> law = PowerLawFit({"C": Estimate(0.1, 0), "A_P": Estimate(2, 0), "a_P": Estimate(0.5, 0)}, 0, 9, None,
        ...                   np.zeros(0))
        >>> law.predict(P=np.array([4.0, 100.0])).tolist()
        [1.1, 0.30000000000000004]
        """
        total = self.parameters["C"].value
        for name, estimate in self.parameters.items():
            if name.startswith("A_"):
                size = name[2:]
                exponent = self.parameters[f"a_{size}"].value
                total = total + estimate.value * np.asarray(sizes[size], dtype=float) ** -exponent
        return total

    def as_dict(self):
        return {"parameters": {k: {"value": v.value, "error": v.error} for k, v in self.parameters.items()},
                "chi2": self.chi2, "dof": self.dof, **({"scatter": self.scatter} if self.scatter is not None else {})}


@dataclass(frozen=True)
class Fit:
    """The planar theory fitted to learning curves.

    ``parameters``: name -> :class:`Estimate`; ``chi2`` and ``dof`` (points minus
    parameters); ``weighting`` (:class:`Weighting`) and, without standard errors,
    the estimated relative ``scatter``; ``covariance`` of the estimates in the order
    of ``parameters``; ``predicted``, the theory's losses at the data's points; ``held``,
    the values of the other parameters; ``power_law``, the free power law plus
    constant fitted beside it (:class:`PowerLawFit`).
    """

    parameters: dict
    chi2: float
    dof: int
    weighting: Weighting
    scatter: object
    covariance: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)
    held: dict = field(repr=False)
    power_law: PowerLawFit = field(repr=False)
    model: Model = field(repr=False, default=None)
    spectrum: object = field(repr=False, default=None)

    def predict(self, **points):
        """The fitted theory's test loss at ``points`` (arrays of the data's columns, e.g. N, P, gamma),
        by the float64 path: a curve to draw against the data."""
        values = {**self.held, **{k: v.value for k, v in self.parameters.items()}, **points}
        return _theory(self.model, self.spectrum, values).loss

    def as_dict(self):
        """For JSON: parameters (name -> value, error), chi2, dof, the weighting, the power law's fit."""
        return {"parameters": {k: {"value": v.value, "error": v.error} for k, v in self.parameters.items()},
                "chi2": self.chi2, "dof": self.dof, "weighting": self.weighting.name.lower(),
                **({"scatter": self.scatter} if self.scatter is not None else {}),
                "power_law": self.power_law.as_dict()}


def read_curves(path, model=None):
    """Learning curves from a CSV file: a header naming the model's symbols (sizes, the ridge, any
    other held per point), ``loss``, and optionally ``loss_error`` (its standard error).

    Returns
    -------
    dict
        Column name -> float64 array.

    Raises
    ------
    ParameterError
        An unreadable file, a missing ``loss`` column, an unknown column, a value that is not a number.
    """
    model = mrs() if model is None else model
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ParameterError(f"cannot read {os.fspath(path)}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"{os.fspath(path)} is not UTF-8 text") from None
    rows = [row for row in rows if row and not row[0].lstrip().startswith("#")]
    if len(rows) < 2:
        raise ParameterError(f"{os.fspath(path)}: a header and at least one row are needed")
    header = [name.strip() for name in rows[0]]
    known = set(model.symbols) | {"loss", ERROR_COLUMN, *LAW_PARAMETERS}
    for name in header:
        if name not in known:
            raise ParameterError(f"{os.fspath(path)}: unknown column {name!r} (columns: loss, {ERROR_COLUMN}, "
                                 f"the symbols of model {model.name}: {', '.join(sorted(model.symbols))})")
    if "loss" not in header:
        raise ParameterError(f"{os.fspath(path)}: no column 'loss'")
    columns = {name: [] for name in header}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ParameterError(f"{os.fspath(path)}, line {number}: {len(row)} fields, the header has {len(header)}")
        for name, text in zip(header, row):
            try:
                columns[name].append(float(text))
            except ValueError:
                raise ParameterError(f"{os.fspath(path)}, line {number}: {name} = {text!r} is not a number") from None
    return {name: np.array(values) for name, values in columns.items()}


def fit(curves, model=None, *, params, spectrum=None, start=None, **held):
    """Fit the parameters ``params`` of ``model`` to learning ``curves`` by weighted least squares.

    Parameters
    ----------
    curves : dict
        Column -> array: the points (the model's sizes and ridge, e.g. N, P, gamma;
        other symbols too), ``loss``, and optionally ``loss_error``
        (:func:`read_curves` reads them from a CSV file).
    model : diagrams.Model, optional
        The MRS model by default.
    params : sequence of str
        The parameters to fit: symbols of the model that are not sizes (sigma_w,
        sigma_eps, ...) and, without ``spectrum``, the power law's ``alpha``,
        ``delta`` and ``lam_plus``.
    spectrum : Spectrum, optional
        A fixed spectrum; by default the power law of ``alpha``, ``delta``,
        ``lam_plus`` and the latent size ``M``.
    start : dict, optional
        Starting values by name (default: the held value, else 1, alpha 1, delta 0).
    **held
        Values of the other parameters (defaults: the model's, alpha 1, delta 0, lam_plus 1).

    Returns
    -------
    Fit

    Raises
    ------
    ParameterError
        An unknown or duplicated parameter, fewer points than parameters, a
        loss or standard error that is not positive.
    SolverError
        The theory has no solution at a point for the fitted values.

    Examples
    --------
    >>> N = np.array([50, 100, 200, 400]); P = np.full(4, 300)
    >>> truth = solve_many(N=N, P=P, M="inf", gamma=1e-3, alpha=0.7).loss
    >>> found = fit({"N": N, "P": P, "gamma": np.full(4, 1e-3), "loss": truth}, params=["alpha"], M="inf")
    >>> round(found.parameters["alpha"].value, 8), found.dof
    (0.7, 3)
    """
    model = mrs() if model is None else model
    names = _parameters(model, params, spectrum)
    curves = {k: np.asarray(v, dtype=float) for k, v in curves.items()}
    if "loss" not in curves:
        raise ParameterError("the curves have no loss")
    loss = curves.pop("loss")
    errors = curves.pop(ERROR_COLUMN, None)
    if not (np.all(np.isfinite(loss)) and np.all(loss > 0)):
        raise ParameterError("every measured loss must be positive and finite")
    if errors is not None and not (np.all(np.isfinite(errors)) and np.all(errors > 0)):
        raise ParameterError(f"every {ERROR_COLUMN} must be positive and finite")
    if len(loss) <= len(names):
        raise ParameterError(f"{len(loss)} points cannot fit {len(names)} parameters (and estimate their errors)")
    for name in names:
        if name in curves:
            raise ParameterError(f"{name} is both fitted and a column of the curves")
    held = {k: v for k, v in held.items() if k not in names}
    points = {**held, **curves}
    first = np.array([_start(name, start, held) for name in names], dtype=float)
    lower = np.array([_lower(model, name, points) for name in names])
    weighting = Weighting.ERRORS if errors is not None else Weighting.SCATTER
    residual = _Residuals(model, spectrum, names, points, loss, errors)
    found = least_squares(residual, np.maximum(first, lower + 1e-12), jac=residual.jacobian,
                          bounds=(lower, np.full(len(names), np.inf)), method="trf", x_scale="jac")
    r = residual(found.x)
    J = residual.jacobian(found.x)
    chi2, dof = float(r @ r), len(loss) - len(names)
    scale, scatter = 1.0, None
    if weighting is Weighting.SCATTER:
        scatter = math.sqrt(chi2 / dof)
        scale, chi2 = scatter**2, float(dof)
    covariance = _inverse(J.T @ J) * scale
    estimates = {name: Estimate(float(value), float(math.sqrt(max(covariance[i, i], 0.0))))
                 for i, (name, value) in enumerate(zip(names, found.x))}
    return Fit(parameters=estimates, chi2=chi2, dof=dof, weighting=weighting, scatter=scatter, covariance=covariance,
               predicted=residual.theory(found.x)[0], held=held,
               power_law=power_law_fit({**curves, "loss": loss, **({ERROR_COLUMN: errors} if errors is not None
                                                                    else {})}, model, scatter=scatter),
               model=model, spectrum=spectrum)


def _parameters(model, params, spectrum):
    if isinstance(params, str):
        params = [p.strip() for p in params.split(",")]
    names = list(params)
    if not names:
        raise ParameterError("no parameter to fit")
    if len(set(names)) != len(names):
        raise ParameterError(f"a parameter is named twice: {', '.join(names)}")
    ridge = model.regression.ridge.name
    for name in names:
        if name in LAW_PARAMETERS:
            if spectrum is not None:
                raise ParameterError(f"{name} is the default power law's: it cannot be fitted with a given spectrum")
            continue
        if name not in model.symbols:
            raise ParameterError(f"model {model.name} has no parameter {name!r} to fit "
                                 f"(its symbols: {', '.join(sorted(model.symbols))}; or alpha, delta, lam_plus)")
        if is_size_name(name) or name == ridge:
            raise ParameterError(f"{name} is a size or the ridge: a point of the curves, not a parameter to fit")
    return names


def _start(name, start, held):
    if start and name in start:
        return float(start[name])
    if name in held and np.ndim(held[name]) == 0:
        return float(held[name])
    return {"alpha": 1.0, "delta": 0.0}.get(name, 1.0)


def _lower(model, name, points):
    """The lower bound of a parameter: alpha > 0 at M = inf (its sums diverge at 0), free otherwise,
    delta free, scales non-negative."""
    if name == "alpha":
        size = points.get(model.spaces[model.latent].name if model.spaces[model.latent].is_Symbol else "", 0)
        return 1e-6 if np.any(np.asarray(size, dtype=float) == math.inf) else -np.inf
    if name == "delta":
        return -np.inf
    return 0.0


def _theory(model, spectrum, values):
    """The float64 solutions at ``values`` (name -> number or array)."""
    return solve_many(model, spectrum=spectrum, **values)


class _Residuals:
    """The weighted residuals at the parameters x, and their Jacobian by differences; each solve starts
    from the last solutions (a fit's steps are small)."""

    def __init__(self, model, spectrum, names, held, loss, errors):
        self.model, self.spectrum, self.names, self.held = model, spectrum, names, held
        self.loss, self.errors = loss, errors
        self.n = len(loss)
        self.last, self.at = None, None  # the last solutions, and the parameters they are at

    def values(self, x):
        return {**self.held, **dict(zip(self.names, x))}

    def theory(self, x, start=None):
        """The theory's losses at the points for parameters x (rows of x: several sets at once)."""
        x = np.atleast_2d(x)
        values = {k: np.tile(np.broadcast_to(v, (self.n,)), len(x)) if np.ndim(v) else v
                  for k, v in self.held.items()}
        for i, name in enumerate(self.names):
            values[name] = np.repeat(x[:, i], self.n)
        found = solve_many(self.model, spectrum=self.spectrum, start=start, **values)
        losses = found.loss.reshape(len(x), self.n)
        if not np.all(np.isfinite(losses)):
            where = np.flatnonzero(~np.isfinite(losses.ravel()))[0]
            point = {k: np.ravel(v)[where] if np.ndim(v) else v for k, v in values.items()}
            raise SolverError(f"the theory has no solution at {_point_text(point)}")
        return (losses[0] if len(x) == 1 else losses), found

    def losses(self, x):
        """The theory's losses at x, kept with their solutions for the next call's start."""
        if self.at is None or not np.array_equal(self.at[0], x):
            losses, self.last = self.theory(x, self.last)
            self.at = (np.array(x, dtype=float), losses)
        return self.at[1]

    def __call__(self, x):
        losses = self.losses(x)
        if self.errors is not None:
            return (losses - self.loss) / self.errors
        return np.log(losses / self.loss)

    def jacobian(self, x):
        """d residuals/d x by one-sided differences, every shifted set solved in one batch."""
        steps = STEP * np.maximum(np.abs(x), 1e-3)
        shifted = x[None, :] + np.diag(steps)
        base = self.losses(x)
        losses, _ = self.theory(shifted, _repeat(self.last, len(x)))
        losses = np.atleast_2d(losses)
        if self.errors is not None:
            change = (losses - base[None, :]) / self.errors[None, :]
        else:
            change = np.log(losses / base[None, :])
        return (change / steps[:, None]).T


def _repeat(found, times):
    """Solutions repeated ``times`` over: the start of a batch of shifted parameter sets."""
    if found is None:
        return None
    unknowns = {k: np.tile(v.ravel(), times) for k, v in found.unknowns.items()}
    return type(found)(**{**{f: getattr(found, f) for f in ("loss", "train_loss", "Delta", "noise_floor", "vouched",
                                                          "reasons", "discrepancy", "parameters")},
                          "unknowns": unknowns})


def _point_text(point):
    return ", ".join(f"{k} = {float(v):.6g}" for k, v in point.items())


def _inverse(matrix):
    """The inverse of J^T J, or its pseudo-inverse when a parameter is not determined (then the
    error is infinite for the undetermined direction)."""
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return np.full_like(matrix, np.inf)


def power_law_fit(curves, model=None, *, scatter=None):
    """L = C + A N**-a + B P**-b fitted to ``curves`` (a term for each size that varies), with the
    weights of :func:`fit`: the standard errors, or without them a common relative ``scatter``
    (the theory fit's, so that the two chi-squared values compare; by default its own, and then
    chi2 = dof).

    Examples
    --------
    >>> P = np.geomspace(10, 1e4, 12)
    >>> law = power_law_fit({"P": P, "N": np.full(12, 100), "loss": 0.1 + 2 * P**-0.5})
    >>> {k: round(v.value, 6) for k, v in law.parameters.items()}
    {'C': 0.1, 'A_P': 2.0, 'a_P': 0.5}
    """
    model = mrs() if model is None else model
    loss = np.asarray(curves["loss"], dtype=float)
    errors = curves.get(ERROR_COLUMN)
    sizes = [name for name in curves if name in model.symbols and is_size_name(name)
             and np.ptp(np.asarray(curves[name], dtype=float)) > 0]
    names = ["C"] + [f"{kind}_{size}" for size in sizes for kind in ("A", "a")]
    columns = [np.asarray(curves[size], dtype=float) for size in sizes]

    def law(x):
        total = np.full_like(loss, x[0])
        for i, column in enumerate(columns):
            total = total + x[1 + 2 * i] * column ** -x[2 + 2 * i]
        return total

    def residuals(x):
        predicted = law(x)
        if errors is not None:
            return (predicted - loss) / errors
        with np.errstate(all="ignore"):
            return np.where(predicted > 0, np.log(np.maximum(predicted, 1e-300) / loss), 1e3)

    first = [loss.min() / 2]
    for column in columns:
        first += [loss.max() * column.min() ** 0.5, 0.5]
    lower = [0.0] + [0.0, 0.0] * len(columns)
    found = least_squares(residuals, first, bounds=(lower, np.inf), method="trf", x_scale="jac")
    r = residuals(found.x)
    dof = len(loss) - len(names)
    chi2, scale, own = float(r @ r), 1.0, None
    if errors is None and dof > 0:
        own = math.sqrt(chi2 / dof)
        scale, chi2 = own**2, chi2 / (scatter or own) ** 2
    covariance = _inverse(found.jac.T @ found.jac) * scale if dof > 0 else np.full((len(names),) * 2, np.inf)
    return PowerLawFit({name: Estimate(float(v), float(math.sqrt(max(covariance[i, i], 0.0))))
                        for i, (name, v) in enumerate(zip(names, found.x))}, chi2, dof, own, law(found.x))
