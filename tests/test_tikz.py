import shutil
import subprocess

import pytest

from conftest import require_tool, run_cli

LUALATEX = shutil.which("lualatex")




@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, pictures",
    [
        (["Trace(U.T*U*Lambda*X*X.T*U.T*U*X*X.T)"], 9),  # 9 contractions, no symmetry: 9 classes
        (["Trace((U.T*U*X*X.T)**2)", "--planar"], 3),  # weights with (tr Lambda)^2
    ],
)
def test_tikz_drawings_compile_with_lualatex(tmp_path, capsys, argv, pictures):
    require_tool("lualatex")
    tex = tmp_path / "diagrams.tex"
    status, _, err = run_cli(capsys, "diagrams", *argv, "--tikz", str(tex))
    assert status == 0, err
    assert tex.read_text().count(r"\begin{feynman}") == pictures
    proc = subprocess.run([LUALATEX, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "diagrams.pdf").stat().st_size > 1000
