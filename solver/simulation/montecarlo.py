"""Monte Carlo of the actual ridge regression: the ground truth of every test.

For each seed the feature matrices and the training data are drawn at finite
size, the ridge solution theta* = Y Phi^T (Phi Phi^T + gamma)^-1 is found, and
the test loss (against the noiseless teacher) and the training loss are
averaged analytically over the teacher w and the label noise, which leaves
traces over the latent space:

    L_test  = 1/2 [ s_w tr(Omega (A F - 1) Lambda (A F - 1)^T) + s_eps tr(B F Lambda F^T B^T) ]
    L_train = 1/(2P) [ s_w |Omega^(1/2) X R|^2 + s_eps |R|^2 ]

with F the feature map, Phi = F X, B = Phi^T (Phi Phi^T + gamma)^-1, A = X B and
R = 1 - B Phi the training residual; s_w is the teacher's entry variance,
Omega its covariance in the latent basis (E w_I**2 = s_w omega_I; the identity
for an isotropic teacher, whose sums are then the plain ones, bit for bit) and
s_eps the noise variance. Both are per output component. The average over the
teacher is exact, with its covariance: the draws are of the features and the data.

Everything goes through the thin singular value decomposition
Phi = U diag(s) V^T, r = min(N, P) values: B = V diag(s/(s^2 + gamma)) U^T
resolves a ridge far below the largest s^2, where a linear solve of
Phi Phi^T + gamma cannot see it, and R = (1 - V V^T) + V diag(gamma/(s^2 + gamma)) V^T
is free of cancellation. No M x M matrix is formed: the test loss is
tr Omega Lambda - 2 sum_i omega_i lambda_i (A F)_ii + tr(W^T Omega W H Lambda H^T) with W = X V and
H = diag(s/(s^2 + gamma)) U^T F, r x r products. Its first terms cancel when
the fit is good; there, when M^2 P is affordable, the loss is summed as the
squares of A F - 1 instead, a block of columns at a time. Where even that is at
float64's floor, a LargenWarning says so (the planar theory, ``largen loss``,
has the digits).

Nonlinear features. With an ``activation`` s the regression is the actual one,
Phi = s(F X) (constant mu_0 and all), not its Gaussian equivalent. The test
point's features s(F x) are not linear in x, so the average over the test
point is taken over ``test_points`` fresh draws x_t per seed (the teacher and
the noise are still averaged exactly):

    L_test = 1/2 mean_t [ s_w |X B s(F x_t) - x_t|^2 + s_eps |B s(F x_t)|^2 ],

whose sampling error is part of each seed's loss and so of the standard error
over seeds. A model that is itself a Gaussian equivalent
(:func:`largen.diagrams.engine.model.gaussian_equivalent`) and no activation: the regression
of that model, Phi = mu_1 F X + xi with xi Gaussian, and the test point's own
xi adding mu_star^2 |theta|^2 / 2, averaged exactly.
"""

import math
import operator
import warnings
from dataclasses import dataclass

import numpy as np

from largen.diagrams.errors import CostError, LargenWarning, ParameterError
from largen.diagrams.engine.model import mrs

from largen.solver.data.datasets import Dataset
from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.numerics.point import bind, short
from largen.solver.numerics.scatter import sample_scatter

__all__ = ["Simulation", "simulate", "memory_estimate"]

GIB = 2**30
MAX_MEMORY = 2 * GIB  # bytes held at once by one draw, by default
EPS = np.finfo(float).eps
EXPLICIT_BUDGET = 10**9  # M^2 P multiply-adds: the sum of squares of A F - 1 is affordable below it
TEST_POINTS = 4096  # test draws per seed with an activation (each one's loss is a sum over M terms)


