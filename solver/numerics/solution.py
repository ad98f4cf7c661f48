"""The planar solution of a model at one point: :func:`solve` and its :class:`Solution`.

:func:`solve` binds the point (:func:`largen.solver.numerics.point.bind`), puts it into the
derived equations (:mod:`largen.solver.numerics.equations`), finds the physical root by
continuation in the ridge (:mod:`largen.solver.numerics.continuation`) and certifies every
output by a second, independent evaluation (:mod:`largen.solver.numerics.certification`).
With ``context=mpmath.fp`` the same algorithm runs in float64 only, with
approximate moments: a fast, uncertified answer.
"""

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import mpmath
import sympy

from largen.diagrams.errors import LargenWarning, ParameterError, SolverError
from largen.diagrams.engine.model import mrs

from largen.solver.numerics.certification import (MAX_DPS, _outputs_at, certify, certify_correction, check_dps, condition,
                                                 correction)
from largen.solver.numerics.continuation import float_root
from largen.solver.numerics.equations import equations, mp_value
from largen.solver.numerics.point import bind
from largen.solver.numerics.scatter import certified_variance, check_outputs, check_point
from largen.diagrams.engine.symbols import as_expr

__all__ = ["Solution", "solve", "MAX_DPS"]

FLOAT64 = "float64 arithmetic (context=mpmath.fp): not certified"
KERNEL_CUTOFF = 0.001  # the kernel route lists eigenvalues down to this fraction of the renormalised ridge
SIZEABLE_CORRECTION = mpmath.mpf("0.3")  # a first correction this part of the planar value or more is said to be
EQUIVALENCE_SPREAD = mpmath.mpf("0.5")  # relative spread of the pre-activation variance past which a warning is due


@dataclass(frozen=True)
class Solution:
    """The planar solution at one point.

    ``loss`` is the test loss against the noiseless teacher; ``noise_floor``
    (sigma_eps^2/2) is what noisy test labels would add, reported and never
    added. ``Delta`` is the renormalised ridge: the pole -Delta of the latent
    propagator, lambda/(lambda + Delta). ``train_loss`` is the training loss.

    Each of ``loss``, ``train_loss``, ``Delta`` and ``condition`` has ``dps``
    right digits, or is None with the reason in ``uncertified`` (name ->
    reason). In float64 (``context=mpmath.fp``) the values are floats and
    every one of them is listed in ``uncertified``.

    With ``order`` 1, ``loss_correction`` and ``train_loss_correction`` are the
    first finite-size corrections (relative order 1/size,
    :mod:`largen.diagrams.theory.finite_size`), certified like the rest, and
    ``corrected_loss``, ``corrected_train_loss`` their sums with the planar values.

    With ``variance`` (``solve(..., variance=True, outputs=C)``), ``variance`` holds the parts of
    the loss's variance over the draws (:mod:`largen.solver.numerics.scatter`: ``teacher``,
    ``noise``, ``connected``) for C outputs, certified like the rest, and ``loss_std`` is the
    standard deviation of one run's loss about ``loss``.
    """

    loss: object
    train_loss: object
    Delta: object
    noise_floor: object
    unknowns: dict
    parameters: dict
    dps: int
    normalization: str = ""
    condition: object = None  # kappa = sum_I |d log L/d log lambda_I| over listed eigenvalues (mpf)
    supported_digits: object = None  # digits of the loss that listed eigenvalues, exact as written, support
    uncertified: dict = field(default_factory=dict)
    order: int = 0
    loss_correction: object = None
    train_loss_correction: object = None
    activation: dict = None  # nonlinear features: the activation's Gaussian-equivalence coefficients
    route: dict = None  # a dataset or the kernel route: how the equivalent theory was made (Route.as_dict())
    unexplained: object = None  # half the target's variance the route's teacher does not carry (mpf), or None
    equivalence_error: object = None  # the kernel route: the loss's relative change with a coarser listing
    variance: dict = None  # the parts of the loss's variance over the draws (name -> mpf or None), if asked
    outputs: int = 1  # C, the outputs sharing features and data, which the variance depends on

    @property
    def loss_std(self):
        """sqrt(teacher + noise + connected): how far one run's loss lies from ``loss``; None unless
        the variance was asked for and every part is certified."""
        if not self.variance or None in self.variance.values():
            return None
        with mpmath.workdps(self.dps + 10):
            return mpmath.sqrt(mpmath.fsum(self.variance.values()))

    @property
    def target_loss(self):
        """The test loss against the target itself: the planar loss plus :attr:`unexplained` (a dataset's
        labels, or a teacher part the kernel's listed eigenfunctions do not carry); the loss where there is none."""
        if self.unexplained is None:
            return self.loss
        return _sum(self.loss, self.unexplained, self.dps)

    @property
    def corrected_loss(self):
        """The test loss to next-to-planar order: None unless both terms are known."""
        return _sum(self.loss, self.loss_correction, self.dps)

    @property
    def corrected_train_loss(self):
        """The training loss to next-to-planar order: None unless both terms are known."""
        return _sum(self.train_loss, self.train_loss_correction, self.dps)

    def as_dict(self):
        """The solution as text, for JSON and tables: ``dps`` digits each, None where uncertified.

        Examples
        --------
        >>> solve(N=50, P=80, M=100, gamma="0.001", dps=3).as_dict()["Delta"]
        '0.000682'
        >>> solve(N=50, P=80, M=100, gamma="1e-6", dps=1).as_dict()["train_loss"]
        '5e-5'
        """
        def digits(x, n=self.dps):
            return None if x is None else _text(x, n)

        return {
            "loss": digits(self.loss),
            "train_loss": digits(self.train_loss),
            "Delta": digits(self.Delta),
            "noise_floor": digits(self.noise_floor),
            "unknowns": {k: digits(v) for k, v in self.unknowns.items()},
            "parameters": self.parameters,
            "dps": self.dps,
            **({"normalization": self.normalization} if self.normalization else {}),
            **({"condition": digits(self.condition, 3), "supported_digits": self.supported_digits}
               if self.condition is not None or "condition" in self.uncertified else {}),
            **({"finite_size": {"loss_correction": digits(self.loss_correction),
                                "train_loss_correction": digits(self.train_loss_correction),
                                "corrected_loss": digits(self.corrected_loss),
                                "corrected_train_loss": digits(self.corrected_train_loss)}}
               if self.order else {}),
            **({"uncertified": dict(self.uncertified)} if self.uncertified else {}),
            **({"activation": self.activation} if self.activation else {}),
            **({"route": self.route, "unexplained": digits(self.unexplained), "target_loss": digits(self.target_loss)}
               if self.route else {}),
            **({"equivalence_error": digits(self.equivalence_error, 2)} if self.equivalence_error is not None else {}),
            **({"loss_std": digits(self.loss_std), "outputs": self.outputs,
                "variance": {name: digits(value) for name, value in self.variance.items()}}
               if self.variance is not None else {}),
        }


