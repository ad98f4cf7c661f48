"""The report's section on a real dataset: its spectrum and power-law fit, and the planar theory against the
actual regression on it, with linear and ReLU features.

:func:`data_study` computes what the section shows (:class:`DataStudy`): the dataset's covariance
spectrum, best linear teacher, noise and power-law fit (:func:`largen.solver.data.datasets.data_spectrum`),
and at a few points (N, P, gamma) the theory's test loss against the labels (linear features on the
data's spectrum; ReLU features by the kernel route, the features' kernel spectrum on the data) beside
the Monte Carlo of the actual regression, P training points drawn from the dataset and the loss over
all of it. :func:`data_section` writes it; :func:`largen.solver.report.plotting.plot_data_spectrum` draws
the spectrum.
"""

import math
from dataclasses import dataclass, field

from largen.diagrams.printing.latex import escape
from largen.solver.data.datasets import data_spectrum
from largen.solver.numerics.solution import solve
from largen.solver.report.document import Section
from largen.solver.simulation.montecarlo import simulate

__all__ = ["POINTS", "FEATURES", "DataRow", "DataStudy", "data_study", "data_section"]

# the points of issue 22's digits table: sizes from below to above the data's rank, two ridges
POINTS = ((20, 100, "1e-3"), (40, 200, "1e-2"), (60, 60, "1e-2"), (64, 500, "1e-3"))
# name -> (activation, equivalence): linear features on the data's spectrum, ReLU ones by their kernel's
FEATURES = {"linear": (None, "white"), "ReLU": ("relu", "kernel")}
SEEDS = 20  # draws of the Monte Carlo per point


@dataclass(frozen=True)
class DataRow:
    """One point of the table: the features, the point, the theory's loss against the labels, the Monte
    Carlo's mean and standard error, and the route the theory took."""

    features: str
    N: int
    P: int
    gamma: str
    theory: float
    actual: float
    stderr: float
    route: str

    @property
    def ratio(self):
        """theory / actual."""
        return self.theory / self.actual


@dataclass(frozen=True)
class DataStudy:
    """A dataset's spectrum (:class:`largen.solver.data.datasets.DataSpectrum`) and the table's rows."""

    name: str
    size: int
    spectrum: object = field(repr=False)
    rows: tuple
    seeds: int

    def as_dict(self):
        """For the figure's JSON file: the spectrum's summary and the rows."""
        return {"dataset": self.name, "points": self.size, **self.spectrum.as_dict(), "seeds": self.seeds,
                "eigenvalues": [float(v) for v in self.spectrum.eigenvalues],
                "teacher": [float(v) for v in self.spectrum.teacher],
                "rows": [{"features": r.features, "N": r.N, "P": r.P, "gamma": r.gamma, "theory": r.theory,
                          "actual": r.actual, "stderr": r.stderr, "ratio": r.ratio, "route": r.route}
                         for r in self.rows]}


def data_study(data, *, points=POINTS, features=tuple(FEATURES), seeds=SEEDS, seed=0, dps=15):
    """The spectrum of ``data`` (a :class:`largen.solver.data.datasets.Dataset`) and, at each of ``points``
    ((N, P, gamma)) for each of ``features`` (names of :data:`FEATURES`), the theory against the regression.

    Returns
    -------
    DataStudy

    Examples
    --------
    >>> from largen.solver.data.datasets import digits
    >>> study = data_study(digits(), points=((20, 100, "1e-3"),), features=("linear",), seeds=4)
    >>> row, = study.rows
    >>> row.route, abs(row.ratio - 1) < 0.06
    ('linear', True)
    """
    rows = []
    for name in features:
        activation, equivalence = FEATURES[name]
        for N, P, gamma in points:
            theory = solve(data=data, N=N, P=P, gamma=gamma, dps=dps, activation=activation, equivalence=equivalence)
            run = simulate(data=data, N=N, P=P, gamma=float(gamma), seeds=seeds, seed=seed, activation=activation)
            rows.append(DataRow(name, N, P, gamma, float(theory.target_loss), float(run.mean), float(run.stderr),
                                theory.route["equivalence"]))
    return DataStudy(data.name, data.size, data_spectrum(data), tuple(rows), seeds)


