"""The physical root of the planar equations, followed in the ridge.

The physical root is the branch connected to the infinite-ridge solution,
on which every self-energy is negative. :func:`root` reaches it by
continuation in log(gamma), from a ridge large enough that the free solution
is exact, down (or up) to the ridge asked for: first in ``mpmath.fp``
(float64, the moments approximated: fast, a start only), then in
``mpmath.mp``, where float64 cannot hold the values (ridges beyond 1e+-300,
extreme scales) or stops following the branch, and finally polished by
Newton's method at the working precision with exact moments. The algorithm
is one; the context is an argument.
"""

from typing import NamedTuple

import mpmath

from largen.diagrams.errors import SolverError

from largen.solver.numerics.equations import scaled_solve

__all__ = ["Polished", "newton", "follow", "float_root", "polished_root", "root"]

FLOAT_RANGE = (1e-300, 1e300)  # ridges float64 continues to: beyond, mpmath takes over
MAX_STEP = 8.0  # the continuation's largest step in log(gamma) but the first


class Polished(NamedTuple):
    """Newton's method's result: the ``root``, reached by a last step of relative ``size`` from the
    iterate ``at``, where the equations were last evaluated (``evaluation``). When ``size`` is below
    the tolerance, ``at`` is itself a root to that tolerance, and ``evaluation`` serves it."""

    root: list
    evaluation: object
    at: list
    size: object


def newton(system, ctx, s, gamma, tolerance, *, split=1, shift=None, iterations=60):
    """Newton's method for s = rhs(s) in the variables t = log(-s); None if it fails.

    The self-energies spread over many orders of magnitude near the
    interpolation threshold; in t the step is relative for every component
    and every iterate stays on the physical branch (all self-energies negative).
    The convergence is quadratic: once a step is below sqrt(tolerance), the
    iterate it leads to is within about ``tolerance`` of the root. Near the
    interpolation threshold its steps need not shrink at once: it is given
    ``iterations`` (ending a step whose size grew, for a shorter one, saved
    nothing measurable and lost roots there).

    Returns
    -------
    Polished or None
    """
    for _ in range(iterations):
        q = system.evaluate(ctx, s, gamma, split=split, shift=shift)
        step = None if q is None else scaled_solve(q, s, [a - b for a, b in zip(s, q.rhs)])
        if step is None:
            return None
        size = max(map(abs, step), default=0)
        if size > 50:
            return None
        here, s = s, [a * ctx.exp(-x) for a, x in zip(s, step)]
        if size**2 <= tolerance:
            return Polished(s, q, here, size)
    return None


def follow(system, ctx, s, start, target, tolerance, evaluation=None, first=2.0):
    """Continue the root ``s`` at ridge ``start`` down to ridge ``target`` in steps of log(gamma).

    Each step is predicted along the tangent, d log(-s)/d log(gamma) = gamma (1 - J)^-1 d rhs/d gamma
    divided by s, and corrected by Newton's method. ``evaluation``, the equations evaluated at (or
    next to) the start, gives the first step its tangent: without one it is predicted flat, and
    Newton's method pays for it (measured: 9 iterations instead of 3 on the first step of a solve).
    ``first`` is the first step: from the free solution, its scaling in the ridge holds far down.
    Returns the root, the ridge reached (``target``, or where the continuation stalled) and the
    :class:`Polished` of the last step (None if none was taken): at ``target``, Newton's method
    converged to ``tolerance`` there, and its last evaluation serves the caller.
    """
    here, goal = ctx.log(start), ctx.log(target)
    step, tangent = first, _tangent(ctx, s, evaluation, start)
    found = None
    while here > goal:
        trial = max(here - step, goal)
        guess = [a * ctx.exp((trial - here) * t) for a, t in zip(s, tangent)]
        # on the way the root is only the next step's start: a loose tolerance does
        found = newton(system, ctx, guess, ctx.exp(trial), tolerance if trial == goal else max(tolerance, 1e-2))
        if found is None:
            step = min(step, MAX_STEP) / 2
            if step < 1e-4:
                return s, ctx.exp(here), None
            continue
        s, here = found.root, trial
        # at the last iterate, where the equations were evaluated: its factorisation serves again
        tangent = _tangent(ctx, found.at, found.evaluation, ctx.exp(here))
        step = min(step * 1.5, MAX_STEP)
    return s, target, found


def _tangent(ctx, s, q, gamma):
    """d log(-s)/d log(gamma) at ``s`` from the evaluation ``q`` there (or next to it); flat (zeros) without one."""
    rates = None if q is None else scaled_solve(q, s, q.d_gamma)
    return [0] * len(s) if rates is None else [gamma * y for y in rates]


def _free(system, ctx, gamma):
    """A root at a ridge far above the self-energies' scale, where the equations contract; that
    ridge; the equations evaluated there (at the last iterate, which agrees with the root to 1e-8);
    and how far down its scaling in the ridge holds: the continuation's first step.

    The iteration s -> rhs(s) converges there from s ~ 0. The ridge starts at 1e30 (or 2 gamma)
    and grows, past the largest self-energy the iteration met, until the iteration settles. Down
    to about 1e4 times the largest self-energy the root scales as the tangent there says: the
    first step goes that far (measured: iterating again at that lower ridge cost five evaluations,
    the step two). None if the equations cannot be evaluated (float64 overflowing, say).
    """
    ridge = max(ctx.mpf(10) ** 30, 2 * gamma)
    for _ in range(40):
        s, q = _iterate(system, ctx, ridge)
        if s is None:
            return None
        if q is not None:
            break
        ridge = max(ridge * 10**10, 10**4 * max(abs(x) for x in s))
    else:
        return None
    lower = max(10**4 * max([ctx.mpf(1)] + [abs(x) for x in s]), 2 * gamma)
    return s, ridge, q, max(ctx.log(ridge / lower), 2.0)


