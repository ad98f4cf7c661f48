"""Datasets and their spectra: what the planar theory needs from real data.

A :class:`Dataset` holds inputs X (n x M) and targets Y (n x C), prepared by one
convention (the one the tests and the README use for scikit-learn's handwritten
digits, :func:`digits`):

- inputs centred per coordinate and scaled so that the mean squared norm of x is 1;
- targets centred per column (class labels become one-hot columns first).

The dataset is the population: a training set is P draws from its empirical
distribution, and the test loss is the mean over all of it. :func:`data_spectrum`
turns it into the planar theory's inputs for linear features:

- the latent spectrum: the eigenvalues lambda_I of the covariance X^T X/n;
- the teacher: the best linear predictor W = E[y x^T] E[x x^T]^+, whose
  coefficients along the eigenvectors, w_cI, give the teacher weights
  omega_I = M' mean_c w_cI^2 (sigma_w = 1: E w_I^2 = omega_I/M');
- the noise: the targets' variance per output that no linear function explains,
  E|y - W x|^2/C, label noise to the fit (independent of x in the theory, merely
  uncorrelated with it in the data), and half of it added to the loss against the labels;
- a power-law fit lambda_I = lam_plus I^-(1+alpha) and omega_I ~ I^-delta over a range
  of I, with least-squares standard errors.

Examples
--------
>>> data = digits()
>>> data.inputs.shape, data.targets.shape, round(float((data.inputs**2).sum(1).mean()), 12)
((1797, 64), (1797, 10), 1.0)
>>> found = data_spectrum(data)
>>> found.rank, round(found.noise, 6)
(61, 0.030802)
"""

import math
import os
from dataclasses import dataclass, field

import numpy as np

from largen.diagrams.errors import ParameterError, SpectrumError
from largen.solver.numerics.spectrum import Listed, Spectrum

__all__ = ["Dataset", "DataSpectrum", "PowerLawFit", "data_spectrum", "digits", "from_data", "load"]

DIGITS = 14  # significant digits written for an eigenvalue or weight computed in float64
RANK_TOLERANCE = 1e-12  # eigenvalues of the covariance below this fraction of the largest are its null space


