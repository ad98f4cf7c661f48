"""Scaling laws checked by the planar solver: regimes, their numerical proof, the phase diagram.

:func:`exponents` derives the regimes of a model (:func:`largen.diagrams.regimes.derive_regimes`)
and, with ``check``, proves each one numerically (:func:`check_regime`): points
deeper and deeper inside the regime (its witness point scaled in log-space),
the solver's loss there against the leading term, and the local log-slopes
(symmetric differences in log size; the planar theory takes real sizes)
against the exponents. :func:`latex_table` and :func:`phase_diagram` are the
outputs for a paper.
"""

import dataclasses
import math
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy
from sympy.printing.str import StrPrinter

from largen.diagrams.regimes.asymptotics import ALPHA, LAMBDA_PLUS, TEACHER_DELTA
from largen.diagrams.errors import LargenError, LargenWarning, ParameterError
from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.printing.latex import escape, latex
from largen.diagrams.engine.model import mrs
from largen.diagrams.regimes import derive_regimes
from largen.diagrams.regimes.crossover import Cost, budget_optimum, crossover_optimum
from largen.diagrams.regimes.optima import Budget, budget_split, optimal_ridge
from largen.diagrams.regimes.scatter_laws import scatter_laws
from largen.diagrams.engine.symbols import as_expr

from largen.solver.numerics.solution import solve

__all__ = ["crossover_optima", "Exponents", "RegimeCheck", "CheckPoint", "plain", "exponents", "check_regime", "minimise_ridge", "latex_table", "phase_diagram", "teacher_exponent",
           "piecewise_regimes", "piecewise_latex", "delta_diagram"]


def _latent(model, M):
    """oo, the model's latent symbol, or a number."""
    if M is None or M == sympy.oo or (isinstance(M, str) and M.strip() == "inf"):
        return sympy.oo
    if isinstance(M, str) and M.strip() == "symbolic":
        return model.spaces[model.latent]
    value = parse_number(M, what="M") if isinstance(M, str) else as_expr(M)
    if value == sympy.oo:
        return sympy.oo
    if not value.is_positive:
        raise ParameterError(f"the latent size M must be positive, inf or 'symbolic', got {M}")
    return value


def _exact(number):
    """A number exactly: a float by its shortest decimal (the digits a file or a user wrote), a sympy number as
    it is (sympy.nsimplify would take 1e-300 for 0)."""
    if isinstance(number, float):
        return sympy.Rational(repr(number)) if math.isfinite(number) else sympy.oo
    if isinstance(number, sympy.Float):
        return sympy.Rational(str(number))
    return as_expr(number)


def _alpha(alpha):
    if alpha is None:
        return ALPHA
    value = parse_number(alpha, what="alpha") if isinstance(alpha, str) else _exact(alpha)
    if not value.is_positive or value == sympy.oo:
        raise ParameterError(f"alpha must be a positive number, got {alpha}")
    return value


def teacher_exponent(delta):
    """The teacher exponent of ``exponents``: None, :data:`~largen.diagrams.regimes.asymptotics.TEACHER_DELTA` for
    ``"symbolic"`` (or the symbol itself), or a finite number.

    Examples
    --------
    >>> teacher_exponent("symbolic"), teacher_exponent("3/2"), teacher_exponent(None)
    (delta, 3/2, None)
    """
    if delta is None or delta == TEACHER_DELTA:
        return delta
    if isinstance(delta, str) and delta.strip() == "symbolic":
        return TEACHER_DELTA
    value = parse_number(delta, what="delta") if isinstance(delta, str) else _exact(delta)
    if not value.is_finite or not value.is_real:
        raise ParameterError(f"delta must be a finite number or 'symbolic', got {delta}")
    return value


