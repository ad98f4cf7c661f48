"""The derived theory of a model, as one object: ``largen.derive(model)``.

Each part is derived when it is first asked for and kept: the planar
Schwinger-Dyson equations and losses (:func:`~largen.diagrams.theory.dyson.planar_theory`),
their parametric form in the renormalised ridge (:func:`~largen.diagrams.theory.parametric.ridgeless`),
the first finite-size correction (:func:`~largen.diagrams.theory.finite_size.finite_size_theory`),
the large-ridge series, the N <-> P verdicts and the statement of what survives
(:mod:`~largen.diagrams.theory.duality`), and the scaling regimes of a power-law
spectrum (:func:`~largen.diagrams.regimes.derive_regimes`). Nothing here derives
anything itself; it is the one place a user asks for "the theory of this model".

May import every sub-package of :mod:`largen.diagrams`.
"""

from functools import cached_property

from largen.diagrams.engine.model import Model
from largen.diagrams.errors import ModelError
from largen.diagrams.printing.latex import display
from largen.diagrams.regimes import derive_regimes
from largen.diagrams.regimes.optima import optimal_ridge
from largen.diagrams.theory.duality import symmetry, verdicts
from largen.diagrams.theory.dyson import planar_theory
from largen.diagrams.theory.finite_size import finite_size_theory
from largen.diagrams.theory.parametric import ridgeless
from largen.diagrams.theory.series import theory_coefficients

__all__ = ["Theory", "derive"]


class Theory:
    """The derived theory of one ridge-regression model; every part derived lazily, once.

    Build with :func:`derive`. Immutable: the parts are functions of the model.

    Attributes
    ----------
    model : Model
    planar : PlanarTheory
        The planar Schwinger-Dyson equations, the generating function, the losses' ladders.
    parametric : Ridgeless
        The ridge and the losses as functions of Delta and the effective dimensions n_k.
    finite_size : FiniteSizeTheory
        The first finite-size correction's equations.
    symmetry : Symmetry
        Which exchanges of sizes leave the noiseless planar test loss invariant.
    """

    def __init__(self, model):
        if not isinstance(model, Model):
            raise ModelError(f"expected a largen Model, got {type(model).__name__}")
        if model.regression is None:
            raise ModelError(f"model {model.name} is not a ridge-regression model")
        self._model = model

    @property
    def model(self):
        return self._model

    def __repr__(self):
        return f"Theory({self.model!r})"

    @cached_property
    def planar(self):
        return planar_theory(self.model)

    @cached_property
    def parametric(self):
        return ridgeless(self.model)

    @cached_property
    def finite_size(self):
        return finite_size_theory(self.model)

    @cached_property
    def symmetry(self):
        return symmetry(self.model)

    def verdicts(self, order=3, **options):
        """The N <-> P verdicts (:func:`~largen.diagrams.theory.duality.verdicts`), typed."""
        return verdicts(self.model, order, **options)

    def series(self, order, **options):
        """The coefficients c_0..c_order of <L> = sum_k c_k gamma**-k, by resummation
        (:func:`~largen.diagrams.theory.series.theory_coefficients`)."""
        return theory_coefficients(self.model, order, **options)

    def regimes(self, **options):
        """The scaling regimes of a power-law spectrum (:func:`~largen.diagrams.regimes.derive_regimes`), typed
        (:class:`~largen.diagrams.regimes.families.Regime`): ``alpha``, ``latent``, ``noise``, ``delta`` as there."""
        return derive_regimes(self.model, **options)

    def optima(self, **options):
        """The optimal ridge in each ridgeless regime (:func:`~largen.diagrams.regimes.optima.optimal_ridge`),
        typed (:class:`~largen.diagrams.regimes.optima.Optimum`): ``alpha``, ``latent``, ``noise``, ``delta``."""
        return optimal_ridge(self.model, **options)

    def _latex(self, printer):
        return (rf"\text{{model {self.model.name}: planar equations}}\quad {printer._print(self.planar)}"
                rf"\qquad \text{{in }}\Delta:\quad {printer._print(self.parametric)}")

    def _repr_latex_(self):
        return display(self)


def derive(model):
    """The derived theory of ``model``: one object whose parts are derived when asked for.

    Parameters
    ----------
    model : Model
        A ridge-regression model (:func:`~largen.diagrams.engine.model.mrs`,
        :func:`~largen.diagrams.engine.model.deep_linear`, a TOML file's model, ...).

    Returns
    -------
    Theory

    Examples
    --------
    >>> from largen.diagrams.engine.model import mrs
    >>> theory = derive(mrs())
    >>> theory.parametric.gamma
    Delta*sigma_u**2*(-N + n1)*(-P + n1)/M
    >>> [v.kind.value for v in theory.verdicts(0) if not v.invariant]
    ['test loss with label noise']
    >>> print(theory.symmetry)
    training loss summed over the P samples (no 1/P): the noiseless planar test loss is invariant under N <-> P at fixed gamma
    >>> derive("mrs")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: expected a largen Model, got str
    """
    return Theory(model)