@dataclass(frozen=True)
class Simulation:
    """Mean losses over seeds with their standard errors, and where they were drawn."""

    mean: float
    stderr: float
    train_mean: float
    train_stderr: float
    losses: tuple
    train_losses: tuple
    parameters: dict
    spectrum: str = ""
    activation: str = ""
    teacher_mean: float = None  # a dataset: the loss against its best linear teacher (mean is against the labels)
    teacher_stderr: float = None

    @property
    def spread(self):
        """The sample standard deviation of the seeds' test losses with its own standard error
        (:class:`largen.solver.numerics.scatter.SampleScatter`), or None below 4 seeds.

        Each seed's loss is averaged exactly over the teacher and the label noise (a dataset:
        measured against its fixed labels), so the spread is that of E_w L between draws of the
        features and the training data: the connected part of ``solve(..., variance=True)``, not
        the whole scatter of one run.
        """
        return sample_scatter(self.losses) if len(self.losses) >= 4 else None

    def as_dict(self):
        return {
            "mean": self.mean,
            "stderr": self.stderr,
            "train_mean": self.train_mean,
            "train_stderr": self.train_stderr,
            "seeds": len(self.losses),
            "parameters": self.parameters,
            "spectrum": self.spectrum,
            **({"activation": self.activation} if self.activation else {}),
            **({"teacher_mean": self.teacher_mean, "teacher_stderr": self.teacher_stderr}
               if self.teacher_mean is not None else {}),
            **({"spread": {"std": self.spread.std,
                           "stderr": self.spread.stderr if math.isfinite(self.spread.stderr) else None}}
               if self.spread else {}),
        }


def simulate(model=None, *, spectrum=None, seeds=8, seed=0, max_memory=MAX_MEMORY, activation=None,
             test_points=TEST_POINTS, data=None, **params):
    """Simulate ridge regression at finite size and average over ``seeds`` draws.

    Parameters
    ----------
    model : diagrams.Model, optional
        A ridge-regression model; the MRS model by default.
    spectrum : Spectrum, optional
        The latent spectrum; by default a power law with ``alpha`` (default 1)
        and the model's latent size ``M``.
    seeds : int
        Number of independent draws, at least 2.
    seed : int
        Non-negative seed of the random generator; equal seeds give equal results.
    max_memory : int
        Bytes one draw may hold at once; past it a CostError gives the estimate.
    activation : str or callable, optional
        Features s(F x) with the actual activation (:func:`largen.solver.numerics.activation.activation`).
    test_points : int
        With an activation, the test draws per seed (at least 2).
    data : Dataset, optional
        A dataset as the population (:mod:`largen.solver.data.datasets`): each seed draws
        the feature weights and P training points i.i.d. from its empirical distribution
        (with replacement), fits the ridge regression to the labels (all C outputs), and
        measures the loss per output, (1/2C) mean |theta phi(x) - y|^2, over the whole
        dataset: ``mean`` against the labels, ``teacher_mean`` against the best linear
        teacher. The latent size is the number of inputs; the spectrum, teacher and
        noise are the data's and cannot be given.
    **params
        Values of the model's symbols by name (``N=200, P=300, gamma=0.01``);
        sizes are positive integers.

    Returns
    -------
    Simulation

    Warns
    -----
    LargenWarning
        Where float64 cannot resolve the test loss (its cancellation floor).

    Examples
    --------
    >>> run = simulate(N=20, P=30, M=40, gamma=0.1, seeds=4, seed=1)
    >>> 0 < run.mean < 1 and run.stderr < run.mean
    True
    """
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, float)) or not max_memory > 0:
        raise ParameterError(f"max_memory must be a positive number of bytes, got {max_memory!r}")
    seeds = _count(seeds, "seeds", 2)
    seed = _count(seed, "seed", 0)
    test_points = _count(test_points, "test_points", 2)
    if data is not None:
        return _simulate_data(model, data, spectrum, seeds, seed, max_memory, activation, params)
    act = None if activation is None else parse_activation(activation)
    point = bind(model, spectrum=spectrum, sizes="integer", activation=activation, precision=15, **params)
    model = point.model
    r = model.regression
    # the Gaussian equivalent's own matrices, when it is the model simulated (no activation)
    gain, star2 = 1.0, 0.0
    if r.equivalent is not None and act is None:
        gain = _float(r.equivalent.linear.xreplace(point.values), "mu_1")
        star2 = _float(model.matrices[r.equivalent.matrix].variance.xreplace(point.values), "mu_star^2")
    numeric = {}
    for symbol, value in point.values.items():
        numeric[symbol] = _float(value, symbol.name)
    gamma = numeric[r.ridge]
    s_w = _float(r.teacher_variance.xreplace(point.values), "the teacher variance")
    s_eps = _float(r.noise_variance.xreplace(point.values), "the noise variance")
    layers = [(int(point.size(model.matrices[m].rows)), _float(model.matrices[m].variance.xreplace(point.values),
                                                                   f"the variance of {m}")) for m in r.features]
    with np.errstate(over="ignore"):  # an overflow is refused just below, in one line
        lam = point.spectrum.array()
        # an isotropic teacher (omega = 1) keeps the plain sums: its results are those without a teacher, bit for bit
        omega = point.spectrum.teacher_array() if point.spectrum.teacher else None
    if not np.all(np.isfinite(lam)):
        raise ParameterError("an eigenvalue of the spectrum is beyond float64's range: the Monte Carlo cannot hold it")
    if omega is not None and not np.all(np.isfinite(omega)):
        raise ParameterError("a teacher weight of the spectrum is beyond float64's range: the Monte Carlo cannot hold it")
    M, P = len(lam), int(point.size(model.samples))
    if gamma == 0 and layers[-1][0] == P:
        raise ParameterError("gamma = 0 at N = P: the ridgeless fit is singular at the interpolation threshold")
    needed = memory_estimate(M, P, [width for width, _ in layers]) + (
        8 * test_points * (M + 2 * layers[-1][0]) if act is not None else 0)
    if needed > max_memory:
        raise CostError(f"the Monte Carlo needs about {needed / GIB:.3g} GiB at once, past the limit of "
                        f"{max_memory / GIB:.3g} GiB (raise it with max_memory=BYTES)")

    explicit = M * M * P <= EXPLICIT_BUDGET
    test, train, floors = [], [], []
    for stream in np.random.SeedSequence(seed).spawn(seeds):
        rng = np.random.default_rng(stream)
        X = np.sqrt(lam)[:, None] * rng.standard_normal((M, P))
        F = None
        for width, variance in layers:
            draw = math.sqrt(variance) * rng.standard_normal((width, M if F is None else F.shape[0]))
            F = draw if F is None else draw @ F
        with np.errstate(all="ignore"):
            try:
                if act is not None:
                    X_test = np.sqrt(lam)[:, None] * rng.standard_normal((M, test_points))
                    loss, fit, floor = _activated_losses(act.array, F, X, X_test, gamma, s_w, s_eps, omega)
                else:
                    Phi = gain * (F @ X)
                    if star2:
                        Phi += math.sqrt(star2) * rng.standard_normal(Phi.shape)
                    loss, fit, floor = _losses(gain * F, X, lam, gamma, s_w, s_eps, explicit, Phi, star2, omega)
            except np.linalg.LinAlgError:
                loss = fit = floor = math.nan
        if not (math.isfinite(loss) and math.isfinite(fit)):
            raise ParameterError("the Monte Carlo overflows float64 at these parameters (a variance, eigenvalue or "
                                 "ridge too large or too small for it); the planar theory (solve) has them")
        test.append(loss)
        train.append(fit)
        floors.append(floor)
    test, train = np.array(test), np.array(train)
    if np.any(test < 1000 * np.array(floors)):
        warnings.warn(f"the test loss ({test.mean():.3g}) is near float64's floor for it "
                      f"(about {max(floors):.1g}): the Monte Carlo has at most 3 digits of it, perhaps none; "
                      "the planar theory (solve) has them", LargenWarning, stacklevel=2)
    root = math.sqrt(len(test))
    return Simulation(
        mean=float(test.mean()),
        stderr=float(test.std(ddof=1) / root),
        train_mean=float(train.mean()),
        train_stderr=float(train.std(ddof=1) / root),
        losses=tuple(test.tolist()),
        train_losses=tuple(train.tolist()),
        parameters=point.parameters(),
        spectrum=str(point.spectrum),
        activation=act.name if act is not None else "",
    )


