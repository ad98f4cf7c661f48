"""The data behind the report's figures and tables, as dataclasses.

:func:`loss_curves` runs the solver along the model size, and the Monte Carlo
of the regression at a few points of each curve (:class:`LossCurves`, written
as ``loss_vs_size.json`` beside the drawing); :func:`diagram_classes` lists
the (planar) diagrams of an observable up to its symmetries, as the report
draws them and ``largen diagrams`` lists them; :func:`scaling_laws` derives the
regimes at a spectrum's power law and draws their phase diagram
(:class:`ScalingLaws`). A spectrum is described in words by :func:`described`,
and :func:`power_law_of` finds the one power law the scaling laws need.
"""

import math
from dataclasses import dataclass

import sympy

from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions
from largen.diagrams.engine.wick import MAX_DIAGRAMS, contractions, isomorphism_classes
from largen.diagrams.errors import LargenError
from largen.diagrams.printing.latex import latex
from largen.diagrams.regimes.optima import optimal_ridge
from largen.solver.numerics.scaling import crossover_optima, phase_diagram, regimes_at
from largen.solver.numerics.solution import solve
from largen.solver.numerics.spectrum import PowerLaw, Spectrum
from largen.solver.simulation.montecarlo import simulate

__all__ = ["MonteCarloPoint", "Curve", "LossCurves", "DiagramClass", "ScalingLaws", "loss_curves",
           "diagram_classes", "scaling_laws", "described", "power_law_of", "axis_of"]


@dataclass(frozen=True)
class MonteCarloPoint:
    """The mean test loss of the Monte Carlo at the size ``x``, and its standard error."""

    x: int
    mean: float
    stderr: float


@dataclass(frozen=True)
class Curve:
    """One curve of the loss against the size: the solver's ``loss`` at the sizes ``x``, Monte Carlo points.

    ``panel`` is the parameter the curves of its panel differ in (``"gamma"`` or
    ``"P"``); ``label`` its value in LaTeX; ``params`` the fixed parameters.
    """

    panel: str
    label: str
    params: dict
    x: tuple
    loss: tuple
    mc: tuple = ()


@dataclass(frozen=True)
class LossCurves:
    """The data of the loss-against-size figure.

    ``axis`` is the size's name, ``spectrum`` its description, ``M`` its size
    (``"inf"`` if infinite), ``alpha`` the power law's (None for another
    spectrum); ``omitted`` counts the points left out because float64, in
    which they are drawn, cannot hold them (a loss beyond its range, a Monte
    Carlo that overflowed).
    """

    axis: str
    spectrum: str
    M: object
    alpha: object
    curves: tuple
    omitted: int = 0
    equivalence: str = None  # the theory of nonlinear features: "white" or "kernel" (None: linear features)

    def as_dict(self):
        """The figure's data for ``loss_vs_size.json``: only finite numbers (JSON has no others)."""
        return {"axis": self.axis, "spectrum": self.spectrum, "M": self.M, "alpha": self.alpha,
                "curves": [{"panel": c.panel, "label": c.label, "params": c.params, "x": list(c.x),
                            "loss": list(c.loss), "mc": [[p.x, p.mean, p.stderr] for p in c.mc]} for c in self.curves],
                "omitted": self.omitted, "equivalence": self.equivalence}


@dataclass(frozen=True)
class DiagramClass:
    """Diagrams of one term of an observable that its trace's symmetries map onto each other.

    ``coefficient`` is the term's, ``graph`` a representative ribbon graph,
    ``multiplicity`` the number of contractions in the class.
    """

    coefficient: object
    graph: object
    multiplicity: int


@dataclass(frozen=True)
class ScalingLaws:
    """The scaling laws of a spectrum: its one power law, the regimes there and the phase diagram's file.

    ``law`` is None for a spectrum that is not one power law; ``regimes`` None
    when they could not be derived and ``diagram`` None when the phase diagram
    could not be drawn, ``reason`` saying why.
    """

    spectrum: Spectrum
    law: PowerLaw = None
    regimes: tuple = None
    diagram: str = None
    reason: str = ""
    optima: tuple = ()  # the optimal ridge where one size limits (Optimum), at M = inf
    crossover: object = None  # the optimum where the sizes meet (CrossoverOptimum)
    budget_optima: tuple = ()  # the best splits of N P = B and N + P = B (BudgetOptimum)


