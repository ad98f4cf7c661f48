"""Grids of planar solutions, evaluated in parallel.

:func:`sweep` solves the model at every point of a grid through a
``concurrent.futures`` executor: processes by default, or any executor with
the same interface, such as a Dask cluster's::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")
    rows = sweep(grid={"N": [100, 200, 400]}, P=300, M=800, gamma="1e-3",
                 executor=client.get_executor())

It shows its progress and writes the rows as CSV or JSON. A point that cannot
be solved is a row with its ``error``; the others are kept.
"""

import csv
import enum
import itertools
import json
import math
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from largen.diagrams.errors import LargenError, LargenWarning, ParameterError
from largen.diagrams.engine.model import Model, gaussian_equivalent, mrs

from largen.diagrams.engine.expectations import preactivation_variance
from largen.diagrams.engine.symbols import is_size_name, number
from largen.solver.numerics.activation import activation
from largen.solver.numerics.equations import derive
from largen.solver.numerics.fast import TOLERANCE, solve_many
from largen.solver.numerics.point import bind
from largen.solver.numerics.solution import _text, _warn_equivalence, _warn_small_sizes, solve
from largen.solver.numerics.spectrum import Spectrum

__all__ = ["sweep", "failures", "check_output", "FastRow", "Surface", "Region", "loss_surface"]

COLUMNS = ("loss", "train_loss", "Delta")
POINT_KEYWORDS = ("alpha", "delta", "activation", "spectrum")  # what solve takes besides the model's symbols
CHUNK = 50  # points per task at most
FORMATS = (".csv", ".json")
FAST_DIGITS = 10  # significant digits of a float64 row: its outputs are within 1e-10 (relative)


class FastRow(enum.Enum):
    """What the ``fast`` column of a row of ``sweep(..., fast=True)`` says of its values."""

    VOUCHED = "vouched"  # the float64 path's values, vouched for and not re-solved
    CHECKED = "checked"  # drawn at random, re-solved by the certified solver, and within the tolerance: its values
    MARKED = "marked"  # not vouched for (the reason in fast_note): the certified solver's values
    DISAGREED = "disagreed"  # vouched for, but the certified solver disagreed (fast_note): its values, and a warning


