"""The prose of the report: each section a function of derived objects, returning a :class:`Section`.

A section says in words what the objects it is given are, and shows their
equations (:mod:`largen.solver.report.document`); it derives nothing itself.
Where the prose writes a derived expression it prints it through
:mod:`largen.diagrams.printing.latex`; text from the user (a model's name, a
message) is escaped.
"""

import sympy

from largen.diagrams.engine.spectral import DELTA, EIGENVALUE, dimension_order, effective_dimension, spectral_sum
from largen.diagrams.errors import LargenError
from largen.diagrams.printing.latex import LatexPrinter, escape, latex
from largen.diagrams.printing.quiver import quiver_picture
from largen.diagrams.printing.tikz import caption, space_colours, tikz_picture
from largen.diagrams.theory.duality import Quantity
from largen.solver.numerics.point import normalization
from largen.solver.numerics.scaling import latex_table
from largen.solver.report.document import Section, Statement, equation, spectral_equation, sum_equation
from largen.solver.report.figures import axis_of, described

__all__ = ["model_section", "diagram_section", "dyson_section", "closed_section", "ridgeless_section",
           "duality_section", "finite_size_section", "scaling_section", "figure_section", "convention_text",
           "LOSS", "TRAIN_LOSS", "DENOMINATOR"]

LOSS = sympy.Symbol("L")
TRAIN_LOSS = sympy.Symbol("L_train")
DENOMINATOR = sympy.Symbol("D")  # the long denominator the closed forms share, named once
INFINITY = r"$\infty$"


def convention_text(statement):
    """The derived convention and symmetry statement (a :class:`~largen.diagrams.theory.duality.Symmetry`),
    as LaTeX text that breaks across lines.

    Examples
    --------
    >>> from largen.diagrams import mrs, symmetry
    >>> convention_text(symmetry(mrs()))[:46]
    'training loss summed over the $P$ samples (no '
    """
    def exchange(sizes):
        a, b = sizes
        return rf"${latex(a)} \leftrightarrow {latex(b)}$"

    return statement._statement(exchange, lambda e: f"${latex(e)}$", escape,
                                lambda a, b: rf"${latex(a)} \cdot {latex(b)}$")


def _inline(expr):
    """``expr`` as inline math in running text (a short fraction as a/b)."""
    return f"${latex(expr, fold_short_frac=True)}$"


def model_section(model, theory, statement):
    """The model: its quiver, data, features, teacher, noise, ridge, convention and self-energies.

    Parameters
    ----------
    model : Model
    theory : PlanarTheory
        Its planar theory (:func:`largen.diagrams.theory.dyson.planar_theory`), for the self-energies.
    statement : Symmetry
        Its convention and symmetry (:func:`largen.diagrams.theory.duality.symmetry`).
    """
    r = model.regression
    chain = " ".join(latex(sympy.Symbol(name)) for name in reversed(r.features))
    features = rf"$\phi = {chain}\, x$"
    if r.equivalent is not None:  # nonlinear features, by their Gaussian equivalent
        e = r.equivalent
        features = (rf"$\phi = s({chain}\, x)$, which in the planar limit acts like "
                    rf"$\mu_0 + {latex(e.linear)}\, {chain}\, x + {latex(sympy.Symbol(e.matrix))}$ "
                    rf"(Gaussian equivalence; the test point has its own ${latex(sympy.Symbol(e.matrix))}$, "
                    r"and the rank-one $\mu_0$ changes no planar quantity)")
    matrices = ", ".join(f"${latex(sympy.Symbol(name))}$" for name in model.matrices)
    variances = "; ".join(
        rf"${latex(sympy.Symbol(m.name))}$ is ${latex(model.spaces[m.rows])} \times {latex(model.spaces[m.cols])}$ "
        rf"with entry variance ${latex(m.variance)}$" for m in model.matrices.values())
    latent = model.spaces[model.latent]
    covariance = latex(sympy.Symbol(model.covariance(model.latent)))
    return Section("The model", (
        r"\begin{figure}[h]\centering" + "\n" + quiver_picture(model) + "\n"
        + r"\caption{The quiver of the model: index spaces (nodes) and independent Gaussian matrices (arrows).}"
        + "\n" + r"\end{figure}",
        rf"Data $x \sim \mathcal{{N}}(0, {covariance})$ in $\mathbb{{R}}^{{{latex(latent)}}}$, "
        rf"${covariance} = \mathrm{{diag}}(\lambda_1, \dots, \lambda_{{{latex(latent)}}})$; "
        rf"features {features}; {variances}. "
        rf"The teacher $y = w x$ has entries of variance ${latex(r.teacher_variance)}$"
        + (_teacher_sentence(model) if model.teacher(model.latent) else "") + "; "
        rf"the training labels carry noise of variance ${latex(r.noise_variance)}$. "
        rf"Ridge ${latex(r.ridge)}$.",
        rf"Convention: {convention_text(statement)}. "
        rf"The test loss is per output component, against the noiseless teacher; "
        rf"$\langle L \rangle$ averages over {matrices}, the teacher $w$ and the label noise. "
        f"At {normalization(model, _inline, INFINITY)}.",
        r"The planar theory has one self-energy per field of the regression's Gaussian pencil: "
        + ", ".join(rf"${latex(s)}$ on ${latex(model.spaces[f.space])}$"
                    for s, f in zip(theory.unknowns, theory.pencil.fields)) + ".",
    ))


