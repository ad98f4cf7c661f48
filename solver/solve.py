"""Numerical solution of the derived planar equations.

:func:`solve` takes the Schwinger-Dyson equations that :func:`diagrams.dyson.planar_theory`
derives for a model, puts in the parameters, and finds the physical root:
the branch connected to the infinite-ridge solution, on which every
self-energy is negative. It follows that branch by continuation in the ridge,
from a ridge large enough that the free solution is exact, down to the ridge
asked for: first in float64, with the spectral moments approximated by a
quadrature (the continuum approximation of a power law's tail), then polished by
Newton's method in mpmath at the working precision, with the moments exact.
Every spectral sum enters through the moments T_ab(p) of
:meth:`solver.spectrum.Spectrum.moments`. The losses are the derivatives of the minimal training
objective (see :mod:`diagrams.pencil`): the rates of the self-energies solve
the ladder equations (1 - J) r = d rhs, with J the same Jacobian Newton uses.

No formula of a particular model is written here: every expression is
lambdified from what was derived.
"""

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import mpmath
import numpy as np
import sympy

from diagrams.dyson import EIGENVALUES, INDEX, planar_theory
from diagrams.errors import LargenError, ParameterError
from diagrams.model import mrs
from diagrams.pencil import EIGENVALUE, SOURCE

from .spectrum import Spectrum


INFINITE_M = "M = inf: sigma_u^2 and sigma_w^2 are the entry variances themselves (no 1/M)"


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
    condition: object = None  # kappa = sum_I |d log L/d log lambda_I| over listed eigenvalues (mpf)
    supported_digits: object = None  # digits of the loss that listed eigenvalues, exact as written, support

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
            **({"condition": mpmath.nstr(self.condition, 3), "supported_digits": self.supported_digits}
               if self.condition is not None else {}),
        }


def moment_form(summand):
    """A spectral summand as moments: sum_I f(lambda_I) = sum_j c_j T_{j,b}(p).

    ``f`` must be rational in lambda with at most one pole, -p: then
    f = sum_j c_j lambda**j / (lambda + p)**b, and its sum over the spectrum is a
    combination of the moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b of
    :meth:`solver.spectrum.Spectrum.moments`.

    Returns
    -------
    (p, b, {j: c_j})

    Examples
    --------
    >>> from diagrams.pencil import EIGENVALUE as lam
    >>> x = sympy.Symbol("x", positive=True)
    >>> moment_form(lam / (x * lam + 1))
    (1/x, 1, {1: 1/x})
    """
    numerator, denominator = sympy.fraction(sympy.cancel(sympy.together(summand)))
    _, factors = sympy.factor_list(denominator, EIGENVALUE)
    poles = [(f, m) for f, m in factors if f.has(EIGENVALUE)]
    if len(poles) > 1 or any(sympy.degree(f, EIGENVALUE) != 1 for f, _ in poles):
        raise SolverError(f"the spectral summand {summand} has more than one pole in {EIGENVALUE}: "
                          "the solver sums single-pole summands only")
    if poles:
        (factor, b), = poles
        k1, k0 = sympy.Poly(factor, EIGENVALUE).all_coeffs()
        p = sympy.cancel(k0 / k1)
    else:
        p, b = sympy.Integer(1), 0
    scale = sympy.cancel(denominator / (EIGENVALUE + p) ** b)
    coefficients = sympy.Poly(numerator, EIGENVALUE).as_dict()
    return p, b, {j: sympy.cancel(c / scale) for (j,), c in coefficients.items()}


@dataclass(frozen=True)
class _Derived:
    """What the solver needs of a model, derived once: the equations, their derivatives and
    the generating function, flattened, with every spectral sum written in moments."""

    theory: object
    shape: dict  # name -> (rows, columns) of each block of ``flat``
    flat: list
    poles: list  # the distinct poles p_k of the summands
    moments: dict  # (k, a, b) -> the placeholder of T_ab(p_k)
    parameters: list  # the model's symbols other than the unknowns and the ridge
    functions: dict  # backend -> (poles, flat), functions of the unknowns, ridge, parameters (and moments)