@dataclass(frozen=True)
class Dataset:
    """Inputs (n x M) and targets (n x C), prepared by the module's convention, and a name."""

    name: str
    inputs: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)

    @classmethod
    def from_arrays(cls, inputs, targets, name="arrays", one_hot=False):
        """A dataset from raw arrays: inputs centred and scaled (mean |x|^2 = 1), targets centred.

        ``targets`` may be a vector (one output, or class labels with ``one_hot``) or n x C.

        Examples
        --------
        >>> data = Dataset.from_arrays([[1.0, 2.0], [3.0, 0.0], [2.0, 1.0]], [0, 1, 1], one_hot=True)
        >>> data.targets.shape, round(float(data.targets.sum()), 12)
        ((3, 2), 0.0)
        """
        X = np.array(inputs, dtype=float)
        Y = np.asarray(targets)
        if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
            raise ParameterError(f"the inputs must be an n x M array with n >= 2, got shape {X.shape}")
        if one_hot:
            if Y.ndim != 1 or not np.all(np.equal(np.mod(Y, 1), 0)):
                raise ParameterError("one-hot targets need a vector of integer class labels")
            labels, index = np.unique(Y, return_inverse=True)
            Y = np.eye(len(labels))[index]
        Y = np.array(Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise ParameterError(f"{X.shape[0]} inputs but targets of shape {Y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
            raise ParameterError("the inputs and targets must be finite numbers")
        X -= X.mean(axis=0)
        scale = math.sqrt(float(np.mean(np.sum(X * X, axis=1))))
        if scale == 0:
            raise ParameterError("every input is the same: the data has no variance")
        X /= scale
        Y -= Y.mean(axis=0)
        return cls(name, X, Y)

    @property
    def size(self):
        """n, the number of points."""
        return self.inputs.shape[0]

    def linear_teacher(self):
        """The best linear predictor's predictions W x over the dataset (n x C)."""
        X, Y = self.inputs, self.targets
        W, *_ = np.linalg.lstsq(X, Y, rcond=None)
        return X @ W


def digits():
    """scikit-learn's handwritten digits (1797 images of 8 x 8 pixels, shipped inside its package).

    Pixels centred per pixel and scaled so that the mean squared norm of x is 1; the ten
    classes one-hot, centred per column.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ParameterError("the digits dataset ships with scikit-learn: pip install scikit-learn") from None
    bunch = load_digits()
    return Dataset.from_arrays(bunch.data, bunch.target, name="digits", one_hot=True)


def load(path, targets=None, target_columns=0, one_hot=False):
    """A dataset from an array file: ``.npy`` or ``.csv`` (commas; a header line of names is skipped).

    Parameters
    ----------
    path : str
        The inputs, n x M (with the targets as its last ``target_columns`` columns when
        ``targets`` is not given).
    targets : str, optional
        A second array file with the targets (a vector or n x C).
    target_columns : int
        Columns at the end of ``path`` that are the targets (when ``targets`` is None).
    one_hot : bool
        Targets are one column of integer class labels, to be made one-hot.
    """
    array = _read(path)
    if targets is not None:
        if target_columns:
            raise ParameterError("give the targets either as a second file or as columns, not both")
        Y = _read(targets)
        X = array
    else:
        if array.ndim != 2 or not 0 < target_columns < array.shape[1]:
            raise ParameterError(f"{path}: name the targets' file, or how many of its last columns "
                                 f"(of {array.shape[1] if array.ndim == 2 else 0}) are targets")
        X, Y = array[:, :-target_columns], array[:, -target_columns:]
        if one_hot and Y.shape[1] == 1:
            Y = Y[:, 0]
    return Dataset.from_arrays(X, Y, name=os.path.basename(str(path)), one_hot=one_hot)


def _read(path):
    path = str(path)
    if not path:
        raise ParameterError("an empty path")
    if not path.endswith((".npy", ".csv")):
        raise ParameterError(f"{path}: an array file is .npy or .csv")
    try:
        if path.endswith(".npy"):
            array = np.load(path, allow_pickle=False)
        else:
            with open(path, encoding="utf-8") as handle:
                first = handle.readline()
            skip = 1 if any(c.isalpha() and c not in "eE" for c in first) else 0
            array = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: cannot read an array ({exc})"[:200]) from None
    if array.dtype.kind not in "fiu":
        raise ParameterError(f"{path}: not an array of numbers")
    return np.asarray(array, dtype=float)


@dataclass(frozen=True)
class PowerLawFit:
    """lambda_I = lam_plus I^-(1+alpha) and omega_I ~ I^-delta by least squares in log-log over I in [first, last].

    The errors are the slopes' least-squares standard errors (the residuals of a spectrum
    are correlated: read them as the fit's scatter, not as a confidence interval).
    """

    alpha: float
    alpha_error: float
    lam_plus: float
    delta: float
    delta_error: float
    first: int
    last: int

    def as_dict(self):
        return {"alpha": self.alpha, "alpha_error": self.alpha_error, "lam_plus": self.lam_plus,
                "delta": self.delta, "delta_error": self.delta_error, "range": [self.first, self.last]}


@dataclass(frozen=True)
class DataSpectrum:
    """A dataset's covariance spectrum, its best linear teacher and the rest as noise.

    Attributes
    ----------
    name : str
    eigenvalues : ndarray
        lambda_I, decreasing, the covariance's rank of them.
    teacher : ndarray
        mean_c w_cI^2, the best linear predictor's squared coefficient per latent direction.
    noise : float
        sigma_eps^2: the targets' variance per output no linear function explains.
    variance : float
        The targets' variance per output.
    fit : PowerLawFit or None
    """

    name: str
    eigenvalues: np.ndarray = field(repr=False)
    teacher: np.ndarray = field(repr=False)
    noise: float
    variance: float
    fit: object = None

    @property
    def rank(self):
        return len(self.eigenvalues)

    def spectrum(self):
        """The eigenvalues with the teacher's omega_I = M' mean_c w_cI^2 (sigma_w = 1), as a Spectrum."""
        weights = self.rank * self.teacher
        return Spectrum([Listed(tuple(_text(v) for v in self.eigenvalues), weights=tuple(_text(w) for w in weights))])

    def parameters(self):
        """The values the MRS model takes on this data, by name: M, sigma_w and sigma_eps."""
        return {"M": self.rank, "sigma_w": 1, "sigma_eps": math.sqrt(self.noise)}

    def write(self, path, force=False):
        """A spectrum file: eigenvalue and teacher weight per line, the noise and the fit as comments.

        Read it back with ``Spectrum.from_file``; give the noise with ``--noise`` (it is
        written in the header).
        """
        if os.path.exists(path) and not force:
            raise ParameterError(f"{path} exists: not overwritten without force")
        lines = [f"# spectrum of dataset {self.name}: covariance eigenvalues and the best linear teacher's",
                 f"# omega_I = M' mean_c w_cI^2 (sigma_w = 1, M' = {self.rank})",
                 f"# noise (unexplained variance per output, --noise): {_text(self.noise)}",
                 f"# target variance per output: {_text(self.variance)}"]
        if self.fit is not None:
            f = self.fit
            lines.append(f"# power-law fit over I = {f.first}..{f.last}: alpha = {f.alpha:.4g} +- {f.alpha_error:.2g}, "
                         f"lam_plus = {f.lam_plus:.4g}, delta = {f.delta:.4g} +- {f.delta_error:.2g}")
        spectrum = self.spectrum()
        (piece,) = spectrum.pieces
        lines += [f"{v} {w}" for v, w in zip(piece.values, piece.weights)]
        text = "\n".join(lines) + "\n"
        temporary = f"{path}.partial"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)

    def as_dict(self):
        return {"dataset": self.name, "rank": self.rank, "noise": _text(self.noise),
                "variance": _text(self.variance), "largest": _text(self.eigenvalues[0]),
                **({"fit": self.fit.as_dict()} if self.fit is not None else {})}


def _text(x):
    return repr(float(f"{float(x):.{DIGITS}g}"))


def data_spectrum(data, fit_range=None):
    """The covariance spectrum of a :class:`Dataset`, its best linear teacher, its noise and a power-law fit.

    Parameters
    ----------
    data : Dataset
    fit_range : (int, int), optional
        The range of I of the power-law fit; by default from 2 to half the rank.

    Returns
    -------
    DataSpectrum
    """
    X, Y = data.inputs, data.targets
    n = len(X)
    values, vectors = np.linalg.eigh(X.T @ X / n)
    values, vectors = values[::-1], vectors[:, ::-1]
    rank = int(np.sum(values > RANK_TOLERANCE * values[0]))
    if rank == 0:
        raise SpectrumError(f"dataset {data.name} has no variance")
    values, vectors = values[:rank], vectors[:, :rank]
    projections = Y.T @ (X @ vectors) / n  # C x rank: E[y_c x_I]
    w = projections / values  # the best linear predictor's coefficients along each eigenvector
    teacher = np.mean(w * w, axis=0)
    variance = float(np.mean(np.sum(Y * Y, axis=0) / n))
    noise = max(variance - float(np.sum(values * teacher)), 0.0)
    fit = _fit(values, teacher, fit_range)
    return DataSpectrum(data.name, values, teacher, noise, variance, fit)


def from_data(inputs, targets, name="arrays", one_hot=False, fit_range=None):
    """:func:`data_spectrum` of raw arrays (prepared by the module's convention): the API of ``largen data``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) * [3.0, 2.0, 1.0]
    >>> found = from_data(X, X @ [1.0, 0.0, 0.0])
    >>> found.rank, found.noise < 1e-20
    (3, True)
    """
    return data_spectrum(Dataset.from_arrays(inputs, targets, name, one_hot), fit_range)


def _fit(values, teacher, fit_range):
    rank = len(values)
    first, last = fit_range if fit_range is not None else (2, rank // 2)
    first, last = int(first), int(last)
    if not 1 <= first < last <= rank or last - first < 2:
        if fit_range is not None:
            raise ParameterError(f"the fit's range must be 1 <= first < last <= {rank} with 3 points or more, "
                                 f"got {fit_range}")
        return None
    I = np.arange(first, last + 1, dtype=float)
    slope, intercept, slope_error = _line(np.log(I), np.log(values[first - 1:last]))
    positive = teacher[first - 1:last] > 0
    if positive.sum() >= 3:
        t_slope, _, t_error = _line(np.log(I[positive]), np.log(teacher[first - 1:last][positive]))
    else:
        t_slope, t_error = math.nan, math.nan
    # omega_I = M' mean_c w^2 ~ I^-delta
    return PowerLawFit(alpha=-slope - 1, alpha_error=slope_error, lam_plus=math.exp(intercept), delta=-t_slope,
                       delta_error=t_error, first=first, last=last)


def _line(x, y):
    """Least-squares slope, intercept and the slope's standard error."""
    A = np.vstack([x, np.ones_like(x)]).T
    (slope, intercept), residual, *_ = np.linalg.lstsq(A, y, rcond=None)
    dof = len(x) - 2
    sigma2 = float(np.sum((y - A @ [slope, intercept]) ** 2)) / dof
    error = math.sqrt(sigma2 / float(np.sum((x - x.mean()) ** 2)))
    return float(slope), float(intercept), error
