"""Certified digits: every output evaluated twice, independently, and kept only where both agree.

The outputs at a root are the losses, found from the generating function E by
the ladder equations, and the renormalised ridge. An error can hide in the
root (Newton's tolerance, the conditioning near the interpolation
threshold), in the spectral moments (the Euler-Maclaurin tails), in the
rounding of the working precision, and in a cancellation between large
terms. The second evaluation changes all of them: more guard digits,
another split of the tails (``split`` of :meth:`largen.solver.numerics.spectrum.Spectrum.moments`),
and its own root: Newton's method at the higher precision, from a start
perturbed off the first root, must find the start within the tolerance of the
root of the second system, or move it there. Each output is certified on its own: one whose two values
disagree to ``dps`` digits, after the guard digits were raised by what the
disagreement showed, is reported uncertified with the reason, and never
withholds another.

Each evaluation costs one evaluation of the exact moments where it can: the
first polishes the float64 root by one Newton step and moves the outputs of
that step's evaluation to its end in float64 (:func:`_moved`, within a bound it
checks); the second finds its perturbed start within the tolerance of its root
and takes the outputs there.

A quantity that vanishes in a regime must not be a difference of large terms
there. The training loss is derived as a derivative of E in a source of its own
(:attr:`largen.diagrams.theory.dyson.PlanarTheory.train_loss`), not as (E - gamma dE/dgamma)/P,
whose two terms are O(gamma) when N >> P interpolates while their difference is
O(gamma**2). Whatever cancellation a sum still shows is measured, term against
sum, and paid for with guard digits before the comparison.
"""

import math
import operator
from dataclasses import dataclass

import mpmath

from largen.diagrams.errors import ParameterError, SolverError

from largen.solver.numerics.continuation import newton, polished_root
from largen.solver.numerics.equations import _eliminate, mp_value, scaled_solve

__all__ = ["Outputs", "outputs", "certify", "condition", "correction", "certify_correction", "check_dps", "MAX_DPS"]

MAX_DPS = 5000  # digits: beyond, a solve would take hours

OUTPUTS = ("loss", "train_loss", "Delta")
SECOND_SPLIT = 1.5  # the second evaluation's factor on the length of the power laws' heads
ATTEMPTS = 4  # evaluations with guard digits raised by what the last one showed
MAX_GUARD = 2000  # guard digits paid for a measured cancellation, at most
MOVE = 1e-5  # the float64 outputs either side of the polish's start, in log(-s) (see _moved)
FLOAT_NOISE = 1e-14  # the relative noise of a float64 output whose sums do not cancel
FLOAT_MOMENTS = 1e-11  # the relative error of the float64 moments (about twelve digits), against the exact ones


@dataclass(frozen=True)
class Outputs:
    """The outputs at one root: ``values`` (name -> number) and ``cancelled`` (name -> the decimal
    digits the last sum of each cancelled: log10 of its largest term over its value)."""

    values: dict
    cancelled: dict
    root: list


def outputs(system, ctx, s, gamma, samples, *, split=1, shift=None):
    """The losses and the renormalised ridge at the root ``s``, in ``ctx``.

    The rates of the unknowns in the sources of the two losses solve the ladder
    equations (1 - J) r = d rhs; the test loss is dE/dbeta and the training loss
    -(1/P) dE/dbeta_train (a derivative, so it keeps its digits where it vanishes).

    Returns
    -------
    Outputs or None
        None where the ladder equations are singular or cannot be evaluated.
    """
    q = system.evaluate(ctx, s, gamma, split=split, shift=shift)
    return None if q is None else _outputs_at(q, ctx, s, samples)


def _outputs_at(q, ctx, s, samples):
    """The outputs from the evaluation ``q`` of the equations at the root ``s``."""
    rates = {}
    for source in ("d_beta", "d_train"):
        scaled = scaled_solve(q, s, getattr(q, source))
        if scaled is None:
            return None
        rates[source] = [y * (a or 1) for y, a in zip(scaled, s)]
    loss = [q.E_beta] + [a * b for a, b in zip(q.E_s, rates["d_beta"])]
    train = [-q.E_train] + [-a * b for a, b in zip(q.E_s, rates["d_train"])]
    sums = {"loss": (loss, ctx.fsum(loss)), "train_loss": (train, ctx.fsum(train) / samples)}
    values = {name: total for name, (_, total) in sums.items()}
    values["Delta"] = q.Delta
    cancelled = {name: _cancelled(ctx, terms, total * (samples if name == "train_loss" else 1))
                 for name, (terms, total) in sums.items()}
    cancelled["Delta"] = 0
    return Outputs(values, cancelled, s)


