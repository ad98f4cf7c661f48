"""The derived equations solved for a whole array of points at once, in float64.

The certified solver (:func:`largen.solver.numerics.solution.solve`) spends most of a
point's time in Python: the continuation's steps, the compiled expressions, the
certification. :func:`solve_many` runs the same algorithm on arrays: the
derived equations are lambdified for numpy (one function of arrays, for any
model the derivation handles), the spectral moments are array reductions and
series (:mod:`largen.solver.numerics.float_moments`), and every point follows its
own continuation in log(gamma), from the free solution at a large ridge, by
Newton's method in log(-s) with its own step, all points at once.

Each point converges or is marked. A point is *vouched for* when

* its continuation reached the ridge asked for and Newton's method there
  converged to float64's precision;
* a second, independent evaluation (moments with another head and tail of the
  power laws' sums, its own Newton's method from a start perturbed off the
  first root) gives every output to :data:`AGREEMENT` of the first;
* the cancellation measured in the sums of the losses, times float64's rounding,
  stays below that too.

Outputs of a vouched point are within :data:`TOLERANCE` (relative) of the certified
solver's: the test suite and ``bench/fast.py`` check this against it on random
points. Everything else is marked with the reason (:class:`Unvouched`), for the
certified solver to answer (:func:`largen.solver.numerics.grid.sweep` with
``fast=True`` does).
"""

import enum
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy

from largen.diagrams.engine.model import Model, mrs, untie_ridge, with_teacher
from largen.diagrams.engine.symbols import as_expr, is_size_name
from largen.diagrams.errors import ModelError, ParameterError, SpectrumError

from largen.solver.numerics.equations import _compile, _zero_spectrum
from largen.solver.numerics.float_moments import HEAD, SECOND_HEAD, FloatSpectra
from largen.solver.numerics.spectrum import Spectrum

__all__ = ["TOLERANCE", "AGREEMENT", "Unvouched", "FastSolutions", "solve_many"]

TOLERANCE = 1e-10  # relative accuracy of every output of a vouched point
AGREEMENT = 1e-12  # the two evaluations of a vouched point agree to this (relative)
ROUNDING = 2e-16  # float64's relative rounding, as the cancellation in the losses' sums amplifies it
START_RIDGE = 1e30  # the free solution's ridge (or twice the ridge asked for)
FLOAT_RANGE = (1e-300, 1e300)  # ridges float64 continues to
MAX_STEP = 8.0  # the largest step of the continuation in log(gamma)
LOOSE = 1e-2  # Newton's tolerance (its last step squared) on the way
POLISH = 1e-26  # ... and at the ridge asked for: a last step of 1e-13
ITERATIONS = 12  # Newton's iterations per step at most
PERTURBATION = 1e-14  # the second evaluation's start, off the first root (relative, a few dozen roundings)
OUTPUTS = ("loss", "train_loss", "Delta", "cancelled")


class Unvouched(enum.Enum):
    """Why the fast path does not vouch for a point (the certified solver answers there)."""

    INVALID = "a value is out of its range, or a spectral sum the theory needs diverges"
    RANGE = "float64 cannot hold the point's values"
    SPECTRUM = "float64 does not sum this spectrum"
    BRANCH = "the continuation lost the physical branch"
    CONVERGENCE = "Newton's method did not converge to float64's precision"
    UNSTABLE = "two independent float64 evaluations disagree, or the losses' sums cancel, beyond the tolerance"