def _teacher_sentence(model):
    """The teacher covariance, read off the model."""
    omega = latex(sympy.Symbol(model.teacher(model.latent)))
    return (rf" times $\omega_I$, its covariance ${omega} = \mathrm{{diag}}(\omega_1, \dots)$ in the latent "
            r"basis (the spectrum gives the $\omega_I$)")


def diagram_section(model, counts, drawings):
    """The diagrams: how many there are per order of 1/gamma, and the planar ones of the first orders drawn.

    Parameters
    ----------
    model : Model
    counts : list of (int, int, int)
        ``(k, planar, all genera)``: the Wick contractions of the coefficient of gamma^-k.
    drawings : list of (int, list of DiagramClass)
        The planar diagram classes of the first orders (:func:`largen.solver.report.figures.diagram_classes`).
    """
    ridge = latex(model.regression.ridge)
    rows = [rf"{k} & {planar} & {every} \\" for k, planar, every in counts]
    table = "\n".join([r"\begin{table}[h]\centering", r"\begin{tabular}{rrr}", r"\toprule",
                       r"order $k$ & planar & all genera \\", r"\midrule", *rows, r"\bottomrule", r"\end{tabular}",
                       rf"\caption{{Wick contractions of the coefficient of ${ridge}^{{-k}}$ "
                       r"of the test loss, counted by the engine.}", r"\label{tab:counts}", r"\end{table}"])
    parts = [rf"The test loss is a series in $1/{ridge}$ whose coefficients are "
             r"polynomials in traces of the model's matrices; Wick's theorem turns each trace into ribbon graphs. "
             r"Table~\ref{tab:counts} counts them; the planar ones of the first orders are drawn below "
             r"(double lines coloured by index space: "
             + ", ".join(rf"\textcolor{{{c}}}{{${latex(model.spaces[space])}$}}" for space, c in space_colours(model).items())
             + r"; dots are covariance insertions"
             + (r", open circles teacher-covariance insertions" if model.teacher(model.latent) else "") + ").",
             table]
    for k, classes in drawings:
        pictures = [r"\adjustbox{max width=0.45\linewidth}{" + tikz_picture(
            c.graph, rf"${latex(c.coefficient)}$ \quad " + caption(c.graph, c.multiplicity)) + "}" for c in classes]
        parts.append(rf"\paragraph{{Order $k = {k}$.}} "
                     + f"Planar diagrams up to the symmetries of their traces: {len(pictures)}.\n\n"
                     + "\n\\hfill\n".join(pictures))
    return Section("The diagrams", tuple(parts))


