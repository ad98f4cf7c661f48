"""How far one training run's test loss lies from the mean: :func:`scatter`, certified.

:func:`largen.diagrams.theory.fluctuations.fluctuation_theory` derives, for any model
of the class, the jets of the doubled pencil: the ladders of the
self-energies' derivatives in the test-loss source beta and the label source
tau, and the kernel, source and observable of the two replicas as spectral
sums. Here they are compiled at a point, every spectral sum through the exact
moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b of the spectrum (as the
planar equations are, :mod:`largen.solver.numerics.equations`), evaluated at the
certified planar root (:func:`largen.solver.numerics.certification.certify`),
and combined by :func:`largen.diagrams.theory.fluctuations.combine` into

    Var L = teacher + noise + connected,

E_{u,X}[Var_w L] of the teacher's labels, what the label noise adds to it,
and Var_{u,X}[E_{w,eps} L]. The first two scale as 1/C with the number C of
outputs that share the features and the data; the third does not.

Every part is certified like the losses: a second, independent evaluation
with 15 more guard digits, another split of the spectral tails and its own
planar root (Newton's method from a perturbed start) must agree with the first
to ``dps`` digits, or the part is reported uncertified with the reason; the
guard digits are first raised by what a disagreement showed.

:func:`sample_scatter` is the estimator a Monte Carlo compares with: the
sample standard deviation of independent losses and its own standard error.
"""

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import numpy as np
import sympy
from sympy.printing.pycode import MpmathPrinter

from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.spectral import (EIGENVALUE, INDEX, TEACHER_WEIGHTS, moment_form, summand,
                                             teacher_parts)
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import LargenWarning, ParameterError
from largen.diagrams.theory.fluctuations import BETA, BOTH, TAU, combine, fluctuation_theory

from largen.solver.numerics.certification import certify, check_dps
from largen.solver.numerics.continuation import newton
from largen.solver.numerics.equations import equations, mp_value
from largen.solver.numerics.point import bind

__all__ = ["Scatter", "scatter", "check_point", "check_outputs", "certified_variance", "sample_scatter", "SampleScatter"]

PARTS = ("teacher", "noise", "connected")
SECOND_SPLIT = 1.5  # the second evaluation's factor on the length of the power laws' heads
ATTEMPTS = 4  # evaluations with guard digits raised by what the last disagreement showed
SIZEABLE_SCATTER = mpmath.mpf("0.3")  # a relative scatter between draws this large or more is said to be


@dataclass(frozen=True)
class Scatter:
    """The standard deviation of the test loss over the draws, at one point, with its parts.

    Attributes
    ----------
    loss : mpf or None
        The planar mean of the test loss (as :func:`largen.solver.numerics.solution.solve` gives it).
    loss_std : mpf or None
        sqrt(teacher + noise + connected): how far one run's loss lies from the mean.
    teacher, noise, connected : mpf or None
        The parts of the variance: E_{u,X}[Var_w L] of the teacher's labels, what the label
        noise adds to E_{u,X}[Var_{w,eps} L], and Var_{u,X}[E_{w,eps} L].
    outputs : int
        C, the number of outputs (rows of the teacher) that share the features and the data.
    dps : int
        The digits certified; a value that is not is None, with the reason in ``uncertified``.
    """

    loss: object
    loss_std: object
    teacher: object
    noise: object
    connected: object
    outputs: int
    dps: int
    parameters: dict
    normalization: str = ""
    uncertified: dict = field(default_factory=dict)

    @property
    def loss_variance(self):
        """teacher + noise + connected, or None unless every part is certified."""
        if None in (self.teacher, self.noise, self.connected):
            return None
        with mpmath.workdps(self.dps + 10):
            return self.teacher + self.noise + self.connected

    def as_dict(self):
        """The scatter as text, ``dps`` digits each, None where uncertified (for JSON).

        Examples
        --------
        >>> scatter(N=20, P=30, M=40, gamma="0.1", dps=3).as_dict()["loss_std"]
        '0.000761'
        """
        def digits(x):
            return None if x is None else mpmath.nstr(x, self.dps, strip_zeros=False)

        return {
            "loss": digits(self.loss),
            "loss_std": digits(self.loss_std),
            "variance": {name: digits(getattr(self, name)) for name in PARTS},
            "outputs": self.outputs,
            "parameters": self.parameters,
            "dps": self.dps,
            **({"normalization": self.normalization} if self.normalization else {}),
            **({"uncertified": dict(self.uncertified)} if self.uncertified else {}),
        }


