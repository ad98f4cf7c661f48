"""Brill's experiment run end to end: datasets, amplitudes, the three scans, fits, cached to a file.

:func:`run` grows ``datasets`` independent samples of clusters (dataset i from
the streams ``[seed, i, ...]``), on ``workers`` processes, and on each
measures the per-cluster amplitudes of both estimators, the model-size scan,
the data-size scan and the allocation scan of :mod:`largen.solver.percolation.brill`.
The curves are the median over datasets of the mean over repeated draws; an
exponent is fitted on each dataset (least squares of log L against the log of
the size over the last :data:`FIT_POINTS` sizes, the derived law's power of the
logarithm divided out) and its standard error is that of the mean over datasets;
beside it, the exponent of the derived law's finite-size form (the power the
measured loss has beyond the derived functional on the same clusters,
:class:`Fit`), which is what the asymptotic law's exponent is to be compared
with at sizes where its logarithm's constant and the window of clusters still count.

The derived laws are those of :mod:`largen.solver.percolation.laws` at the Bethe
lattice's exact constants (:data:`largen.solver.percolation.brill.BETHE`); the
clusters' own tau and D (twice the chemical dimension) are measured beside them.

A result is stored in ``cache`` (a directory) under a name made from its
configuration and seed, and a rerun with the same ones reads it back.

Examples
--------
>>> result = run(TINY, seed=0)
>>> [round(x, 2) for x in result.model_losses[:2]], result.data_sizes[-1]
([0.99, 0.84], 1000)
"""

import ctypes
import hashlib
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields

import numpy as np

from largen.diagrams.errors import ParameterError
from largen.solver.percolation._validate import integer_argument
from largen.solver.percolation.brill import (BETHE, allocation_scan, cluster_amplitudes, cluster_exponent_of,
                                             data_scan, dataset, model_scan)
from largen.solver.percolation.clusters import ClusterSizes
from largen.solver.percolation.fit import fit_tau, fractal_dimension
from largen.solver.percolation.forest import MAX_BATCHES
from largen.solver.percolation.laws import allocation_exponent, data_scaling, model_scaling

__all__ = ["Configuration", "Fit", "Result", "TINY", "SMALL", "FULL", "FIT_POINTS", "run", "load", "cache_path"]

FORMAT = 1  # bump when a stored result's meaning changes, so that old files are not read back
FIT_POINTS = 3  # sizes at the deep end of a scan that an exponent is fitted on


@dataclass(frozen=True)
class Configuration:
    """The sizes of an experiment."""

    clusters: int
    min_size: int
    max_size: int
    model_sizes: tuple
    data_sizes: tuple
    allocation_size: int
    allocation_exponents: tuple = (0.0, 0.25, 0.5, 2 / 3, 0.75, 1.0, 1.25)
    datasets: int = 1
    repeats: int = 2
    z: int = 200


# Brill's: 316 clusters of 300 to 3e7 sites on the Bethe lattice of d = 100, N up to 3e4
FULL = Configuration(clusters=316, min_size=300, max_size=3 * 10**7,
                     model_sizes=(10, 30, 100, 300, 1000, 3000, 10**4, 3 * 10**4),
                     data_sizes=(10, 100, 1000, 10**4, 3 * 10**4, 10**5, 3 * 10**5), allocation_size=10**4,
                     datasets=6)
SMALL = Configuration(clusters=100, min_size=300, max_size=30000, model_sizes=(10, 30, 100, 300, 1000, 3000),
                      data_sizes=(10, 100, 1000, 3000, 10**4), allocation_size=1000, datasets=2)
TINY = Configuration(clusters=30, min_size=100, max_size=3000, model_sizes=(10, 30, 100, 300),
                     data_sizes=(10, 100, 300, 1000), allocation_size=100, datasets=1)