def sweep(model=None, *, grid, dps=30, spectrum=None, executor=None, progress=True, output=None, force=False,
          fast=False, check=None, seed=0, **fixed):
    """Solve at every point of ``grid`` (name -> list of values); other parameters in ``fixed``.

    Parameters
    ----------
    model : diagrams.Model, optional
        The MRS model by default.
    grid : dict
        Name -> list (or tuple, range) of values; the points are their product.
        With ``activation=NAME`` among the fixed parameters, every point has
        nonlinear features (:func:`solver.solve`).
        A string is refused: split ``"20,40"`` into ``["20", "40"]`` first.
    dps : int
        Digits of each value.
    spectrum : Spectrum, optional
        By default a power law with ``alpha`` and the latent size in ``fixed``
        (or in the grid).
    executor : concurrent.futures.Executor, optional
        Processes on every core by default; ``client.get_executor()`` of a
        ``dask.distributed`` client runs the points on its cluster.
    progress : bool or stream
        True for a bar on stderr, a stream for a bar there, False for none.
    output : str or path, optional
        Also write the rows there (.csv or .json). The path is checked before
        anything is computed.
    force : bool
        Overwrite an existing ``output``.
    fast : bool
        Solve every point at once in float64 (:func:`largen.solver.numerics.fast.solve_many`,
        in this process), and by the certified solver (on ``executor``) only
        the points the fast path does not vouch for and ``check`` points drawn
        at random among the others. Each row gets a column ``fast``
        (:class:`FastRow`): a vouched point's values have
        min(``dps``, 10) significant digits, within 1e-10 (relative); a
        drawn point whose certified values differ by more is ``disagreed``,
        has the certified values, and raises a LargenWarning: a disagreement is
        never kept silently.
    check : int, optional
        Vouched points re-solved by the certified solver (``fast`` only):
        by default max(20, 1%) of the grid, at most all of them.
    seed : int
        The seed of the draw of the checked points.

    Returns
    -------
    list of dict
        One row per point in the order of the grid: the parameters, then
        ``loss``, ``train_loss`` and ``Delta`` as decimal strings with ``dps``
        digits (empty where uncertified, with the reason in ``uncertified``),
        or ``error`` for a point that cannot be solved (:func:`failures`
        counts those); a LargenWarning raised at a point is its ``warning``.
        With ``fast``, also ``fast`` and, where it has one, ``fast_note``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> rows = sweep(grid={"N": [20, 40]}, P=30, M=50, gamma="0.01", dps=15,
    ...              executor=ThreadPoolExecutor(1), progress=False)
    >>> [row["N"] for row in rows], float(rows[0]["loss"]) > float(rows[1]["loss"])
    ([20, 40], True)
    >>> rows = sweep(grid={"N": [20, 40]}, P=30, M=50, gamma="0.01", dps=15, fast=True, check=0,
    ...              executor=ThreadPoolExecutor(1), progress=False)
    >>> rows[1]["loss"], rows[1]["fast"]
    ('0.0008124402011', 'vouched')
    >>> sweep(grid={"N": "20,40"}, P=30, M=50, gamma="0.01")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: the grid values of N are the string '20,40': give a list, e.g. '20,40'.split(',')
    """
    model = mrs() if model is None else model
    if not isinstance(model, Model):
        raise ParameterError(f"expected a diagrams.Model, got {type(model).__name__}")
    names, columns = _grid(model, grid)
    activations = [fixed.get("activation")] + (columns[names.index("activation")] if "activation" in names else [])
    if any(a is not None for a in activations) and model.regression.equivalent is None:
        model = gaussian_equivalent(model)  # derived once below, for every point
        if "activation" in names and None in activations[1:]:
            raise ParameterError("a grid of activations cannot mix linear features (None) with nonlinear ones: "
                                 "give activation 'linear' instead")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 1:
        raise ParameterError(f"dps must be a positive integer, got {dps!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ParameterError(f"executor must have a submit method (a concurrent.futures.Executor), "
                             f"got {type(executor).__name__}")
    if check is not None and (isinstance(check, bool) or not isinstance(check, int) or check < 0):
        raise ParameterError(f"check must be a non-negative integer, got {check!r}")
    if output is not None:
        check_output(output, force=force, formats=FORMATS)
    if model.latent not in names and not set(names) & set(POINT_KEYWORDS) and fixed.get("data") is None:
        # the spectrum, and its agreement with the latent size, once for every point
        point = bind(model, spectrum=spectrum, complete=False, **fixed)
        spectrum, model = point.spectrum, point.model  # a teacher's spectrum gives the model its covariance
        if spectrum is None:
            raise ParameterError(f"no value for {model.latent}: give {model.latent} or a spectrum")
        fixed = {k: v for k, v in fixed.items() if k not in ("alpha", "delta")}
    stream = sys.stderr if progress is True else progress or None
    if stream is not None and not callable(getattr(stream, "write", None)):
        raise ParameterError(f"progress must be True, False or a stream, got {progress!r}")
    points = [dict(zip(names, values)) for values in itertools.product(*columns)]
    own = executor is None
    derive(model)  # derived here once: workers forked from this process inherit it
    fast_rows, todo = {}, range(len(points))
    if fast:
        fast_rows, marked, vouched = _fast(model, names, columns, fixed, spectrum, dps)
        drawn = np.random.default_rng(seed).permutation(vouched)[:_checks(check, len(points), len(vouched))]
        todo = sorted([*marked, *drawn.tolist()])
    executor = executor or ProcessPoolExecutor(max_workers=os.cpu_count())
    # points go out in chunks, so that the model and spectrum cross to a worker once per chunk
    size = max(1, min(CHUNK, len(todo) // (8 * (os.cpu_count() or 1))))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    futures, solved = [], {}
    try:
        futures += [executor.submit(_solve_points, model, fixed, [points[i] for i in chunk], dps, spectrum)
                    for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            solved.update(zip(chunk, future.result()))
            if stream is not None:
                _bar(stream, len(solved), len(todo))
    except BaseException:
        # interrupted (Ctrl-C) or failed: the points not yet started are dropped, not waited for
        for future in futures:
            future.cancel()
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    if own:
        executor.shutdown()
    if fast:
        rows = [{**point, **_merged(fast_rows[i], solved.get(i))} for i, point in enumerate(points)]
        _warn_disagreements(rows)
    else:
        rows = [{**point, **solved[i]} for i, point in enumerate(points)]
    if output is not None:
        _write(rows, output)
    return rows


@dataclass(frozen=True)
class Region:
    """Where a regime holds on a :class:`Surface`: ``margins``, log10(large/small) of each of its
    conditions small << large on the surface's grid (its boundary is a margin's 0 level), and
    ``inside``, where every margin is positive."""

    regime: object
    margins: tuple
    inside: np.ndarray


@dataclass(frozen=True)
class Surface:
    """The planar loss on a plane of points, for a picture: the horizontal axis ``x`` is log10(N/P) at
    fixed N P (or log10 N at fixed P), the vertical ``y`` is log10 of the ridge; ``loss`` and
    ``slope`` (d log L/d log gamma, by symmetric differences) are arrays (y, x), from the float64
    path, NaN where it found no root; ``vouched`` says where it vouches for the loss (elsewhere its
    value is a picture's, not a result's); ``regions`` are the regimes' (:class:`Region`), from their
    derived conditions; ``names`` the sizes and ridge by the model's names."""

    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    slope: np.ndarray
    vouched: np.ndarray
    regions: tuple
    names: dict
    fixed: dict


def loss_surface(model=None, *, regimes=(), alpha=1, spectrum=None, delta=None, product=1e12, samples=None,
                 widths=None, grid=200, ridges=(-8, 12), step=1e-3):
    """The loss and its slope in the ridge on a ``grid`` x ``grid`` plane, with the regimes' regions.

    The plane is (log10(N/P), log10 gamma) at N P = ``product``, or with ``samples``
    (a value of P) (log10 N, log10 gamma); N is the model's last feature width, P its
    samples, gamma its ridge, and the other widths are held at ``widths`` (default
    sqrt(N P), or the fixed P). The spectrum is the power law of ``alpha`` (and the
    teacher's ``delta``) at M = inf, or ``spectrum``. Every point is solved at once by
    the float64 path (:func:`largen.solver.numerics.fast.solve_many`), and again at
    gamma e**(+-step) from its root for the slope.

    Parameters
    ----------
    regimes : sequence of Regime
        The regimes whose conditions are drawn (:func:`largen.solver.numerics.scaling.regimes_at`).
    ridges : (float, float)
        The range of log10 gamma.

    Returns
    -------
    Surface

    Raises
    ------
    ParameterError
        The last feature width is a fixed number, or the grid has fewer than 2 points.

    Examples
    --------
    >>> surface = loss_surface(grid=3, product=1e8, ridges=(-3, 3))  # N = P = 1e4 in the middle column
    >>> surface.loss.shape, bool(surface.vouched.all()), [round(float(s), 3) for s in surface.slope[:, 1]]
    ((3, 3), True, [-0.48, -0.111, 0.453])
    """
    from largen.solver.numerics.scaling import _log_margin  # the regimes' conditions on arrays: one home

    model = mrs() if model is None else model
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ParameterError(f"grid must be an integer of at least 2, got {grid!r}")
    size, data, ridge = (model.spaces[model.feature_spaces[-1]], model.spaces[model.samples],
                         model.regression.ridge)
    if not size.is_Symbol:
        raise ParameterError(f"the surface varies the last feature width, which model {model.name} fixes at {size}")
    x = np.linspace(-6, 6, grid) if samples is None else np.linspace(0, 12, grid)
    y = np.linspace(*ridges, grid)
    X, Y = np.meshgrid(x, y)
    if samples is None:
        N, P = 10 ** ((math.log10(product) + X) / 2), 10 ** ((math.log10(product) - X) / 2)
    else:
        N, P = 10**X, np.full_like(X, float(samples))
    held = (math.sqrt(product) if samples is None else float(samples)) if widths is None else float(widths)
    others = {str(model.spaces[s]): held for s in model.feature_spaces[1:-1] if model.spaces[s].is_Symbol}
    point = {str(size): N, str(data): P, **others}
    law = {} if spectrum is not None else {"alpha": float(alpha), "delta": float(delta or 0),
                                           model.spaces[model.latent].name: math.inf}
    gamma = 10**Y
    centre = solve_many(model, spectrum=spectrum, **law, **point, **{str(ridge): gamma})
    sides = [solve_many(model, spectrum=spectrum, start=centre, **law, **point, **{str(ridge): gamma * math.exp(h)})
             for h in (step, -step)]
    with np.errstate(all="ignore"):
        slope = (np.log(sides[0].loss) - np.log(sides[1].loss)) / (2 * step)
    values = {str(size): N, str(data): P, str(ridge): gamma, **{k: np.full_like(X, v) for k, v in others.items()}}
    if spectrum is not None and len(spectrum.pieces) == 1 and hasattr(spectrum.pieces[0], "lam_plus"):
        values["lambda_+"] = np.full_like(X, float(spectrum.pieces[0].lam_plus))
    regions = []
    for regime in regimes:
        with np.errstate(all="ignore"):  # a margin is infinite on its boundary's own line (N = P)
            margins = tuple(m for m in (_log_margin(small, large, values, alpha, str(ridge))
                                        for small, large in regime.conditions) if m is not None)
        if margins:
            regions.append(Region(regime, margins, np.minimum.reduce(margins) > 0))
    vouched = centre.vouched & sides[0].vouched & sides[1].vouched
    return Surface(x=x, y=y, loss=centre.loss, slope=slope, vouched=vouched,
                   regions=tuple(regions), names={"size": str(size), "samples": str(data), "ridge": str(ridge)},
                   fixed={"product": product if samples is None else None, "samples": samples, **others})


def failures(rows):
    """The number of rows of a sweep whose point could not be solved.

    Examples
    --------
    >>> failures([{"N": 1, "loss": "0.1"}, {"N": 2, "error": "no solution"}])
    1
    """
    return sum("error" in row for row in rows)


def check_output(path, *, force=False, formats=None):
    """Refuse an output path that cannot be written, or exists, before any work is done.

    Examples
    --------
    >>> check_output("")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: the output path is empty
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"the output path must be a string or a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not text.strip():
        raise ParameterError("the output path is empty")
    if formats and not text.endswith(formats):
        raise ParameterError(f"the sweep output must end in {' or '.join(formats)}, got {text}")
    if os.path.isdir(text):
        raise ParameterError(f"cannot write {text}: it is a directory")
    if os.path.exists(text) and not force:
        raise ParameterError(f"{text} exists: overwrite it with force=True")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise ParameterError(f"cannot write {text}: no directory {folder}")
    if not os.access(folder, os.W_OK):
        raise ParameterError(f"cannot write {text}: the directory {folder} is not writable")


def _grid(model, grid):
    """The names and value lists of a grid, each value checked against the model."""
    if not isinstance(grid, dict) or not grid:
        raise ParameterError("a sweep needs at least one parameter with several values (grid: name -> values)")
    names, columns = [], []
    for name, values in grid.items():
        if isinstance(values, (str, bytes)):
            raise ParameterError(f"the grid values of {name} are the string {values!r}: give a list, "
                                 f"e.g. {values!r}.split(',')")
        try:
            values = list(values)
        except TypeError:
            raise ParameterError(f"the grid values of {name} must be a list, got {type(values).__name__}") from None
        if not values:
            raise ParameterError(f"the grid has no values of {name}")
        for value in values:
            _check_value(model, name, value)
        names.append(name)
        columns.append(values)
    return names, columns


def _check_value(model, name, value):
    """Refuse a grid value before any work: a model symbol's by the model, a keyword of solve's by its own reader."""
    if name in model.symbols or name not in POINT_KEYWORDS:
        model.bind({name: value}, defaults=False)
    elif name in ("alpha", "delta"):
        number(value, what=name, error=ParameterError)
    elif name == "activation":
        if value is not None:
            activation(value)
    elif not isinstance(value, Spectrum):
        raise ParameterError(f"the grid values of spectrum must be Spectrum objects, got {type(value).__name__}")


def _solve_points(model, fixed, points, dps, spectrum):
    return [_solve_point(model, {**fixed, **point}, dps, spectrum) for point in points]


def _solve_point(model, params, dps, spectrum):
    # a point the solver cannot answer is that row's error, and the grid goes on; a warning,
    # raised in a worker whose stderr is not the user's, is the row's too
    if "spectrum" in params:
        spectrum = params.pop("spectrum")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LargenWarning)
        try:
            found = solve(model, dps=dps, spectrum=spectrum, **params).as_dict()
        except LargenError as exc:
            return {"error": str(exc)}
        except (ArithmeticError, ValueError, TypeError) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
    row = {name: found[name] or "" for name in COLUMNS}
    if found.get("uncertified"):
        row["uncertified"] = "; ".join(f"{name}: {why}" for name, why in found["uncertified"].items())
    said = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, LargenWarning))
    if said:
        row["warning"] = "; ".join(said)
    return row


def _checks(check, points, vouched):
    """How many vouched points the certified solver re-solves."""
    wanted = max(20, points // 100) if check is None else check
    return min(wanted, vouched)


def _fast(model, names, columns, fixed, spectrum, dps):
    """Every point of the grid by the float64 path: the rows' parts by index, the indices it did not
    vouch for, and those it did."""
    shape = tuple(len(c) for c in columns)
    index = [i.ravel() for i in np.indices(shape)] if shape else []
    arrays = {name: _floats(model, name, column)[i] if name not in ("spectrum", "activation") else
              np.asarray(column, dtype=object)[i] for name, column, i in zip(names, columns, index)}
    count = math.prod(shape)
    for name, value in fixed.items():
        if name in ("spectrum", "activation"):
            arrays[name] = np.full(count, value, dtype=object)
        else:
            arrays[name] = np.full(count, _floats(model, name, [value])[0])
    spectra = arrays.pop("spectrum", np.full(count, spectrum, dtype=object))
    activations = arrays.pop("activation", np.full(count, None, dtype=object))
    rows, marked, vouched = {}, [], []
    for key in dict.fromkeys(zip(map(id, spectra), map(_key, activations))):
        where = np.flatnonzero([(id(s), _key(a)) == key for s, a in zip(spectra, activations)])
        law, act = spectra[where[0]], activations[where[0]]
        params = {name: value[where] for name, value in arrays.items()}
        if act is not None:
            params.update(_equivalence(model, act, law, params))
        found = solve_many(model, spectrum=law, **params)
        said = _warnings(model, law, act, params)
        digits = min(dps, FAST_DIGITS)
        for j, i in enumerate(where.tolist()):
            if found.vouched[j]:
                rows[i] = _fast_row(found, j, digits), {name: float(getattr(found, name)[j]) for name in COLUMNS}
                if said[j]:
                    rows[i][0]["warning"] = said[j]
                vouched.append(i)
            else:
                rows[i] = {"fast": FastRow.MARKED.value, "fast_note": found.reasons[j].value}, None
                marked.append(i)
    return rows, marked, vouched


def _key(value):
    return value if value is None or isinstance(value, str) else id(value)


def _floats(model, name, values):
    """Grid or fixed values of ``name`` as float64, read exactly first (they were checked)."""
    found = []
    for value in values:
        exact = number(value, what=name, error=ParameterError) if name in POINT_KEYWORDS else \
            model.bind({name: value}, defaults=False)[model.symbols[name]]
        found.append(math.inf if exact == sympy.oo else float(exact))
    return np.array(found)


def _equivalence(model, act, spectrum, params):
    """mu_1 and mu_star of an activation at each point: its Gaussian-equivalence coefficients at the
    point's pre-activation variance, found once per distinct variance (by :func:`bind`)."""
    symbols = sorted(s.name for s in preactivation_variance(model).free_symbols if s.name in model.symbols)
    keys = [n for n in [*symbols, "alpha", "delta"] if n in params]
    e = model.regression.equivalent
    linear, star = e.linear.name, sympy.sqrt(model.matrices[e.matrix].variance).name
    found = {linear: np.empty(len(next(iter(params.values())))), star: None}
    found[star] = np.empty_like(found[linear])
    rows = np.stack([params[k] for k in keys], axis=1) if keys else np.zeros((len(found[linear]), 0))
    for values in np.unique(rows, axis=0):
        where = np.all(rows == values, axis=1)
        given = {k: "inf" if v == math.inf else repr(float(v)) for k, v in zip(keys, values)}
        point = bind(model, spectrum=spectrum, complete=False, activation=act, precision=20, **given)
        found[linear][where] = float(point.activation.mu_1)
        found[star][where] = float(point.activation.mu_star)
    return found


def _warnings(model, spectrum, act, params):
    """The LargenWarnings :func:`solve` raises at each point (small sizes, Gaussian equivalence
    stretched), found once per distinct sizes and spectrum."""
    keys = [name for name in params if is_size_name(name) or name in ("alpha", "delta")]
    rows = np.stack([params[k] for k in keys], axis=1) if keys else np.zeros((len(next(iter(params.values()))), 0))
    said = np.full(len(rows), "", dtype=object)
    latent = model.spaces[model.latent]
    for values in np.unique(rows, axis=0):
        given = dict(zip(keys, values))
        sizes = {model.symbols[k]: sympy.oo if v == math.inf else sympy.Float(v) for k, v in given.items()
                 if k in model.symbols}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LargenWarning)
            _warn_small_sizes(model, sizes)
            if act is not None:
                law = spectrum
                if law is None:
                    size = given.get(latent.name, latent) if latent.is_Symbol else latent
                    size = "inf" if size == math.inf else int(size)
                    law = Spectrum.power_law(repr(float(given.get("alpha", 1.0))), size,
                                             delta=repr(float(given.get("delta", 0.0))))
                _warn_equivalence(law)
        text = "; ".join(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, LargenWarning)))
        said[np.all(rows == values, axis=1)] = text
    return said


