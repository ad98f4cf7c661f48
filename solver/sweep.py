"""Grids of planar solutions, evaluated in parallel.

:func:`sweep` solves the model at every point of a grid through a
``concurrent.futures`` executor (processes by default; a distributed executor
with the same interface can be passed in), shows its progress, and writes the
rows as CSV or JSON.
"""

import csv
import itertools
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import mpmath

from diagrams.errors import LargenError, ParameterError
from diagrams.model import mrs

from .equations import derive
from .solution import solve

COLUMNS = ("loss", "train_loss", "Delta")
CHUNK = 50  # points per task at most


def sweep(model=None, *, grid, dps=30, spectrum=None, executor=None, progress=True, output=None, **fixed):
    """Solve at every point of ``grid`` (name -> list of values); other parameters in ``fixed``.

    Returns a list of rows, one per point in the order of the grid: the
    parameters, then ``loss``, ``train_loss`` and ``Delta`` as decimal strings
    with ``dps`` digits, or ``error`` for a point that cannot be solved. With
    ``output`` (a path ending in .csv or .json) the rows are also written there.
    ``progress`` is True for a bar on stderr, a stream for a bar there, or
    False.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> rows = sweep(grid={"N": [20, 40]}, P=30, M=50, gamma="0.01", dps=15,
    ...              executor=ThreadPoolExecutor(1), progress=False)
    >>> [row["N"] for row in rows], float(rows[0]["loss"]) > float(rows[1]["loss"])
    ([20, 40], True)
    """
    model = model or mrs()
    stream = sys.stderr if progress is True else progress or None
    if not grid:
        raise ParameterError("a sweep needs at least one parameter with several values")
    if output is not None and not str(output).endswith((".csv", ".json")):
        raise ParameterError(f"the sweep output must end in .csv or .json, got {output}")
    names = list(grid)
    points = [dict(zip(names, values)) for values in itertools.product(*grid.values())]
    own = executor is None
    derive(model)  # derived here once: workers forked from this process inherit it
    executor = executor or ProcessPoolExecutor(max_workers=os.cpu_count())
    # points go out in chunks, so that the model and spectrum cross to a worker once per chunk
    size = max(1, min(CHUNK, len(points) // (8 * (os.cpu_count() or 1))))
    chunks = [points[i:i + size] for i in range(0, len(points), size)]
    try:
        futures = [executor.submit(_solve_points, model, fixed, chunk, dps, spectrum) for chunk in chunks]
        rows = []
        for chunk, future in zip(chunks, futures):
            rows += [{**point, **result} for point, result in zip(chunk, future.result())]
            if stream is not None:
                _bar(stream, len(rows), len(points))
    finally:
        if own:
            executor.shutdown()
    if output is not None:
        _write(rows, output)
    return rows


def _solve_points(model, fixed, points, dps, spectrum):
    return [_solve_point(model, {**fixed, **point}, dps, spectrum) for point in points]


def _solve_point(model, params, dps, spectrum):
    try:
        solution = solve(model, dps=dps, spectrum=spectrum, **params)
    except LargenError as exc:
        return {"error": str(exc)}
    return {name: mpmath.nstr(getattr(solution, name), dps, strip_zeros=False) for name in COLUMNS}


def _bar(stream, done, total, width=30):
    filled = width * done // total
    stream.write(f"\rsweep {done}/{total} [{'#' * filled}{'.' * (width - filled)}]")
    if done == total:
        stream.write("\n")
    stream.flush()


def _write(rows, path):
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            if str(path).endswith(".json"):
                json.dump(rows, handle, indent=1, default=str)
            else:
                fields = list(dict.fromkeys(k for row in rows for k in row))
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
    except OSError as exc:
        raise ParameterError(f"cannot write {path}: {exc.strerror}") from None
