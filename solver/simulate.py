"""Monte Carlo of the actual ridge regression: the ground truth of every test.

For each seed the feature matrices and the training data are drawn at finite
size, the ridge solution theta* = Y Phi^T (Phi Phi^T + gamma)^-1 is found
exactly, and the test loss (against the noiseless teacher) and the training
loss are averaged analytically over the teacher w and the label noise, which
leaves traces over the latent space:

    L_test  = 1/2 [ s_w tr((A F - 1) Lambda (A F - 1)^T) + s_eps tr(B F Lambda F^T B^T) ]
    L_train = 1/(2P) [ s_w |X R|^2 + s_eps |R|^2 ]

with F the feature map, Phi = F X, B = Phi^T (Phi Phi^T + gamma)^-1, A = X B and
R = 1 - B Phi the training residual; s_w is the teacher's entry variance and
s_eps the noise variance. Both are per output component.
"""

import math
from dataclasses import dataclass

import numpy as np
import sympy

from diagrams.errors import ParameterError
from diagrams.model import mrs
from diagrams.symbols import number

from .spectrum import Spectrum


@dataclass(frozen=True)
class Simulation:
    """Mean losses over seeds with their standard errors."""

    mean: float
    stderr: float
    train_mean: float
    train_stderr: float
    losses: tuple
    train_losses: tuple
    parameters: dict

    def as_dict(self):
        return {
            "mean": self.mean,
            "stderr": self.stderr,
            "train_mean": self.train_mean,
            "train_stderr": self.train_stderr,
            "seeds": len(self.losses),
            "parameters": self.parameters,
        }


def simulate(model=None, *, spectrum=None, seeds=8, seed=0, **params):
    """Simulate ridge regression at finite size and average over ``seeds`` draws.

    Parameters
    ----------
    model : diagrams.Model, optional
        A ridge-regression model; the MRS model by default.
    spectrum : Spectrum, optional
        The latent spectrum; by default a power law with ``alpha`` (default 1)
        and the model's latent size ``M``.
    seeds : int
        Number of independent draws.
    seed : int
        Seed of the random generator; equal seeds give equal results.
    **params
        Values of the model's symbols by name (``N=200, P=300, gamma=0.01``).

    Examples
    --------
    >>> run = simulate(N=20, P=30, M=40, gamma=0.1, seeds=4, seed=1)
    >>> 0 < run.mean < 1 and run.stderr < run.mean
    True
    """
    model = model or mrs()
    if model.regression is None:
        raise ParameterError(f"model {model.name} is not a ridge-regression model")
    if int(seeds) < 2:
        raise ParameterError(f"seeds must be at least 2 for a standard error, got {seeds}")
    alpha = params.pop("alpha", 1)
    latent = model.spaces[model.latent]
    if spectrum is None:
        spectrum = Spectrum.power_law(alpha, params.get(latent.name, math.inf))
    lam = spectrum.array()
    if latent.name in params and number(params[latent.name], what=latent.name, error=ParameterError) != len(lam):
        raise ParameterError(f"{latent.name} = {params[latent.name]} but the spectrum has {len(lam)} eigenvalues")
    params[latent.name] = len(lam)
    bound = model.bind(params)
    model.require(bound)
    values = {s.name: v for s, v in bound.items()}
    for name in (model.samples, *model.feature_spaces):
        if values[name] == sympy.oo:
            raise ParameterError(f"a simulation needs a finite {name}")

    r, matrices = model.regression, model.matrices
    numeric = {s: float(v) for s, v in bound.items()}
    gamma = numeric[r.ridge]
    s_w = float(r.teacher_variance.subs(numeric))
    s_eps = float(r.noise_variance.subs(numeric))
    layers = [(int(values[matrices[m].rows]), float(matrices[m].variance.subs(numeric))) for m in r.features]
    M, P = len(lam), int(values[model.samples])
    if gamma == 0 and int(values[model.feature_spaces[-1]]) == P:
        raise ParameterError("gamma = 0 at N = P: the ridgeless fit is singular at the interpolation threshold")

    test, train = [], []
    for stream in np.random.SeedSequence(int(seed)).spawn(int(seeds)):
        rng = np.random.default_rng(stream)
        X = np.sqrt(lam)[:, None] * rng.standard_normal((M, P))
        F = np.eye(M)
        for width, variance in layers:
            F = math.sqrt(variance) * rng.standard_normal((width, F.shape[0])) @ F
        loss, fit = _losses(F, X, lam, gamma, s_w, s_eps)
        test.append(loss)
        train.append(fit)
    test, train = np.array(test), np.array(train)
    root = math.sqrt(len(test))
    return Simulation(
        mean=float(test.mean()),
        stderr=float(test.std(ddof=1) / root),
        train_mean=float(train.mean()),
        train_stderr=float(train.std(ddof=1) / root),
        losses=tuple(test.tolist()),
        train_losses=tuple(train.tolist()),
        parameters={name: str(v) for name, v in sorted(values.items())},
    )


def _losses(F, X, lam, gamma, s_w, s_eps):
    """Test and training loss of one draw, averaged over teacher and noise."""
    Phi = F @ X
    N, P = Phi.shape
    # B = Phi^T (Phi Phi^T + gamma)^-1, solved on the smaller side of Phi.
    if N <= P:
        B = np.linalg.solve(Phi @ Phi.T + gamma * np.eye(N), Phi).T
    else:
        B = np.linalg.solve(Phi.T @ Phi + gamma * np.eye(P), Phi.T)
    BF = B @ F
    E = X @ BF - np.eye(F.shape[1])
    R = np.eye(P) - B @ Phi
    test = 0.5 * (s_w * np.sum(E * lam * E) + s_eps * np.sum(BF * lam * BF))
    train = 0.5 / P * (s_w * np.sum((X @ R) ** 2) + s_eps * np.sum(R**2))
    return test, train