def _fast_row(found, j, digits):
    """A vouched point's row: its float64 outputs with ``digits`` significant digits."""
    row = {name: _decimal(getattr(found, name)[j], digits) for name in ("loss", "train_loss")}
    Delta = found.Delta[j]
    row["Delta"] = _decimal(Delta, digits) if math.isfinite(Delta) else ""
    if not math.isfinite(Delta):
        row["uncertified"] = "Delta: Delta is infinite at this point (no features reach the latent space)"
    row["fast"] = FastRow.VOUCHED.value
    return row


def _decimal(x, digits):
    """x with ``digits`` significant digits, written as the certified rows write theirs."""
    with mpmath.workprec(53):  # a float64 exactly, whatever the caller's precision
        return _text(mpmath.mpf(x), digits)


def _merged(fast, certified):
    """The row of a point: the float64 values where vouched and not drawn; the certified solver's where
    it solved the point, with what they told of each other. ``fast`` is the float64 row and its
    values (unrounded)."""
    fast, values = fast
    if certified is None:
        return fast
    if fast["fast"] == FastRow.MARKED.value:
        return {**certified, "fast": FastRow.MARKED.value, "fast_note": fast["fast_note"]}
    if "error" in certified:
        return {**certified, "fast": FastRow.DISAGREED.value,
                "fast_note": f"the certified solver found no solution; float64 gave loss = {fast['loss']}"}
    apart = {name: _apart(values[name], certified[name]) for name in COLUMNS}
    far = {name: gap for name, gap in apart.items() if gap > TOLERANCE}
    if not far:
        return {**certified, "fast": FastRow.CHECKED.value}
    note = "; ".join(f"float64 gave {name} = {fast[name]} (relative difference {gap:.2g})" for name, gap in far.items())
    return {**certified, "fast": FastRow.DISAGREED.value, "fast_note": note}