@dataclass(frozen=True)
class FastSolutions:
    """The planar solutions of many points, in float64.

    Every array has the shape of the parameters as broadcast together.
    ``loss``, ``train_loss`` and ``Delta`` are NaN where a point was not solved;
    ``vouched`` says where they are within :data:`TOLERANCE` (relative) of the
    certified solver's, ``reasons`` why not elsewhere (an :class:`Unvouched`, or None);
    ``discrepancy`` is the largest relative difference between the two
    evaluations of a point's outputs. ``parameters`` holds the float64 values
    (name -> array), ``unknowns`` the self-energies at the root.
    """

    loss: np.ndarray
    train_loss: np.ndarray
    Delta: np.ndarray
    noise_floor: np.ndarray
    vouched: np.ndarray
    reasons: np.ndarray
    discrepancy: np.ndarray
    parameters: dict = field(repr=False)
    unknowns: dict = field(repr=False)

    @property
    def shape(self):
        return self.loss.shape

    def __len__(self):
        return self.loss.size

    @property
    def marked(self):
        """Where the fast path does not vouch for the point."""
        return ~self.vouched


def solve_many(model=None, *, spectrum=None, alpha=None, delta=None, lam_plus=None, start=None, **params):
    """Solve the planar theory of ``model`` at many points at once, in float64.

    Parameters
    ----------
    model : diagrams.Model, optional
        The MRS model by default; any model the derivation handles.
    spectrum : Spectrum, optional
        One spectrum for every point. By default each point has the power law
        lambda_I = lam_plus I**-(1 + alpha), I = 1..M, and the teacher's omega_I = I**-delta,
        with ``alpha`` (default 1), ``delta`` (default 0), ``lam_plus`` (default 1) and the
        latent size ``M`` (inf allowed) taken point by point.
    alpha, delta, lam_plus : float or array_like, optional
        The power law's exponents and scale (not with ``spectrum``).
    start : FastSolutions, optional
        Solutions at nearby points (the same shape): Newton's method starts
        from their roots, and the continuation serves only where it fails (a
        fit's next step, a derivative's neighbours).
    **params
        Values of the model's symbols by name: numbers or arrays (broadcast
        together). The label noise defaults to 0, other lower-case scales to 1.

    Returns
    -------
    FastSolutions

    Raises
    ------
    ParameterError
        An unknown symbol, a missing size or ridge, a value that is not a
        number or is out of its range.

    Examples
    --------
    >>> found = solve_many(N=[50, 100], P=80, M=100, gamma=1e-3)
    >>> found.vouched.tolist(), found.loss.round(12).tolist()
    ([True, True], [0.000288028706, 0.000113911377])
    >>> solve_many(N=50, P=80, M=100, gamma=[1e-3, -1])
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: gamma must be positive and finite, got -1.0
    """
    model = mrs() if model is None else model
    if not isinstance(model, Model) or model.regression is None:
        raise ModelError(f"expected a ridge-regression diagrams.Model, got {type(model).__name__}")
    if spectrum is not None and not isinstance(spectrum, Spectrum):
        raise SpectrumError(f"expected a Spectrum, got {type(spectrum).__name__}")
    if spectrum is not None and (alpha is not None or delta is not None or lam_plus is not None):
        raise ParameterError("give either a spectrum or alpha, delta and lam_plus, not both")
    latent = model.spaces[model.latent]
    given = {name: _array(name, value) for name, value in params.items()}
    laws = {name: _array(name, value) for name, value in (("alpha", alpha), ("delta", delta), ("lam_plus", lam_plus))
            if value is not None}
    for name in given:
        if name not in model.symbols:
            raise ParameterError(f"model {model.name} has no symbol {name!r} "
                                 f"(its symbols: {', '.join(sorted(model.symbols))})")
    try:
        shape = np.broadcast_shapes(*(v.shape for v in (*given.values(), *laws.values())))
    except ValueError:
        raise ParameterError("the parameters' arrays do not broadcast to one shape: "
                             + ", ".join(f"{k} {v.shape}" for k, v in {**given, **laws}.items())) from None
    n = math.prod(shape)
    flat = {name: np.broadcast_to(value, shape).ravel() for name, value in given.items()}
    spectra, size = _spectra(model, spectrum, flat, laws, shape, n)
    if latent.is_Symbol:
        flat[latent.name] = size
    if spectra.teacher and model.teacher(model.latent) is None:
        model = with_teacher(model)
    values = _values(model, flat, n)
    # a spectrum of zeros: the sums are M f(0), put in before compiling (as the certified solver does)
    solutions = _solve(model, values, spectra, start, spectrum is not None and _zero_spectrum(spectrum))
    return _shaped(solutions, values, model, shape)