def check_regime(regime, model=None, *, alpha, depths=(0.5, 0.75, 1.0), max_log10=12, dps=30,
                 step="1e-8", defaults=None, delta=None):
    """The solver against a regime's leading term at points deeper and deeper inside it.

    The regime's witness point (natural logs of gamma and the sizes) is scaled so
    that at depth 1 the largest size is 10**max_log10; depth t scales every log
    by t (every condition small << large holds by a factor growing like e**t).

    Parameters
    ----------
    regime : Regime
    model : Model, optional
    alpha : number
        The spectral decay (lambda_I = I**-(1 + alpha), lambda_+ = 1).
    depths : sequence of float
    dps : int
        Working digits of the solver.
    step : str
        The log step of the symmetric differences.
    defaults : dict, optional
        Values of the model's other symbols (scales); 1 by default, noise 0.
    delta : number, optional
        The teacher exponent, omega_I = I**-delta, of the regime's derivation.

    Returns
    -------
    list of dict
        Per depth: ``point`` (name -> value), ``ratio`` (solver / leading term),
        ``train_ratio`` (the same for the training loss), ``correction`` (the stated relative
        size of the first correction, evaluated there), ``slopes`` (name -> measured
        d log L / d log name) and ``exponents``.
    """
    model = model or mrs()
    alpha = _alpha(alpha)
    latent = model.spaces[model.latent]
    # a finite latent size indexes the spectrum: an integer, held fixed (no slope in it)
    free = [v for v in regime.witness if v not in regime.tied and v != latent]
    scales = set(model.activation_parameters.values())  # placed by the witness, but no size to scale to 10**12
    sizes = [v for v in free if v != model.regression.ridge and v not in scales]
    scale = max_log10 * math.log(10) / max(abs(regime.witness[v]) for v in sizes)
    defaults = dict(defaults or {})
    out = []
    with mpmath.workdps(dps + 10):
        h = mpmath.mpf(step)
        for t in depths:
            logs = {v: mpmath.mpf(regime.witness[v]) * scale * t for v in free}
            M = int(mpmath.nint(mpmath.exp(regime.witness[latent] * scale * t))) if latent in regime.witness \
                else "inf"

            def loss(shift=None):
                values = {str(v): mpmath.exp(logs[v] + (shift or {}).get(v, 0)) for v in free}
                for tied, v in regime.tied.items():
                    values[str(tied)] = values[str(v)]
                teacher = {} if delta is None else {"delta": delta}
                solution = solve(model, dps=dps, alpha=alpha, M=M, **values, **defaults, **teacher)
                if M != "inf":
                    values[str(latent)] = M
                return solution, values

            if regime.rivals:
                defaults.update(_noise_for_depth(regime, model, logs, t))
            solution, point = loss()
            values = {**point, **defaults}

            def at_point(expr):
                # by name: the model's symbols carry assumptions the printed ones do not
                subs = {s: sympy.Float(mpmath.nstr(values[s.name], dps + 5), dps + 5) if s.name in values
                        else 1 for s in expr.free_symbols if s != ALPHA}
                # alpha as a decimal of the working digits: exact, its powers of rationals grow without bound
                return mpmath.mpf(str(sympy.N(expr.xreplace(subs).subs(ALPHA, sympy.Float(alpha, dps + 5)), dps + 5)))

            slopes = {}
            for v in free:
                up, _ = loss({v: h})
                down, _ = loss({v: -h})
                slopes[str(v)] = (mpmath.log(up.loss) - mpmath.log(down.loss)) / (2 * h)
            out.append({"depth": t, "point": point, "ratio": solution.loss / at_point(regime.loss),
                        "train_ratio": solution.train_loss / at_point(regime.train_loss)
                        if solution.train_loss is not None else None,
                        "correction": at_point(regime.correction), "slopes": slopes,
                        "exponents": {str(v): regime.exponents[v].subs(ALPHA, alpha) for v in free}})
    return out


def _noise_for_depth(regime, model, logs, t, gap=10):
    """The noise scale that puts the point as deep in the part-dominance as depth t asks.

    Each rival part over the leading part is a power of the noise scale; the scale
    is chosen so that the largest rival is e**(-gap t) of the leading part.
    """
    (noise,) = model.regression.noise_variance.free_symbols
    values = {s: 1 for s in regime.loss.free_symbols | set().union(*[r.free_symbols for r in regime.rivals])}
    values.update({s: sympy.exp(sympy.Float(str(logs[s]), 30)) for s in logs if s in values})
    values.update({s: 1 for s in values if s.name in ("lambda_+",)})
    sigma = sympy.Symbol("s", positive=True)
    best = None
    for rival in regime.rivals:
        ratio = (rival / regime.loss).xreplace({noise: sigma}).xreplace({k: v for k, v in values.items() if k != noise})
        power = sympy.cancel(sympy.diff(sympy.log(ratio), sigma) * sigma)  # ratio ~ sigma**power
        at_one = ratio.xreplace({sigma: 1})
        scale = (sympy.exp(-gap * t) / at_one) ** (1 / power)
        best = scale if best is None else (max(best, scale) if power < 0 else min(best, scale))
    return {str(noise): mpmath.mpf(str(sympy.N(best, 30)))}


def minimise_ridge(model=None, *, alpha, sizes, dps=30, bracket=None, tolerance="1e-5", defaults=None):
    """gamma minimising the solver's loss at fixed sizes: golden-section search in log gamma.

    Parameters
    ----------
    sizes : dict
        Size name -> value.
    bracket : (float, float), optional
        log10 gamma range searched; (-6, 6) by default.

    Returns
    -------
    (gamma, loss) as mpf
    """
    model = model or mrs()
    defaults = dict(defaults or {})
    lo, hi = (mpmath.mpf(b) * mpmath.log(10) for b in (bracket or (-6, 6)))
    with mpmath.workdps(dps + 10):
        def loss(log_gamma):
            return solve(model, dps=dps, alpha=alpha, M="inf", gamma=mpmath.exp(log_gamma),
                         **sizes, **defaults).loss

        golden = (mpmath.sqrt(5) - 1) / 2
        a, b = lo, hi
        c, d = b - golden * (b - a), a + golden * (b - a)
        fc, fd = loss(c), loss(d)
        while b - a > mpmath.mpf(tolerance):
            if fc < fd:
                b, d, fd = d, c, fc
                c = b - golden * (b - a)
                fc = loss(c)
            else:
                a, c, fc = c, d, fd
                d = a + golden * (b - a)
                fd = loss(d)
        best = (a + b) / 2
        return mpmath.exp(best), loss(best)


