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
import itertools
import json
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

from largen.diagrams.errors import LargenError, LargenWarning, ParameterError
from largen.diagrams.engine.model import Model, gaussian_equivalent, mrs

from largen.diagrams.engine.symbols import number
from largen.solver.numerics.activation import activation
from largen.solver.numerics.equations import derive
from largen.solver.numerics.point import bind
from largen.solver.numerics.solution import solve
from largen.solver.numerics.spectrum import Spectrum

__all__ = ["sweep", "failures", "check_output"]

COLUMNS = ("loss", "train_loss", "Delta")
POINT_KEYWORDS = ("alpha", "delta", "activation", "spectrum")  # what solve takes besides the model's symbols
CHUNK = 50  # points per task at most
FORMATS = (".csv", ".json")


def sweep(model=None, *, grid, dps=30, spectrum=None, executor=None, progress=True, output=None, force=False,
          **fixed):
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

    Returns
    -------
    list of dict
        One row per point in the order of the grid: the parameters, then
        ``loss``, ``train_loss`` and ``Delta`` as decimal strings with ``dps``
        digits (empty where uncertified, with the reason in ``uncertified``),
        or ``error`` for a point that cannot be solved (:func:`failures`
        counts those); a LargenWarning raised at a point is its ``warning``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> rows = sweep(grid={"N": [20, 40]}, P=30, M=50, gamma="0.01", dps=15,
    ...              executor=ThreadPoolExecutor(1), progress=False)
    >>> [row["N"] for row in rows], float(rows[0]["loss"]) > float(rows[1]["loss"])
    ([20, 40], True)
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
    if output is not None:
        check_output(output, force=force, formats=FORMATS)
    if model.latent not in names and not set(names) & set(POINT_KEYWORDS):
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
    executor = executor or ProcessPoolExecutor(max_workers=os.cpu_count())
    # points go out in chunks, so that the model and spectrum cross to a worker once per chunk
    size = max(1, min(CHUNK, len(points) // (8 * (os.cpu_count() or 1))))
    chunks = [points[i:i + size] for i in range(0, len(points), size)]
    futures, rows = [], []
    try:
        futures += [executor.submit(_solve_points, model, fixed, chunk, dps, spectrum) for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            rows += [{**point, **result} for point, result in zip(chunk, future.result())]
            if stream is not None:
                _bar(stream, len(rows), len(points))
    except BaseException:
        # interrupted (Ctrl-C) or failed: the points not yet started are dropped, not waited for
        for future in futures:
            future.cancel()
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    if own:
        executor.shutdown()
    if output is not None:
        _write(rows, output)
    return rows


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
        raise ParameterError(f"{text} exists: overwrite it with force=True (--force)")
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
