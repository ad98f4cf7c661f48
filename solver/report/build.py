"""The report of a model: assembled from the derived objects, written with its figures, compiled.

:func:`build_report` derives what the report says of a model (its planar
theory, closed forms, ridgeless regimes, duality verdicts, first finite-size
correction, scaling laws) and has :mod:`largen.solver.report.sections` write
a section of each, with the figures' data from :mod:`largen.solver.report.figures`
drawn by :mod:`largen.solver.report.plotting`. :func:`write_report` writes it
as ``report.tex`` with its figures, all or nothing, and compiles it with
LuaLaTeX when LuaLaTeX is installed (:func:`compile_pdf`). :func:`derivation_text`
and :func:`derivation_document` are the equations alone, for ``largen derive``.

Examples
--------
>>> from largen.diagrams import mrs
>>> print(derivation_text(mrs()).splitlines()[0])  # doctest: +ELLIPSIS
Planar theory of model mrs (training loss summed over the P samples (no 1/P): ...)
"""

import json
import math
import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from largen.diagrams.engine.model import mrs, with_teacher
from largen.diagrams.engine.spectral import SOURCE, TRAIN_SOURCE
from largen.diagrams.errors import LargenError, LargenWarning, UsageError
from largen.diagrams.printing.latex import escape, latex
from largen.diagrams.theory.parametric import parametric_losses
from largen.diagrams.derivation import derive
from largen.diagrams.theory.duality import next_order_verdicts, parameter_map
from largen.diagrams.theory.series import diagram_count, loss_observable
from largen.solver.numerics.solution import solve
from largen.solver.numerics.spectrum import Spectrum
from largen.solver.report.dataset import data_section, data_study
from largen.solver.report.document import Figure, Report, Section
from largen.solver.report.figures import diagram_classes, loss_curves, scaling_laws
from largen.solver.report.plotting import plot_data_spectrum, plot_loss_curves
from largen.solver.report.sections import (closed_section, convention_text, diagram_section, duality_section,
                                           dyson_section, figure_section, finite_size_section, model_section,
                                           ridgeless_section, scaling_section)

__all__ = ["Written", "build_report", "write_report", "compile_pdf", "derivation", "derivation_text",
           "derivation_document", "rate_names", "scatter_bands"]

LATEX_TIMEOUT = 600  # seconds one LuaLaTeX run may take


@dataclass(frozen=True)
class Written:
    """What :func:`write_report` wrote: the paths, and whether (or why not) a PDF was compiled."""

    tex: Path
    pdf: Path
    figures: tuple
    compiled: bool
    reason: str

    def as_dict(self):
        """For ``--json``: the paths as strings, ``pdf`` None when it was not compiled."""
        return {"tex": str(self.tex), "pdf": str(self.pdf) if self.compiled else None,
                "figures": [str(p) for p in self.figures], "compiled": self.compiled, "reason": self.reason}


def derivation(model):
    """The derivation of ``model`` as the report writes it: its Schwinger-Dyson and closed-form sections.

    Returns
    -------
    (Section, Section), Ridgeless, dict
        The two sections, the parametric solution, and the abbreviation of the
        denominator the losses share (value -> name; empty when there is none).
    """
    theory = derive(model)
    closed, short = closed_section(theory.parametric, parametric_losses(model).train_loss)
    return (dyson_section(theory.planar), closed), theory.parametric, short


def derivation_text(model):
    """The equations of :func:`derivation` in Unicode, for a terminal (``largen derive``)."""
    sections, _, _ = derivation(model)
    return str(Report(model, sections, convention=derive(model).symmetry)) + "\n"


def derivation_document(model):
    """The equations of :func:`derivation` as a LaTeX document (``largen derive --latex``).

    Examples
    --------
    >>> from largen.diagrams.engine.model import ridge_model
    >>> model = ridge_model(r"x}\\input{/etc/hostname}\\texttt{", [("U", "N", "sigma_u**2/M")])
    >>> text = derivation_document(model)
    >>> r"\\input{/etc" in text, r"\\texttt{x\\}\\textbackslash{}input" in text
    (False, True)
    """
    sections, _, _ = derivation(model)
    convention = Section("The model", (rf"Convention: {convention_text(derive(model).symmetry)}.",))
    return latex(Report(model, (convention, *sections)))


def rate_names(theory):
    """LaTeX for the rates of the self-energies in the sources of the two losses: d Sigma / d beta.

    Examples
    --------
    >>> theory = derive(mrs()).planar
    >>> rate_names(theory)[theory.test_loss[1][0]]
    '\\\\partial_{\\\\beta} \\\\Sigma_{\\\\theta}'
    """
    names = {}
    for (_, rates, _), source in ((theory.test_loss, SOURCE), (theory.train_loss, TRAIN_SOURCE)):
        for rate, unknown in zip(rates, theory.unknowns):
            names[rate] = rf"\partial_{{{latex(source)}}} {latex(unknown)}"
    return names