PLAIN_NAMES = {LAMBDA_PLUS: sympy.Symbol("lambda_plus", positive=True)}  # names sympify reads back


class _PlainPrinter(StrPrinter):
    """sympy's text, the Gamma function spelt Gamma (the ridge is the symbol gamma)."""

    def _print_gamma(self, expr):
        return f"Gamma({self._print(expr.args[0])})"


def plain(expr):
    """An expression as text that ``sympy.sympify`` reads back (with the symbols' names as locals, as the
    tests' ``read_back`` does): lambda_+ is written lambda_plus, the Gamma function Gamma.

    Examples
    --------
    >>> plain(LAMBDA_PLUS * sympy.gamma(sympy.Rational(1, 3)) / 2)
    'lambda_plus*Gamma(1/3)/2'
    """
    return _PlainPrinter().doprint(as_expr(expr).xreplace(PLAIN_NAMES))


@dataclass(frozen=True)
class CheckPoint:
    """The solver against a regime's leading term at one depth (:func:`check_regime`)."""

    depth: float
    point: dict
    ratio: object
    train_ratio: object
    correction: object
    slopes: dict
    exponents: dict


@dataclass(frozen=True)
class RegimeCheck:
    """A regime's check at depths 0.5, 0.75, 1: ``converges`` when the solver's loss over the leading
    term goes to 1 (the deviation shrinks with depth and ends below ``TOLERANCE``)."""

    regime: object
    points: tuple

    TOLERANCE = 0.05

    @property
    def converges(self):
        deviations = [abs(p.ratio - 1) for p in self.points]
        return deviations[-1] < self.TOLERANCE and (deviations[-1] < deviations[0] or deviations[-1] < 1e-9)


@dataclass(frozen=True)
class Exponents:
    """What ``largen exponents`` states: the regimes (or, in a symbolic delta, ``pieces``), their checks,
    the optimal ridge per ridgeless regime and the best splits of budgets. Printed at the edge:
    :meth:`to_json` and :meth:`text`."""

    model: object
    alpha: object
    regimes: tuple = ()
    checks: tuple = ()
    optima: tuple = ()
    budgets: tuple = ()
    pieces: object = None
    scatter: tuple = ()  # the scatter of one run per ridgeless regime (ScatterLaw), when asked for
    crossover: object = None  # the optimum where the sizes meet (CrossoverOptimum), when asked for
    budget_optima: tuple = ()  # the best splits of budgets with their prefactors (BudgetOptimum)
    not_derived: str = None  # why the optimum where the sizes meet was asked for and not derived

    @property
    def failed(self):
        """The checks whose ratio does not go to 1."""
        return tuple(c for c in self.checks if not c.converges)

    def to_json(self):
        """A dict of JSON data: every expression as text that :func:`sympy.sympify` reads back."""
        if self.pieces is not None:
            return {"cases": [{"lower": plain(c.lower), "upper": plain(c.upper),
                               "excluded": [plain(e) for e in c.excluded],
                               "regimes": [_regime_json(r) for r in c.regimes]} for c in self.pieces.cases],
                    "marginal": [plain(m) for m in self.pieces.marginal]}
        checks = {id(c.regime): c for c in self.checks}
        regimes = []
        for regime in self.regimes:
            entry = _regime_json(regime)
            if id(regime) in checks:
                entry["check"] = [_check_json(p) for p in checks[id(regime)].points]
                entry["converges"] = checks[id(regime)].converges
            regimes.append(entry)
        ridge = [{"regime": o.regime, "gamma": plain(o.gamma), "loss": plain(o.loss), "gain": None if o.gain is None else plain(o.gain),
                  "conditions": [[plain(a), plain(b)] for a, b in o.conditions],
                  "exponents": {str(k): plain(v) for k, v in o.exponents.items()},
                  "loss_exponents": {str(k): plain(v) for k, v in o.loss_exponents.items()}} for o in self.optima]
        budget = {kind.value: [{"regime": b.regime, "split": [plain(x) for x in b.split], "exponent": plain(b.exponent)}
                               for b in self.budgets if b.budget is kind] for kind in Budget}
        scatter = [{"limiting": str(law.limiting), "relative_variance": plain(law.relative_variance),
                    "relative_std": plain(law.relative_std)} for law in self.scatter]
        optimal = {"ridge": ridge, "budget": budget}
        if self.crossover is not None:
            o = self.crossover
            optimal["crossover"] = {"unit": str(o.unit), "ratios": {str(k): plain(v) for k, v in o.ratios.items()},
                                    "modes": plain(o.modes), "gamma": plain(o.gamma), "loss": plain(o.loss),
                                    "exponent": plain(o.exponent), "exact": o.exact, "digits": o.digits}
            optimal["budget_optima"] = [{"cost": plain(b.cost.expression), "kind": b.cost.kind.value,
                                         "ratio": plain(b.ratio), "sizes": {str(k): plain(v) for k, v in b.sizes.items()},
                                         "gamma": plain(b.gamma), "loss": plain(b.loss), "exponent": plain(b.exponent),
                                         "digits": b.digits} for b in self.budget_optima]
        if self.not_derived:
            optimal["crossover_not_derived"] = self.not_derived
        return {"alpha": plain(self.alpha), "regimes": regimes, "optimal": optimal,
                **({"scatter": scatter} if self.scatter else {})}

    def text(self):
        """The regimes as lines of text, one per regime (and per check depth, per optimum)."""
        if self.pieces is not None:
            lines = []
            for case in self.pieces.cases:
                excluded = "".join(f", delta != {e}" for e in case.excluded)
                lines.append(f"  for {case.lower} < delta < {case.upper}{excluded}:")
                lines += [_regime_line(r, "    ") for r in case.regimes]
            return lines
        checks = {id(c.regime): c for c in self.checks}
        lines = []
        for regime in self.regimes:
            lines.append(_regime_line(regime, "  "))
            if id(regime) in checks:
                for p in checks[id(regime)].points:
                    slopes = {k: mpmath.nstr(v, 8) for k, v in p.slopes.items()}
                    lines.append(f"      depth {p.depth}: solver/leading = {mpmath.nstr(p.ratio, 12)}, slopes {slopes}")
                if not checks[id(regime)].converges:
                    lines.append("      the ratio does not go to 1: the check FAILED")
        lines += [f"  scatter of one run, {law} (C outputs)" for law in self.scatter]
        return lines + self.optimal_text()

    def optimal_text(self):
        """The optima and the budget splits as lines of text."""
        lines = []
        for o in self.optima:
            shown = ", ".join(f"{a} << {b}" for a, b in o.conditions)
            lines.append(f"  optimal ridge in {o.regime}: gamma* = {o.gamma}, L* = {o.loss}   when {shown}")
        for b in self.budgets:
            lines.append(f"  best split of the {b.budget.value} in {b.regime}: {b.split[0]} ~ {b.split[1]}, "
                         f"L ~ B**({b.exponent})")
        if self.crossover is not None:
            o = self.crossover
            ratios = ", ".join(f"{k} = {v}*{o.unit}" for k, v in o.ratios.items() if k != o.unit and v.is_number) \
                or "any ratio of the sizes"
            kind = "closed form" if o.exact else f"{o.digits} digits"
            lines.append(f"  optimum where the sizes meet ({ratios}; {kind}): gamma* = {o.gamma}, L* = {o.loss}")
        for b in self.budget_optima:
            sizes = ", ".join(f"{k} = {v}" for k, v in b.sizes.items())
            lines.append(f"  best split of {b.cost.expression} = B: {sizes}; gamma* = {b.gamma}, L* = {b.loss}")
        if self.not_derived:
            lines.append(f"  optimum where the sizes meet: not derived ({self.not_derived})")
        return lines


