"""The report's drawings, with matplotlib (loaded when a figure is drawn)."""

import sympy

from largen.diagrams.printing.latex import latex

__all__ = ["plot_loss_curves", "plot_fit"]


def plot_loss_curves(data, title, paths):
    """Draw :class:`largen.solver.report.figures.LossCurves`: two log-log panels, one file per path.

    Parameters
    ----------
    data : LossCurves
        The curves (the panel ``"gamma"`` left, ``"P"`` right) and their Monte Carlo points.
    title : str
        What the figure is of (the model's name).
    paths : list of str or Path
        The files to write; the format follows each one's extension.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    axis_tex = latex(sympy.Symbol(data.axis))
    try:
        for ax, panel in zip(axes, ("gamma", "P")):
            for i, curve in enumerate(c for c in data.curves if c.panel == panel):
                colour = f"C{i}"
                ax.loglog(curve.x, curve.loss, "-", color=colour, label=curve.label)
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