@lru_cache(maxsize=32)
def _derived(model):
    theory = planar_theory(model)
    s, gamma = list(theory.unknowns), theory.ridge
    rhs = [eq.rhs for eq in theory.equations]
    blocks = {
        "rhs": [rhs],
        "jacobian": [[sympy.diff(f, x) for x in s] for f in rhs],
        "d_beta": [[sympy.diff(f, SOURCE) for f in rhs]],
        "d_gamma": [[sympy.diff(f, gamma) for f in rhs]],
        "E": [[theory.generating]],
        "E_s": [[sympy.diff(theory.generating, x) for x in s]],
        "E_beta": [[sympy.diff(theory.generating, SOURCE)]],
        "E_gamma": [[sympy.diff(theory.generating, gamma)]],
        "Delta": [[theory.renormalized_ridge]],
    }
    shape = {key: (len(rows), len(rows[0])) for key, rows in blocks.items()}
    flat = [sympy.sympify(e).subs(SOURCE, 0) for rows in blocks.values() for row in rows for e in row]
    poles, moments, replacements = [], {}, {}
    for term in sorted({x for e in flat for x in e.atoms(sympy.Sum)}, key=sympy.default_sort_key):
        p, b, coefficients = moment_form(term.function.xreplace({EIGENVALUES[INDEX]: EIGENVALUE}))
        if p not in poles:
            poles.append(p)
        k = poles.index(p)
        for a in coefficients:
            moments.setdefault((k, a, b), sympy.Symbol(f"T{k}_{a}_{b}"))
        replacements[term] = sympy.Add(*[c * moments[k, a, b] for a, c in coefficients.items()])
    flat = [e.xreplace(replacements) for e in flat]
    placeholders = list(moments.values())
    parameters = sorted(set().union(*(e.free_symbols for e in flat + poles)) - {*s, gamma, *placeholders},
                        key=str)
    arguments = [*s, gamma, *parameters]
    functions = {m: (sympy.lambdify(arguments, poles, modules=m),
                     sympy.lambdify([*arguments, *placeholders], flat, modules=m)) for m in ("numpy", "mpmath")}
    return _Derived(theory, shape, flat, poles, moments, parameters, functions)


class _Compiled:
    """The derived expressions with parameters put in, as functions of the unknowns and the ridge.

    Every spectral sum is replaced by its moments (:func:`moment_form`), so
    that an evaluation needs the spectrum only through T_ab at a few poles.
    At M = inf the entry variances cannot carry 1/M: the latent size is set to
    1 outside the spectral sums, so that sigma_u^2 and sigma_w^2 are the entry
    variances themselves.
    """

    def __init__(self, model, bound):
        derived = _derived(model)
        self.shape, self.functions = derived.shape, derived.functions
        self.unknowns = list(derived.theory.unknowns)
        latent = model.spaces[model.latent]
        values = dict(bound)
        if values.get(latent) == sympy.oo:
            values[latent] = sympy.Integer(1)
        missing = [str(x) for x in derived.parameters if x not in values]
        if missing:
            raise ParameterError(f"no value for {', '.join(missing)}")
        self.parameters = [values[x] for x in derived.parameters]
        self.moment_keys = list(derived.moments)
        self.orders = [[(a, b) for (k, a, b) in self.moment_keys if k == index] for index in range(len(derived.poles))]
        self.split = 1  # the head of a long power law, as a factor on its default length
        self._values = {}  # the parameters' values, by backend and precision
        self.shift = {}  # relative shifts of moments, (k, a, b) -> epsilon: for derivatives in them

    def _parameters(self, backend):
        key = "numpy" if backend == "numpy" else mpmath.mp.prec
        if key not in self._values:
            self._values[key] = ([float(v) for v in self.parameters] if backend == "numpy"
                                 else [mpmath.mpf(sympy.N(v, mpmath.mp.dps + 5)) for v in self.parameters])
        return self._values[key]

    def evaluate(self, s, gamma, spectrum, backend):
        """All derived quantities at the unknowns ``s`` and ridge ``gamma``; None off the physical
        branch (a pole p <= 0). ``backend`` "numpy" is float64 and approximate, "mpmath" exact."""
        poles, algebra = self.functions[backend]
        arguments = [*s, gamma, *self._parameters(backend)]
        values, poles = {}, poles(*arguments)
        for k, (p, orders) in enumerate(zip(poles, self.orders)):
            if not p > 0:
                return None
            if backend == "numpy":
                found = spectrum.approximate_moments(float(p), orders)
            else:
                found = spectrum.moments(p, orders, self.split)
            values.update({(k, a, b): v * (1 + self.shift.get((k, a, b), 0)) for (a, b), v in found.items()})
        flat = algebra(*arguments, *[values[key] for key in self.moment_keys])
        out, i = {}, 0
        for key, (rows, cols) in self.shape.items():
            block = [flat[i + r * cols: i + (r + 1) * cols] for r in range(rows)]
            out[key] = block if key == "jacobian" else block[0]
            i += rows * cols
        out["moments"], out["poles"] = values, poles
        return out