def _regime_json(regime):
    return {"name": regime.name, "family": regime.family.value, "limiting": [str(v) for v in regime.limiting],
            "dominant": regime.dominant.value if regime.dominant is not None else None,
            "conditions": [[plain(a), plain(b)] for a, b in regime.conditions],
            "loss": plain(regime.loss), "train_loss": plain(regime.train_loss),
            "exponents": {str(k): plain(v) for k, v in regime.exponents.items()},
            "correction": plain(regime.correction)}


def _check_json(p):
    return {"depth": p.depth, "ratio": mpmath.nstr(p.ratio, 12),
            "train_ratio": mpmath.nstr(p.train_ratio, 12) if p.train_ratio else None,
            "correction": mpmath.nstr(p.correction, 6),
            "slopes": {k: mpmath.nstr(v, 8) for k, v in p.slopes.items()},
            "point": {k: mpmath.nstr(v, 6) for k, v in p.point.items()}}


def _regime_line(regime, indent):
    shown = ", ".join(f"{a} << {b}" for a, b in regime.conditions)
    exps = ", ".join(f"{k}: {v}" for k, v in regime.exponents.items())
    return f"{indent}{regime.name}: L = {regime.loss}   [{exps}]   when {shown}"


def exponents(model=None, *, alpha=None, M="inf", noise=None, check=False, dps=30, delta=None, variance=False,
              optimal=False, costs=()):
    """Every regime of a model, its optimal ridge and budget splits: what ``largen exponents`` states.

    Parameters
    ----------
    model : Model, optional
        MRS by default.
    alpha : str or number, optional
        The decay; None keeps it a symbol.
    M : "inf", "symbolic" or a size
        The latent size: a size gives the regimes of a symbolic one at that size
        (only M = inf is checked numerically).
    noise : None, True or number
        The label-noise variance: none, symbolic, or a value.
    check : bool
        Prove each regime with the solver (needs a numeric alpha and M = inf), at the
        regime's own label noise.
    delta : str, number or Symbol, optional
        The teacher exponent, omega_I = I**-delta (a number): the regimes of the
        model with that teacher covariance. None: the isotropic teacher.
        ``"symbolic"`` or :data:`~largen.diagrams.regimes.asymptotics.TEACHER_DELTA`: the regimes
        piecewise in delta (M = inf, no check).
    variance : bool
        Add the scatter of one run about the mean in each ridgeless regime
        (:func:`largen.diagrams.regimes.scatter_laws.scatter_laws`; tens of seconds).
    optimal : bool
        Add the optimum where the sizes meet and the best splits of budgets with their prefactors
        (:mod:`largen.diagrams.regimes.crossover`; seconds): N P = B and N + P = B, and each of ``costs``.
    costs : sequence of Cost
        Further budgets, e.g. ``Cost.linear({N: 1, P: 4})``.

    Returns
    -------
    Exponents

    Examples
    --------
    >>> out = exponents(alpha=1)
    >>> [r.name for r in out.regimes][:2]
    ['ridge', 'over-regularised']
    >>> out.to_json()["regimes"][0]["exponents"]
    {'gamma': '1/2', 'N': '-1/2', 'P': '-1/2'}
    """
    model = model or mrs()
    alpha_value = _alpha(alpha)
    if alpha_value.is_number and sympy.Float(1 + alpha_value, dps) - 1 == 0:
        raise ParameterError(f"alpha = {sympy.Float(alpha_value, 3)} is below the working precision (1 + alpha = 1 "
                             f"at {dps} digits): the prefactors and the check cannot tell it from 0")
    latent = _latent(model, M)
    if isinstance(noise, str):
        noise = True if noise.strip() == "symbolic" else parse_number(noise, what="noise variance")
    if noise is not None and noise is not True and not (noise >= 0 and noise != sympy.oo):
        raise ParameterError(f"the noise variance must be finite and non-negative, got {noise}")
    symbol = model.spaces[model.latent]
    if check and (alpha_value.free_symbols or latent != sympy.oo):
        raise ParameterError("the numerical check needs a numeric alpha and M = inf")
    delta = teacher_exponent(delta)
    if delta == TEACHER_DELTA:
        if check:
            raise ParameterError("the numerical check needs a numeric delta")
        pieces = piecewise_regimes(model, alpha=alpha_value, M=latent, noise=noise)
        return Exponents(model, alpha_value, pieces=pieces)
    regimes = tuple(regimes_at(model, alpha=alpha_value, latent=latent, noise=noise, delta=delta))
    checks = ()
    if check:
        label_noise = _label_noise(model, noise)
        checks = tuple(RegimeCheck(regime, tuple(CheckPoint(**c) for c in check_regime(
            regime, model, alpha=alpha_value, dps=dps, defaults={**_unset_scales(model, regime), **label_noise},
            delta=delta))) for regime in regimes)
    optima = optimal_ridge(model, alpha=_derived_alpha(alpha_value), latent=sympy.oo if latent == sympy.oo else symbol,
                           noise=noise, delta=delta)
    optima = tuple(_optimum_at(o, model, alpha_value, latent) for o in optima)
    budgets = tuple(b for kind in Budget for b in budget_split(optima, kind))
    scatter = scatter_laws(model, alpha_value) if variance else ()
    crossover, budget_optima, not_derived = crossover_optima(model, alpha_value, latent, noise, delta, costs) \
        if optimal else (None, (), None)
    return Exponents(model, alpha_value, regimes, checks, optima, budgets, scatter=scatter, crossover=crossover,
                     budget_optima=budget_optima, not_derived=not_derived)