def _number(x, digits=3):
    """x for a LaTeX table: 4 significant digits, powers of ten as such."""
    mantissa, _, exponent = f"{x:.{digits}e}".partition("e")
    exponent = int(exponent)
    return f"${mantissa}$" if exponent == 0 else rf"${mantissa} \times 10^{{{exponent}}}$"


def data_section(study, figure="data_spectrum.pdf"):
    """The section on the dataset: its spectrum and fit (the ``figure``), and the table of theory against the
    actual regression."""
    s, fit = study.spectrum, study.spectrum.fit
    name = escape(study.name)
    fitted = (rf"A power law $\lambda_I = \lambda_+ I^{{-(1+\alpha)}}$ fitted over $I = {fit.first}..{fit.last}$ "
              rf"gives $\alpha = {fit.alpha:.3f} \pm {fit.alpha_error:.3f}$, $\lambda_+ = {fit.lam_plus:.3g}$, and "
              rf"the teacher's weights $\omega_I \propto I^{{-\delta}}$ give $\delta = {fit.delta:.2f} \pm "
              rf"{fit.delta_error:.2f}$ (least-squares errors of the slopes; the residuals of a spectrum are "
              "correlated, read them as its scatter)." if fit is not None else
              "Too few eigenvalues for a power-law fit.")
    intro = (rf"The dataset {name} ({study.size} points) is the population: its inputs are centred and scaled to a "
             rf"mean squared norm 1, its targets centred. Its covariance has rank {s.rank}; the best linear "
             rf"predictor carries all but ${s.noise:.4g}$ of the targets' variance ${s.variance:.4g}$ per output, "
             rf"which is label noise to the linear theory. {fitted}")
    drawn = (r"\begin{figure}[h]\centering\includegraphics[width=0.8\linewidth]{" + figure + "}"
             rf"\caption{{The covariance spectrum of {name} (points), its power-law fit (line), and the best linear "
             r"teacher's variance along each eigenvector, $\lambda_I \omega_I / M'$.}\end{figure}")
    lines = [r"\begin{center}\begin{tabular}{llrrrrrr}",
             r"features & route & $N$ & $P$ & $\gamma$ & theory & actual (Monte Carlo) & theory/actual \\ \hline"]
    for r in study.rows:
        lines.append(rf"{r.features} & {r.route} & {r.N} & {r.P} & {_number(float(r.gamma), 0)} & "
                     rf"{_number(r.theory)} & {_number(r.actual)} $\pm$ {_number(r.stderr, 1)} & "
                     rf"${r.ratio:.3f}$ \\")
    lines.append(r"\end{tabular}\end{center}")
    worst = {kind: max(abs(r.ratio - 1) for r in study.rows if r.features == kind)
             for kind in dict.fromkeys(r.features for r in study.rows)}
    table = (rf"The test loss against the labels, $(1/2C)\,\mathbb{{E}}\|\theta\phi(x) - y\|^2$ over the whole "
             rf"dataset: the planar theory (linear features on the data's spectrum, teacher and noise; ReLU features "
             rf"by the kernel route, the features' kernel spectrum on the data, $\sigma_u = 1$) against the actual "
             rf"ridge regression, {study.seeds} draws of the features and of $P$ training points from the dataset "
             rf"per point. The largest relative miss: "
             + ", ".join(rf"{kind} {100 * miss:.1f}\%" for kind, miss in worst.items()) + ".")
    if not all(math.isfinite(r.ratio) for r in study.rows):
        table += " A point without a finite ratio has no loss to compare."
    return Section(f"Real data: {name}", (intro, drawn, table, "\n".join(lines)))