def _sum(planar, correction, dps):
    if planar is None or correction is None:
        return None
    with mpmath.workdps(dps + 10):  # the solution's precision, not the caller's
        return planar + correction


def _text(x, n):
    """x with n significant digits; '1e-5' rather than mpmath's '1.e-5' at one digit."""
    text = mpmath.nstr(x, n, strip_zeros=False).replace(".e", "e")
    return text[:-1] if text.endswith(".") else text


def solve(model=None, *, dps=30, spectrum=None, context=mpmath.mp, order=0, equivalence="white", data=None,
          cutoff=None, max_degree=None, variance=False, outputs=1, **params):
    """Solve the planar theory of ``model`` at the given parameters, and its first finite-size correction.

    Parameters
    ----------
    model : diagrams.Model, optional
        The MRS model by default.
    dps : int
        Decimal digits of the result, 1 to :data:`MAX_DPS`.
    spectrum : Spectrum, optional
        By default a power law with ``alpha`` (default 1) and the latent size ``M``.
    context : mpmath.mp or mpmath.fp
        ``mpmath.mp`` (default): every output certified to ``dps`` digits or
        reported uncertified. ``mpmath.fp``: float64 throughout, the moments
        approximated, nothing certified (a benchmark's or a test's reference).
    order : int
        0: the planar theory. 1: also the first finite-size correction of both
        losses (:mod:`largen.diagrams.theory.finite_size`), which needs a finite latent size
        or a power law at M = inf (its corrections in 1/M then vanish with the
        normalisation of the variances).
    equivalence : {"white", "kernel"}
        With an activation: Gaussian equivalence with a white xi, or the theory on the
        features' kernel spectrum (:func:`largen.solver.numerics.point.bind`). The kernel
        route lists the kernel's eigenvalues down to a cutoff set from the point's own
        renormalised ridge (:data:`KERNEL_CUTOFF` times Delta, found with a coarser listing
        first), and measures what the listing costs: ``equivalence_error`` is the loss's
        relative change when the cutoff is ten times higher and the highest Hermite degree
        two lower (on a dataset, none: the Gram matrix is listed whole).
    data : Dataset, optional
        A dataset as the population: its spectrum, best linear teacher and noise (or with the
        kernel route its kernel's spectrum and the labels' projections); ``target_loss`` is
        then the loss against its labels.
    cutoff, max_degree : optional
        The kernel route on Gaussian data: fix the listing instead (no second listing, no
        ``equivalence_error``).
    **params
        Values of the model's symbols by name. Sizes may be positive reals (the
        planar theory is analytic in them), the latent size infinite.

    Returns
    -------
    Solution

    Raises
    ------
    ParameterError
        A bad value, a ridge that is not positive and finite, a bad ``dps``.
    SolverError
        No root on the physical branch.

    Examples
    --------
    >>> solution = solve(N=50, P=80, M=100, gamma="0.001", dps=20)
    >>> 0 < solution.train_loss < solution.loss
    True
    >>> float(solve(N=50, P=80, M=100, gamma="0.001", context=mpmath.fp).loss) > 0
    True
    >>> corrected = solve(N=50, P=80, M=100, gamma="0.001", dps=10, order=1)
    >>> [corrected.as_dict()["finite_size"][k] for k in ("loss_correction", "corrected_loss")]
    ['5.545448718e-6', '0.0002935741548']
    """
    dps = check_dps(dps)
    if isinstance(order, bool) or order not in (0, 1):
        raise ParameterError(f"order must be 0 (planar) or 1 (the first finite-size correction), got {order!r}"[:200])
    if context is not mpmath.mp and context is not mpmath.fp:
        raise ParameterError("context must be mpmath.mp or mpmath.fp")
    model = mrs() if model is None else model
    route = dict(spectrum=spectrum, equivalence=equivalence, data=data, precision=dps + 10)
    kernel = equivalence == "kernel" and data is None and cutoff is None and params.get("activation") is not None
    # the kernel route's first listing is coarse: it only finds the renormalised ridge that sets the cutoff
    point = bind(model, sizes="real", cutoff=cutoff, max_degree=max_degree, **route, **params)
    error = None
    if kernel:
        point, error = _kernel_listing(model, point, max_degree, route, params, order)
    if variance:
        if context is mpmath.fp:
            raise ParameterError("the variance is certified only: solve it with context=mpmath.mp")
        check_point(point)
        outputs = check_outputs(outputs)
    solution = _solve_point(point, dps, context, order, outputs if variance else None)
    if point.route is None:
        return solution
    with mpmath.workdps(dps + 10):
        unexplained = mpmath.mpf(point.route.unexplained)
    return replace(solution, parameters=dict(point.route.parameters), route=point.route.as_dict(),
                   unexplained=unexplained, equivalence_error=error)