def dyson_section(theory):
    """The Schwinger-Dyson equations of a planar theory, its physical branch and the renormalised ridge."""
    latent = theory.model.spaces[theory.model.latent]
    parts = [rf"Summing the planar (rainbow) diagrams of the resolvent closes into one equation per "
             rf"self-energy; the traces over the latent space are sums over its eigenvalues $\lambda_I$, "
             rf"$I = 1, \dots, {latex(latent)}$:"]
    parts += [spectral_equation(eq) for eq in theory.equations]
    conditions = [word for i, c in enumerate(theory.conditions) for word in ((", ",) * bool(i) + (c,))]
    parts.append(Statement(("on the physical branch ", *conditions, ". The latent propagator has a single pole at ",
                            sympy.Eq(EIGENVALUE, -DELTA, evaluate=False), ", the renormalised ridge:")))
    parts.append(equation(DELTA, theory.renormalized_ridge, "the renormalised ridge, the pole of the latent propagator"))
    return Section("Schwinger--Dyson equations", tuple(parts))


def _split_noise(expr, noise):
    """``expr`` as (noiseless part, label-noise part), each factored."""
    quiet = {s: 0 for s in noise.free_symbols}
    clean = sympy.factor(expr.xreplace(quiet))
    return clean, sympy.factor(sympy.cancel(expr - clean))


def _shared_denominator(expr, least=4):
    """The longest sum (of at least ``least`` terms) among the factors of the denominator of ``expr``, or None.

    Examples
    --------
    >>> a, b, c, d = sympy.symbols("a b c d")
    >>> _shared_denominator(a / (2 * (a + b + c - d) * (a + b)))
    a + b + c - d
    """
    sums = [f for f in sympy.Mul.make_args(sympy.denom(sympy.factor(expr))) if f.is_Add and len(f.args) >= least]
    if not sums:
        return None
    longest = max(sums, key=lambda f: len(f.args))
    return -longest if longest.could_extract_minus_sign() else longest


def _at_a_physical_point(expr, model, latent=32, size=64, delta=0.1):
    """The value of ``expr`` (in Delta, the n_k and the model's symbols) at a point of the physical branch.

    The spectrum lambda_I = I**-2, I = 1..latent, at the given Delta, every other size
    ``size`` (so n_1 < latent is below every size, as on the physical branch), every
    other parameter 1.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> _at_a_physical_point(effective_dimension(1) - sympy.Symbol("N", positive=True, integer=True), mrs()) < 0
    True
    """
    values = {symbol: 1 for symbol in model.symbols.values()}
    values.update({symbol: size for symbol in model.sizes.values()})
    values[model.spaces[model.latent]] = latent
    values[DELTA] = delta
    ratios = [1 / (1 + delta * i**2) for i in range(1, latent + 1)]  # lambda/(lambda + Delta)
    for symbol in expr.free_symbols:
        order = dimension_order(symbol)
        if symbol not in values and order is not None and not order[1]:
            values[symbol] = sum(r ** order[0] for r in ratios)
    return float(expr.xreplace(values))


def _abbreviate(expr, short):
    """``expr`` with the shared denominator written as its name (``short``: value -> name)."""
    for value, name in short.items():
        expr = expr.xreplace({value: name, -value: -name})
    return expr


