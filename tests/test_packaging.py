"""The distribution installs one import name, ``largen``, beside any other package.

Two projects on the package index are named ``diagrams`` and ``solver``; largen once installed
top-level packages of those names and overwrote them. The wheel built from the repository must hold
``largen/...`` and its metadata only, and installing it next to a package named ``diagrams`` must leave
both importable.
"""

import subprocess
import sys
import textwrap
import zipfile

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds a wheel (setuptools in an isolated environment)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (found,) = folder.glob("largen-*.whl")
    return found


def test_the_wheel_holds_largen_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"largen", next(t for t in tops if t.endswith(".dist-info"))}
    # every sub-package is in it, and nothing of the repository's tests, notebooks or benchmarks
    for module in ("largen/__init__.py", "largen/__main__.py", "largen/diagrams/engine/model.py",
                   "largen/diagrams/theory/dyson.py", "largen/solver/numerics/solution.py",
                   "largen/solver/cli/__init__.py", "largen/solver/report/__init__.py"):
        assert module in names
    assert not [n for n in names if n.startswith(("largen/tests", "largen/notebooks", "largen/bench"))]


def test_largen_installs_beside_another_package_named_diagrams(wheel, tmp_path):
    other = tmp_path / "other"
    (other / "diagrams").mkdir(parents=True)
    (other / "diagrams" / "__init__.py").write_text('WHO = "mingrammer-like diagrams"\n')
    (other / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "diagrams"
        version = "0.25.1"
        [tool.setuptools]
        packages = ["diagrams"]
    """))
    target = tmp_path / "site"
    for source in (str(other), str(wheel)):  # the other package first: largen must not overwrite it
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), source],
                       check=True, capture_output=True, timeout=600)
    code = ("import diagrams, largen, largen.diagrams; "
            "print(diagrams.WHO); print(largen.__file__); print(largen.diagrams.mrs().name)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    who, where, model = done.stdout.splitlines()
    assert who == "mingrammer-like diagrams" and where.startswith(str(target)) and model == "mrs"