def build_report(model=None, *, out=None, spectrum=None, draw_orders=2, count_orders=4, duality_order=2, curves=None,
                 scaling=True, phase_grid=200, delta=None, data=None):
    """Assemble the report of ``model`` (MRS by default) from the derived objects.

    Parameters
    ----------
    model : Model, optional
    out : Path, optional
        Where figures are written; without it the report has no figures.
    draw_orders, count_orders : int
        The orders of 1/gamma whose planar diagrams are drawn, and counted.
    duality_order : int
        The last large-ridge coefficient compared by the duality's verdicts.
    spectrum : Spectrum, optional
        The latent spectrum of the scaling laws and the figures. The scaling laws
        need one power law (another spectrum: the section says why there are
        none). By default lambda_I = I^-2: at M = inf for the scaling laws, at the
        finite M of :func:`largen.solver.report.figures.loss_curves` for the figures
        (the Monte Carlo needs one).
    curves : dict, optional
        Keyword arguments of :func:`largen.solver.report.figures.loss_curves`.
    scaling : bool
        Whether to include the scaling-law section (it runs the solver on a grid).
    phase_grid : int
        Points per axis of the phase diagram.
    delta : number, optional
        Without a spectrum: a teacher covariance omega_I = I^-delta, for the figures and the
        scaling laws. A teacher (this, or a spectrum that weighs it) gives the model its
        covariance (:func:`largen.diagrams.engine.model.with_teacher`).
    data : Dataset, optional
        A real dataset (:mod:`largen.solver.data.datasets`): a section on its spectrum and fit and the
        theory against the actual regression on it (:mod:`largen.solver.report.dataset`), with ``out``.

    Returns
    -------
    Report

    Examples
    --------
    >>> [section.title for section in build_report().sections]  # doctest: +NORMALIZE_WHITESPACE
    ['The model', 'The diagrams', 'Schwinger--Dyson equations', 'Closed forms',
     'Ridgeless regimes and the threshold', 'Duality', 'The first finite-size correction']
    """
    model = model or mrs()
    if delta is not None and spectrum is not None:
        raise UsageError("give either a spectrum or delta, not both (a file's power_law lines take delta=D)")
    if delta is not None or (spectrum is not None and spectrum.teacher):
        model = with_teacher(model)
    theory = derive(model)
    (dyson, closed), limit, short = derivation(model)
    counts = [(k, diagram_count(loss_observable(model, k), model), diagram_count(loss_observable(model, k), model,
                                                                                  planar=False))
              for k in range(count_orders + 1)]
    drawings = [(k, diagram_classes(loss_observable(model, k), model)) for k in range(draw_orders + 1)]
    mappings = {convention: parameter_map(model, convention) for convention in ("sum", "mean")}
    sections = [model_section(model, theory.planar, theory.symmetry), diagram_section(model, counts, drawings), dyson,
                closed, ridgeless_section(limit, short),
                duality_section(model, theory.verdicts(duality_order), theory.symmetry, mappings, short),
                finite_size_section(model, theory.finite_size, next_order_verdicts(model, duality_order + 1),
                                    duality_order + 1)]
    figures = []
    if out is not None and scaling:
        found = scaling_laws(model, spectrum or Spectrum.power_law(1, math.inf, delta=delta or 0), out, grid=phase_grid)
        sections.append(scaling_section(model, found))
        figures.append(Figure("phase_diagram", (Path(found.diagram),) if found.diagram else ()))
    if out is not None:
        drawn_curves = loss_curves(model, **{**(curves or {}), **({"spectrum": spectrum} if spectrum else {}),
                                     **({"delta": delta} if delta is not None else {})})
        paths = (out / "loss_vs_size.pdf", out / "loss_vs_size.png")
        activation = (curves or {}).get("activation")
        bands, why = scatter_bands(model, drawn_curves, spectrum, delta, activation)
        plot_loss_curves(drawn_curves, model.name, paths, bands)
        written = {**drawn_curves.as_dict(), "loss_std": [list(band) if band else None for band in bands],
                   **({"loss_std_missing": why} if why else {})}
        (out / "loss_vs_size.json").write_text(json.dumps(written, indent=1, allow_nan=False))
        figures.append(Figure("loss_vs_size", (*paths, out / "loss_vs_size.json")))
        section = figure_section(drawn_curves, model)
        said = (r"The shaded band about each curve is $\pm$ the standard deviation of one run's test loss over the "
                r"draws of features, data and teacher, from the diagrams (one output)." if not why else
                f"No band of one run's scatter is drawn: {escape(why)}")
        if any(band and None in band for band in bands):
            said += (" Where a band is cut, the scatter's expansion in 1/size is not certified (near the "
                     "interpolation threshold as the ridge vanishes).")
        sections.append(Section(section.title, (*section.parts, said)))
    if out is not None and data is not None:
        study = data_study(data)
        drawn = (out / "data_spectrum.pdf", out / "data_spectrum.png")
        plot_data_spectrum(study, drawn)
        (out / "data_study.json").write_text(json.dumps(study.as_dict(), indent=1, allow_nan=False))
        figures.append(Figure("data_spectrum", (*drawn, out / "data_study.json")))
        sections.append(data_section(study))
    return Report(model, tuple(sections), tuple(figures), theory.symmetry)