def closed_section(limit, train_loss):
    """The closed forms in Delta and the effective dimensions n_k: solution, ridge equation and both losses.

    Parameters
    ----------
    limit : Ridgeless
        The parametric solution (:func:`largen.diagrams.theory.parametric.ridgeless`).
    train_loss : Expr
        The training loss in Delta and the n_k.

    Returns
    -------
    Section, dict
        The section, and the abbreviation of the denominator the losses share
        (value -> name; empty when there is none), for the sections after it.
    """
    model = limit.model
    latent = model.spaces[model.latent]
    noise = model.regression.noise_variance
    found = set().union(limit.gamma.free_symbols, limit.loss.free_symbols, train_loss.free_symbols)
    ks = sorted(order[0] for order in map(dimension_order, found) if order is not None and not order[1])
    x = EIGENVALUE / (EIGENVALUE + DELTA)
    parts = [r"Trading one self-energy for $\Delta$, every spectral sum becomes a combination of the "
             r"effective dimensions"]
    parts += [equation(effective_dimension(k), spectral_sum(x**k, latent), "an effective dimension") for k in ks]
    parts.append(r"and the equations are solved by")
    parts += [equation(s, v, "solved in Δ and the n_k") for s, v in limit.solution.items()]
    parts.append(r"with the ridge an explicit function of $\Delta$ (the ridge equation):")
    parts.append(equation(model.regression.ridge, limit.gamma, "the ridge equation"))
    clean, noisy = _split_noise(limit.loss, noise)
    denominator = _shared_denominator(clean)
    if denominator is not None and _at_a_physical_point(denominator, model) < 0:
        denominator = -denominator  # D > 0 on the physical branch, as a physicist would write it
    short = {denominator: DENOMINATOR} if denominator is not None else {}
    parts.append(r"The test loss, noiseless part and label-noise term:")
    parts.append(sum_equation(LOSS, [_abbreviate(clean, short), _abbreviate(noisy, short)],
                              "the test loss: noiseless part + label-noise term"))
    clean, noisy = _split_noise(train_loss, noise)
    parts.append(r"The training loss:")
    parts.append(sum_equation(TRAIN_LOSS, [_abbreviate(clean, short), _abbreviate(noisy, short)],
                              "the training loss: noiseless part + label-noise term"))
    if short:
        parts.append(r"with the denominator they share")
        parts.append(equation(DENOMINATOR, denominator, "the denominator the losses share"))
    return Section("Closed forms", tuple(parts)), short


def ridgeless_section(limit, short):
    """The ridgeless regimes, one per root of the ridge equation in n_1, and the threshold where two meet."""
    n1 = effective_dimension(1)
    ridge = limit.model.regression.ridge
    parts = [rf"The ridgeless limit ${latex(ridge)} \to 0$ is a zero of the ridge equation in ${latex(n1)}$; "
             rf"on the physical branch the smallest root is reached. One regime per root:"]
    for regime in limit.regimes:
        parts.append(rf"\paragraph{{${latex(n1)} \to {latex(regime.n1)}$}} when ${latex(regime.condition)}$:")
        parts.append(equation(LOSS, _abbreviate(regime.loss, short)))
    try:
        gamma, coefficients = limit.near_threshold()
    except LargenError as error:
        parts.append(rf"No threshold: {escape(error)}.")
        return Section("Ridgeless regimes and the threshold", tuple(parts))
    a, b = limit.regimes[0].n1, limit.regimes[1].n1
    # the distance of n_1 from the threshold: the one symbol of gamma's expansion the theory does not have
    known = set(limit.model.symbols.values()) | set(limit.gamma.free_symbols)
    (distance,) = gamma.free_symbols - known
    parts.append(rf"\paragraph{{Threshold.}} Where the regimes ${latex(n1)} \to {latex(a)}$ and "
                 rf"${latex(n1)} \to {latex(b)}$ meet (${latex(a)} = {latex(b)}$), with "
                 rf"${latex(n1)} = {latex(a)} - {latex(distance)}$, to leading order in ${latex(distance)}$:")
    parts.append(equation(ridge, gamma))
    parts.append(sum_equation(LOSS, [_abbreviate(c, short) * distance**p for p, c in coefficients.items()]))
    coefficient, power = gamma.as_coeff_exponent(distance)
    if power == 2:
        parts.append(r"so that the distance to the threshold grows like the square root of the ridge:")
        parts.append(equation(distance**2, sympy.factor(ridge / coefficient)))
    return Section("Ridgeless regimes and the threshold", tuple(parts))


def _verdict_table(rows):
    return "\n".join([r"\begin{center}", r"\begin{tabular}{lll}", r"\toprule", r"exchange & quantity & verdict \\",
                      r"\midrule", *rows, r"\bottomrule", r"\end{tabular}", r"\end{center}"])


