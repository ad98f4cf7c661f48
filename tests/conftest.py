import contextlib
import os
import sys
import types
import pathlib
import shutil

import mpmath
import sympy
import pytest

# One BLAS thread per test worker: the workers already fill the cores, and BLAS threads fighting them
# made the small simulations 2-3x slower (set before numpy loads its BLAS)
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _at_repository_root(monkeypatch):
    """Tests name their data files relative to the repository root."""
    monkeypatch.chdir(ROOT)


def require_tool(name):
    """Skip the calling test, saying why, where the program ``name`` is not installed; fail on CI.

    ``.ci/run`` sets ``CI`` and installs the tools (LuaLaTeX, pdftoppm): missing there is a failure.
    """
    if shutil.which(name):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed on CI")
    pytest.skip(f"{name} is not installed on this machine (.ci/run installs it)")


def run_cli(capsys, *argv):
    """Run ``largen ARGV`` in-process; return (status, stdout, stderr)."""
    from largen.solver.cli.commands import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _ambient_precision():
    """A test that sets mpmath's ambient precision does not leak it into the next (as mpmath's own suite)."""
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps


class WorkExceeded(AssertionError):
    """More Python calls than the bound a test allows."""


@contextlib.contextmanager
def bounded_work(calls):
    """Fail when the block makes more than ``calls`` Python function calls.

    The work of a refusal (an estimate before an enumeration) is bounded by counting calls, not by a
    clock: the count is the same on a loaded machine, and an enumeration that starts makes millions.
    """
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1
            if count > calls:  # stop a runaway enumeration where it is
                sys.setprofile(None)
                raise WorkExceeded(f"more than {calls} Python calls")

    previous = sys.getprofile()
    sys.setprofile(profile)
    done = types.SimpleNamespace(calls=None)
    try:
        yield done
    finally:
        sys.setprofile(previous)
        done.calls = count
    if count > calls:  # the block caught the exception
        raise WorkExceeded(f"more than {calls} Python calls")


WORK_OF_A_REFUSAL = 20_000  # Python calls: a cost estimate and its refusal take 2,500-4,000; listing 105 diagrams 39,000


def read_back(text, model=None):
    """An expression of the JSON (``largen.solver.numerics.scaling.plain``) read back by ``sympy.sympify``, with
    the model's symbols, lambda_plus, alpha and delta as locals: what a consumer of the JSON does. Only the
    tests' own output reaches it, never a user's text."""
    from largen.diagrams.engine.model import mrs
    from largen.diagrams.regimes.asymptotics import ALPHA, TEACHER_DELTA
    from largen.solver.numerics.scaling import PLAIN_NAMES

    model = model or mrs()
    names = {str(s): s for s in model.symbols.values()} | {str(s): s for s in PLAIN_NAMES.values()}
    names |= {str(s): s for s in (ALPHA, TEACHER_DELTA)}
    return sympy.sympify(text, locals={**names, "Gamma": sympy.gamma})
