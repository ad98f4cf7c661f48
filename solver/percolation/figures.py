"""The figures of Brill's experiment: loss against N and P with the derived laws over them, and the allocation scan.

Examples
--------
>>> import os, tempfile
>>> from largen.solver.percolation.experiment import TINY, run
>>> with tempfile.TemporaryDirectory() as folder:
...     paths = draw(run(TINY, seed=0), folder)
...     [os.path.basename(path) for path in paths], all(os.path.getsize(path) > 0 for path in paths)
(['percolation_model.png', 'percolation_data.png', 'percolation_allocation.png'], True)
"""

import os

import numpy as np

from largen.solver.percolation.brill import BETHE
from largen.solver.percolation.laws import allocation_exponent, data_scaling, model_scaling

__all__ = ["draw"]


def draw(result, folder):
    """Three PNG files in ``folder``: the model-size scan, the data-size scan (each: the median over datasets,
    their range, the derived functional, and the derived law's shape through the deepest point), and the
    allocation scan with the derived optimum. Returns their paths."""
    import matplotlib
    matplotlib.use("Agg")  # files only: no display is needed
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    constants = (BETHE["tau"], BETHE["D"], BETHE["c"])
    paths = []
    for name, sizes, losses, theory, law in (
            ("model", result.model_sizes, result.model, result.model_theory, model_scaling(*constants)[0]),
            ("data", result.data_sizes, result.data, result.data_theory, data_scaling(*constants)[0])):
        figure, axis = plt.subplots(figsize=(6, 4))
        per_dataset = losses.mean(axis=1)
        axis.fill_between(sizes, per_dataset.min(axis=0), per_dataset.max(axis=0), alpha=0.3, label="datasets")
        axis.loglog(sizes, np.median(per_dataset, axis=0), "o", label="measured (median)")
        axis.loglog(sizes, np.median(theory, axis=0), "-", label="derived functional")
        grid = np.geomspace(sizes[len(sizes) // 2], sizes[-1], 30)
        shape = np.array([float(law.loss.subs(law.variable, x)) for x in grid])
        axis.loglog(grid, shape * np.median(per_dataset, axis=0)[-1] / shape[-1], "--",
                    label=f"derived law ${law.variable}^{{-{law.exponent}}}$" +
                          (r" $\log$" if law.log_power else "") + " (shape)")
        axis.set_xlabel(str(law.variable))
        axis.set_ylabel("test loss")
        axis.legend(fontsize=7)
        path = os.path.join(folder, f"percolation_{name}.png")
        figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(figure)
        paths.append(path)
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(result.configuration.allocation_exponents, result.allocation_losses, "o-",
              label=f"N = {result.configuration.allocation_size}")
    axis.axvline(float(allocation_exponent(result.beta)), ls="--", color="k", label=r"derived $1/(1+\beta_{cl})$")
    axis.set_xlabel(r"allocation exponent $g$, $n_k \propto P_k^g$")
    axis.set_ylabel("test loss")
    axis.legend(fontsize=7)
    path = os.path.join(folder, "percolation_allocation.png")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return paths + [path]