def duality_section(model, found, statement, mappings, short):
    """The duality: the maps of the parameters tried, the verdicts, and what a failed exchange leaves over.

    Parameters
    ----------
    model : Model
    found : list of Verdict
        :func:`largen.diagrams.theory.duality.verdicts`.
    statement : Symmetry
        :func:`largen.diagrams.theory.duality.symmetry`.
    mappings : dict
        The parameter maps tried, by convention: ``{"sum": ..., "mean": ...}``
        (:func:`largen.diagrams.theory.duality.parameter_map`).
    short : dict
        The abbreviation of :func:`closed_section`.
    """
    ridge = model.regression.ridge
    parts = [rf"Convention: {convention_text(statement)}.",
             r"The map of the parameters tried (training loss summed over the samples): "
             + ", ".join(rf"${latex(k)} \mapsto {latex(v)}$" for k, v in mappings["sum"].items())
             + r"; with a per-sample mean training loss it is "
             + ", ".join(rf"${latex(k)} \mapsto {latex(v)}$" for k, v in mappings["mean"].items())
             + "."]
    rows = []
    for v in found:
        a, b = v.sizes
        verdict = "invariant" if v.invariant else "fails"
        if v.rescaling is not None:
            verdict += rf", invariant at ${latex(ridge)} \cdot {latex(v.rescaling)}$"
        rows.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ & ${v.quantity_latex(LatexPrinter())}$ & {verdict} \\")
    parts.append(_verdict_table(rows))
    failed = [v for v in found if not v.invariant and v.kind is not Quantity.SERIES]
    if failed:
        parts.append(r"Where an exchange fails, the quantity minus its image:")
    for v in failed:
        a, b = v.sizes
        parts.append(rf"\paragraph{{${latex(a)} \leftrightarrow {latex(b)}$, {escape(v.quantity)}.}}")
        name = ridge if v.kind is Quantity.RIDGE_EQUATION else LOSS
        image = sympy.Symbol(f"{name.name}_dual")
        parts.append(equation(sympy.Add(name, -image, evaluate=False), _abbreviate(v.remainder, short)))
    if not statement.exchanges:
        parts.append(rf"Hence no exchange of sizes is a duality of this model at fixed ${latex(ridge)}$.")
    for (a, b), variance in statement.broken_by_test_xi:
        parts.append(rf"Under ${latex(a)} \leftrightarrow {latex(b)}$ the ridge equation is invariant and the test "
                     rf"loss fails only through the test point's own equivalent noise, of variance ${latex(variance)}$, "
                     r"independent of every training sample's: without it the loss is invariant.")
    return Section("Duality", tuple(parts))