def _simulate_data(model, data, spectrum, seeds, seed, max_memory, activation, params):
    """:func:`simulate` on a dataset's empirical distribution (see there)."""
    if not isinstance(data, Dataset):
        raise ParameterError(f"data must be a Dataset (largen.solver.data.digits() or load(...)), got "
                             f"{type(data).__name__}")
    act = None if activation is None else parse_activation(activation)
    model = model if model is not None else mrs()
    latent = model.latent
    r = model.regression
    fixed = {latent, "alpha", "delta"} | {s.name for s in r.teacher_variance.free_symbols | r.noise_variance.free_symbols
                                          if s.name != latent}
    given = sorted(fixed & set(params)) + (["a spectrum"] if spectrum is not None else [])
    if given:
        raise ParameterError(f"the dataset sets the latent size, spectrum, teacher and noise: {', '.join(given)} "
                             "cannot be given with it")
    if len(r.features) != 1:
        raise ParameterError(f"the Monte Carlo on a dataset has one layer of features; model {model.name} has "
                             f"{len(r.features)}")
    X, Y = data.inputs, data.targets
    n, M = X.shape
    point = bind(model, sizes="integer", precision=15, **{latent: M}, **params)
    (matrix,) = r.features
    width = int(point.size(point.model.matrices[matrix].rows))
    P = int(point.size(point.model.samples))
    gamma = _float(point.values[r.ridge], "gamma")
    q = _float(point.model.matrices[matrix].variance.xreplace(point.values), "the variance of the feature weights")
    if gamma == 0 and width == P:
        raise ParameterError("gamma = 0 at N = P: the ridgeless fit is singular at the interpolation threshold")
    needed = 8 * (n * width + 2 * n * Y.shape[1] + P * P + width * width + M * width)
    if needed > max_memory:
        raise CostError(f"the Monte Carlo needs about {needed / GIB:.3g} GiB at once, past the limit of "
                        f"{max_memory / GIB:.3g} GiB (raise it with max_memory=BYTES, or --max-memory GIB)")
    teacher = data.linear_teacher()
    function = act.array if act is not None else (lambda z: z)
    labels, linear, train = [], [], []
    C = Y.shape[1]
    for stream in np.random.SeedSequence(seed).spawn(seeds):
        rng = np.random.default_rng(stream)
        u = math.sqrt(q) * rng.standard_normal((width, M))
        rows = rng.integers(0, n, P)
        features = function(X @ u.T)  # n x N: every point of the population
        theta = _fit(features[rows], Y[rows], gamma)  # N x C
        predictions = features @ theta
        labels.append(0.5 * np.sum((predictions - Y) ** 2) / (n * C))
        linear.append(0.5 * np.sum((predictions - teacher) ** 2) / (n * C))
        train.append(0.5 * np.sum((predictions[rows] - Y[rows]) ** 2) / (P * C))
    labels, linear, train = np.array(labels), np.array(linear), np.array(train)
    if not (np.all(np.isfinite(labels)) and np.all(np.isfinite(train))):
        raise ParameterError("the Monte Carlo overflows float64 at these parameters")
    root = math.sqrt(seeds)
    shown = {**point.parameters(), "data": data.name}
    return Simulation(mean=float(labels.mean()), stderr=float(labels.std(ddof=1) / root),
                      train_mean=float(train.mean()), train_stderr=float(train.std(ddof=1) / root),
                      losses=tuple(labels.tolist()), train_losses=tuple(train.tolist()), parameters=shown,
                      spectrum=f"dataset {data.name}: {n} points", activation=act.name if act is not None else "",
                      teacher_mean=float(linear.mean()), teacher_stderr=float(linear.std(ddof=1) / root))