def scaling_laws(model, spectrum, out, *, grid=200):
    """The regimes of ``model`` at the power law of ``spectrum``, and their phase diagram in ``out``.

    Parameters
    ----------
    model : Model
    spectrum : Spectrum
        The scaling laws are derived for one power law; for another spectrum
        there are none (``law`` None).
    out : Path
        The directory of ``phase_diagram.pdf``.
    grid : int
        Points per axis of the phase diagram (the float64 path solves them at once).

    Returns
    -------
    ScalingLaws
    """
    law = power_law_of(spectrum)
    if law is None:
        return ScalingLaws(spectrum)
    size = sympy.oo if law.size == math.inf else sympy.Integer(law.size)
    try:
        regimes = tuple(regimes_at(model, alpha=law.alpha, latent=size, delta=law.delta if law.teacher else None))
    except (LargenError, NotImplementedError) as error:
        return ScalingLaws(spectrum, law, reason=str(error))
    delta = law.delta if law.teacher else None
    try:
        optima = tuple(optimal_ridge(model, alpha=law.alpha, latent=size, delta=delta)) if size == sympy.oo else ()
        crossover, budget_optima, _ = crossover_optima(model, law.alpha, size, None, delta)
    except LargenError:  # the regimes stand without their optima
        optima, crossover, budget_optima = (), None, ()
    found = {"optima": optima, "crossover": crossover, "budget_optima": budget_optima}
    try:
        diagram = phase_diagram(regimes, str(out / "phase_diagram.pdf"), alpha=law.alpha, model=model, grid=grid,
                                spectrum=Spectrum([law]))
    except LargenError as error:
        return ScalingLaws(spectrum, law, regimes, reason=str(error), **found)
    return ScalingLaws(spectrum, law, regimes, diagram, **found)


def axis_of(model):
    """The size along the x axis of the loss figure (the last feature width) and the other widths.

    Examples
    --------
    >>> from largen.diagrams.engine.model import deep_linear
    >>> axis_of(deep_linear(3))
    (N3, [N1, N2])
    """
    last = model.spaces[model.feature_spaces[-1]]
    others = [model.spaces[s] for s in model.feature_spaces[1:-1]]
    return last, others


def loss_curves(model=None, *, P=(50, 100, 200), gammas=(1e-6, 1e-3, 1e-1), fixed_P=100, fixed_gamma=1e-3,
                widths=None, M=400, alpha=1, spectrum=None, points=16, mc_points=5, seeds=4, dps=15,
                activation=None, delta=0, equivalence="white"):
    """The data of the loss-against-size figure: the solver's curves and Monte Carlo points.

    Parameters
    ----------
    model : Model, optional
        MRS by default; the x axis is the last feature width, other widths fixed (``widths``,
        default twice ``fixed_P``).
    P, gammas : tuples
        The sample sizes (at ``fixed_gamma``) and ridges (at ``fixed_P``) of the two panels.
    M, alpha : number
        The power-law spectrum lambda_I = I^-(1+alpha), I = 1..M (finite, for the Monte Carlo).
    spectrum : Spectrum, optional
        Another spectrum instead (an infinite one has no Monte Carlo points).
    delta : number
        With the power law, the teacher's omega_I = I^-delta (0: the isotropic teacher).
    points, mc_points, seeds : int
        Solver points per curve, Monte Carlo points per curve (0: none) and seeds per point.
    activation : str, optional
        Nonlinear features (:func:`largen.solver.solve`); the Monte Carlo uses the activation itself.
    equivalence : "white" or "kernel"
        The theory of nonlinear features (:func:`largen.solver.solve`'s ``equivalence``).

    Returns
    -------
    LossCurves

    Examples
    --------
    >>> data = loss_curves(P=(50,), gammas=(0.1,), points=2, mc_points=0)
    >>> data.axis, [(c.panel, c.x) for c in data.curves]
    ('N', [('gamma', (10, 400)), ('P', (10, 400))])
    """
    model = model or mrs()
    last, others = axis_of(model)
    samples = model.spaces[model.samples]
    ridge = model.regression.ridge
    fixed = {str(s): widths or 2 * fixed_P for s in others}
    lo, hi = 10, 4 * max(max(P), fixed_P)
    xs = sorted({round(lo * (hi / lo) ** (i / (points - 1))) for i in range(points)})
    law = Spectrum.power_law(alpha, M, delta=delta) if spectrum is None else None
    latent = str(model.spaces[model.latent])
    source = {latent: M, "alpha": alpha} if law is not None and not law.teacher else {"spectrum": spectrum or law}
    size = M if spectrum is None else spectrum.size
    if size == math.inf:  # the Monte Carlo needs a finite spectrum
        mc_points = 0
    mc_xs = sorted({round(lo * (hi / lo) ** ((i + 0.5) / mc_points)) for i in range(mc_points)}) if mc_points else []
    curves, omitted = [], 0
    for panel, values in (("gamma", [(fixed_P, g) for g in gammas]), ("P", [(p, fixed_gamma) for p in P])):
        for p, g in values:
            params = {str(samples): p, str(ridge): g, **fixed}
            route = {} if activation is None else {"equivalence": equivalence}
            solved = [(x, _drawable(solve(model, dps=dps, activation=activation, **route, **source, **params,
                                          **{str(last): x}).loss)) for x in xs]
            mc = []
            for x in mc_xs:
                run = simulate(model, seeds=seeds, activation=activation, **source, **params, **{str(last): x})
                mc.append(MonteCarloPoint(x, _drawable(run.mean), _drawable(run.stderr, positive=False)))
            kept = [(x, loss) for x, loss in solved if loss is not None]
            shown = [point for point in mc if point.mean is not None and point.stderr is not None]
            omitted += len(solved) - len(kept) + len(mc) - len(shown)
            label = rf"${latex(ridge)} = {_tex_number(g)}$" if panel == "gamma" else rf"${latex(samples)} = {p}$"
            curves.append(Curve(panel, label, params, tuple(x for x, _ in kept), tuple(v for _, v in kept),
                                tuple(shown)))
    shown = described(law if spectrum is None else spectrum)
    return LossCurves(str(last), shown, "inf" if size == math.inf else size, alpha if spectrum is None else None,
                      tuple(curves), omitted, None if activation is None else equivalence)