def _cancelled(ctx, terms, total):
    largest = max((abs(t) for t in terms), default=0)
    if not largest:
        return 0
    if not total:
        return ctx.inf
    ratio = largest / abs(total)
    if ratio <= 1:
        return 0
    if ratio < 1e300:  # in float64: a logarithm at the working precision was a tenth of the outputs' cost
        return max(0, math.ceil(math.log10(float(ratio))))
    return max(0, int(ctx.ceil(ctx.log10(ratio))))


def _agree(a, b, dps):
    """a and b agree to dps significant digits and one more (b the more precise)."""
    if a is None or b is None:
        return False
    return abs(a - b) <= mpmath.mpf(10) ** -(dps + 1) * abs(b)


def _digits_apart(a, b):
    """How many digits a and b agree to: 0 when they differ at the first."""
    if a == b:
        return mpmath.inf
    return max(0, int(mpmath.floor(-mpmath.log10(abs(a - b) / max(abs(a), abs(b))))))


def certify(system, gamma, samples, dps):
    """The outputs at ridge ``gamma``, each certified to ``dps`` digits or reported with the reason.

    Parameters
    ----------
    system : Equations
    gamma : sympy number
        The ridge, exact.
    samples : sympy number
        The number of samples P (the training loss is -dE/dbeta_train over P).
    dps : int
        Digits to certify.

    Returns
    -------
    (values, reasons, root, dps_used)
        ``values``: name -> mpf, or None if uncertified; ``reasons``: name -> why;
        ``root``: the second evaluation's root; ``dps_used``: its working precision.

    Raises
    ------
    SolverError
        No root on the physical branch.

    Examples
    --------
    >>> import sympy
    >>> from largen.solver.numerics.equations import equations
    >>> from largen.solver.numerics.point import bind
    >>> point = bind(N=50, P=80, M=100, gamma="0.001")
    >>> system = equations(point.model, point.scaled_values, point.spectrum)
    >>> values, reasons, root, working = certify(system, sympy.Rational(1, 1000), sympy.Integer(80), 20)
    >>> mpmath.nstr(values["loss"], 20), reasons
    ('0.00028802870608079499321', {})
    """
    with mpmath.workdps(20):
        magnitude = mpmath.log10(mp_value(gamma))
    # near the interpolation threshold N - sum_I lambda_I/(lambda_I + p) ~ sqrt(gamma): the digits
    # lost there grow like -log10(gamma)/2
    threshold = max(0, int(-mpmath.floor(magnitude / 2)))
    # a quantity vanishing like gamma**2 against terms like gamma cancels about 2 threshold digits; a
    # cancellation measured beyond that (sizes far apart, say) is paid for too, up to MAX_GUARD
    max_guard = 2 * dps + 4 * threshold + 100
    extra, start, found, reasons = 0, None, {}, {}
    for attempt in range(ATTEMPTS):
        guard = min(10 + threshold + extra, max_guard)
        with mpmath.workdps(dps + guard):
            first = _evaluate(system, gamma, samples, dps + 5 + extra, start=start)
            if first is None and start is not None:  # the last root does not polish: follow the branch again
                first = _evaluate(system, gamma, samples, dps + 5 + extra)
        if first is None:
            raise SolverError(f"the ladder equations are singular at the ridge {_short(gamma)}")
        lost = max(first.cancelled.values())
        max_guard = max(max_guard, min(lost + 2 * dps + 20, MAX_GUARD))
        lost = min(lost, max_guard)
        if lost > extra + 2 and guard < max_guard and attempt < ATTEMPTS - 1:
            extra, start = lost + 5, first.root  # pay for the cancellation first
            continue
        with mpmath.workdps(dps + guard + 15):
            second = _evaluate(system, gamma, samples, dps + 5 + extra, start=_perturbed(first.root, dps + 5 + extra),
                               split=SECOND_SPLIT)
        found, reasons, deficit = {}, {}, 0
        for name in OUTPUTS:
            a = first.values[name]
            b = None if second is None else second.values[name]
            if _agree(a, b, dps):
                found[name] = b
                continue
            found[name] = None
            if b is None:
                reasons[name] = "the second, independent evaluation failed"
            else:
                apart = _digits_apart(a, b)
                reasons[name] = (f"not stable to {dps} digits: {mpmath.nstr(a, dps)} against {mpmath.nstr(b, dps)} "
                                 f"with {guard + 15} guard digits, another tail split and its own root")
                deficit = max(deficit, dps + 1 - apart)
        if not reasons or guard >= max_guard or attempt == ATTEMPTS - 1:
            break
        extra, start = min(max(extra, lost) + deficit + 10, max_guard), first.root
    return found, reasons, second.root if second else first.root, dps + guard + 15