def _kernel_listing(model, point, max_degree, route, params, order):
    """The kernel route's listing set by the point: a cutoff of KERNEL_CUTOFF times the renormalised ridge
    that the default listing gives, and the loss's relative change with a coarser listing."""
    if order:
        raise ParameterError("the first finite-size correction is derived for Gaussian features, not for the kernel "
                             "route")
    first = _solve_point(point, 15, mpmath.fp, 0)
    cutoff = KERNEL_CUTOFF * float(first.Delta)
    point = bind(model, sizes="real", cutoff=cutoff, max_degree=max_degree, **route, **params)
    degree = point.route.kernel.max_degree
    coarse = bind(model, sizes="real", cutoff=10 * cutoff, max_degree=max(1, degree - 2), **route, **params)
    fine_loss = float(_solve_point(point, 15, mpmath.fp, 0).loss)
    coarse_loss = float(_solve_point(coarse, 15, mpmath.fp, 0).loss)
    return point, mpmath.mpf(abs(coarse_loss - fine_loss) / fine_loss) if fine_loss else None


def _solve_point(point, dps, context, order, outputs=None):
    """The planar solution at a bound point (see :func:`solve`); with ``outputs``, the variance for that many."""
    model, values = point.model, point.scaled_values
    parts = _parts(model)
    gamma = point.values[parts.ridge]
    if not (gamma.p > 0 if isinstance(gamma, sympy.Rational) else gamma > 0):
        raise ParameterError(f"{parts.ridge} must be positive for the planar solver (its ridgeless limit is derived)")
    _warn_small_sizes(model, point.values)
    if point.activation is not None:
        if order:
            raise ParameterError("the first finite-size correction is derived for Gaussian features; with an "
                                 "activation the rank-one mu_0 term and the features' non-Gaussian part enter "
                                 "at the same order, and they are not derived")
        if point.activation.mu_star2 != 0:  # an activation without a nonlinear part is exactly linear
            _warn_equivalence(point.spectrum)
    system = equations(model, values, point.spectrum)
    samples = parts.samples.xreplace(values)
    common = dict(parameters=point.parameters(), normalization=point.normalization,
                  activation=point.activation.as_dict() if point.activation is not None else None)
    noise = parts.noise.xreplace(values) / 2
    extended = equations(model, values, point.spectrum, order=1) if order else None
    if context is mpmath.fp:
        return _float64(system, extended, gamma, samples, noise, common)
    found, reasons, root, working = certify(system, gamma, samples, dps)
    corrections = {}
    if order:
        corrections, why = certify_correction(system, extended, gamma, samples, dps, root)
        reasons.update({f"{name}_correction": reason for name, reason in why.items()})
        _check_expansion(corrections, found, reasons)
    parts = None
    if outputs is not None:
        parts, why = certified_variance(point, system, root, working, dps, outputs, found["loss"])
        reasons.update(why)
    for name in system.infinite:
        found[name], reasons[name] = None, f"{name} is infinite at this point (no features reach the latent space)"
    kappa, supported = None, None
    if not point.spectrum.exact and found["loss"] == 0:
        reasons["condition"] = "the loss is 0: it has no relative condition number"
    elif not point.spectrum.exact:
        kappa = _certified_condition(system, gamma, samples, root, point.spectrum, working, reasons)
        if kappa is not None:
            supported = int(mpmath.floor(point.spectrum.digits - (mpmath.log10(kappa) if kappa else 0)))
    with mpmath.workdps(dps + 10):
        return Solution(
            loss=found["loss"], train_loss=found["train_loss"], Delta=found["Delta"], noise_floor=mp_value(noise),
            unknowns=_unknowns(system, root), dps=dps, condition=kappa, supported_digits=supported,
            uncertified=reasons, order=order, loss_correction=corrections.get("loss"),
            train_loss_correction=corrections.get("train_loss"), variance=parts, outputs=outputs or 1, **common)