def _drawable(value, positive=True):
    """``value`` as a float a log axis can draw (positive and finite; a standard error may be 0), or None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) and (value > 0 or not positive and value >= 0) else None


def _tex_number(value):
    exponent = math.floor(math.log10(value))
    return rf"10^{{{exponent}}}" if value == 10.0**exponent else f"{value:g}"


def diagram_classes(observable, model, *, planar=True, max_diagrams=MAX_DIAGRAMS):
    """The (planar) diagrams of an observable, term by term (in sympy's order of the coefficients), up to the
    symmetries of its traces.

    Parameters
    ----------
    observable : str or sympy expression
        A polynomial in traces of words in the model's matrices.
    model : Model
    planar : bool
        Planar diagrams only, or every Wick contraction.
    max_diagrams : int or None
        The limit on the work (:func:`largen.diagrams.engine.wick.contractions`).

    Returns
    -------
    list of DiagramClass

    Examples
    --------
    >>> classes = diagram_classes("Trace((X*X.T)**3)", mrs(), planar=False)
    >>> sum(c.multiplicity for c in classes), sorted(c.multiplicity for c in classes if c.graph.euler == 2)
    (15, [1, 1, 3])
    """
    found = []
    terms = parse_observable(observable, model, max_diagrams=max_diagrams)
    # the terms in a fixed order: a process's hash seed must not reorder a report's drawings
    for coefficient, words in sorted(terms, key=lambda term: (sympy.default_sort_key(term[0]), repr(term[1]))):
        enumerate_ = planar_contractions if planar else contractions
        graphs = list(enumerate_(words, model, max_diagrams=max_diagrams))
        found += [DiagramClass(coefficient, graph, multiplicity)
                  for graph, multiplicity in isomorphism_classes(graphs, words, max_diagrams=max_diagrams)]
    return found


def described(spectrum):
    """A spectrum in words: its pieces.

    Examples
    --------
    >>> described(Spectrum.power_law(1, math.inf) + Spectrum.power_law("0.5", 3))
    'power law alpha = 1, M = inf + power law alpha = 1/2, M = 3'
    """
    return " + ".join(map(str, spectrum.pieces))


def power_law_of(spectrum):
    """The one power law ``spectrum`` is made of, or None (the scaling laws are derived for one).

    Examples
    --------
    >>> power_law_of(Spectrum.power_law(1, math.inf)).alpha
    1
    >>> power_law_of(Spectrum.power_law(1, 3) + Spectrum.power_law(1, 2)) is None
    True
    """
    pieces = spectrum.pieces
    return pieces[0] if len(pieces) == 1 and isinstance(pieces[0], PowerLaw) else None