def correction(system, extended, ctx, s, gamma, samples, *, split=1):
    """The first finite-size corrections of the losses at the planar root ``s``, in ``ctx``.

    ``extended`` is the compiled system of order 1 (:func:`largen.solver.numerics.equations.equations`):
    the planar unknowns, the rates of the self-energies under the shifts of the
    twisted contractions and their corrections. Beyond the planar ones its
    equations are linear in their unknowns, y = A y + b: one elimination finds
    them at the root, and the ladder of the whole system then gives the
    corrections of the losses, as :func:`outputs` gives the losses.

    Returns
    -------
    Outputs or None
        ``values["loss"]`` and ``values["train_loss"]`` are the corrections;
        None where a linear system is singular or cannot be evaluated.
    """
    planar = dict(zip(system.unknowns, s))
    y = [planar.get(x, 0) for x in extended.unknowns]
    q = extended.evaluate(ctx, y, gamma, split=split)
    if q is None:
        return None
    free = [i for i, x in enumerate(extended.unknowns) if x not in planar]
    found = _eliminate([[(i == j) - q.jacobian[i][j] for j in free] for i in free], [q.rhs[i] for i in free])
    if found is None:
        return None
    for i, value in zip(free, found):
        y[i] = value
    return outputs(extended, ctx, y, gamma, samples, split=split)