def scatter_bands(model, curves, spectrum=None, delta=None, activation=None):
    """The standard deviation of one run's loss (``solve(..., variance=True).loss_std``) at every point of
    the loss curves (:class:`largen.solver.report.figures.LossCurves`), where the variance is derived.

    Returns
    -------
    (list, str)
        Per curve a tuple of floats (None at a point where it is not certified), or None for a curve where
        it is not derived; and the reason when no curve has one ("" otherwise).

    Examples
    --------
    >>> from largen.solver.report.figures import loss_curves
    >>> data = loss_curves(P=(50,), gammas=(0.1,), points=2, mc_points=0)
    >>> bands, why = scatter_bands(mrs(), data)
    >>> [len(band) for band in bands], why, 0 < bands[0][0] < data.curves[0].loss[0]
    ([2, 2], '', True)
    """
    if activation is not None:
        return [None] * len(curves.curves), ("the scatter is derived for linear features; with an activation "
                                             "the features' non-Gaussian part enters it")
    if spectrum is None:
        size = math.inf if curves.M == "inf" else curves.M
        spectrum = Spectrum.power_law(curves.alpha, size, delta=delta or 0)
    bands, reasons = [], []
    for curve in curves.curves:
        # the solver's warning that the scatter is a sizeable part of the mean is the band's to show, not a
        # line on the terminal per point: a point whose connected part is not certified has no band
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LargenWarning)
            try:
                found = [solve(model, dps=15, spectrum=spectrum, variance=True, **curve.params,
                               **{curves.axis: x}).loss_std for x in curve.x]
            except LargenError as error:
                bands.append(None)
                reasons.append(str(error))
                continue
        bands.append(tuple(None if std is None else float(std) for std in found))
    return bands, (reasons[0] if reasons and all(band is None for band in bands) else "")


def write_report(model=None, out="report", *, force=False, compile=True, **options):
    """Write ``out/report.tex`` with its figures, and compile it to ``out/report.pdf`` with LuaLaTeX.

    Nothing is left behind by a report that fails: it is built in a temporary
    directory inside ``out`` and moved into place when it is complete, and a
    directory ``out`` that did not exist is removed again.

    Parameters
    ----------
    model : Model, optional
        MRS by default.
    out : str or Path
        The directory (created if missing).
    force : bool
        Overwrite a report already in ``out``.
    compile : bool
        Run ``lualatex`` (skipped, with the reason, when it is not installed).
    **options
        Passed to :func:`build_report`.

    Returns
    -------
    Written

    Raises
    ------
    UsageError
        If ``out`` cannot be made a directory and written to, or holds a report
        and ``force`` is not given (before any work is done).

    Examples
    --------
    >>> write_report(out="/dev/null/report")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.UsageError: cannot write the report in /dev/null/report: Not a directory
    """
    out = Path(out)
    if not str(out).strip():
        raise UsageError("the report's directory is an empty path")
    tex = out / "report.tex"
    if tex.exists() and not force:
        raise UsageError(f"{tex} exists: overwrite the report with force=True")
    created = next((p for p in reversed((out, *out.parents)) if not p.exists()), None)
    try:  # before the work: a directory that cannot be written is refused at once
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    except OSError as error:
        _remove(created)
        raise UsageError(f"cannot write the report in {out}: {error.strerror}") from None
    try:
        built = build_report(model, out=staging, **options)
        (staging / "report.tex").write_text(latex(built), encoding="utf-8")
        for path in sorted(staging.iterdir()):
            os.replace(path, out / path.name)
    except BaseException:
        _remove(created)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    figures = tuple(out / p.name for p in built.paths)
    if not compile:
        return Written(tex, out / "report.pdf", figures, False, "compilation not asked for")
    compiled, reason = compile_pdf(tex)
    return Written(tex, out / "report.pdf", figures, compiled, reason)


def _remove(created):
    """Remove the directory ``created`` (the first of the report's that did not exist), if any."""
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)


def compile_pdf(tex):
    """Compile ``tex`` with LuaLaTeX in its directory: ``(compiled, reason)``, the reason in one line.

    Without LuaLaTeX nothing is run and the reason says how to compile later.

    Examples
    --------
    >>> compile_pdf("no/such/report.tex")[0]
    False
    """
    tex = Path(tex)
    if shutil.which("lualatex") is None:
        return False, f"lualatex not found: compile with `cd {tex.parent} && lualatex {tex.name}`"
    if not tex.exists():
        return False, f"{tex} does not exist"
    for _ in range(2):  # the second run resolves the references
        try:
            run = subprocess.run(["lualatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                                 cwd=tex.parent, capture_output=True, text=True, timeout=LATEX_TIMEOUT)
        except subprocess.TimeoutExpired:
            return False, f"lualatex took longer than {LATEX_TIMEOUT} s; see {tex.with_suffix('.log')}"
        if run.returncode != 0:
            errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
            log = tex.with_suffix(".log")
            return False, f"lualatex failed ({errors[0] if errors else 'no error line'}); see {log}"
    return True, ""
