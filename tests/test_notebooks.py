"""The notebooks run from top to bottom, and the numbers they show are the stored ones.

Every notebook in notebooks/ is stored executed, with its figures and equations, so that it reads on
a code host without running. Each one found there is re-executed here, in its own kernel, and every
number of its text outputs (printed lines, equations, results) is compared with the stored one: an
integer exactly, a decimal to the last digit it is printed with (one unit, for a value on a rounding
boundary), or, where a cell states it in its metadata (``"largen": {"rtol": 0.05}``), to that relative
tolerance, for a statistical result that is not reproducible bit for bit. Figures (image outputs) and
Markdown (prose, such as the TikZ source a notebook shows where LuaLaTeX is missing) are not compared,
nor are timings (a number followed by a unit of time) and the standard error stream (warnings).
A cell that draws TikZ must show the stored number of pages, or, where LuaLaTeX or pdftoppm is
missing, the reason and the source; the missing tool is then a skipped test (a failure on CI).

After a deliberate change, store a notebook executed again (every notebook without an argument)::

    python tests/test_notebooks.py notebooks/02_ribbon_graphs.ipynb
"""

import decimal
import os
import pathlib
import re
import shutil
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import require_tool

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# a cell that calls largen.solver.report.build.compile_pdf draws TikZ: it needs these to show the pictures
PICTURE_TOOLS = ("lualatex", "pdftoppm")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
TIME_UNIT = re.compile(r"\s*(?:s|ms|µs|min|seconds?|minutes?)\b")


def _is_figure(output):
    return any(kind.startswith("image/") for kind in output.get("data", {}))


def _texts(cell):
    """The text of ``cell``'s outputs that carries numbers: standard output, and the plain text and
    LaTeX of results other than figures and Markdown."""
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            yield output.text
        elif output.output_type in ("display_data", "execute_result"):
            if _is_figure(output) or "text/markdown" in output.data:
                continue
            for kind in ("text/plain", "text/latex"):
                if kind in output.data:
                    yield output.data[kind]


def shown_numbers(cell):
    """The numbers ``cell``'s text outputs show, as ``(value, tolerance, context)``, timings left out.

    The tolerance is the unit of the last printed digit for a decimal (a value on a rounding boundary
    may print one unit apart), zero for an integer, or the cell's ``largen.rtol`` relative to the value
    if that is larger.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell(outputs=[new_output("stream", name="stdout", text="tau = 2.4902, 14 graphs in 3.5 s")])
    >>> [(str(value), str(tolerance)) for value, tolerance, _ in shown_numbers(cell)]
    [('2.4902', '0.0001'), ('14', '0')]
    """
    rtol = decimal.Decimal(str(cell.metadata.get("largen", {}).get("rtol", 0)))
    numbers = []
    for text in _texts(cell):
        for match in NUMBER.finditer(text):
            if TIME_UNIT.match(text, match.end()):
                continue
            value = decimal.Decimal(match.group())
            exact = not re.search(r"[.eE]", match.group())
            unit = decimal.Decimal(0) if exact else decimal.Decimal(1).scaleb(value.as_tuple().exponent)
            context = text[max(0, match.start() - 40):match.end() + 20].replace("\n", " ").strip()
            numbers.append((value, max(unit, rtol * abs(value)), context))
    return numbers


def drifts(stored, executed):
    """Where the numbers ``executed`` shows differ from those ``stored`` shows: one line per cell.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> def shows(text):
    ...     return new_notebook(cells=[new_code_cell(outputs=[new_output("stream", name="stdout", text=text)])])
    >>> drifts(shows("L = 0.1234"), shows("L = 0.1235"))
    []
    >>> drifts(shows("L = 0.1234"), shows("L = 0.1237"))
    ["cell 0: 0.1234 stored, 0.1237 now (± 0.0001) in 'L = 0.1237'"]
    """
    lines = []
    for index, (old_cell, new_cell) in enumerate(zip(stored.cells, executed.cells)):
        if old_cell.cell_type != "code":
            continue
        old, new = shown_numbers(old_cell), shown_numbers(new_cell)
        for (before, tolerance, _), (after, _, context) in zip(old, new):
            if abs(after - before) > tolerance:
                lines.append(f"cell {index}: {before} stored, {after} now (± {tolerance}) in {context!r}")
                break
        else:
            if len(old) < len(new):
                lines.append(f"cell {index}: {len(old)} numbers stored, {len(new)} now; the first new in {new[len(old)][2]!r}")
            elif len(old) > len(new):
                lines.append(f"cell {index}: {len(old)} numbers stored, {len(new)} now; the first gone in {old[len(new)][2]!r}")
    return lines


def execute(path):
    """The notebook at ``path``, executed from top to bottom in a fresh kernel in its folder."""
    notebook = nbformat.read(path, as_version=4)
    # the kernel chooses its own (inline) figures: conftest's non-interactive backend would hide them
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    # one thread of linear algebra per kernel: BLAS threads competing for the cores with the other
    # workers made a notebook's small simulations twenty times slower
    env.setdefault("OMP_NUM_THREADS", "1")
    NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    return notebook