@dataclass(frozen=True)
class Fit:
    """A fitted exponent (value, standard error over datasets) beside the derived law's (``derived``,
    infinitely many subtasks) and the derived functional's on the same datasets and sizes (``functional``:
    the same fit of sum_k P_k min(1, A_k n_k**-beta_cl), which sees the finite window of clusters).

    ``corrected`` (and ``corrected_error``) is the exponent e of the derived law in its finite-size form,
    L = C size**(derived - e) F(size), F the functional: the measured loss's power beyond the derived
    functional's, over the same sizes, added to the derived exponent. The functional carries what the
    asymptotic law drops at these sizes (its logarithm's constant, the window of clusters), so e is the
    exponent to compare with ``derived``.
    """

    value: float
    error: float
    derived: float
    log_power: float
    functional: float
    corrected: float
    corrected_error: float

    @property
    def deviation(self):
        """(fitted - derived) in standard errors."""
        return (self.value - self.derived) / self.error if self.error > 0 else math.inf

    @property
    def functional_deviation(self):
        """(fitted - functional) in standard errors."""
        return (self.value - self.functional) / self.error if self.error > 0 else math.inf

    @property
    def corrected_deviation(self):
        """(corrected - derived) in standard errors."""
        return (self.corrected - self.derived) / self.corrected_error if self.corrected_error > 0 else math.inf


@dataclass(frozen=True)
class Result:
    """What :func:`run` measured. Arrays are indexed [dataset, repeat, size]; the ``*_losses``
    properties are the medians over datasets of the means over repeats."""

    configuration: Configuration
    seed: int
    beta: float
    sites: np.ndarray
    model: np.ndarray
    model_theory: np.ndarray
    data: np.ndarray
    data_theory: np.ndarray
    allocation: np.ndarray
    allocation_theory: np.ndarray
    amplitudes: np.ndarray  # [dataset, estimator (cells, neighbours)]: frequency-weighted mean A
    tau: np.ndarray  # [dataset, (value, error)]
    D: np.ndarray
    seconds: float

    @property
    def model_sizes(self):
        return list(self.configuration.model_sizes)

    @property
    def data_sizes(self):
        return list(self.configuration.data_sizes)

    @property
    def model_losses(self):
        return np.median(self.model.mean(axis=1), axis=0).tolist()

    @property
    def data_losses(self):
        return np.median(self.data.mean(axis=1), axis=0).tolist()

    @property
    def allocation_losses(self):
        return np.median(self.allocation.mean(axis=1), axis=0).tolist()

    @property
    def model_fit(self):
        law, = model_scaling(BETHE["tau"], BETHE["D"], BETHE["c"])
        return _fit(self.model, self.model_theory, self.configuration.model_sizes, float(law.exponent),
                    float(law.log_power))

    @property
    def data_fit(self):
        law, = data_scaling(BETHE["tau"], BETHE["D"], BETHE["c"])
        return _fit(self.data, self.data_theory, self.configuration.data_sizes, float(law.exponent),
                    float(law.log_power))

    @property
    def best_allocation(self):
        """The allocation exponent g of least measured loss (a parabola in g through the lowest three
        points), and the derived optimum 1/(1 + beta_cl)."""
        g = np.array(self.configuration.allocation_exponents)
        losses = np.array(self.allocation_losses)
        low = int(np.clip(np.argmin(losses), 1, len(g) - 2))
        a, b, _ = np.polyfit(g[low - 1:low + 2], losses[low - 1:low + 2], 2)
        return float(-b / (2 * a)) if a > 0 else float(g[np.argmin(losses)]), float(allocation_exponent(self.beta))

    def as_dict(self):
        """The result as JSON values: the scans as lists of {"N" or "P", "loss", "theory"} objects, the fitted
        and derived exponents, the measured tau and D, the wall time."""
        def scan(sizes, losses, theory, name):
            return [{name: int(size), "loss": loss, "theory": float(t)}
                    for size, loss, t in zip(sizes, losses, np.median(theory, axis=0))]

        def fitted(fit):
            return {"fitted": fit.value, "error": fit.error, "derived": fit.derived, "log_power": fit.log_power,
                    "functional": fit.functional, "corrected": fit.corrected, "corrected_error": fit.corrected_error}

        best, derived = self.best_allocation
        return {"configuration": asdict(self.configuration), "seed": self.seed, "beta_cl": self.beta,
                "sites": self.sites.tolist(),
                "model_scan": scan(self.model_sizes, self.model_losses, self.model_theory, "N"),
                "data_scan": scan(self.data_sizes, self.data_losses, self.data_theory, "P"),
                "allocation_scan": [{"g": g, "loss": loss} for g, loss in
                                    zip(self.configuration.allocation_exponents, self.allocation_losses)],
                "model_exponent": fitted(self.model_fit), "data_exponent": fitted(self.data_fit),
                "allocation_exponent": {"fitted": best, "derived": derived},
                "amplitudes": {"cells": float(np.mean(self.amplitudes[:, 0])),
                               "neighbours": float(np.mean(self.amplitudes[:, 1]))},
                "tau": _combined(self.tau), "D": _combined(self.D), "seconds": self.seconds}