def finite_size_section(model, theory, found, order):
    """The first finite-size correction: its equations, and the duality at next order.

    Parameters
    ----------
    model : Model
    theory : FiniteSizeTheory
        :func:`largen.diagrams.theory.finite_size.finite_size_theory`.
    found : list of Verdict
        :func:`largen.diagrams.theory.duality.next_order_verdicts` to ``order``.
    order : int
        The last power of 1/gamma the verdicts compare.
    """
    parts = [r"Gaussian integration by parts on $\langle Q_G R\rangle$ for a real block $A$ (coupling $c$, "
             r"entry variance $v$) between the fields $p$ and $q$ gives the planar rainbow and a twisted "
             r"contraction without a free index loop, one power of the size smaller. To that order, "
             r"$(Q_0 - \Sigma)\langle R\rangle = 1 + T$ with $T_{pk} = c^2 v\, w_p\, "
             r"\langle (R\, 1_q R)_{pk}\rangle = -c^2 v\, w_p\, \partial G_{pk}/\partial t_q$, where $t_q$ "
             r"shifts the diagonal of the field $q$ ($w_p = \lambda$ on the dressed side) and the rates "
             r"$\Sigma_{s\, t\, q} = \partial \Sigma_s/\partial t_q$ solve the planar ladder equations. "
             r"With $\langle R\rangle = G + \delta G$, $\delta G = G\, \delta\Sigma\, G + G\, T$, and the "
             r"corrections $\Sigma_{1\, p} = \delta\Sigma_p$ of the self-energies solve"]
    parts += [spectral_equation(eq) for eq in theory.equations]
    r = model.regression
    parts.append(rf"The corrections of the losses follow from $\delta E = \tfrac{{1}}{{2}} {latex(r.teacher_variance)} "
                 r"\operatorname{tr} \delta G_{\mu} + \tfrac{1}{2} " + latex(r.noise_variance)
                 + r" \operatorname{tr} \delta G_{\nu}$ by the same sources as the planar ones. Their large-ridge "
                 r"series equals, coefficient by coefficient, the one-crosscap part of the exact diagram sums. A "
                 r"complex matrix has no twisted contraction: its first correction is of genus one, relative "
                 r"order $1/\text{size}^2$.")
    rows = []
    for v in found:
        a, b = v.sizes
        verdict = "invariant" if v.invariant else "sum invariant" if v.remainder == 0 else "fails"
        rows.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ & ${v.quantity_latex(LatexPrinter())}$ & {verdict} \\")
    if r.equivalent is not None:
        parts.append(rf"The features of this model are nonlinear, replaced by their Gaussian equivalent (the linear part "
                     rf"${latex(r.equivalent.linear)}$ and the independent matrix ${latex(sympy.Symbol(r.equivalent.matrix))}$): these "
                     r"are the corrections of that equivalent model. For the nonlinear features themselves the rank-one "
                     r"mean of the activation and the non-Gaussian part of the features enter at the same order, and "
                     r"they are not derived.")
    diagrams = any(v.kind is Quantity.CROSSCAP_DIAGRAMS for v in found)
    parts.append(rf"The duality at next order, on the derived correction's coefficients of "
                 rf"$1/{latex(model.regression.ridge)}^k$, $k \le {order}$"
                 + (r", and on the one-crosscap diagrams paired one by one:" if diagrams else ":"))
    parts.append(_verdict_table(rows))
    failed = {}
    for v in found:
        if not v.invariant and v.remainder != 0:
            failed.setdefault((v.sizes, v.kind), v)
    for v in found:
        if not v.invariant and v.remainder == 0:
            parts.append(rf"For the ${v.quantity_latex(LatexPrinter())}$: {escape(v.cause)}, whose words' duals are no "
                         r"words of the coefficient; their sum is invariant.")
    for v in failed.values():
        a, b = v.sizes
        parts.append(rf"${latex(a)} \leftrightarrow {latex(b)}$ fails first for the ${v.quantity_latex(LatexPrinter())}$.")
    return Section("The first finite-size correction", tuple(parts))


def scaling_section(model, scaling):
    """The scaling laws of a power-law spectrum: the table of regimes and the phase diagram, or why there are none.

    Parameters
    ----------
    model : Model
    scaling : ScalingLaws
        :func:`largen.solver.report.figures.scaling_laws`: the regimes, the phase diagram, or why not.
    """
    law = scaling.law
    latent = model.spaces[model.latent]
    if law is None:
        return Section("Scaling laws", (
            rf"The spectrum of this report ({escape(described(scaling.spectrum))}) is not one power law: the scaling "
            rf"regimes are derived from the asymptotics of the spectral sums of "
            rf"$\lambda_I = \lambda_{{+}} I^{{-(1 + \alpha)}}$, so their exponents do not apply to it. Give a "
            r"spectrum file with one \texttt{power\_law alpha=A M=SIZE} line (for percolation data, "
            r"\texttt{largen percolation --source measured}) for this section.",))
    if scaling.regimes is None:
        return Section("Scaling laws", (rf"The regimes of this model are not derived: {escape(scaling.reason)}.",))
    size = sympy.oo if law.size == float("inf") else sympy.Integer(law.size)
    parts = [rf"For the power-law spectrum $\lambda_I = \lambda_{{+}} I^{{-(1 + \alpha)}}$ with "
             rf"$\alpha = {latex(law.alpha)}$, $\lambda_{{+}} = {latex(law.lam_plus)}$ and "
             rf"${latex(latent)} = {latex(size)}$"
             + (rf", and the teacher's $\omega_I = I^{{-\delta}}$ with $\delta = {latex(law.delta)}$" if law.teacher
                else "") + r", the regimes of the planar loss by dominant balance (conditions, leading loss, exponents):",
             r"\begin{center}\adjustbox{max width=\linewidth}{" + latex_table(scaling.regimes) + r"}\end{center}"]
    parts += _optima_paragraphs(scaling)
    if scaling.diagram is None:
        parts.append(rf"No phase diagram: {escape(scaling.reason)}.")
        return Section("Scaling laws", tuple(parts))
    size_tex, samples = latex(axis_of(model)[0]), latex(model.spaces[model.samples])
    parts.append(r"\begin{figure}[h]\centering\includegraphics[width=0.7\linewidth]{phase_diagram.pdf}"
                 rf"\caption{{The regimes at fixed ${size_tex} {samples}$: the measured local slope "
                 rf"$d \log L / d \log {latex(model.regression.ridge)}$.}}\end{{figure}}")
    return Section("Scaling laws", tuple(parts))


