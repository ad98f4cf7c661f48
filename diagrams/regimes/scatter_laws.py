"""The scatter of one run in the ridgeless regimes: its law in the sizes on a power-law spectrum.

The parametric scatter (:func:`largen.diagrams.theory.fluctuations.parametric_scatter`) gives, for
each ridgeless regime (n_1 -> a root of the ridge equation), the relative variance Var L / L**2 of
the noiseless teacher's part in the effective dimensions n_k. Deep in such a regime the renormalised
ridge goes to 0, where a power law's n_k all grow as the same power of 1/Delta: their ratios
n_k / n_1 tend to the constants of the leading asymptotics, and n_1 is the root. The other sizes far
above the root then leave a law in the root alone.
"""

from dataclasses import dataclass

import sympy

from largen.diagrams.engine.spectral import dimension_order, effective_dimension
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.printing.latex import display
from largen.diagrams.regimes.asymptotics import ALPHA, effective_dimension_asymptotics
from largen.diagrams.theory.fluctuations import parametric_scatter

__all__ = ["ScatterLaw", "OUTPUTS", "scatter_laws"]

OUTPUTS = sympy.Symbol("C", positive=True)  # the teacher's rows: the variance over the teacher is 1/C of one's


@dataclass(frozen=True)
class ScatterLaw:
    """Var L / L**2 of one run about the mean, leading order, in the ridgeless regime limited by ``limiting``
    (every other size far above it), for :data:`OUTPUTS` outputs; ``relative_std`` is its square root."""

    limiting: sympy.Symbol
    relative_variance: sympy.Expr

    @property
    def relative_std(self):
        return sympy.sqrt(self.relative_variance)

    def __str__(self):
        return f"ridgeless, {self.limiting}-limited: Var L / L**2 = {self.relative_variance}"

    def _latex(self, printer):
        return (rf"\text{{ridgeless, }}{printer._print(self.limiting)}\text{{-limited: }}"
                rf"\operatorname{{Var}} L / L^2 = {printer._print(self.relative_variance)}")

    def _repr_latex_(self):
        return display(self)


def scatter_laws(model, alpha=ALPHA):
    """The scatter's law in each ridgeless regime of ``model`` on the power law lambda_I ~ I**-(1+alpha).

    Parameters
    ----------
    model : Model
        A ridge-regression model with linear features and an isotropic teacher.
    alpha : number or sympy expression
        The decay of the spectrum (a symbol by default).

    Returns
    -------
    tuple of ScatterLaw
        One per ridgeless root that is a size; a regime whose law keeps another size (or a teacher sum)
        is left out.

    Examples
    --------
    >>> from largen.diagrams.engine.model import mrs
    >>> [str(law) for law in scatter_laws(mrs(), 1)]
    ['ridgeless, N-limited: Var L / L**2 = 2/(C*N)', 'ridgeless, P-limited: Var L / L**2 = 2/(C*P)']
    """
    scatter = parametric_scatter(model)
    sizes = {s for s in model.sizes.values() if s.is_Symbol}
    found = []
    for root, relative in scatter.regimes.items():
        if root not in sizes:
            continue
        orders = sorted(found[0] for found in map(dimension_order, relative.free_symbols) if found and not found[1])
        first = effective_dimension_asymptotics(1, "small", alpha=alpha).leading
        ratios = {effective_dimension(k): sympy.simplify(
            effective_dimension_asymptotics(k, "small", alpha=alpha).leading / first) * root for k in orders}
        law = relative.xreplace(ratios)
        for other in sorted(sizes - {root}, key=str):
            law = sympy.limit(law, other, sympy.oo)
        if law.free_symbols - {root} - as_expr(alpha).free_symbols or law == 0:
            continue
        found.append(ScatterLaw(root, sympy.factor(sympy.simplify(law)) / OUTPUTS))
    return tuple(sorted(found, key=lambda law: str(law.limiting)))