def _combined(estimates):
    """The inverse-variance mean of (value, error) rows, and its error."""
    weights = 1 / estimates[:, 1] ** 2
    return {"value": float(weights @ estimates[:, 0] / weights.sum()), "error": float(weights.sum() ** -0.5)}


def _slopes(curves, sizes, log_power):
    """-d log(L / log(size)**log_power) / d log(size) by least squares over the last FIT_POINTS sizes, per curve."""
    x = np.log(np.array(sizes[-FIT_POINTS:], dtype=float))
    return np.array([-np.polyfit(x, np.log(curve[-FIT_POINTS:]) - log_power * np.log(x), 1)[0] for curve in curves])


def _fit(losses, theory, sizes, derived, log_power):
    """The exponent e of L ∝ size**-e log(size)**log_power over the last FIT_POINTS sizes: its mean over datasets
    and standard error, beside the derived law's and the derived functional's; and the exponent of the
    derived law's finite-size form (:class:`Fit`), dataset by dataset."""
    def mean(values):
        error = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
        return float(values.mean()), float(error)

    curves = losses.mean(axis=1)
    functional = float(_slopes(theory, sizes, log_power).mean())
    return Fit(*mean(_slopes(curves, sizes, log_power)), derived, log_power, functional,
               *mean(derived + _slopes(curves / theory, sizes, 0)))


def _one_dataset(configuration, seed, replica):
    """Everything measured on dataset ``replica``: its scans, amplitudes, tau and D."""
    c = configuration
    beta = cluster_exponent_of()
    data = dataset(c.clusters, z=c.z, min_size=c.min_size, max_size=c.max_size, seed=seed, replica=replica)
    rng = np.random.default_rng([seed, replica, MAX_BATCHES + 1])
    cells, _ = cluster_amplitudes(data, beta, rng)
    neighbours, _ = cluster_amplitudes(data, beta, rng, estimator="neighbours")
    model = model_scan(data, c.model_sizes, amplitudes=cells, beta=beta, rng=rng, repeats=c.repeats)
    sampled = data_scan(data, c.data_sizes, amplitudes=neighbours, beta=beta, rng=rng, repeats=c.repeats)
    allocated = allocation_scan(data, c.allocation_size, c.allocation_exponents, amplitudes=cells, beta=beta, rng=rng,
                                repeats=c.repeats)
    sizes = data.sizes
    tau = fit_tau(ClusterSizes(sizes, 0, c.max_size), s_min=c.min_size, s_max=c.max_size)
    radii = np.bincount(data.owner, data.forest.depth.astype(float)) / sizes  # mean chemical distance
    chemical = fractal_dimension(sizes, radii, s_min=c.min_size)
    weights = data.frequencies
    return {"sites": int(data.offsets[-1]), "model": model.losses, "model_theory": model.theory,
            "data": sampled.losses, "data_theory": sampled.theory, "allocation": allocated.losses,
            "allocation_theory": allocated.theory, "amplitudes": [float(weights @ cells), float(weights @ neighbours)],
            "tau": [tau.value, tau.error], "D": [2 * chemical.value, 2 * chemical.error]}


