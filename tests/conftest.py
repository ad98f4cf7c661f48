import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _at_repository_root(monkeypatch):
    """Tests name their data files relative to the repository root."""
    monkeypatch.chdir(ROOT)


def run_cli(capsys, *argv):
    """Run ``largen ARGV`` in-process; return (status, stdout, stderr)."""
    from solver.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


os.environ.setdefault("MPLBACKEND", "Agg")