def _fit(Phi, Y, gamma):
    """theta (N x C) minimising 1/2 |Y - Phi theta|^2 + gamma/2 |theta|^2, through the smaller Gram matrix;
    at gamma = 0 the minimum-norm least-squares fit."""
    P, N = Phi.shape
    if gamma == 0:
        return np.linalg.lstsq(Phi, Y, rcond=None)[0]
    if N <= P:
        return np.linalg.solve(Phi.T @ Phi + gamma * np.eye(N), Phi.T @ Y)
    return Phi.T @ np.linalg.solve(Phi @ Phi.T + gamma * np.eye(P), Y)


def memory_estimate(M, P, widths):
    """Bytes one draw of :func:`simulate` holds at once, about.

    Examples
    --------
    >>> memory_estimate(10**5, 10, [10]) / 2**20 < 100
    True
    """
    r = min(widths[-1], P)
    arrays = 2 * M * P + M * max(widths) + 2 * M * r + widths[-1] * P + P * P + sum(widths) * max(widths)
    return 8 * arrays


def _ridge(Phi, gamma):
    """The thin SVD of Phi and the ridge's factors D = s/(s^2 + gamma), g = gamma/(s^2 + gamma); None if not finite."""
    U, s, Vt = np.linalg.svd(Phi, full_matrices=False)
    s2 = s * s
    if not np.all(np.isfinite(s2)):
        return None
    denominator = s2 + gamma
    resolved = denominator > 0
    # gamma = 0: the minimum-norm interpolator, whose B inverts Phi on its non-zero singular values only
    D = np.divide(s, denominator, out=np.zeros_like(s), where=resolved)
    g = np.divide(gamma, denominator, out=np.ones_like(s), where=resolved)
    return U, Vt, D, g


def _latent_sum(rows, omega):
    """The sum of an array whose rows run over the latent index, each row weighted by the teacher's
    omega (None: an isotropic teacher, a plain sum)."""
    return np.sum(rows) if omega is None else omega @ np.sum(rows, axis=1)