def _check_expansion(corrections, planar, reasons):
    """Withhold a first correction that exceeds its planar value, and warn when it is a sizeable part of it.

    The correction is the first term of an expansion in 1/size; where it is as large as the planar
    term the expansion has broken down (near the interpolation threshold N = P the training loss
    vanishes like gamma while its correction does not: at N = P = 30, M = 60, gamma = 1e-6 the
    correction is 2.5 times the planar value and the corrected loss 3.5 times the Monte Carlo's).
    Measured against the Monte Carlo: a correction of 0.26 of the planar value corrects it to 4%, of
    0.42 to 13%; the next order, of the correction's square, decides.
    """
    for name, first in list(corrections.items()):
        value = planar.get(name)
        if first is None or not value:
            continue
        ratio = abs(first / value)
        if ratio > 1:
            corrections[name] = None
            reasons[f"{name}_correction"] = (f"the first finite-size correction is {mpmath.nstr(ratio, 2)} times the "
                                             f"planar {name.replace('_', ' ')}: the expansion in 1/size has broken down "
                                             "here (near the interpolation threshold N = P, as the ridge vanishes)")
        elif ratio > SIZEABLE_CORRECTION:
            warnings.warn(f"the first finite-size correction of the {name.replace('_', ' ')} is "
                          f"{mpmath.nstr(100 * ratio, 2)}% of its planar value: the next order, of its square, "
                          "may matter", LargenWarning, stacklevel=4)