def _draws(cell):
    return cell.cell_type == "code" and "compile_pdf(" in cell.source


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_shows_its_stored_numbers_and_pictures(path):
    stored = nbformat.read(path, as_version=4)
    store = f"store it executed: python tests/test_notebooks.py notebooks/{path.name}"
    unrun = [i for i, cell in enumerate(stored.cells) if cell.cell_type == "code" and cell.execution_count is None]
    assert not unrun, f"cells {unrun} of {path.name} are stored without having run; {store}"
    notebook = execute(path)
    figures = [i for i, (old, new) in enumerate(zip(stored.cells, notebook.cells))
               if any(map(_is_figure, new.get("outputs", []))) and not any(map(_is_figure, old.get("outputs", [])))]
    assert not figures, f"cells {figures} of {path.name} draw figures that are not stored; {store}"
    drifted = drifts(stored, notebook)
    assert not drifted, f"{path.name} shows other numbers than it stores ({store} if that is meant):\n" + "\n".join(drifted)

    # TikZ drawings: the stored pages where the tools are installed, else the reason and the source
    missing = [tool for tool in PICTURE_TOOLS if shutil.which(tool) is None]
    for old, new in zip(stored.cells, notebook.cells):
        if _draws(new):
            pages = sum(map(_is_figure, new.outputs))
            stand_in = [o.data["text/markdown"] for o in new.outputs if "text/markdown" in o.get("data", {})]
            if missing:
                assert pages == 0 and len(stand_in) == 1, (pages, stand_in)
                assert f"{missing[0]} " in stand_in[0].split("\n")[0] and r"\begin{tikzpicture}" in stand_in[0]
            else:
                assert not stand_in, stand_in[0][:500]  # the tools are here, but the drawing failed
                assert pages == sum(map(_is_figure, old.outputs)) > 0


@pytest.mark.parametrize("tool", PICTURE_TOOLS)
def test_the_tools_that_show_the_drawings_are_installed(tool):
    """Without them notebooks 02 and 04 show the TikZ source in place of the pictures (tested above)."""
    assert any(_draws(cell) for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells)
    require_tool(tool)


def test_drift_is_found_in_a_doctored_notebook():
    """Doctor the stored outputs of a notebook: each kind of change is found or allowed, as stated."""
    stored = nbformat.read(NOTEBOOKS[0].parent / "02_ribbon_graphs.ipynb", as_version=4)
    assert drifts(stored, stored) == []

    def doctored(old, new, kind="stream"):
        copy = nbformat.from_dict(stored)
        hits = 0
        for cell in copy.cells:
            for output in cell.get("outputs", []):
                if kind == "stream" and output.output_type == "stream" and old in output.text:
                    output.text, hits = output.text.replace(old, new), hits + 1
                elif kind in output.get("data", {}) and old in output.data[kind]:
                    output.data[kind], hits = output.data[kind].replace(old, new), hits + 1
        assert hits == 1, (old, hits)
        return drifts(stored, copy)

    # an exact count (a Harer-Zagier number), an exponent in a rendered equation, a number gone
    assert doctored("{0: 14,", "{0: 15,") == ["cell 7: 14 stored, 15 now (± 0) in 'gluings of an octagon by genus: {0: 15, 1: 70, 2: 21}'"]
    assert doctored("14 N^{5}", "14 N^{6}", "text/latex")[0].startswith("cell 7: 5 stored, 6 now (± 0)")
    assert doctored(" + 21 N$", "$", "text/latex")[0].startswith("cell 7: 12 numbers stored, 11 now; the first gone in")
    # a figure's bytes and a timing are not numbers of the notebook
    png = next(o for c in stored.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert doctored(png.data["image/png"][100:140], "A" * 40, "image/png") == []
    assert doctored(": 5 diagrams", ": 5 diagrams in 0.25 s") == []
    assert doctored(": 5 diagrams", ": 5 diagrams in 0.25 cm")[0].startswith("cell 8: 1 stored, 0.25 now")

    # a decimal agrees to its last printed digit, or to a relative tolerance its cell states
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    def shows(text, rtol=None):
        cell = new_code_cell(outputs=[new_output("stream", name="stdout", text=text)])
        if rtol is not None:
            cell.metadata["largen"] = {"rtol": rtol}
        return new_notebook(cells=[cell])

    assert drifts(shows("tau = 2.4902 +- 0.0086"), shows("tau = 2.4903 +- 0.0085")) == []
    assert drifts(shows("tau = 2.4902"), shows("tau = 2.4900")) == ["cell 0: 2.4902 stored, 2.4900 now (± 0.0001) in 'tau = 2.4900'"]
    assert drifts(shows("L = 1.5e-07"), shows("L = 1.7e-07")) != []
    assert drifts(shows("L = 1.5e-07", rtol=0.2), shows("L = 1.7e-07")) == []
    assert drifts(shows("L = 1.5e-07", rtol=0.1), shows("L = 1.7e-07")) != []


def _joined_streams(outputs):
    """``outputs`` with consecutive pieces of one stream joined (the kernel sends them as they come)."""
    joined = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if output.output_type == "stream" and previous and previous.output_type == "stream" and previous.name == output.name:
            previous.text += output.text
        else:
            joined.append(output)
    return joined


def store(paths):
    """Execute the notebooks at ``paths`` and write them back with their outputs; 1 if one fails."""
    missing = [tool for tool in PICTURE_TOOLS if shutil.which(tool) is None]
    if missing and any(_draws(c) for path in paths for c in nbformat.read(path, as_version=4).cells):
        sys.exit(f"storing a notebook that draws TikZ needs {' and '.join(missing)}, to store the pictures")
    failed = 0
    for path in paths:
        try:
            notebook = execute(path)
        except CellExecutionError as error:
            print(f"{path.name}: not stored, it does not run:\n{error}", file=sys.stderr)
            failed = 1
            continue
        for cell in notebook.cells:  # keep the diff to what changed: no old timings, streams in one piece
            cell.metadata.pop("execution", None)
            if cell.cell_type == "code":
                cell.outputs = _joined_streams(cell.outputs)
        nbformat.write(notebook, path)
        print(f"{path.name}: stored")
    return failed


if __name__ == "__main__":
    sys.exit(store([pathlib.Path(p).resolve() for p in sys.argv[1:]] or NOTEBOOKS))