def _scaled_solve(q, s, vector):
    """(1 - J)^-1 vector, solved as D^-1 (1 - J) D y = D^-1 vector with D = diag(s); returns y = D^-1 x.

    Rescaling by the unknowns removes their spread over many orders of
    magnitude from the condition number. Returns None for a singular system.
    """
    n = len(s)
    matrix = [[((i == j) - q["jacobian"][i][j]) * s[j] / s[i] for j in range(n)] for i in range(n)]
    return _gauss(matrix, [v / a for v, a in zip(vector, s)])


def _gauss(matrix, right):
    """Gaussian elimination with partial pivoting, in whatever arithmetic the entries carry
    (float64 or mpmath: the systems are a few unknowns wide); None if singular."""
    n = len(right)
    rows = [list(row) + [r] for row, r in zip(matrix, right)]
    for k in range(n):
        pivot = max(range(k, n), key=lambda i: abs(rows[i][k]))
        rows[k], rows[pivot] = rows[pivot], rows[k]
        if not abs(rows[k][k]) > 0 or not _finite(rows[k][k]):
            return None
        for i in range(k + 1, n):
            factor = rows[i][k] / rows[k][k]
            rows[i] = [a - factor * b for a, b in zip(rows[i], rows[k])]
    solution = [0] * n
    for k in reversed(range(n)):
        solution[k] = (rows[k][n] - sum(rows[k][j] * solution[j] for j in range(k + 1, n))) / rows[k][k]
    return solution if all(_finite(x) for x in solution) else None


def _finite(x):
    return x - x == 0  # false for inf and nan, in float64 and in mpmath alike


def _newton(compiled, s, gamma, spectrum, backend, tolerance, iterations=60):
    """Newton's method for s = rhs(s) in the variables t = log(-s); None if it fails.

    The self-energies spread over many orders of magnitude near the
    interpolation threshold; in t the step is relative for every component
    and every iterate stays on the physical branch (all self-energies negative).
    The convergence is quadratic: once a step is below sqrt(tolerance), the
    iterate it leads to is within about ``tolerance`` of the root.

    Returns the root and the derived quantities at the last iterate before it.
    """
    exp = np.exp if backend == "numpy" else mpmath.exp
    for _ in range(iterations):
        q = compiled.evaluate(s, gamma, spectrum, backend)
        step = None if q is None else _scaled_solve(q, s, [a - b for a, b in zip(s, q["rhs"])])
        if step is None or max(abs(x) for x in step) > 50:
            return None
        s = [a * exp(-x) for a, x in zip(s, step)]
        if max(abs(x) for x in step) ** 2 <= tolerance:
            return s, q
    return None