def certify_correction(system, extended, gamma, samples, dps, start):
    """The corrections of the losses, each certified to ``dps`` digits or reported with the reason.

    As :func:`certify`: two evaluations, the second with 15 more guard digits,
    another split of the spectral tails and its own planar root (Newton's method
    from a perturbed ``start``), and guard digits raised by the cancellation
    the first one measured.

    Returns
    -------
    (values, reasons)
        name -> mpf or None (``"loss"``, ``"train_loss"``), and name -> why.

    Examples
    --------
    >>> import sympy
    >>> from largen.solver.numerics.equations import equations
    >>> from largen.solver.numerics.point import bind
    >>> point = bind(N=50, P=80, M=100, gamma="0.001")
    >>> system = equations(point.model, point.scaled_values, point.spectrum)
    >>> extended = equations(point.model, point.scaled_values, point.spectrum, order=1)
    >>> gamma, P = sympy.Rational(1, 1000), sympy.Integer(80)
    >>> _, _, root, _ = certify(system, gamma, P, 20)
    >>> values, reasons = certify_correction(system, extended, gamma, P, 10, root)
    >>> mpmath.nstr(values["loss"], 10), reasons
    ('5.545448718e-6', {})
    """
    with mpmath.workdps(20):
        magnitude = mpmath.log10(mp_value(gamma))
    threshold = max(0, int(-mpmath.floor(magnitude / 2)))
    names = ("loss", "train_loss")
    extra, found, reasons = 0, {}, {}
    for attempt in range(ATTEMPTS):
        guard = min(10 + threshold + extra, MAX_GUARD)
        with mpmath.workdps(dps + guard):
            first = _corrected(system, extended, gamma, samples, dps + 5 + extra, start)
        if first is None:
            return dict.fromkeys(names), dict.fromkeys(names, "the equations of the correction are singular here")
        lost = min(max(first.cancelled[name] for name in names), MAX_GUARD)
        if lost > extra + 2 and attempt < ATTEMPTS - 1:
            extra = lost + 5
            continue
        with mpmath.workdps(dps + guard + 15):
            second = _corrected(system, extended, gamma, samples, dps + 5 + extra, _perturbed(start, dps // 2 + 3),
                                split=SECOND_SPLIT)
        found, reasons, deficit = {}, {}, 0
        for name in names:
            a, b = first.values[name], None if second is None else second.values[name]
            if _agree(a, b, dps) or (a == 0 and b == 0):
                found[name] = b
                continue
            found[name] = None
            if b is None:
                reasons[name] = "the second, independent evaluation of the correction failed"
            else:
                reasons[name] = (f"correction not stable to {dps} digits: {mpmath.nstr(a, dps)} against "
                                 f"{mpmath.nstr(b, dps)} with {guard + 15} guard digits, another tail split "
                                 "and its own root")
                deficit = max(deficit, dps + 1 - _digits_apart(a, b))
        if not reasons or attempt == ATTEMPTS - 1:
            break
        extra = min(max(extra, lost) + deficit + 10, MAX_GUARD)
    return found, reasons


def _corrected(system, extended, gamma, samples, digits, start, *, split=1):
    """The corrections at the working precision, at the planar root polished from ``start``."""
    target = mp_value(gamma)
    found = newton(system, mpmath.mp, [mpmath.mpf(x) for x in start], target, mpmath.mpf(10) ** -digits,
                   split=split)
    if found is None:
        return None
    return correction(system, extended, mpmath.mp, found.root, target, mp_value(samples), split=split)


def _evaluate(system, gamma, samples, digits, *, start=None, split=1):
    """The outputs at the working precision, the root converged to about ``digits`` digits;
    from ``start`` by Newton's method if given, else by continuation."""
    target = mp_value(gamma)
    tolerance = mpmath.mpf(10) ** -digits
    if start is None:
        found = polished_root(system, target, tolerance)
        moved = _moved(system, found, target, mp_value(samples), digits)
        if moved is not None:
            return moved
        s = found.root
    else:
        found = newton(system, mpmath.mp, [mpmath.mpf(x) for x in start], target, tolerance, split=split)
        if found is None:
            return None
        if found.size <= tolerance:  # the start was a root already: its evaluation gives the outputs
            return _outputs_at(found.evaluation, mpmath.mp, found.at, mp_value(samples))
        s = found.root
    return outputs(system, mpmath.mp, s, target, mp_value(samples), split=split)


def _moved(system, found, gamma, samples, digits):
    """The outputs at the root ``found.root``, from the evaluation at ``found.at`` where Newton's last
    step started, moved along that step by float64 differences; None unless the move's estimated
    error is below 10**-(digits - 2) of each output.

    The polish from the float64 start is one step of relative size t ~ 1e-12 (the float64 root's
    own error), and the outputs at its end would cost an evaluation of the exact moments more (the
    pole moved; measured: 0.7 to 1 ms at M = 1e3..1e6, a sixth of a certified solve at dps 15).
    Along the step, s(h) = at exp(-h u) (u the step over t), an output is
    L(t) = L(0) + t L1 + t**2 L2/2 + ... (Lk its k-th derivative at 0): the float64 outputs at
    h = +-H give L1 by a central difference and L2 with L(0), to far more digits than t times them
    needs. The error is t (noise/H + H**2 |L3|/6 + 1e-10 |L1|) + t**2 e |L|/H**2 + t**3 |L3|/6, with
    the noise of the float64 outputs (rounding times the cancellation the sums showed), e the
    float64 moments' own error (L2 takes L(0) from the exact ones), and |L3| read as
    |L2|**1.5/|L|**0.5 (each derivative in h brings the same sensitivity). Where it is not small
    enough, the outputs are evaluated at the root instead. The second evaluation checks these
    outputs as it checks any: a move off by more than its estimate shows as a disagreement there.
    """
    base = _outputs_at(found.evaluation, mpmath.mp, found.at, samples)
    if base is None:
        return None
    step = [mpmath.log(a / r) for a, r in zip(found.at, found.root)]
    size = max(map(abs, step), default=0)  # at the working precision: a step below float64's range counts
    if not size:
        return Outputs(base.values, base.cancelled, found.root)
    at = [float(a) for a in found.at]
    if not all(map(math.isfinite, at)) or 0.0 in at:
        return None
    ends = []
    for sign in (1, -1):
        moved = outputs(system, mpmath.fp, [a * math.exp(-sign * MOVE * float(x / size)) for a, x in zip(at, step)],
                        float(gamma), float(samples))
        if moved is None:
            return None
        ends.append(moved.values)
    values, bound = {}, mpmath.mpf(10) ** -(digits - 2)
    for name, value in base.values.items():
        here, plus, minus = float(value), ends[0][name], ends[1][name]
        if not all(map(math.isfinite, (here, plus, minus))) or not here:
            return None
        slope, curve = (plus - minus) / (2 * MOVE), (plus - 2 * here + minus) / MOVE**2
        scale = max(abs(plus), abs(minus), abs(here))
        noise = FLOAT_NOISE * 10.0 ** min(base.cancelled[name], 300) * scale
        third = abs(curve) ** 1.5 / abs(here) ** 0.5
        error = (size * (noise / MOVE + MOVE**2 * third / 6 + 1e-10 * abs(slope))
                 + size**2 * FLOAT_MOMENTS * scale / MOVE**2 + size**3 * third / 6)
        if not error <= bound * abs(value):
            return None
        values[name] = value + size * slope + size**2 * curve / 2
    return Outputs(values, base.cancelled, found.root)


def _perturbed(s, digits):
    """A start off the root by relative amounts of about 10**-(digits + 1), different for each unknown.

    The second evaluation's Newton step from it measures how far it lies from the root of the
    second system (other moments, another precision): a step below 10**-digits certifies the start
    as that root to the tolerance, and its evaluation gives the outputs; a larger one is taken, and
    Newton's method goes on. The perturbation keeps that test from being passed by the first
    evaluation's numbers repeated.
    """
    size = mpmath.mpf(10) ** -(digits + 1) / (len(s) + 1)
    return [x * (1 + (-1) ** i * size * (i + 1)) for i, x in enumerate(s)]


def _short(value):
    return mpmath.nstr(mp_value(value), 6)


def condition(system, gamma, samples, s, listed, eta):
    """kappa = sum_I |d log L / d log lambda_I| over the ``listed`` eigenvalues, at the root ``s``.

    ``listed`` holds pairs (lambda_I, omega_I), omega the teacher's weight (held fixed).

    The loss amplifies relative errors of the listed eigenvalues by at most
    kappa. It is found through the moments: dL/dT for each moment by
    re-solving with the moment shifted, times dT/dlambda_I. A list whose
    longest entry has d significant digits, if exact to those digits, supports
    d - log10(kappa) digits of the loss. None if a shifted system has no root.

    ``eta`` is the relative shift of each moment: the loss must have far more
    right digits at the working precision than log10(1/eta), since the
    differences cancel that many.
    """
    target, P = mp_value(gamma), mp_value(samples)
    tolerance = mpmath.mpf(10) ** -(mpmath.mp.dps - 5)

    polished = newton(system, mpmath.mp, s, target, tolerance)
    if polished is None:
        return None
    s = polished.root

    def loss(shift):  # the loss with moments shifted by relative amounts, re-solved from the root
        found = newton(system, mpmath.mp, s, target, tolerance, shift=shift)
        result = None if found is None else outputs(system, mpmath.mp, found.root, target, P, shift=shift)
        return None if result is None else result.values["loss"]

    # the cancellations between moments below are of the size of kappa: the differences must be
    # taken between losses found the same way, from the same root, at the working precision
    reference = loss({})
    q = system.evaluate(mpmath.mp, s, target)
    if reference is None or q is None:
        return None
    slopes = {}
    for key in system.moment_keys:
        shifted = loss({key: eta})
        if shifted is None:
            return None
        slopes[key] = (shifted - reference) / (eta * q.moments[key])
    kappa = 0
    for lam, omega in listed:
        # lambda dT_ab/dlambda = lambda**a (lambda + p)**-b (a - b lambda/(lambda + p)), times the
        # teacher's omega in a weighted slot
        kappa += abs(mpmath.fsum(slope * lam**a / (lam + q.poles[k]) ** b * (a - b * lam / (lam + q.poles[k]))
                                 * (omega if system.weighted[k] else 1) for (k, a, b), slope in slopes.items()))
    return kappa / abs(reference) if reference else None


def check_dps(dps):
    """``dps`` as an int from 1 to :data:`MAX_DPS`, or ParameterError.

    Examples
    --------
    >>> check_dps(30)
    30
    >>> check_dps(True)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: dps must be an integer, got True
    """
    if isinstance(dps, bool):
        raise ParameterError(f"dps must be an integer, got {dps!r}")
    try:
        dps = operator.index(dps)
    except TypeError:
        raise ParameterError(f"dps must be an integer, got {dps!r}"[:200]) from None
    if not 1 <= dps <= MAX_DPS:
        raise ParameterError(f"dps must be at least 1 and at most {MAX_DPS}, got {str(dps)[:30]}")
    return dps