def scatter(model=None, *, outputs=1, dps=30, spectrum=None, **params):
    """The standard deviation of the test loss over draws of features, data, teacher and noise.

    Parameters
    ----------
    model : diagrams.Model, optional
        A ridge-regression model with linear features and an isotropic teacher; MRS by default.
    outputs : int
        C, the outputs (the teacher's rows) fitted with the same features and data: the
        loss is their mean, whose scatter over the teacher falls as 1/C.
    dps : int
        Decimal digits of the result.
    spectrum : Spectrum, optional
        By default a power law with ``alpha`` (default 1) and the latent size ``M``.
    **params
        Values of the model's symbols by name, as for :func:`largen.solver.numerics.solution.solve`;
        the latent size may be infinite.

    Returns
    -------
    Scatter

    Raises
    ------
    ParameterError
        A bad value or number of outputs, an activation or a teacher covariance.
    SolverError
        No root on the physical branch.

    Examples
    --------
    >>> found = scatter(N=20, P=30, M=40, gamma="0.1", dps=10)
    >>> mpmath.nstr(found.loss_std / found.loss, 5), found.uncertified
    ('0.42032', {})
    >>> mpmath.nstr(scatter(N=20, P=30, M=40, gamma="0.1", dps=10, outputs=4).teacher / found.teacher, 5)
    '0.25'
    """
    outputs = check_outputs(outputs)
    dps = check_dps(dps)
    model = mrs() if model is None else model
    point = bind(model, spectrum=spectrum, sizes="real", precision=dps + 10, **params)
    model, values = point.model, point.scaled_values
    gamma = point.values[model.regression.ridge]
    if not gamma > 0:
        raise ParameterError(f"{model.regression.ridge} must be positive for the planar solver")
    check_point(point)
    system = equations(model, values, point.spectrum)
    samples = as_expr(model.spaces[model.samples]).xreplace(values)
    found, reasons, root, working = certify(system, gamma, samples, dps)
    uncertified = {name: reason for name, reason in reasons.items() if name == "loss"}
    parts, why = certified_variance(point, system, root, working, dps, outputs, found["loss"])
    uncertified.update(why)
    std = None
    if None not in parts.values():
        with mpmath.workdps(dps + 10):
            std = mpmath.sqrt(sum(parts.values()))
    else:
        uncertified["loss_std"] = "a part of the variance is uncertified or withheld"
    return Scatter(loss=found["loss"], loss_std=std, outputs=outputs, dps=dps, parameters=point.parameters(),
                   normalization=point.normalization, uncertified=uncertified, **parts)


def check_point(point):
    """Refuse (ParameterError) a point whose scatter is not derived: nonlinear features, a teacher covariance.

    Examples
    --------
    >>> check_point(bind(N=10, P=20, M=30, gamma=1, delta=1))
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: the scatter with a teacher covariance needs sums weighted by omega**2, which the spectra's moments do not take: give an isotropic teacher
    """
    if point.activation is not None or point.model.regression.equivalent is not None:
        raise ParameterError("the scatter is derived for linear features: with an activation the features' "
                             "non-Gaussian part enters the variance at the order of its connected part")
    if point.spectrum.teacher:
        raise ParameterError("the scatter with a teacher covariance needs sums weighted by omega**2, which the "
                             "spectra's moments do not take: give an isotropic teacher")


def certified_variance(point, system, root, working, dps, outputs, loss):
    """The parts of the variance at a point whose planar root is certified: the hook of a solve.

    Parameters
    ----------
    point : Point
        The bound point (:func:`largen.solver.numerics.point.bind`), checked by :func:`check_point`.
    system : Equations
        Its planar equations (:func:`largen.solver.numerics.equations.equations`).
    root, working : list, int
        The root and the working precision :func:`largen.solver.numerics.certification.certify` returns.
    dps : int
        Digits to certify.
    outputs : int
        C, the outputs sharing the features and the data.
    loss : mpf or None
        The certified mean loss, against which the scatter between draws is checked (:func:`_check_expansion`).

    Returns
    -------
    (parts, reasons)
        name -> mpf or None for ``teacher``, ``noise`` and ``connected``; name -> why not.
    """
    outputs = check_outputs(outputs)
    gamma = point.values[point.model.regression.ridge]
    start = dict(zip(system.unknowns, root))
    parts, reasons = _certified_parts(_compile(point.model), system, point.scaled_values, point.spectrum, gamma,
                                      outputs, dps, working, start)
    _check_expansion(parts, loss, reasons)
    return parts, reasons