def crossover_optima(model, alpha, latent=sympy.oo, noise=None, delta=None, costs=()):
    """The optimum where the sizes meet (:func:`~largen.diagrams.regimes.crossover.crossover_optimum`) and the
    best splits of N P = B, N + P = B and ``costs`` with their prefactors, or why they are not derived.

    Returns
    -------
    (CrossoverOptimum or None, tuple of BudgetOptimum, str or None)
        The last is the reason where the first is None.
    """
    reasons = [(alpha.free_symbols, "a numeric alpha is needed"), (latent != sympy.oo, "derived at M = inf"),
               (noise is not None, "with label noise the optimum is the balanced one above"),
               (delta not in (None, 0), "derived for the isotropic teacher")]
    reason = next((text for bad, text in reasons if bad), None)
    if reason:
        return None, (), reason
    try:
        law = crossover_optimum(model, alpha=alpha)
    except LargenError:  # no closed form in free ratios: the sizes equal, as a number
        unit, *others = sorted((v for v in model.sizes.values() if v != model.spaces[model.latent]), key=str)
        law = crossover_optimum(model, alpha=alpha, ratios={v: 1 for v in others})
    except ParameterError as error:
        return None, (), str(error)
    if len(law.ratios) != 2:
        return law, (), None
    sizes = list(law.ratios)
    defaults = (Cost.product({v: 1 for v in sizes}), Cost.linear({v: 1 for v in sizes}))
    return law, tuple(budget_optimum(model, alpha=alpha, cost=c, digits=15) for c in defaults + tuple(costs)), None


