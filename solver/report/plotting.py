"""The report's drawings, with matplotlib (loaded when a figure is drawn)."""

import sympy

from largen.diagrams.printing.latex import latex

__all__ = ["plot_loss_curves", "plot_fit", "plot_data_spectrum"]


def plot_loss_curves(data, title, paths, bands=None):
    """Draw :class:`largen.solver.report.figures.LossCurves`: two log-log panels, one file per path.

    Parameters
    ----------
    data : LossCurves
        The curves (the panel ``"gamma"`` left, ``"P"`` right) and their Monte Carlo points.
    title : str
        What the figure is of (the model's name).
    paths : list of str or Path
        The files to write; the format follows each one's extension.
    bands : list, optional
        Per curve of ``data.curves``, the standard deviation of one run's loss at each of its x (None
        where it is not derived), drawn as a band of ± one standard deviation about the curve.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bands = bands or [None] * len(data.curves)
    band_of = {id(curve): band for curve, band in zip(data.curves, bands)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    axis_tex = latex(sympy.Symbol(data.axis))
    try:
        for ax, panel in zip(axes, ("gamma", "P")):
            for i, curve in enumerate(c for c in data.curves if c.panel == panel):
                colour = f"C{i}"
                ax.loglog(curve.x, curve.loss, "-", color=colour, label=curve.label)
                band = band_of[id(curve)]
                if band is not None:
                    kept = [(x, loss, std) for x, loss, std in zip(curve.x, curve.loss, band) if std is not None]
                    # a log axis holds no loss below 0: the lower edge is cut at a tenth of the loss
                    ax.fill_between([x for x, _, _ in kept], [max(loss - std, loss / 10) for _, loss, std in kept],
                                    [loss + std for _, loss, std in kept], color=colour, alpha=0.15, lw=0)
                if curve.mc:
                    ax.errorbar([p.x for p in curve.mc], [p.mean for p in curve.mc], yerr=[p.stderr for p in curve.mc],
                                fmt="o", ms=4, capsize=2, color=colour)
            ax.set_xlabel(f"${axis_tex}$")
            ax.legend(fontsize=7)
        axes[0].set_ylabel(r"test loss $L$")
        fig.suptitle(f"model {title}: {data.spectrum}".replace("$", r"\$"), fontsize=10)  # text, not maths
        fig.tight_layout()
        for path in paths:
            fig.savefig(path)
    finally:
        plt.close(fig)


def plot_fit(curves, found, path):
    """Draw measured learning curves against a fitted theory and the free power law (:class:`largen.solver.
    numerics.fit.Fit`), log-log against the first of N, P, gamma that varies; one line per value of the others.

    Parameters
    ----------
    curves : dict
        Column -> array, as :func:`largen.solver.numerics.fit.read_curves` returns them.
    found : Fit
    path : str or Path
        The file to write; the format follows its extension.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    points = {k: np.asarray(v, dtype=float) for k, v in curves.items() if k not in ("loss", "loss_error")}
    varying = [k for k, v in points.items() if np.ptp(v) > 0] or list(points)
    axis = next((k for k in ("N", "P", "gamma") if k in varying), varying[0])
    others = [k for k in varying if k != axis]
    keys = [tuple(points[k][i] for k in others) for i in range(len(curves["loss"]))]
    fig, ax = plt.subplots(figsize=(6, 4))
    try:
        for j, key in enumerate(dict.fromkeys(keys)):
            rows = np.array([i for i, k in enumerate(keys) if k == key])
            rows = rows[np.argsort(points[axis][rows])]
            x, colour = points[axis][rows], f"C{j % 10}"
            label = ", ".join(f"{k} = {v:g}" for k, v in zip(others, key)) or "data"
            error = curves.get("loss_error")
            ax.errorbar(x, np.asarray(curves["loss"])[rows], yerr=None if error is None else np.asarray(error)[rows],
                        fmt="o", ms=4, capsize=2, color=colour, label=label)
            ax.loglog(x, found.predicted[rows], "-", color=colour)
            ax.loglog(x, found.power_law.predicted[rows], ":", color=colour)
        ax.plot([], [], "k-", label="fitted theory")
        ax.plot([], [], "k:", label="free power law + constant")
        ax.set_xlabel(axis)
        ax.set_ylabel("test loss")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)


def plot_data_spectrum(study, paths):
    """Draw a dataset's covariance spectrum, its power-law fit and the best linear teacher's weights
    (:class:`largen.solver.report.dataset.DataStudy`), log-log, one file per path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    spectrum = study.spectrum
    index = np.arange(1, spectrum.rank + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    try:
        ax.loglog(index, spectrum.eigenvalues, "o", ms=3, label=r"eigenvalues $\lambda_I$")
        carried = spectrum.eigenvalues * spectrum.teacher  # lambda_I omega_I/M': the target's variance along I
        positive = carried > 0
        ax.loglog(index[positive], carried[positive], "s", ms=2, alpha=0.6,
                  label=r"teacher's variance $\lambda_I \omega_I / M'$")
        fit = spectrum.fit
        if fit is not None:
            fitted = np.arange(fit.first, fit.last + 1)
            ax.loglog(fitted, fit.lam_plus * fitted ** -(1 + fit.alpha), "k-",
                      label=rf"fit $\alpha = {fit.alpha:.3f} \pm {fit.alpha_error:.3f}$")
        ax.set_xlabel("$I$")
        ax.set_title(f"dataset {study.name}".replace("$", r"\$"), fontsize=10)
        ax.legend(fontsize=7)
        fig.tight_layout()
        for path in paths:
            fig.savefig(path)
    finally:
        plt.close(fig)