def _check_expansion(parts, loss, reasons):
    """Withhold a variance between draws larger than the mean loss squared, and warn when sizeable.

    Var_{u,X}[E_z L] / L**2 is of order 1/size**2: the relative scatter of the teacher-averaged
    loss, which the expansion in 1/size takes to be small. Where it is 1 or more the expansion has
    broken down (near the interpolation threshold N = P as the ridge vanishes, where the mean's
    own first finite-size correction exceeds it too); the variance within a draw, of order
    1/(C n) with n the learned modes, has no such bound (a few learned modes scatter by their size).
    """
    connected = parts.get("connected")
    if connected is None or not loss:
        return
    with mpmath.workdps(15):
        ratio = mpmath.sqrt(connected) / loss
    if ratio > 1:
        parts["connected"] = None
        reasons["connected"] = (f"the loss averaged over the teacher scatters between draws by {mpmath.nstr(ratio, 2)} "
                                "times its mean: the expansion in 1/size has broken down here (near the "
                                "interpolation threshold N = P, as the ridge vanishes)")
    elif ratio > SIZEABLE_SCATTER:
        warnings.warn(f"the loss averaged over the teacher scatters between draws by {mpmath.nstr(100 * ratio, 2)}% "
                      "of its mean: the next order in 1/size may matter", LargenWarning, stacklevel=3)


