"""The report's drawings, with matplotlib (loaded when a figure is drawn)."""

import sympy

from largen.diagrams.printing.latex import latex

__all__ = ["plot_loss_curves"]


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