def _optima_paragraphs(scaling):
    """The optimal ridge where one size limits, where the sizes meet, and the best splits of budgets."""
    parts = []
    if scaling.optima:
        items = "".join(rf"\item {escape(o.regime)}: $\gamma^* = {latex(o.gamma)}$, $L^* = {latex(o.loss)}$"
                        for o in scaling.optima)
        parts.append(r"At the optimal ridge, where one size limits the loss:\begin{itemize}" + items
                     + r"\end{itemize}")
    o = scaling.crossover
    if o is not None:
        where = "at every ratio of the sizes" if any(not v.is_number for v in o.ratios.values()) else \
            "with the sizes equal"
        kind = "in closed form" if o.exact else rf"to {o.digits} digits (no closed form: a root bracketed exactly)"
        parts.append(rf"Where the sizes are of one order both roots of the ridge are near and neither formula holds; "
                     rf"the optimum sits at a finite ridge, derived {kind} {where}: "
                     rf"$$\gamma^* = {latex(o.gamma)}, \qquad L^* = {latex(o.loss)}.$$")
    if scaling.budget_optima:
        items = "".join(rf"\item ${latex(b.cost.expression)} = B$: "
                        + ", ".join(rf"${latex(k)} = {latex(v)}$" for k, v in b.sizes.items())
                        + rf", $L^* = {latex(b.loss)}$" for b in scaling.budget_optima)
        parts.append(r"The best split of a budget $B$ of the sizes, with its prefactor (15 digits):"
                     r"\begin{itemize}" + items + r"\end{itemize}")
    return parts


def figure_section(data, model):
    """The loss against the model size: the figure of :class:`largen.solver.report.figures.LossCurves`."""
    samples = latex(model.spaces[model.samples])
    ridge = latex(model.regression.ridge)
    axis = latex(sympy.Symbol(data.axis))
    points = r"points the Monte Carlo of the regression with standard errors"
    if not any(c.mc for c in data.curves):
        points = "no Monte Carlo points" + (" (it needs a finite spectrum)" if data.M == "inf" else "")
    omitted = (f" {data.omitted} points beyond the range of float64, in which the figure is drawn, are left out."
               if data.omitted else "")
    routes = {"white": "by Gaussian equivalence with a white equivalent noise",
              "kernel": "by the spectrum of the features' kernel on the data (the kernel route)"}
    route = f" Nonlinear features {routes[data.equivalence]}." if data.equivalence else ""
    return Section("The loss against the model size", (
        r"\begin{figure}[h]\centering\includegraphics[width=\linewidth]{loss_vs_size.pdf}"
        rf"\caption{{The test loss against ${axis}$ for the spectrum: {escape(data.spectrum)}. Lines are the "
        rf"planar theory (the solver), {points}. Left: several ${ridge}$ (double descent at "
        rf"${axis} = {samples}$ and its regularisation); right: several ${samples}$.{route}{omitted}}}\end{{figure}}",
    ))