def _certified_condition(system, gamma, samples, root, spectrum, working, reasons):
    """kappa at two precisions and from two starts; None, with the reason, unless they agree to 2 digits.

    The moments are shifted by 10**-(working/2): near the interpolation threshold the loss is far
    from linear in them, and a larger step would measure its curvature.
    """
    values = []
    for digits, start in ((working, root), (working + 16, [x * (1 + mpmath.mpf(10) ** -8) for x in root])):
        with mpmath.workdps(digits):
            values.append(condition(system, gamma, samples, [+x for x in start], list(zip(spectrum.listed(), spectrum.listed_weights())),
                                    mpmath.mpf(10) ** -(digits // 2)))
    a, b = values
    if a is None or b is None or abs(a - b) > abs(b) / 100:
        reasons["condition"] = "the condition number could not be found stable to 2 digits"
        return None
    return b


def _unknowns(system, s):
    names, vanishing = system.names
    found = {k: +v for k, v in zip(names, s)}
    found.update({k: mpmath.mpf(0) for k in vanishing})
    return found


def _float64(system, extended, gamma, samples, noise, common):
    """The same algorithm in float64 (mpmath.fp): start, continuation, Newton, ladder; uncertified."""
    ctx = mpmath.fp
    target = float(gamma)
    if not (0 < target < math.inf):
        raise SolverError(f"float64 cannot hold the ridge {mpmath.nstr(mp_value(gamma), 6)}")
    # the continuation's last Newton's method converges at the ridge itself, to a last step below 1e-13
    # (under the float64 moments' own error): the evaluation at its last iterate gives the outputs,
    # and no further evaluation is paid for
    found = float_root(system, target)
    result = None if found is None else _outputs_at(found.evaluation, ctx, found.at, float(samples))
    if result is None:
        raise SolverError(f"float64 lost the physical branch before the ridge {target:g}")
    values, corrections, names = result.values, {}, ["loss", "train_loss", "Delta"]
    if extended is not None:
        corrected = correction(system, extended, ctx, found.root, target, float(samples))
        if corrected is None:
            raise SolverError(f"float64 cannot solve the equations of the finite-size correction at {target:g}")
        corrections, names = corrected.values, names + ["loss_correction", "train_loss_correction"]
    return Solution(loss=values["loss"], train_loss=values["train_loss"], Delta=values["Delta"],
                    noise_floor=float(noise), unknowns=_unknowns(system, found.root), dps=15,
                    uncertified={name: FLOAT64 for name in names}, order=int(extended is not None),
                    loss_correction=corrections.get("loss"), train_loss_correction=corrections.get("train_loss"),
                    **common)


def _warn_equivalence(spectrum):
    """Gaussian equivalence needs the pre-activation variance to concentrate: say so where it does not.

    A feature's pre-activation variance u_i Lambda u_i^T varies between
    features (and |x| between data points) by sqrt(2 tr Lambda^2)/tr Lambda,
    which does not vanish when a few eigenvalues carry tr Lambda (a power law
    at alpha = 1 has (tr Lambda)^2/tr Lambda^2 = 2.5 at M = inf).
    """
    with mpmath.workdps(15):
        spread = mpmath.sqrt(2 * spectrum.power_sum_value(2)) / spectrum.power_sum_value(1)
    if spread > EQUIVALENCE_SPREAD:
        warnings.warn(f"the pre-activation variance varies by {mpmath.nstr(100 * spread, 2)}% between features "
                      f"(2 tr Lambda^2/(tr Lambda)^2 = {mpmath.nstr(spread**2, 3)}): Gaussian equivalence with a "
                      "white xi assumes it concentrates, and the planar loss of nonlinear features may be off by "
                      "tens of percent; the kernel route (equivalence='kernel') is made for such data",
                      LargenWarning, stacklevel=3)


class _Parts(NamedTuple):
    """What a solve reads of a model, whatever the point: its ridge symbol, the expressions of the
    number of samples and of the label noise's variance, and every space's size."""

    ridge: object
    samples: object
    noise: object
    sizes: dict


_PARTS = {}  # id(model) -> (model, _Parts): a model's hash builds its key from the quiver (8 us)


def _parts(model):
    entry = _PARTS.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_PARTS) >= 64:
            _PARTS.clear()
        r = model.regression
        entry = _PARTS[id(model)] = (model, _Parts(r.ridge, as_expr(model.spaces[model.samples]),
                                                   as_expr(r.noise_variance),
                                                   {name: as_expr(size) for name, size in model.spaces.items()}))
    return entry[1]


def _below(size, bound):
    """size < bound for an exact size, without sympy's comparison for a rational."""
    if isinstance(size, sympy.Rational):
        return size.p < bound * size.q
    return bool(size < bound)


def _warn_small_sizes(model, values):
    """The planar theory is the leading order in 1/size: say so where the sizes are far from large."""
    sizes = {name: size.xreplace(values) for name, size in _parts(model).sizes.items()}
    finite = {name: size for name, size in sizes.items() if isinstance(size, sympy.Rational) or size.is_finite}
    small = sorted(name for name, size in finite.items() if _below(size, 1))
    if small:
        warnings.warn(f"size {', '.join(small)} below 1: the planar theory (leading order in 1/size) "
                      "does not describe this point", LargenWarning, stacklevel=3)
    elif finite and all(_below(size, 10) for size in finite.values()):
        warnings.warn("every size is below 10: the planar theory (leading order in 1/size) may be off by "
                      "tens of percent here", LargenWarning, stacklevel=3)