def _label_noise(model, noise):
    """The solver's value of the noise symbol at a numeric noise variance (the derivation's own)."""
    if noise is None or noise is True:
        return {}
    (symbol,) = model.regression.noise_variance.free_symbols
    (value,) = [v for v in sympy.solve(sympy.Eq(model.regression.noise_variance, noise), symbol) if v.is_nonnegative]
    return {str(symbol): mpmath.mpf(str(sympy.N(value, 40)))}


def piecewise_regimes(model=None, *, alpha=None, M="inf", noise=None):
    """The regimes piecewise in the symbolic teacher exponent (:func:`largen.diagrams.regimes.derive_regimes`).

    Parameters
    ----------
    model : Model, optional
    alpha : str or number, optional
        As for :func:`exponents` (None: symbolic).
    M : str or number
        The latent size: only inf is derived.
    noise : None, True or number

    Raises
    ------
    ParameterError
        A bad alpha, or a latent size other than inf.

    Warns
    -----
    LargenWarning
        The cost, before the work: every range of delta is derived again where two exponents meet.
    """
    model = model or mrs()
    if _latent(model, M) != sympy.oo:
        raise ParameterError("the regimes in a symbolic delta are derived at M = inf")
    alpha = _alpha(alpha)
    cost = "several minutes of CPU" if alpha.free_symbols else "about a minute of CPU (measured: 53 s at alpha = 1)"
    warnings.warn(LargenWarning(f"the regimes piecewise in delta take {cost}: each range of delta is derived anew "
                                "where two exponents meet"), stacklevel=2)
    return derive_regimes(model, alpha=alpha, noise=noise, delta=TEACHER_DELTA)


def piecewise_latex(pieces):
    """LaTeX tables of the regimes, one per range of delta (:func:`latex_table`), the marginal values named.

    Examples
    --------
    >>> from largen.diagrams.regimes.delta_ranges import DeltaCase, PiecewiseRegimes
    >>> print(piecewise_latex(PiecewiseRegimes((DeltaCase(-1, 1, ()), DeltaCase(1, sympy.oo, (), (3,))), (1, 3))))
    marginal (a logarithm, not derived): $\\delta = 1$, $\\delta = 3$
    <BLANKLINE>
    $-1 < \\delta < 1$:
    \\begin{tabular}{llll}
    regime & conditions & $L$ & exponents \\\\ \\hline
    \\end{tabular}
    <BLANKLINE>
    $1 < \\delta < \\infty$, $\\delta \\neq 3$:
    \\begin{tabular}{llll}
    regime & conditions & $L$ & exponents \\\\ \\hline
    \\end{tabular}
    """
    delta = latex(TEACHER_DELTA)
    blocks = [escape("marginal (a logarithm, not derived): ")
              + (", ".join(f"${delta} = {latex(m)}$" for m in pieces.marginal) or "none")]
    for case in pieces.cases:
        excluded = "".join(rf", ${delta} \neq {latex(e)}$" for e in case.excluded)
        blocks.append(rf"${latex(case.lower)} < {delta} < {latex(case.upper)}${excluded}:" + "\n"
                      + latex_table(case.regimes))
    return "\n\n".join(blocks)


def delta_diagram(pieces, path, *, alpha, span=2):
    """The phase diagram in delta at fixed alpha: the exponent of the loss in gamma and each size against delta,
    one line per regime and range of delta, the marginal values dashed; saved to ``path``.

    Parameters
    ----------
    pieces : PiecewiseRegimes
        From :func:`piecewise_regimes` at a numeric alpha.
    alpha : number
        That alpha (for the title).
    span : number
        How far past the last marginal value (or the lower end) the unbounded range is drawn.

    Returns
    -------
    dict
        Symbol name -> list of (regime name, lower, upper, exponent at lower, exponent at upper): the
        segments drawn.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    last = max([pieces.cases[-1].lower, *pieces.marginal])
    names = sorted({str(k) for c in pieces.cases for r in c.regimes for k in r.exponents})
    segments = {name: [] for name in names}
    for case in pieces.cases:
        upper = last + span if case.upper == sympy.oo else case.upper
        for regime in case.regimes:
            for symbol, exponent in regime.exponents.items():
                ends = [float(exponent.xreplace({TEACHER_DELTA: d})) for d in (case.lower, upper)]
                segments[str(symbol)].append((regime.name, float(case.lower), float(upper), *ends))
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.5), squeeze=False)
    colours = {}
    for ax, name in zip(axes[0], names):
        for regime, lo, hi, a, b in segments[name]:
            colour = colours.setdefault(regime, f"C{len(colours)}")
            ax.plot([lo, hi], [a, b], color=colour, label=regime)
        for m in pieces.marginal:
            ax.axvline(float(m), color="grey", linestyle="--", linewidth=0.6)
        ax.set_xlabel(r"$\delta$")
        ax.set_ylabel(rf"exponent of $L$ in ${latex(sympy.Symbol(name))}$")
    handles = {label: h for ax in axes[0] for h, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(handles.values(), handles.keys(), fontsize=6, loc="lower center", ncol=3)
    fig.suptitle(rf"regimes in $\delta$ at $\alpha = {alpha}$ (dashed: marginal, a logarithm)")
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return segments


def _unset_scales(model, regime):
    """The coefficients an activation would set, at 1 where the regime's witness does not place them."""
    return {name: 1 for name, symbol in model.activation_parameters.items() if symbol not in regime.witness}