def _array(name, value):
    try:
        found = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number or an array of numbers, got {value!r}"[:200]) from None
    if np.isnan(found).any():
        raise ParameterError(f"{name} has a NaN")
    return found


def _spectra(model, spectrum, flat, laws, shape, n):
    """The points' spectra, and the latent size of each point."""
    latent = model.spaces[model.latent]
    name = latent.name if latent.is_Symbol else None
    size = flat.pop(name, None) if name else np.full(n, float(latent))
    if spectrum is not None:
        if spectrum.size == 0:
            raise SpectrumError("the spectrum has no eigenvalues")
        if size is not None and np.any(size != float(spectrum.size)):
            raise ParameterError(f"{name} differs from the spectrum's {spectrum.size} eigenvalues")
        return FloatSpectra.shared(spectrum, n), np.full(n, float(spectrum.size))
    if size is None:
        raise ParameterError(f"no value for {name}: give {name} or a spectrum")
    if np.any(size <= 0) or np.any((size != np.round(size)) & np.isfinite(size)):
        raise ParameterError(f"size {name} must be a positive integer or inf for a power-law spectrum")
    alpha = np.broadcast_to(laws.get("alpha", np.ones(())), shape).ravel()
    delta = np.broadcast_to(laws.get("delta", np.zeros(())), shape).ravel()
    scale = np.broadcast_to(laws.get("lam_plus", np.ones(())), shape).ravel()
    if np.any(~np.isfinite(alpha)) or np.any(~np.isfinite(delta)):
        raise ParameterError("alpha and delta must be finite")
    if np.any(~(scale > 0)) or np.any(~np.isfinite(scale)):
        raise ParameterError("lam_plus must be positive and finite")
    if np.any((alpha <= 0) & ~np.isfinite(size)):
        raise SpectrumError("a power law at M = inf needs alpha > 0: the spectral sums diverge")
    return FloatSpectra.power_laws(alpha, size, delta, scale), size


def _values(model, flat, n):
    """Every symbol of the model as a float64 array: the values given, checked, and the defaults."""
    r = model.regression
    latent = model.spaces[model.latent]
    defaults = model.bind({}, defaults=True)
    values = {}
    for name, symbol in model.symbols.items():
        if name in flat:
            value = flat[name]
        elif symbol in defaults:
            value = np.full(n, float(defaults[symbol]))
        else:
            raise ParameterError(f"no value for {name}")
        if symbol == r.ridge:
            bad = ~((value > 0) & np.isfinite(value))
            what = "positive and finite"
        elif is_size_name(name):
            bad = ~(value > 0) | (~np.isfinite(value) & (symbol != latent))
            what = "positive" + (" and finite" if symbol != latent else "")
        else:
            bad = ~((value >= 0) & np.isfinite(value))
            what = "non-negative and finite"
        if bad.any():
            kind = "size " if is_size_name(name) else ""
            raise ParameterError(f"{kind}{name} must be {what}, got {float(value[bad][0])!r}")
        values[symbol] = value
    return values


