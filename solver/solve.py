"""Numerical solution of the derived planar equations.

:func:`solve` takes the Schwinger-Dyson equations that :func:`diagrams.dyson.planar_theory`
derives for a model, puts in the parameters, and finds the physical root:
the branch connected to the infinite-ridge solution, on which every
self-energy is negative. It follows that branch by continuation in the ridge,
from a ridge large enough that the free solution is exact, down to the ridge
asked for: first in float64, then polished by Newton's method in mpmath at the
working precision. The losses are the derivatives of the minimal training
objective (see :mod:`diagrams.pencil`): the rates of the self-energies solve
the ladder equations (1 - J) r = d rhs, with J the same Jacobian Newton uses.

No formula of a particular model is written here: every expression is
lambdified from what was derived.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy

from diagrams.dyson import EIGENVALUES, INDEX, planar_theory
from diagrams.errors import LargenError, ParameterError
from diagrams.model import mrs
from diagrams.pencil import EIGENVALUE, SOURCE

from .spectrum import HEAD, Spectrum


INFINITE_M = "M = inf: sigma_u^2 and sigma_w^2 are the entry variances themselves (no 1/M)"
FLOAT_TERMS = 100_000  # eigenvalues of a long spectrum kept for the float64 continuation


class SolverError(LargenError):
    """The equations could not be solved to the precision asked for."""


@dataclass(frozen=True)
class Solution:
    """The planar solution at one point.

    ``loss`` is the test loss against the noiseless teacher; ``noise_floor``
    (sigma_eps^2/2) is what noisy test labels would add, reported and never
    added. ``Delta`` is the renormalised ridge: the pole -Delta of the latent
    propagator, lambda/(lambda + Delta).
    """

    loss: mpmath.mpf
    train_loss: mpmath.mpf
    Delta: mpmath.mpf
    noise_floor: mpmath.mpf
    unknowns: dict
    parameters: dict
    dps: int
    normalization: str = ""

    def as_dict(self):
        digits = lambda x: mpmath.nstr(x, self.dps, strip_zeros=False)  # noqa: E731
        return {
            "loss": digits(self.loss),
            "train_loss": digits(self.train_loss),
            "Delta": digits(self.Delta),
            "noise_floor": digits(self.noise_floor),
            "unknowns": {k: digits(v) for k, v in self.unknowns.items()},
            "parameters": self.parameters,
            "dps": self.dps,
            **({"normalization": self.normalization} if self.normalization else {}),
        }


@lru_cache(maxsize=32)
def _derived(model):
    """The expressions the solver needs, derived once per model."""
    theory = planar_theory(model)
    s, gamma = list(theory.unknowns), theory.ridge
    rhs = [eq.rhs for eq in theory.equations]
    expressions = {
        "rhs": rhs,
        "jacobian": [[sympy.diff(f, x) for x in s] for f in rhs],
        "d_beta": [sympy.diff(f, SOURCE) for f in rhs],
        "d_gamma": [sympy.diff(f, gamma) for f in rhs],
        "E": [theory.generating],
        "E_s": [sympy.diff(theory.generating, x) for x in s],
        "E_beta": [sympy.diff(theory.generating, SOURCE)],
        "E_gamma": [sympy.diff(theory.generating, gamma)],
        "Delta": [theory.renormalized_ridge],
    }
    return theory, {k: [sympy.sympify(e).subs(SOURCE, 0) for e in v] if k != "jacobian"
                    else [[e.subs(SOURCE, 0) for e in row] for row in v] for k, v in expressions.items()}


class _Compiled:
    """The derived expressions with parameters put in, as functions of the unknowns and the ridge.

    At M = inf the entry variances cannot carry 1/M: the latent size is set to
    1 outside the spectral sums, so that sigma_u^2 and sigma_w^2 are the entry
    variances themselves.
    """

    def __init__(self, model, bound):
        theory, expressions = _derived(model)
        self.theory = theory
        self.unknowns = list(theory.unknowns)
        gamma = theory.ridge
        latent = model.spaces[model.latent]
        values = {k: v for k, v in bound.items() if k != gamma}
        if values.get(latent) == sympy.oo:
            values[latent] = sympy.Integer(1)
        flat = []
        self.shape = {}
        for key, value in expressions.items():
            rows = value if key == "jacobian" else [value]
            self.shape[key] = (len(rows), len(rows[0]))
            flat += [e for row in rows for e in row]
        sums = sorted({x for e in flat for x in e.atoms(sympy.Sum)}, key=sympy.default_sort_key)
        placeholders = [sympy.Symbol(f"S{i}") for i in range(len(sums))]
        flat = [e.xreplace(dict(zip(sums, placeholders))).xreplace(values) for e in flat]
        summands = [t.function.xreplace({EIGENVALUES[INDEX]: EIGENVALUE}).xreplace(values) for t in sums]
        free = set().union(*(e.free_symbols for e in flat + summands)) - {*self.unknowns, gamma, EIGENVALUE, *placeholders}
        if free:
            raise ParameterError(f"no value for {', '.join(sorted(map(str, free)))}")
        arguments = [*self.unknowns, gamma]
        self.vector = sympy.lambdify([*arguments, EIGENVALUE], summands, modules="numpy")
        self.summands = [sympy.lambdify([*arguments, EIGENVALUE], f, modules="mpmath") for f in summands]
        self.algebra = {m: sympy.lambdify([*arguments, *placeholders], flat, modules=m) for m in ("numpy", "mpmath")}
        self.head = None  # terms of a long spectrum summed directly (None: the spectrum's default)

    def evaluate(self, s, gamma, spectrum, backend):
        """All derived quantities at the unknowns ``s`` and ridge ``gamma``.

        ``spectrum`` is an array of eigenvalues for float64, a Spectrum for mpmath.
        """
        if backend == "numpy":
            parts = self.vector(*s, gamma, spectrum)
            sums = [float(np.sum(np.broadcast_to(p, spectrum.shape))) for p in parts]
        else:
            functions = [lambda lam, f=f: f(*s, gamma, lam) for f in self.summands]
            sums = spectrum.sums(functions, self.head)
        flat = self.algebra[backend](*s, gamma, *sums)
        out, i = {}, 0
        for key, (rows, cols) in self.shape.items():
            block = [flat[i + r * cols: i + (r + 1) * cols] for r in range(rows)]
            out[key] = block if key == "jacobian" else block[0]
            i += rows * cols
        return out


def _scaled_solve(q, s, vector, backend):
    """(1 - J)^-1 vector, solved as D^-1 (1 - J) D y = D^-1 vector with D = diag(s); returns y = D^-1 x.

    Rescaling by the unknowns removes their spread over many orders of
    magnitude from the condition number. Returns None for a singular system.
    """
    n = len(s)
    matrix = [[((i == j) - q["jacobian"][i][j]) * s[j] / s[i] for j in range(n)] for i in range(n)]
    right = [v / a for v, a in zip(vector, s)]
    if backend == "numpy":
        try:
            y = np.linalg.solve(np.array(matrix, dtype=float), np.array(right, dtype=float))
        except np.linalg.LinAlgError:
            return None
        return y if np.all(np.isfinite(y)) else None
    try:
        return list(mpmath.lu_solve(mpmath.matrix(matrix), mpmath.matrix(right)))
    except ZeroDivisionError:
        return None


def _newton(compiled, s, gamma, spectrum, backend, tolerance, iterations=60):
    """Newton's method for s = rhs(s) in the variables t = log(-s); None if it fails.

    The self-energies spread over many orders of magnitude near the
    interpolation threshold; in t the step is relative for every component
    and every iterate stays on the physical branch (all self-energies negative).
    """
    exp = np.exp if backend == "numpy" else mpmath.exp
    for _ in range(iterations):
        q = compiled.evaluate(s, gamma, spectrum, backend)
        step = _scaled_solve(q, s, [a - b for a, b in zip(s, q["rhs"])], backend)
        if step is None or max(abs(x) for x in step) > 50:
            return None
        s = [a * exp(-x) for a, x in zip(s, step)]
        if max(abs(x) for x in step) <= tolerance:
            return s
    return None


def _follow(compiled, s, start, target, spectrum, backend, tolerance):
    """Continue the root from ridge ``start`` down to ``target`` in steps of log(ridge)."""
    log, goal = math.log(start), math.log(target)
    step = 2.0
    while log > goal:
        trial = max(log - step, goal)
        found = _newton(compiled, s, _ridge(trial, backend), spectrum, backend, tolerance)
        if found is None:
            step /= 2
            if step < 1e-4:
                return s, math.exp(log)
            continue
        s, log = found, trial
        step = min(step * 1.5, 8.0)
    return s, target


def _ridge(log, backend):
    return math.exp(log) if backend == "numpy" else mpmath.exp(log)


def solve(model=None, *, dps=30, spectrum=None, **params):
    """Solve the planar theory of ``model`` at the given parameters.

    Parameters
    ----------
    model : diagrams.Model, optional
        The MRS model by default.
    dps : int
        Decimal digits of the result.
    spectrum : Spectrum, optional
        By default a power law with ``alpha`` (default 1) and the latent size ``M``.
    **params
        Values of the model's symbols by name.

    Examples
    --------
    >>> solution = solve(N=50, P=80, M=100, gamma="0.001", dps=20)
    >>> 0 < solution.train_loss < solution.loss
    True
    """
    model = model or mrs()
    if int(dps) < 1:
        raise ParameterError(f"dps must be at least 1, got {dps}")
    dps = int(dps)
    alpha = params.pop("alpha", 1)
    latent = model.latent
    if spectrum is None:
        if latent not in params:
            raise ParameterError(f"no value for {latent}: give {latent} or a spectrum")
        spectrum = Spectrum.power_law(alpha, params[latent])
    params.setdefault(latent, "inf" if spectrum.size == math.inf else spectrum.size)
    bound = model.bind(params)
    model.require(bound)
    size = bound[model.spaces[latent]]
    if (size == sympy.oo) != (spectrum.size == math.inf) or (size != sympy.oo and size != spectrum.size):
        raise ParameterError(f"{latent} = {size} but the spectrum has {spectrum.size} eigenvalues")
    gamma = bound[model.regression.ridge]
    if gamma <= 0:
        raise ParameterError("gamma must be positive for the planar solver (its ridgeless limit is derived)")
    compiled = _Compiled(model, bound)
    # Near the interpolation threshold N - n_1 ~ sqrt(gamma): the digits lost there grow like
    # -log10(gamma), and are paid for with guard digits. The result is computed twice, the second
    # time with more guard digits and another split of the spectral tails, and must agree to dps digits.
    guard = 10 + max(0, -int(sympy.floor(sympy.log(gamma, 10))))
    with mpmath.workdps(dps + guard):
        first = _solve(compiled, model, bound, spectrum, gamma, dps)
    compiled.head = 3 * HEAD // 2  # a different split of the tail sums, too
    with mpmath.workdps(dps + guard + 15):
        start = [first.unknowns[str(u)] for u in compiled.unknowns]
        second = _solve(compiled, model, bound, spectrum, gamma, dps, start=start)
        for name in ("loss", "train_loss", "Delta"):
            a, b = getattr(first, name), getattr(second, name)
            if abs(a - b) > mpmath.mpf(10) ** (-dps) * abs(b):
                raise SolverError(f"the {name} is not stable to {dps} digits "
                                  f"({mpmath.nstr(a, dps)} against {mpmath.nstr(b, dps)} with more guard digits)")
    return second


def _solve(compiled, model, bound, spectrum, gamma, dps, start=None):
    """The root at the working precision; from ``start`` if given, else by continuation in the ridge."""
    target = mpmath.mpf(gamma)
    tolerance = mpmath.mpf(10) ** (-(dps + 5))
    if start is not None:
        solution = _newton(compiled, start, target, spectrum, "mpmath", tolerance)
        if solution is None:
            raise SolverError(f"no solution on the physical branch at {model.regression.ridge} = {gamma}")
        return _losses(compiled, model, bound, spectrum, gamma, dps, solution)
    floats = spectrum.array(limit=FLOAT_TERMS)  # only the starting point: the sums are redone exactly
    n = len(compiled.unknowns)
    # infinite ridge: the free solution, reached by iterating the equations
    s = [-1e-30] * n
    for _ in range(4 * n + 4):
        s = [min(float(x), -1e-300) for x in compiled.evaluate(s, 1e30, floats, "numpy")["rhs"]]
    # at a ridge far above the scale of the self-energies the equations are a contraction
    origin = max(1e4 * max(1.0, max(abs(x) for x in s)), 2 * float(gamma))
    for _ in range(8 * n + 8):
        s = [min(float(x), -1e-300) for x in compiled.evaluate(s, origin, floats, "numpy")["rhs"]]
    s = _newton(compiled, s, origin, floats, "numpy", 1e-13) or s
    s, reached = _follow(compiled, s, origin, float(gamma), floats, "numpy", 1e-12)
    s = [mpmath.mpf(x) for x in s]
    if reached > float(gamma):
        s, reached = _follow(compiled, s, reached, target, spectrum, "mpmath", tolerance)
    solution = _newton(compiled, s, target, spectrum, "mpmath", tolerance)
    if solution is None or reached > float(gamma) * (1 + 1e-12):
        raise SolverError(f"no solution on the physical branch at {model.regression.ridge} = {gamma}")
    return _losses(compiled, model, bound, spectrum, gamma, dps, solution)


def _losses(compiled, model, bound, spectrum, gamma, dps, solution):
    """The losses at the root, through the ladder equations."""
    target = mpmath.mpf(gamma)
    q = compiled.evaluate(solution, target, spectrum, "mpmath")
    # the ladder equations (1 - J) r = d rhs, for the rates in beta and in gamma
    rates = {}
    for source in ("d_beta", "d_gamma"):
        scaled = _scaled_solve(q, solution, q[source], "mpmath")
        if scaled is None:
            raise SolverError(f"the ladder equations are singular at {model.regression.ridge} = {gamma}")
        rates[source] = [y * a for y, a in zip(scaled, solution)]
    loss = q["E_beta"][0] + sum(a * b for a, b in zip(q["E_s"], rates["d_beta"]))
    dE_dgamma = q["E_gamma"][0] + sum(a * b for a, b in zip(q["E_s"], rates["d_gamma"]))
    samples = bound[model.spaces[model.samples]]
    train = (q["E"][0] - target * dE_dgamma) / mpmath.mpf(samples)
    noise = mpmath.mpf(sympy.N(model.regression.noise_variance.xreplace(bound), dps + 10)) / 2
    return Solution(
        loss=+loss, train_loss=+train, Delta=+q["Delta"][0], noise_floor=noise,
        unknowns={str(k): +v for k, v in zip(compiled.unknowns, solution)},
        parameters={k.name: str(v) for k, v in sorted(bound.items(), key=lambda kv: kv[0].name)},
        dps=dps,
        normalization=INFINITE_M if spectrum.size == math.inf else "",
    )