SHORT_DENOMINATOR = 4  # a numeric alpha p/q with q above this is put in after a symbolic derivation


def regimes_at(model=None, *, alpha=ALPHA, latent=sympy.oo, noise=None, delta=None):
    """The regimes of :func:`largen.diagrams.regimes.derive_regimes` at a numeric alpha and latent size.

    sympy's work on the Gamma functions and powers of the derivation grows with
    the digits of alpha (alpha = 0.98 takes minutes where alpha = 1 takes
    seconds): an alpha with a long decimal expansion is put, exactly, into the
    regimes derived with a symbolic one (no float enters: an alpha read from a
    file's decimals stays that rational). A numeric latent size is put in exactly.

    Examples
    --------
    >>> regimes = regimes_at(alpha=sympy.Rational(49, 50))
    >>> regimes[0].name, regimes[0].exponents[sympy.Symbol("gamma", positive=True)]
    ('ridge', 49/99)
    """
    model = model or mrs()
    symbol = model.spaces[model.latent]
    regimes = derive_regimes(model, alpha=_derived_alpha(alpha), latent=sympy.oo if latent == sympy.oo else symbol,
                             noise=noise, delta=delta)
    if latent not in (sympy.oo, symbol):
        regimes = [_at(r, {symbol: latent}) for r in regimes]
    if _derived_alpha(alpha) is not alpha:
        regimes = [_exact_powers(r, alpha) for r in regimes]
    return regimes


def _powers(e, alpha):
    """The powers of the symbols of ``e`` at an exact alpha."""
    return e.replace(lambda p: p.is_Pow and p.base.is_Symbol and p.exp.has(ALPHA),
                     lambda p: p.base ** sympy.factor(p.exp.xreplace({ALPHA: alpha})))


def _exact_powers(regime, alpha):
    """A regime derived in a symbolic alpha with a long alpha put, exactly, into its exponents and the powers of
    its symbols; the constant prefactors keep the symbol (their powers of rationals would be expanded to
    thousands of digits), stated at the value of alpha beside them."""
    def powers(e):
        return _powers(e, alpha)
    return dataclasses.replace(regime, conditions=tuple((powers(a), powers(b)) for a, b in regime.conditions),
                               loss=powers(regime.loss), train_loss=powers(regime.train_loss),
                               exponents=_at_value(regime.exponents, {ALPHA: alpha}),
                               correction=powers(regime.correction))


def _derived_alpha(alpha):
    """The alpha the derivation runs with: alpha itself if symbolic or a short fraction, else a symbol."""
    return ALPHA if alpha.is_Rational and alpha.q > SHORT_DENOMINATOR else alpha


def _optimum_at(optimum, model, alpha, latent):
    """An optimal ridge of the derivation with the values of :func:`regimes_at` put in."""
    symbol = model.spaces[model.latent]
    at = {} if latent in (sympy.oo, symbol) else {symbol: latent}
    long_alpha = _derived_alpha(alpha) is not alpha
    found = {f.name: _at_value(getattr(optimum, f.name), at) for f in dataclasses.fields(optimum)}
    if long_alpha:
        found.update({k: _at_value(found[k], {ALPHA: alpha}) for k in ("exponents", "loss_exponents")})
        found.update({k: _powers(found[k], alpha) for k in ("gamma", "loss", "gain") if found[k] is not None})
        found["conditions"] = tuple((_powers(a, alpha), _powers(b, alpha)) for a, b in found["conditions"])
    return dataclasses.replace(optimum, **found)


def _at_value(value, at):
    if isinstance(value, dict):
        return {k: _at_value(v, at) for k, v in value.items() if k not in at}
    if isinstance(value, tuple):
        return tuple(_at_value(v, at) for v in value)
    return value.xreplace(at) if isinstance(value, sympy.Basic) and at else value


def _at(regime, at):
    """A regime with symbols given values (a numeric latent size)."""
    return dataclasses.replace(regime, conditions=_at_value(regime.conditions, at), loss=_at_value(regime.loss, at),
                               train_loss=_at_value(regime.train_loss, at),
                               exponents=_at_value(regime.exponents, at), correction=_at_value(regime.correction, at))