def _apart(fast, certified):
    """The relative difference of a float64 value and a certified decimal; 0 where the certified one
    is empty (uncertified), or both are infinite (Delta without features)."""
    if not certified:
        return 0.0 if not math.isfinite(fast) else math.inf
    b = float(certified)
    return 0.0 if fast == b else abs(fast - b) / abs(b) if b else math.inf


def _warn_disagreements(rows):
    bad = sum(row.get("fast") == FastRow.DISAGREED.value for row in rows)
    drawn = sum(row.get("fast") in (FastRow.DISAGREED.value, FastRow.CHECKED.value) for row in rows)
    if bad:
        warnings.warn(f"{bad} of {drawn} points drawn at random disagree with the certified solver beyond "
                      f"{TOLERANCE:g} (relative): their rows hold the certified values (fast = 'disagreed'); "
                      "the float64 values of the others are in doubt: sweep again without fast",
                      LargenWarning, stacklevel=3)


def _bar(stream, done, total, width=30):
    filled = width * done // total
    stream.write(f"\rsweep {done}/{total} [{'#' * filled}{'.' * (width - filled)}]")
    if done == total:
        stream.write("\n")
    stream.flush()


def _write(rows, path):
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            if os.fspath(path).endswith(".json"):
                json.dump(rows, handle, indent=1, default=str, allow_nan=False)
            else:
                fields = list(dict.fromkeys(k for row in rows for k in row))
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
    except OSError as exc:
        raise ParameterError(f"cannot write {path}: {exc.strerror}") from None