def _iterate(system, ctx, ridge):
    """s -> rhs(s) from s ~ 0 at ``ridge``: (s, the evaluation at the last iterate) once it settled
    to 1e-8, (s, None) if it did not, or (None, None)."""
    n = len(system.unknowns)
    s = [-ctx.mpf(10) ** -30] * n
    for _ in range(n + 4):
        q = system.evaluate(ctx, s, ridge)
        if q is None:
            return None, None
        # a self-energy that underflows stays on the branch (negative)
        new = [x if x < 0 else -ctx.mpf(10) ** -300 for x in q.rhs]
        settled = all(abs(a - b) <= abs(b) / 10**8 for a, b in zip(s, new))
        s = new
        if settled:
            return s, q
    return s, None


def root(system, gamma, tolerance):
    """The physical root at ridge ``gamma`` (an mpf) to ``tolerance``, at mpmath's working precision.

    Parameters
    ----------
    system : Equations
    gamma : mpf
    tolerance : mpf
        Newton's last step squared, in log(-s).

    Returns
    -------
    list of mpf

    Raises
    ------
    SolverError
        No root on the physical branch.

    Examples
    --------
    >>> from largen.solver.numerics.equations import equations
    >>> from largen.solver.numerics.point import bind
    >>> point = bind(N=50, P=80, M=100, gamma="0.001")
    >>> system = equations(point.model, point.scaled_values, point.spectrum)
    >>> with mpmath.workdps(30):
    ...     s = root(system, mpmath.mpf("0.001"), mpmath.mpf(10) ** -30)
    >>> [mpmath.nstr(x, 6) for x in s]
    ['-0.0106821', '-42.8004', '-34.28', '-1.33372']
    """
    return polished_root(system, gamma, tolerance).root


def polished_root(system, gamma, tolerance):
    """:func:`root`, as the :class:`Polished` of its last Newton's method: the root, and the
    equations evaluated at the iterate its last step started from (for the outputs there).

    Raises
    ------
    SolverError
        No root on the physical branch.
    """
    for begin in (_float_start, _exact_start):
        s, reached, evaluation, first = begin(system, gamma)
        if s is None:
            continue
        s, reached, found = [mpmath.mpf(x) for x in s], mpmath.mpf(reached), None
        if reached != gamma:  # its last step converged to the tolerance at gamma: no polish after it
            s, reached, found = follow(system, mpmath.mp, s, reached, gamma, tolerance, evaluation, first)
        if found is None and reached == gamma:
            found = newton(system, mpmath.mp, s, gamma, tolerance)
        if found is not None:
            return found
    raise SolverError(f"no solution on the physical branch at the ridge {mpmath.nstr(gamma, 6)}")


def _exact_start(system, gamma):
    """The free root in mpmath, where float64 cannot start or lost the branch: slower, never out of range."""
    free = _free(system, mpmath.mp, gamma)
    return free if free is not None else (None, None, None, None)


def float_root(system, gamma, tolerance=1e-26):
    """The root at ``gamma`` in float64 as the :class:`Polished` of the continuation's last Newton's
    method, converged to ``tolerance`` at ``gamma`` itself (its evaluation gives the outputs, with
    no evaluation more); None where float64 cannot start, or cannot follow the branch that far.

    Examples
    --------
    >>> from largen.solver.numerics.equations import equations
    >>> from largen.solver.numerics.point import bind
    >>> point = bind(N=50, P=80, M=100, gamma="0.001")
    >>> system = equations(point.model, point.scaled_values, point.spectrum)
    >>> found = float_root(system, 1e-3)
    >>> round(found.root[0], 6), found.size <= 1e-13
    (-0.010682, True)
    """
    s, reached, _, _, found = _float_continued(system, gamma, tolerance)
    return found if s is not None and reached == gamma else None


def _float_start(system, gamma):
    """The root in float64, followed as far toward ``gamma`` as float64 goes, and the ridge reached
    (``gamma`` itself when float64 got there), with what a continuation from there needs: the
    equations evaluated there (None: predicted flat) and its first step; Nones if it cannot start."""
    return _float_continued(system, gamma, 1e-12)[:4]


def _float_continued(system, gamma, tolerance):
    """:func:`_float_start` with Newton's ``tolerance`` at ``gamma``, and the :class:`Polished` there."""
    if gamma > FLOAT_RANGE[1]:
        return None, None, None, None, None
    target = max(float(gamma), FLOAT_RANGE[0])
    free = _free(system, mpmath.fp, target)
    if free is None:
        return None, None, None, None, None
    # the iterate settled to 1e-8 is start enough: the first step's Newton's method corrects it
    s, origin, q, first = free
    s, reached, found = follow(system, mpmath.fp, s, origin, target, tolerance, q, first)
    # at the ridge itself float64 is done: the polish takes over there, with no continuation left
    return s, gamma if reached == float(gamma) else reached, None, 2.0, found