def _certified_parts(compiled, system, values, spectrum, gamma, outputs, dps, working, start):
    """The parts at two precisions, tail splits and roots; each kept where both agree to ``dps`` digits."""
    extra, reasons = 0, {}
    for attempt in range(ATTEMPTS):
        with mpmath.workdps(working + extra):
            first = _evaluate(compiled, system, values, spectrum, gamma, outputs, start, split=1)
        with mpmath.workdps(working + extra + 15):
            second = _evaluate(compiled, system, values, spectrum, gamma, outputs, _perturbed(start, working // 2),
                               split=SECOND_SPLIT)
        found, reasons, deficit = {}, {}, 0
        for name in PARTS:
            a = None if first is None else first[name]
            b = None if second is None else second[name]
            if a is not None and b is not None and (a == b or abs(a - b) <= mpmath.mpf(10) ** -(dps + 1) * abs(b)):
                found[name] = b
                continue
            found[name] = None
            if a is None or b is None:
                reasons[name] = "an evaluation of the scatter failed (a singular ladder or a pole off the branch)"
            else:
                apart = 0 if a == 0 or b == 0 else max(0, int(-mpmath.log10(abs(a - b) / abs(b))))
                deficit = max(deficit, dps + 1 - apart)
                reasons[name] = (f"not stable to {dps} digits: {mpmath.nstr(a, dps)} against {mpmath.nstr(b, dps)} "
                                 f"with {working + extra + 15} digits, another tail split and its own root")
        if not reasons or attempt == ATTEMPTS - 1:
            return found, reasons
        extra += deficit + 10
    return found, reasons


def _evaluate(compiled, system, values, spectrum, gamma, outputs, start, *, split):
    """The parts of the variance at the working precision, at the planar root polished from ``start``;
    None where a ladder is singular or a pole leaves the branch."""
    target = mp_value(gamma)
    tolerance = mpmath.mpf(10) ** -(mpmath.mp.dps - 5)
    polished = newton(system, mpmath.mp, [mpmath.mpf(start[x]) for x in system.unknowns], target, tolerance,
                      split=split)
    if polished is None:
        return None
    unknowns = dict(zip(system.unknowns, polished.root))
    unknowns.update({x: mpmath.mpf(0) for x in system.vanishing})
    try:
        return compiled.parts(unknowns, target, values, spectrum, split, outputs)
    except (ZeroDivisionError, ValueError):
        return None


def _perturbed(start, digits):
    """A start off the root by relative amounts of about 10**-digits, different for each unknown: the
    second evaluation's Newton's method must find its own root."""
    size = mpmath.mpf(10) ** -digits
    return {x: v * (1 + (-1) ** i * size * (i + 1)) for i, (x, v) in enumerate(start.items())}


class _Arithmetic:
    """The arithmetic of :func:`largen.diagrams.theory.fluctuations.combine` in mpmath's numbers.

    (1 - K0)^-1 is found as D (D^-1 (1 - K0) D)^-1 D^-1 with D the self-energies at the root: the
    kernel's rows and columns are those of the self-energies, which spread over many orders of
    magnitude (as the planar solver's ladder does, :func:`largen.solver.numerics.equations.scaled_solve`).
    """

    zero = mpmath.mpf(0)

    def __init__(self, unknowns):
        self.diagonal = [x or 1 for x in unknowns]

    @staticmethod
    def scale(x, q):
        return x * mpmath.mpf(q.p) / q.q

    def inverse(self, K0):
        n, d = len(K0), self.diagonal
        matrix = mpmath.matrix([[((i == j) - K0[i][j]) * d[j] / d[i] for j in range(n)] for i in range(n)])
        inverse = mpmath.inverse(matrix)
        return [[d[i] * inverse[i, j] / d[j] for j in range(n)] for i in range(n)]


class _Compiled:
    """The jets of a model's doubled pencil, lambdified in mpmath with the spectral sums as moments.

    Three stages, each a flat list: the Jacobian and the first jets' ladder sources; the mixed
    jet's ladder source (which needs the first jets' rates); the kernel, source and observable.
    """

    def __init__(self, model):
        theory = fluctuation_theory(model)
        planar = theory.planar
        self.theory, self.n = theory, len(planar.unknowns)
        self.unknowns = planar.unknowns
        self.rates = [x for jet in (BETA, TAU, BOTH) for x in theory.rates[jet]]
        isotropic = {TEACHER_WEIGHTS[INDEX]: sympy.Integer(1)}
        stages = [
            [*theory.jacobian, *theory.rate_sources[BETA], *theory.rate_sources[TAU]],
            list(theory.rate_sources[BOTH]),
            [*[x for m in theory.kernel.values() for x in m],
             *[x for b in theory.source.values() for v in b.values() for x in v],
             *[x for c0, row in theory.observable.values() for x in (*c0.values(), *[y for v in row.values() for y in v])]],
        ]
        stages = [[as_expr(e).xreplace(isotropic) for e in stage] for stage in stages]
        slots, moments, replacements = [], {}, {}  # a slot: (pole, weighted by the teacher)
        sums = {x for stage in stages for e in stage for x in e.atoms(sympy.Sum)}
        powers = _PolePowers(planar.renormalized_ridge)
        for term in sorted(sums, key=sympy.default_sort_key):
            parts = []
            for weighted, part in enumerate(teacher_parts(summand(term)[0])):
                if part == 0:
                    continue
                for (p, b), coefficients in powers.moments(part).items():
                    if (p, bool(weighted)) not in slots:
                        slots.append((p, bool(weighted)))
                    k = slots.index((p, bool(weighted)))
                    for a in coefficients:
                        moments.setdefault((k, a, b), sympy.Symbol(f"T{k}_{a}_{b}"))
                    parts += [c * moments[k, a, b] for a, c in coefficients.items()]
            replacements[term] = sympy.Add(*parts)
        stages = [[e.xreplace(replacements) for e in stage] for stage in stages]
        poles = [p for p, _ in slots]
        self.slots, self.moment_keys = slots, tuple(moments)
        placeholders = list(moments.values())
        ridge = planar.ridge
        free = set().union(*(e.free_symbols for stage in stages for e in stage), *(p.free_symbols for p in poles))
        self.parameters = sorted(free - {*self.unknowns, *self.rates, ridge, *placeholders, EIGENVALUE}, key=str)
        arguments = [*self.unknowns, *self.rates, ridge, *self.parameters]
        namespace = {name: getattr(mpmath.mp, name) for name in dir(mpmath.mp) if not name.startswith("_")}
        printer = MpmathPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
        self.poles = sympy.lambdify(arguments, poles, modules=[namespace], printer=printer, cse=True)
        self.stages = [sympy.lambdify([*arguments, *placeholders], stage, modules=[namespace], printer=printer,
                                      cse=True) for stage in stages]

    def parts(self, unknowns, gamma, values, spectrum, split, outputs):
        """The parts of the variance (name -> mpf) at the planar root ``unknowns`` (symbol -> mpf)."""
        n, theory = self.n, self.theory
        rates = {x: mpmath.mpf(0) for x in self.rates}
        parameters = [mp_value(values[x]) for x in self.parameters]

        def arguments():
            return [*[unknowns[x] for x in self.unknowns], *[rates[x] for x in self.rates], gamma, *parameters]

        poles = [mpmath.mpf(p) for p in self.poles(*arguments())]
        moments = {}
        for k, ((_, weighted), p) in enumerate(zip(self.slots, poles)):
            if not p > 0:
                raise ValueError("a pole of the latent propagator off the physical branch")
            orders = [(a, b, 1) if weighted else (a, b) for (j, a, b) in self.moment_keys if j == k]
            found = spectrum.moments(p, orders, split)
            for (a, b, *_), value in found.items():
                moments[k, a, b] = value
        placed = [moments[key] for key in self.moment_keys]
        arithmetic = _Arithmetic([unknowns[x] for x in self.unknowns])
        first = self.stages[0](*arguments(), *placed)
        ladder = arithmetic.inverse([first[i * n:(i + 1) * n] for i in range(n)])  # (1 - J)^-1

        def solve(vector):
            return [mpmath.fsum(a * b for a, b in zip(row, vector)) for row in ladder]

        for jet, offset in ((BETA, n * n), (TAU, n * n + n)):
            rates.update(zip(theory.rates[jet], solve(first[offset:offset + n])))
        rates.update(zip(theory.rates[BOTH], solve(self.stages[1](*arguments(), *placed))))
        flat = iter(self.stages[2](*arguments(), *placed))
        kernel = {key: [[next(flat) for _ in range(n)] for _ in range(n)] for key in theory.kernel}
        source = {key: {part: [next(flat) for _ in range(n)] for part in b} for key, b in theory.source.items()}
        observable = {}
        for key, (c0, row) in theory.observable.items():
            constant = {k: next(flat) for k in c0}
            observable[key] = (constant, {part: [next(flat) for _ in range(n)] for part in row})
        found = combine(kernel, source, observable, arithmetic, outputs=outputs, orientations=theory.orientations)
        return {name: getattr(found, name) for name in PARTS}


class _PolePowers:
    """A latent summand as moments: sum_I f(lambda_I) = sum_(j, b) c_jb T_jb(p).

    The summands of the jets are products of the latent propagators' jets, whose only pole is
    at lambda = -p, p the renormalised ridge Delta: every denominator is c (lambda + p)**m. Each
    is written as a power of a plain symbol y = 1/(lambda + p), and the summand read as a
    polynomial in lambda and y, without the rational simplification of
    :func:`largen.diagrams.engine.spectral.moment_form` (which stays the way for anything else).
    """

    def __init__(self, pole):
        self.pole, self.y, self.known = pole, sympy.Dummy("y"), {}

    def _power(self, base):
        """(m, c) with base = c (lambda + p)**m, or None."""
        if base not in self.known:
            polynomial = sympy.Poly(base, EIGENVALUE)
            m, c = polynomial.degree(), polynomial.LC()
            same = sympy.expand(base - c * (EIGENVALUE + self.pole) ** m) == 0
            self.known[base] = (m, c) if same else None
        return self.known[base]

    def moments(self, f):
        """{(p, b): {j: c_jb}}."""
        replacements = {}
        for power in f.atoms(sympy.Pow):
            if power.exp.is_Integer and power.exp < 0 and power.base.has(EIGENVALUE):
                found = self._power(power.base)
                if found is None:
                    p, b, coefficients = moment_form(f)
                    return {(p, b): coefficients}
                m, c = found
                replacements[power] = c**power.exp * self.y ** (-m * int(power.exp))
        found = {}
        for (j, b), c in sympy.Poly(sympy.expand_mul(f.xreplace(replacements)), EIGENVALUE, self.y).terms():
            found.setdefault((self.pole, b), {})[j] = c
        return found


@lru_cache(maxsize=16)
def _compile(model):
    return _Compiled(model)


@dataclass(frozen=True)
class SampleScatter:
    """The sample standard deviation of independent losses, and its standard error."""

    std: float
    stderr: float
    draws: int


def sample_scatter(losses):
    """The sample standard deviation of independent draws of the loss, with its own uncertainty.

    The sample variance s**2 (with 1/(n - 1)) has the variance
    (m4 - (n - 3)/(n - 1) s**4)/n, m4 the fourth central moment; the standard
    error of s follows as that of s**2 over 2 s.

    Parameters
    ----------
    losses : sequence of float
        At least 4 independent draws.

    Returns
    -------
    SampleScatter

    Examples
    --------
    >>> found = sample_scatter(np.random.default_rng(0).normal(1.0, 0.5, 40000))
    >>> abs(found.std - 0.5) < 3 * found.stderr, round(found.stderr, 4)
    (True, 0.0018)
    """
    values = np.asarray(losses, dtype=float)
    n = len(values)
    if values.ndim != 1 or n < 4 or not np.all(np.isfinite(values)):
        raise ParameterError(f"the sample scatter needs at least 4 finite losses, got {n}")
    centred = values - values.mean()
    variance = centred @ centred / (n - 1)
    fourth = np.mean(centred**4)
    spread = max(fourth - (n - 3) / (n - 1) * variance**2, 0.0) / n
    std = math.sqrt(variance)
    return SampleScatter(std, math.sqrt(spread) / (2 * std) if std else math.inf, n)


def check_outputs(outputs):
    if isinstance(outputs, bool) or not isinstance(outputs, int) or outputs < 1:
        raise ParameterError(f"outputs must be a positive integer (the teacher's rows), got {outputs!r}"[:200])
    return outputs