def _keep_freed_memory():
    """In a worker process: glibc's malloc keeps freed memory for reuse instead of handing it back, large
    blocks included, so that the arrays of 3e7 sites each call makes are not faulted in afresh (measured
    on a dataset of 8.6e6 sites: system time 9 s -> 2 s of 26 s). Without glibc, nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-4, 0)  # M_MMAP_MAX: no block of its own mapping
    libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD: never shrink the heap


def cache_path(directory, configuration, seed):
    """The file a result of ``configuration`` and ``seed`` is stored in, under ``directory``."""
    text = json.dumps({"format": FORMAT, "configuration": asdict(configuration), "seed": seed}, sort_keys=True)
    return os.path.join(directory, f"percolation-{hashlib.sha256(text.encode()).hexdigest()[:16]}.npz")


def load(path):
    """A stored :class:`Result`, or None if there is none (or an unreadable one) at ``path``."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            arrays = {name: stored[name] for name in stored.files if name != "meta"}
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("format") != FORMAT:
        return None
    configuration = Configuration(**{k: tuple(v) if isinstance(v, list) else v
                                     for k, v in meta["configuration"].items()})
    return Result(configuration, meta["seed"], meta["beta"], seconds=meta["seconds"], **arrays)


def _store(path, result):
    meta = {"format": FORMAT, "configuration": asdict(result.configuration), "seed": result.seed,
            "beta": result.beta, "seconds": result.seconds}
    arrays = {f.name: getattr(result, f.name) for f in fields(result)
              if isinstance(getattr(result, f.name), np.ndarray)}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = path + ".partial.npz"
    np.savez_compressed(partial, meta=json.dumps(meta), **arrays)
    os.replace(partial, path)  # never a half-written result under the real name


def _say(progress, message):
    if progress is True:
        print(message, file=sys.stderr, flush=True)
    elif callable(progress):
        progress(message)


def run(configuration=SMALL, seed=0, *, cache=None, workers=1, progress=None):
    """Run (or read back from ``cache``) the experiment of ``configuration`` with ``seed``.

    Parameters
    ----------
    configuration : Configuration
        :data:`FULL` (Brill's sizes: about 80 s of CPU per dataset, 8 minutes for the six), :data:`SMALL` or :data:`TINY`.
    seed : int
    cache : str, optional
        A directory where the result is stored and looked up.
    workers : int
        Processes running datasets side by side (at most one per dataset; each dataset has its own
        random streams, so the result does not depend on it). With more than one, the datasets run in
        worker processes whose allocator keeps freed memory (:func:`_keep_freed_memory`).
    progress : True or callable, optional
        True prints a line to stderr as each dataset is done; a callable receives that line.

    Returns
    -------
    Result

    Examples
    --------
    >>> run("full")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: configuration must be a Configuration (FULL, SMALL or TINY), got 'full'
    """
    if not isinstance(configuration, Configuration):
        raise ParameterError(f"configuration must be a Configuration (FULL, SMALL or TINY), got {configuration!r}")
    seed, workers = integer_argument(seed, "seed", 0), integer_argument(workers, "workers", 1)
    path = cache and cache_path(cache, configuration, seed)
    if path and (stored := load(path)) is not None:
        _say(progress, f"read {path}")
        return stored
    start = time.perf_counter()
    replicas = range(configuration.datasets)
    workers = min(workers, configuration.datasets)  # a process per dataset at most
    if workers == 1:
        parts = []
        for replica in replicas:
            parts.append(_one_dataset(configuration, seed, replica))
            _say(progress, f"dataset {replica + 1}/{configuration.datasets}: {parts[-1]['sites']:,} sites, "
                           f"{time.perf_counter() - start:.0f} s")
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_keep_freed_memory) as pool:
            futures = [pool.submit(_one_dataset, configuration, seed, replica) for replica in replicas]
            parts = []
            for replica, future in enumerate(futures):
                parts.append(future.result())
                _say(progress, f"dataset {replica + 1}/{configuration.datasets}: {parts[-1]['sites']:,} sites, "
                               f"{time.perf_counter() - start:.0f} s")
    stacked = {name: np.array([part[name] for part in parts]) for name in parts[0]}
    result = Result(configuration, seed, cluster_exponent_of(), seconds=time.perf_counter() - start, **stacked)
    if path:
        _store(path, result)
    return result