def _solve(model, values, spectra, start, zero_spectrum):
    """Solve every point: grouped by their exact zeros, each group's equations compiled once."""
    n = spectra.n
    untied = untie_ridge(model)
    ridge = untied.regression.ridge
    exact = dict(values)
    if ridge != model.regression.ridge:
        exact[ridge] = values[model.regression.ridge]
    latent = model.spaces[model.latent]
    if latent.is_Symbol:  # at M = inf the latent size is 1 outside the spectral sums
        exact[latent] = np.where(np.isfinite(values[latent]), values[latent], 1.0)
    symbols = sorted(exact, key=str)
    zeros = np.stack([exact[x] == 0 for x in symbols], axis=1) if symbols else np.zeros((n, 0), dtype=bool)
    patterns, group = np.unique(zeros, axis=0, return_inverse=True)
    found = _Found(n)
    found.reasons[~spectra.supported] = Unvouched.SPECTRUM
    for g, pattern in enumerate(patterns):
        index = np.flatnonzero((group.ravel() == g) & spectra.supported)
        if not len(index):
            continue
        zero = frozenset(x for x, z in zip(symbols, pattern) if z)
        system = _System(untied, zero, zero_spectrum, {x: v[index] for x, v in exact.items()}, spectra.take(index),
                         not spectra.teacher)
        found.put(index, system.solve(None if start is None else start, index))
    return found


class _Found:
    """The outputs of every point, filled group by group."""

    def __init__(self, n):
        self.loss, self.train_loss, self.Delta = (np.full(n, np.nan) for _ in range(3))
        self.discrepancy = np.full(n, np.nan)
        self.reasons = np.full(n, None, dtype=object)
        self.unknowns = {}
        self.n = n

    def put(self, index, result):
        for name in ("loss", "train_loss", "Delta", "discrepancy"):
            getattr(self, name)[index] = result[name]
        self.reasons[index] = result["reasons"]
        for name, value in result["unknowns"].items():
            self.unknowns.setdefault(name, np.full(self.n, np.nan))[index] = value


def _shaped(found, values, model, shape):
    noise = as_expr(model.regression.noise_variance)
    symbols = sorted(noise.free_symbols, key=str)
    floor = sympy.lambdify(symbols, noise / 2, "numpy")(*(values[x] for x in symbols)) if symbols else float(noise) / 2
    reasons = found.reasons.reshape(shape)
    return FastSolutions(
        loss=found.loss.reshape(shape), train_loss=found.train_loss.reshape(shape), Delta=found.Delta.reshape(shape),
        noise_floor=np.broadcast_to(floor, (found.n,)).reshape(shape),
        vouched=np.vectorize(lambda r: r is None, otypes=[bool])(reasons) if reasons.size else np.zeros(shape, bool),
        reasons=reasons, discrepancy=found.discrepancy.reshape(shape),
        parameters={x.name: v.reshape(shape) for x, v in values.items()},
        unknowns={name: v.reshape(shape) for name, v in found.unknowns.items()})


@lru_cache(maxsize=64)
def _functions(compiled):
    """The compiled blocks as numpy functions of arrays: the poles; what Newton's method and the
    continuation need (rhs, jacobian, d rhs/d gamma); and the rest, for the outputs at the root."""
    arguments = [*compiled.unknowns, compiled.ridge, *compiled.parameters]
    blocks, i = {}, 0
    for key, (rows, cols) in compiled.shape.items():
        blocks[key] = list(compiled.flat[i:i + rows * cols])
        i += rows * cols
    newton = blocks["rhs"] + blocks["jacobian"] + blocks["d_gamma"]
    outputs = blocks["d_beta"] + blocks["d_train"] + blocks["E_s"] + blocks["E_beta"] + blocks["E_train"] + \
        blocks["Delta"]
    every = [*arguments, *compiled.placeholders]
    return (sympy.lambdify(arguments, list(compiled.poles), "numpy", cse=True),
            sympy.lambdify(every, newton, "numpy", cse=True),
            sympy.lambdify(every, outputs, "numpy", cse=True))