def _follow(compiled, s, start, target, spectrum, backend, tolerance):
    """Continue the root from ridge ``start`` down to ``target`` in steps of log(ridge).

    Each step is predicted along the tangent, d log(-s)/d log(gamma) = gamma (1 - J)^-1 d rhs/d gamma
    divided by s, and corrected by Newton's method.
    """
    exp = np.exp if backend == "numpy" else mpmath.exp
    log, goal = math.log(start), math.log(target)
    step, tangent = 2.0, [0] * len(s)
    while log > goal:
        trial = max(log - step, goal)
        guess = [a * exp((trial - log) * t) for a, t in zip(s, tangent)]
        # on the way the root is only the next step's start: a loose tolerance does
        found = _newton(compiled, guess, _ridge(trial, backend), spectrum, backend,
                        tolerance if trial == goal else max(tolerance, 1e-6))
        if found is None:
            step /= 2
            if step < 1e-4:
                return s, math.exp(log)
            continue
        (s, q), log = found, trial
        rates = _scaled_solve(q, s, q["d_gamma"])
        tangent = [0] * len(s) if rates is None else [_ridge(log, backend) * y for y in rates]
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
    # Near the interpolation threshold N - sum_I lambda_I/(lambda_I + p) ~ sqrt(gamma): the digits lost
    # there grow like -log10(gamma)/2, and are paid for with guard digits. The result is computed twice,
    # the second time with 10 more digits and another split of the spectral tails, and must agree to
    # dps digits.
    guard = 10 + max(0, -int(mpmath.floor(mpmath.log10(mpmath.mpf(sympy.N(gamma, 20))) / 2)))
    with mpmath.workdps(dps + guard):
        first = _solve(compiled, model, bound, spectrum, gamma, dps)
    compiled.split = 1.5  # a different split of the tail sums, too
    with mpmath.workdps(dps + guard + 10):
        start = [first.unknowns[str(u)] for u in compiled.unknowns]
        second = _solve(compiled, model, bound, spectrum, gamma, dps, start=start)
        for name in ("loss", "train_loss", "Delta"):
            a, b = getattr(first, name), getattr(second, name)
            if abs(a - b) > mpmath.mpf(10) ** (-dps) * abs(b):
                raise SolverError(f"the {name} is not stable to {dps} digits "
                                  f"({mpmath.nstr(a, dps)} against {mpmath.nstr(b, dps)} with more guard digits)")
        if not spectrum.exact:
            kappa = _condition(compiled, model, bound, spectrum, second)
            digits = spectrum.digits - (mpmath.log10(kappa) if kappa else 0)
            second = replace(second, condition=kappa, supported_digits=int(mpmath.floor(digits)))
    return second