def latex_table(regimes):
    """A LaTeX table of regimes: name, conditions, leading test loss, exponents.

    Examples
    --------
    >>> print(latex_table(derive_regimes(alpha=1)[:1]).splitlines()[0])
    \\begin{tabular}{llll}
    """
    rows = [r"\begin{tabular}{llll}", r"regime & conditions & $L$ & exponents \\ \hline"]
    for r in regimes:
        conditions = r", ".join(rf"${latex(a)} \ll {latex(b)}$" for a, b in r.conditions)
        exps = ", ".join(rf"${latex(k)}: {latex(v)}$" for k, v in r.exponents.items())
        rows.append(rf"{escape(r.name)} & {conditions} & ${latex(r.loss)}$ & {exps} \\")
    rows.append(r"\end{tabular}")
    return "\n".join(rows)


def phase_diagram(regimes, path, *, product=1e12, samples=None, alpha=1, model=None, grid=200, widths=None,
                  spectrum=None, delta=None):
    """The regimes in the plane (log10(N/P), log10 gamma) at fixed N P, saved to ``path``.

    N is the model's last feature width (N of MRS, N2 of two feature layers), P its
    samples and gamma its ridge, by the model's names. With ``samples`` (a value of
    P) the horizontal axis is log10 N at that fixed P instead. The other feature
    widths are held at ``widths`` (default: sqrt(N P), or the fixed P). The
    spectrum is the power law of ``alpha`` at M = inf, or ``spectrum``, a
    :class:`largen.solver.numerics.spectrum.Spectrum` that is one power law (its alpha is then ``alpha``).

    Each of the ``grid`` x ``grid`` points is coloured by the local slope
    d log L / d log gamma of the float64 path (:func:`largen.solver.numerics.grid.loss_surface`,
    symmetric differences; a point it cannot vouch for is left blank); the boundaries
    small = large of the regimes' conditions are drawn dashed, and each regime is labelled
    with its exponents at the centre of its region.

    Returns
    -------
    str
        The path written (PDF or PNG by its suffix).

    Raises
    ------
    ParameterError
        If the last feature width is a fixed number (there is no size to vary).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from largen.solver.numerics.grid import loss_surface  # the surface reads the conditions with _log_margin

    model = model or mrs()
    surface = loss_surface(model, regimes=regimes, alpha=alpha, spectrum=spectrum, delta=delta, product=product,
                           samples=samples, widths=widths, grid=grid)
    size, data, ridge = model.spaces[model.feature_spaces[-1]], model.spaces[model.samples], model.regression.ridge
    X, Y = np.meshgrid(surface.x, surface.y)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    shown = np.ma.masked_where(~surface.vouched | ~np.isfinite(surface.slope), surface.slope)
    mesh = ax.pcolormesh(surface.x, surface.y, shown, shading="auto", cmap="viridis")
    fig.colorbar(mesh, label=rf"$d\log L/d\log {latex(ridge)}$ (solver, float64)")
    for region in surface.regions:
        for m in region.margins:
            if np.nanmin(m) < 0 < np.nanmax(m):
                ax.contour(X, Y, m, levels=[0], colors="w", linewidths=0.6, linestyles="--")
        if region.inside.any():  # the label at the centre of the region, with the regime's exponents
            exps = ", ".join(f"{latex(k)}^{{{latex(v)}}}" for k, v in region.regime.exponents.items() if v != 0)
            ax.text(X[region.inside].mean(), Y[region.inside].mean(), f"{region.regime.name}\n${exps or '1'}$",
                    fontsize=6, ha="center", va="center", color="w",
                    bbox={"facecolor": "k", "alpha": 0.35, "pad": 1, "linewidth": 0})
    N, P = latex(size), latex(data)
    ax.set_xlabel(rf"$\log_{{10}}({N}/{P})$" if samples is None else rf"$\log_{{10}} {N}$")
    ax.set_ylabel(rf"$\log_{{10}} {latex(ridge)}$")
    fixed = rf"{N} {P} = 10^{{{math.log10(product):g}}}" if samples is None else rf"{P} = 10^{{{math.log10(samples):g}}}"
    others = {k: v for k, v in surface.fixed.items() if k not in ("product", "samples")}
    if others:
        fixed += ", " + ", ".join(rf"{latex(sympy.Symbol(name))} = 10^{{{math.log10(held):.3g}}}"
                                  for name, held in others.items())
    ax.set_title(rf"regimes at ${fixed}$, $\alpha = {alpha}$")
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _log_margin(small, large, point, alpha, ridge):
    """log10(large/small) on arrays of the sizes and the ridge (other scales 1); None where not a
    comparison of positive monomials in them. ``point`` maps names to arrays, ``ridge`` is the ridge's name."""
    symbols = sorted(small.free_symbols | large.free_symbols, key=str)
    values = [point.get(x.name, alpha if x.name == "alpha" else 1.0) for x in symbols]
    try:
        margin = sympy.log(large / small, 10)
        # constants such as zeta(-3/2) as numbers: numpy has no zeta
        margin = margin.xreplace({f: f.evalf(20) for f in margin.atoms(sympy.Function) if f.is_number})
        ratio = sympy.lambdify(symbols, margin, "numpy")(*values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    ratio = np.broadcast_to(np.real_if_close(np.asarray(ratio, dtype=complex)), point[ridge].shape)
    return ratio.astype(float) if np.isrealobj(ratio) else None