class _System:
    """The equations of one group of points (one pattern of exact zeros) on arrays."""

    def __init__(self, model, zeros, zero_spectrum, values, spectra, isotropic):
        compiled = _compile(model, zeros, zero_spectrum, 0, isotropic)
        self.compiled, self.spectra, self.n = compiled, spectra, spectra.n
        self.k = len(compiled.unknowns)
        self.parameters = [values[x] for x in compiled.parameters]
        self.gamma = values[compiled.ridge]
        samples = as_expr(model.spaces[model.samples])
        self.samples = values[samples] if samples.is_Symbol else np.full(self.n, float(samples))
        self.poles, self.newton_blocks, self.output_blocks = _functions(compiled)
        self.infinite = bool(compiled.infinite)
        self.check = self._divergent()

    def _divergent(self):
        """Points where a sum the theory needs diverges (a power law at M = inf too flat)."""
        bad = np.zeros(self.n, dtype=bool)
        for piece in self.spectra.pieces:
            if not hasattr(piece, "s"):
                continue
            for weighted, orders in zip(self.compiled.weighted, self.compiled.orders):
                for a, b in orders:
                    bad |= ~np.isfinite(piece.size) & (piece.s * a + (piece.delta if weighted else 0) <= 1)
        return bad

    # -- evaluation --------------------------------------------------------------------------
    def _arguments(self, index, s, gamma):
        return [s[:, j] for j in range(self.k)] + [gamma] + [p[index] for p in self.parameters]

    def _moments(self, index, arguments, head):
        """The placeholders' values, and whether each point is on the branch (every pole positive)."""
        with np.errstate(all="ignore"):
            poles = [np.broadcast_to(np.asarray(p, dtype=float), (len(index),)) for p in self.poles(*arguments)]
        ok = np.ones(len(index), dtype=bool)
        moments = {}
        for first, orders, places in self.compiled.groups:
            p = poles[first]
            ok &= p > 0
            found = self.spectra.moments(np.where(p > 0, p, 1.0), orders, head, index)
            for order, key in places:
                moments[key] = found[order]
        return [moments[key] for key in self.compiled.moment_keys], ok

    def evaluate(self, index, s, gamma, head=HEAD, outputs=False):
        """rhs (m, k), jacobian (m, k, k), d rhs/d gamma (m, k), and with ``outputs`` the rest;
        None entries of ``ok`` where a point is off the branch or not finite."""
        arguments = self._arguments(index, s, gamma)
        moments, ok = self._moments(index, arguments, head)
        m, k = len(index), self.k
        with np.errstate(all="ignore"):
            flat = [np.broadcast_to(np.asarray(x, dtype=float), (m,)) for x in self.newton_blocks(*arguments, *moments)]
            found = {"rhs": np.stack(flat[:k], axis=1),
                     "jacobian": np.stack(flat[k:k + k * k], axis=1).reshape(m, k, k),
                     "d_gamma": np.stack(flat[k + k * k:], axis=1)}
            if outputs:
                rest = [np.broadcast_to(np.asarray(x, dtype=float), (m,))
                        for x in self.output_blocks(*arguments, *moments)]
                found.update(d_beta=np.stack(rest[:k], axis=1), d_train=np.stack(rest[k:2 * k], axis=1),
                             E_s=np.stack(rest[2 * k:3 * k], axis=1), E_beta=rest[3 * k], E_train=rest[3 * k + 1],
                             Delta=rest[3 * k + 2])
        for value in found.values():
            ok &= np.isfinite(value).reshape(m, -1).all(axis=1)
        found["ok"] = ok
        return found

    # -- Newton's method and the continuation ---------------------------------------------------
    def newton(self, index, s, gamma, tolerance, head=HEAD, outputs=False):
        """Newton's method in log(-s) for the points ``index`` from ``s``.

        Returns a dict of arrays: ``converged``; ``root``; ``tangent``, d log(-s)/d log(gamma) at
        the last iterate; with ``outputs``, the outputs of :meth:`_outputs` there. A point fails
        when it leaves the branch, or when it has not converged in :data:`ITERATIONS` (a start too
        far is a smaller step's job).
        Once the last step is below sqrt(``tolerance``), the iterate it started from is within
        about that of the root, and the outputs are taken there, from its evaluation.
        """
        m, k = len(index), self.k
        found = {"converged": np.zeros(m, dtype=bool), "root": s.copy(), "tangent": np.zeros_like(s),
                 "iterations": np.zeros(m, dtype=int)}
        if outputs:
            found.update({name: np.full(m, np.nan) for name in OUTPUTS})
        active, here = np.arange(m), s.copy()
        tolerance = np.broadcast_to(tolerance, (m,))
        for iteration in range(1, ITERATIONS + 1):
            if not len(active):
                break
            q = self.evaluate(index[active], here, gamma[active], head, outputs)
            rights = [here - q["rhs"], q["d_gamma"]] + ([q["d_beta"], q["d_train"]] if outputs else [])
            solved = _scaled_solve(q["jacobian"], here, np.stack(rights, axis=2))
            step, rate = solved[..., 0], solved[..., 1]
            size = np.abs(step).max(axis=1) if k else np.zeros(len(active))
            alive = q["ok"] & np.isfinite(size) & (size <= 50)
            with np.errstate(all="ignore"):
                new = here * np.exp(-step)
            done = alive & (size ** 2 <= tolerance[active])
            finished = active[done]
            found["root"][finished] = new[done]
            found["tangent"][finished] = gamma[finished, None] * rate[done]
            found["converged"][finished] = True
            found["iterations"][finished] = iteration
            if outputs:
                for name, value in self._outputs(q, here, solved[..., 2:] * here[..., None], index[active]).items():
                    found[name][finished] = value[done]
            going = alive & ~done
            active, here = active[going], new[going]
        return found

    def free(self, index):
        """The root at a ridge far above the self-energies' scale, where s -> rhs(s) contracts:
        (settled, s, the ridge)."""
        m = len(index)
        ridge = np.maximum(START_RIDGE, 2 * self.gamma[index])
        s = np.full((m, self.k), -1e-30)
        settled = np.zeros(m, dtype=bool)
        for _ in range(4):  # a ridge raised where the iteration did not settle
            todo = np.flatnonzero(~settled & (ridge < FLOAT_RANGE[1]))
            if not len(todo):
                break
            here = np.full((len(todo), self.k), -1e-30)
            for _ in range(self.k + 4):
                q = self.evaluate(index[todo], here, ridge[todo])
                with np.errstate(all="ignore"):
                    new = np.where(q["rhs"] < 0, q["rhs"], -1e-300)
                    calm = q["ok"] & (np.abs(new - here) <= np.abs(new) * 1e-8).all(axis=1)
                settled[todo[calm]] = True
                s[todo] = np.where(q["ok"][:, None], new, here)
                todo, here = todo[~calm], new[~calm]
                if not len(todo):
                    break
            with np.errstate(all="ignore"):
                largest = np.abs(s).max(axis=1) if self.k else np.zeros(m)
                ridge = np.where(settled, ridge, np.maximum(ridge * 1e10, 1e4 * largest))
        return settled, s, ridge

    def follow(self, index, s, start, tangent, first, head=HEAD):
        """Continue the roots ``s`` at the ridges ``start`` down to each point's ridge in steps of
        log(gamma), each predicted along the tangent and corrected by Newton's method; returns
        (reached, s). ``first`` is each point's first step; the others are at most :data:`MAX_STEP`."""
        m = len(index)
        here, goal = np.log(start), np.log(self.gamma[index])
        step = np.array(first, dtype=float)
        s, tangent = s.copy(), tangent.copy()
        lost = np.zeros(m, dtype=bool)
        while True:
            active = np.flatnonzero((here > goal) & ~lost)
            if not len(active):
                break
            trial = np.maximum(here[active] - step[active], goal[active])
            with np.errstate(all="ignore"):
                guess = s[active] * np.exp((trial - here[active])[:, None] * tangent[active])
            found = self.newton(index[active], guess, np.exp(trial), LOOSE, head)
            ok = found["converged"]
            good, bad = active[ok], active[~ok]
            s[good], tangent[good], here[good] = found["root"][ok], found["tangent"][ok], trial[ok]
            step[good] = np.minimum(np.minimum(step[good], MAX_STEP) * 1.5, MAX_STEP)
            step[bad] = np.minimum(step[bad], MAX_STEP) / 2
            lost[bad[step[bad] < 1e-4]] = True
        return ~lost, s

    def _outputs(self, q, s, rates, index):
        """The losses, the renormalised ridge and the cancellation of the losses' sums, from the
        evaluation ``q`` at ``s`` and the rates of the unknowns in the two sources there."""
        loss_terms = np.concatenate([q["E_beta"][:, None], q["E_s"] * rates[..., 0]], axis=1)
        train_terms = -np.concatenate([q["E_train"][:, None], q["E_s"] * rates[..., 1]], axis=1)
        samples = self.samples[index]
        with np.errstate(all="ignore"):
            loss, train = loss_terms.sum(axis=1), train_terms.sum(axis=1) / samples
            cancelled = np.maximum(np.abs(loss_terms).max(axis=1) / np.abs(loss),
                                   np.abs(train_terms).max(axis=1) / np.abs(train * samples))
        Delta = np.full(len(s), np.inf) if self.infinite else q["Delta"]
        return {"loss": loss, "train_loss": train, "Delta": Delta, "cancelled": cancelled}

    def solve(self, start, index_in_batch):
        """Every point of the group: (outputs, reasons, discrepancy, unknowns) as a dict of arrays."""
        n, k = self.n, self.k
        everything = np.arange(n)
        reasons = np.full(n, None, dtype=object)
        reasons[self.check] = Unvouched.INVALID
        in_range = (self.gamma >= FLOAT_RANGE[0]) & (self.gamma <= FLOAT_RANGE[1])
        for p in self.parameters:
            in_range &= np.abs(p) < FLOAT_RANGE[1]
        reasons[~in_range & ~self.check] = Unvouched.RANGE
        todo = everything[~self.check & in_range]
        s = np.full((n, k), np.nan)
        near = np.zeros(n, dtype=bool)  # a root within Newton's reach at the ridge asked for
        if start is not None and todo.size:  # from the neighbours' roots
            guess = np.stack([np.ravel(start.unknowns[str(x)])[index_in_batch[todo]] for x in self.compiled.unknowns],
                             axis=1) if k else np.zeros((len(todo), 0))
            usable = todo[np.isfinite(guess).all(axis=1) & (guess < 0).all(axis=1)]
            s[usable], near[usable] = guess[np.isin(todo, usable)], True
        warm = everything[near]
        first = self.newton(warm, s[warm], self.gamma[warm], POLISH, outputs=True) if len(warm) else None
        if first is not None:
            near[warm[~first["converged"]]] = False
        todo = todo[~near[todo]]
        if todo.size:
            settled, free, ridge = self.free(todo)
            reasons[todo[~settled]] = Unvouched.RANGE
            todo, free, ridge = todo[settled], free[settled], ridge[settled]
            # a Newton step there gives the tangent: the free solution's scaling in the ridge, which holds
            # down to about 1e4 times the largest self-energy, the first step's goal
            found = self.newton(todo, free, ridge, np.inf)
            free = np.where(found["converged"][:, None], found["root"], free)
            with np.errstate(all="ignore"):
                lower = np.maximum(1e4 * np.maximum(1.0, np.abs(free).max(axis=1) if k else 1.0),
                                   2 * self.gamma[todo])
            ok, root = self.follow(todo, free, ridge, found["tangent"], np.maximum(np.log(ridge / lower), MAX_STEP))
            reasons[todo[~ok]] = Unvouched.BRANCH
            s[todo[ok]] = root[ok]
        result = {name: np.full(n, np.nan) for name in OUTPUTS}
        polished = np.zeros(n, dtype=bool)
        for index, found in ((warm, first), (todo[ok] if todo.size else todo, None)):
            if not len(index):
                continue
            if found is None:
                found = self.newton(index, s[index], self.gamma[index], POLISH, outputs=True)
            done = found["converged"]
            if found is first:  # a warm start that did not converge went the continuation's way
                index, found, done = index[done], {k: v[done] for k, v in found.items()}, done[done]
            reasons[index[~done]] = Unvouched.CONVERGENCE
            s[index[done]] = found["root"][done]
            polished[index[done]] = True
            for name in OUTPUTS:
                result[name][index[done]] = found[name][done]
        # the second evaluation: other moments, its own root from a start perturbed off the first
        done = everything[polished]
        signs = (-1.0) ** np.arange(k) * (1 + np.arange(k)) / (k + 1)
        second = self.newton(done, s[done] * (1 + PERTURBATION * signs), self.gamma[done], POLISH, head=SECOND_HEAD,
                             outputs=True)
        names = [x for x in ("loss", "train_loss", "Delta") if not (x == "Delta" and self.infinite)]
        apart = np.max([_relative(result[x][done], second[x]) for x in names], axis=0) if len(done) else np.zeros(0)
        estimate = np.maximum(apart, ROUNDING * np.nan_to_num(result["cancelled"][done], nan=np.inf))
        agreed = second["converged"] & (estimate <= AGREEMENT)
        reasons[done[~second["converged"]]] = Unvouched.CONVERGENCE
        reasons[done[second["converged"] & ~agreed]] = Unvouched.UNSTABLE
        result["discrepancy"] = np.full(n, np.nan)
        result["discrepancy"][done] = estimate
        result["reasons"] = reasons
        result["unknowns"] = {str(x): np.where(polished, s[:, j], np.nan) for j, x in enumerate(self.compiled.unknowns)}
        result["unknowns"].update({str(x): np.where(polished, 0.0, np.nan) for x in self.compiled.vanishing})
        return result