def _condition(compiled, model, bound, spectrum, solution):
    """kappa = sum_I |d log L / d log lambda_I| over the listed eigenvalues.

    The loss amplifies relative errors of the listed eigenvalues by at most
    kappa. It is found through the moments: dL/dT for each moment by
    re-solving with the moment shifted, times dT/dlambda_I. A list whose
    longest entry has d significant digits, if exact to those digits, supports
    d - log10(kappa) digits of the loss.
    """
    gamma = bound[model.regression.ridge]
    target = mpmath.mpf(sympy.N(gamma, mpmath.mp.dps))
    tolerance = mpmath.mpf(10) ** -(mpmath.mp.dps - 5)
    eta = mpmath.mpf(10) ** -(mpmath.mp.dps // 2)

    def loss(shift):  # the loss with moments shifted by relative amounts, re-solved from the root
        compiled.shift = shift
        try:
            found = _newton(compiled, [solution.unknowns[str(u)] for u in compiled.unknowns], target, spectrum,
                            "mpmath", tolerance)
            if found is None:
                raise SolverError(f"the loss could not be differentiated with respect to the spectrum at {gamma}")
            return _losses(compiled, model, bound, spectrum, gamma, solution.dps, found[0]).loss
        finally:
            compiled.shift = {}

    # the cancellations between moments below are of the size of kappa: the differences must be
    # taken between losses found the same way, at the working precision
    reference = loss({})
    q = compiled.evaluate([solution.unknowns[str(u)] for u in compiled.unknowns], target, spectrum, "mpmath")
    slopes = {key: (loss({key: eta}) - reference) / (eta * q["moments"][key]) for key in compiled.moment_keys}
    kappa = 0
    for lam in spectrum.listed():
        # lambda dT_ab/dlambda = lambda**a (lambda + p)**-b (a - b lambda/(lambda + p))
        kappa += abs(mpmath.fsum(slope * lam**a / (lam + q["poles"][k]) ** b * (a - b * lam / (lam + q["poles"][k]))
                                 for (k, a, b), slope in slopes.items()))
    return kappa / abs(reference)


def _solve(compiled, model, bound, spectrum, gamma, dps, start=None):
    """The root at the working precision; from ``start`` if given, else by continuation in the ridge."""
    target = mpmath.mpf(gamma)
    tolerance = mpmath.mpf(10) ** -(dps + 5)
    if start is not None:
        # certify: at the higher precision the root found first must already solve the equations
        q = compiled.evaluate(start, target, spectrum, "mpmath")
        step = None if q is None else _scaled_solve(q, start, [a - b for a, b in zip(start, q["rhs"])])
        if step is None or max(abs(x) for x in step) > mpmath.mpf(10) ** -(dps + 3):
            raise SolverError(f"the root at {model.regression.ridge} = {gamma} is not stable to {dps} digits "
                              "at higher precision")
        return _losses(compiled, model, bound, spectrum, gamma, dps, start, q)
    n = len(compiled.unknowns)
    # infinite ridge: the free solution, reached by iterating the equations
    s = [-1e-30] * n
    for _ in range(n + 1):
        s = _iterate(compiled, s, 1e30, spectrum)
    # at a ridge far above the scale of the self-energies the equations are a contraction
    origin = max(1e4 * max(1.0, max(abs(x) for x in s)), 2 * float(gamma))
    for _ in range(n + 1):
        s = _iterate(compiled, s, origin, spectrum)
    s = (_newton(compiled, s, origin, spectrum, "numpy", 1e-13) or [s])[0]
    s, reached = _follow(compiled, s, origin, float(gamma), spectrum, "numpy", 1e-12)
    s = [mpmath.mpf(x) for x in s]
    if reached > float(gamma):
        s, reached = _follow(compiled, s, reached, target, spectrum, "mpmath", tolerance)
    solution = (_newton(compiled, s, target, spectrum, "mpmath", tolerance) or [None])[0]
    if solution is None or reached > float(gamma) * (1 + 1e-12):
        raise SolverError(f"no solution on the physical branch at {model.regression.ridge} = {gamma}")
    return _losses(compiled, model, bound, spectrum, gamma, dps, solution)


def _iterate(compiled, s, gamma, spectrum):
    """One step s -> rhs(s) in float64, kept on the physical branch."""
    q = compiled.evaluate(s, gamma, spectrum, "numpy")
    if q is None or not all(_finite(x) for x in q["rhs"]):
        raise SolverError(f"the equations cannot be evaluated in float64 at the ridge {gamma:g}")
    return [min(float(x), -1e-300) for x in q["rhs"]]


def _losses(compiled, model, bound, spectrum, gamma, dps, solution, q=None):
    """The losses at the root, through the ladder equations; ``q``: the derived quantities there."""
    target = mpmath.mpf(gamma)
    q = q or compiled.evaluate(solution, target, spectrum, "mpmath")
    # the ladder equations (1 - J) r = d rhs, for the rates in beta and in gamma
    rates = {}
    for source in ("d_beta", "d_gamma"):
        scaled = _scaled_solve(q, solution, q[source])
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