def _train(X, W, Vt, g, s_w, s_eps, omega=None):
    """The training loss: R = (1 - V V^T) + V diag(g) V^T, two orthogonal parts; the first is 0 when V is square."""
    P, rank = X.shape[1], len(g)
    outside = 0.0 if rank == P else _latent_sum((X - W @ Vt) ** 2, omega)
    residual = (P - rank) + np.sum(g * g)
    return 0.5 / P * (s_w * (outside + _latent_sum((W * g) ** 2, omega)) + s_eps * residual)


def _activated_losses(function, F, X, X_test, gamma, s_w, s_eps, omega=None):
    """Test loss over the test draws, training loss, and no floor, for features ``function(F x)``."""
    found = _ridge(function(F @ X), gamma)
    if found is None:
        return math.nan, math.nan, math.nan
    U, Vt, D, g = found
    W = X @ Vt.T  # M x r
    Y = D[:, None] * (U.T @ function(F @ X_test))  # r x T: B s(F x_t) = V Y
    residual = W @ Y - X_test
    T = X_test.shape[1]
    test = 0.5 * (s_w * _latent_sum(residual * residual, omega) + s_eps * np.sum(Y * Y)) / T
    return float(test), float(_train(X, W, Vt, g, s_w, s_eps, omega)), 0.0


def _losses(F, X, lam, gamma, s_w, s_eps, explicit, Phi=None, star2=0.0, omega=None):
    """Test and training loss of one draw, averaged over teacher and noise, and the test loss's float64 floor.

    Where the expanded test loss cancels to its floor and ``explicit`` allows
    it, the teacher's part is summed as squares of A F - 1, column block by
    column block: no cancellation between large terms, never negative.
    ``Phi`` (default F X) and ``star2`` are for a Gaussian-equivalent model:
    its features, and the variance of the test point's own xi, which adds
    star2 |theta|^2 / 2 = star2 (s_w |X B|^2 + s_eps |B|^2) / 2 (|Omega^(1/2) X B|^2 with a
    teacher covariance, ``omega``).
    """
    found = _ridge(F @ X if Phi is None else Phi, gamma)
    if found is None:
        return math.nan, math.nan, math.nan
    U, Vt, D, g = found
    H = D[:, None] * (U.T @ F)  # r x M: B F = V H
    W = X @ Vt.T  # M x r: A F = W H
    diagonal = np.einsum("ia,ai->i", W, H)
    weighted = lam if omega is None else omega * lam
    quadratic = np.sum((W.T @ (W if omega is None else omega[:, None] * W)) * ((H * lam) @ H.T))
    trace = weighted.sum()
    teacher = trace - 2 * weighted @ diagonal + quadratic
    floor = 0.5 * s_w * EPS * math.sqrt(len(lam)) * (trace + 2 * abs(weighted) @ abs(diagonal) + quadratic)
    if 0.5 * s_w * teacher < 1000 * floor and explicit:
        teacher = _squares(W, H, lam, omega=omega)
        floor = 0.5 * s_w * EPS**2 * _latent_sum(W * W, omega) * (np.sum(H * H, axis=0) @ lam)
    test = 0.5 * (s_w * teacher + s_eps * np.sum(H * H * lam))
    if star2:
        test += 0.5 * star2 * (s_w * _latent_sum((W * D) ** 2, omega) + s_eps * np.sum(D * D))
    return float(test), float(_train(X, W, Vt, g, s_w, s_eps, omega)), float(floor)


def _squares(W, H, lam, block=256, omega=None):
    """tr(Omega (W H - 1) Lambda (W H - 1)^T) as a sum of squares, a block of columns at a time."""
    total = 0.0
    for start in range(0, len(lam), block):
        E = W @ H[:, start:start + block]
        E[np.arange(start, start + E.shape[1]), np.arange(E.shape[1])] -= 1
        total += _latent_sum(E * E * lam[start:start + block], omega)
    return total


def _count(value, name, least):
    try:
        value = operator.index(value)
    except TypeError:
        raise ParameterError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or value < least:
        raise ParameterError(f"{name} must be an integer at least {least}, got {value}")
    return value


def _float(value, name):
    try:
        number = float(value)
    except (TypeError, OverflowError):
        number = math.inf
    if not math.isfinite(number):
        raise ParameterError(f"{name} = {short(value)} is beyond float64's range: the Monte Carlo cannot hold it")
    return number