def _relative(a, b):
    """|a - b|/|b|, 0 where a == b (both 0 included), inf where not finite."""
    with np.errstate(all="ignore"):
        found = np.where(a == b, 0.0, np.abs(a - b) / np.abs(b))
    return np.where(np.isnan(found), np.inf, found)


def _scaled_solve(jacobian, s, right):
    """(1 - J)^-1 right, solved as D^-1 (1 - J) D y = D^-1 right with D = diag(s); returns y = D^-1 x.

    ``right`` is (m, k, r): r right-hand sides at once, one factorisation. Rescaling by the unknowns
    removes their spread over many orders of magnitude from the condition number. NaN where singular.
    """
    m, k = s.shape
    if not k:
        return np.zeros((m, 0, right.shape[2]))
    with np.errstate(all="ignore"):
        matrix = (np.eye(k) - jacobian) * s[:, None, :] / s[:, :, None]
        return _eliminate(matrix, right / s[:, :, None])


def _eliminate(A, B):
    """The solutions of the systems A x = B (A: (m, k, k), B: (m, k, r)) by Gaussian elimination with
    partial pivoting, all at once; NaN where a system is singular."""
    A, B = A.copy(), B.copy()
    m, k = A.shape[:2]
    rows = np.arange(m)
    with np.errstate(all="ignore"):
        for col in range(k):
            pivot = col + np.argmax(np.abs(A[:, col:, col]), axis=1)
            swap = pivot != col
            if swap.any():
                r, p = rows[swap], pivot[swap]
                A[r, col], A[r, p] = A[r, p], A[r, col].copy()
                B[r, col], B[r, p] = B[r, p], B[r, col].copy()
            factor = A[:, col + 1:, col] / A[:, col, None, col]
            A[:, col + 1:, col:] -= factor[:, :, None] * A[:, None, col, col:]
            B[:, col + 1:] -= factor[:, :, None] * B[:, None, col]
        X = np.empty_like(B)
        for col in reversed(range(k)):
            known = np.einsum("mj,mjr->mr", A[:, col, col + 1:], X[:, col + 1:])
            X[:, col] = (B[:, col] - known) / A[:, col, col, None]
    return X
