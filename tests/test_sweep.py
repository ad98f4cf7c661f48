from concurrent.futures import ThreadPoolExecutor

import pytest

from largen.diagrams import ParameterError
from largen.solver import solve
from largen.solver.numerics.grid import failures, sweep

POINT = dict(P=30, M=50, dps=12, progress=False)


class Refusing:
    """An executor that must not be used: the sweep refuses before computing."""

    def submit(self, *args, **kwargs):
        raise AssertionError("the sweep computed before refusing")


def test_rows_in_the_order_of_the_grid_and_equal_to_single_solves():
    rows = sweep(grid={"N": [20, 40], "gamma": ["1e-2", "1e-3"]}, executor=ThreadPoolExecutor(1), **POINT)
    assert [(r["N"], r["gamma"]) for r in rows] == [(20, "1e-2"), (20, "1e-3"), (40, "1e-2"), (40, "1e-3")]
    assert rows[3]["loss"] == solve(N=40, P=30, M=50, gamma="1e-3", dps=12).as_dict()["loss"]
    assert failures(rows) == 0


def test_probe_T21_a_bad_point_is_a_row_with_its_error():
    rows = sweep(grid={"gamma": ["1e-2", "0"]}, N=20, executor=ThreadPoolExecutor(1), **POINT)
    assert "error" not in rows[0] and float(rows[0]["loss"]) > 0
    assert set(rows[1]) == {"gamma", "error"} and "gamma must be positive" in rows[1]["error"]
    assert failures(rows) == 1


def test_probe_E3_every_point_failing_is_counted():
    rows = sweep(grid={"N": [20, 40]}, gamma=0, executor=ThreadPoolExecutor(1), **POINT)
    assert failures(rows) == 2 and all("gamma must be positive" in r["error"] for r in rows)


def test_probe_E4_the_output_path_is_checked_before_computing(tmp_path):
    with pytest.raises(ParameterError, match="cannot write .*x.csv: no directory"):
        sweep(grid={"N": [20, 40]}, gamma="0.01", executor=Refusing(), output=tmp_path / "nodir" / "x.csv", **POINT)
    with pytest.raises(ParameterError, match="must end in .csv or .json"):
        sweep(grid={"N": [20, 40]}, gamma="0.01", executor=Refusing(), output=tmp_path / "x.txt", **POINT)


def test_probe_U1_an_existing_output_is_kept_unless_forced(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text("precious")
    with pytest.raises(ParameterError, match="grid.json exists: overwrite it with force=True"):
        sweep(grid={"N": [20, 40]}, gamma="0.01", executor=Refusing(), output=path, **POINT)
    assert path.read_text() == "precious"
    sweep(grid={"N": [20, 40]}, gamma="0.01", executor=ThreadPoolExecutor(1), output=path, force=True, **POINT)
    assert path.read_text().startswith("[") and '"N": 40' in path.read_text()


def test_probe_U2_an_empty_output_path_is_refused():
    with pytest.raises(ParameterError, match="the output path is empty"):
        sweep(grid={"N": [20, 40]}, gamma="0.01", executor=Refusing(), output="", **POINT)


def test_probe_S15_a_string_of_values_is_refused_not_iterated():
    with pytest.raises(ParameterError, match=r"the grid values of N are the string '20,40': give a list"):
        sweep(grid={"N": "20,40"}, gamma="0.01", executor=Refusing(), **POINT)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(grid=["N", 20]), "a sweep needs at least one parameter"),
        (dict(grid={"N": 20}), "the grid values of N must be a list, got int"),
        (dict(grid={"N": []}), "the grid has no values of N"),
        (dict(grid={"N": [20, -1]}), "size N must be positive"),
        (dict(grid={"N": [20]}, dps=None), "dps must be a positive integer, got None"),
        (dict(grid={"N": [20]}, executor=object()), "executor must have a submit method"),
        (dict(grid={"N": [20]}, model="mrs"), "expected a diagrams.Model, got str"),
        (dict(grid={"N": [20]}, output=3), "the output path must be a string or a path, got int"),
        (dict(grid={"N": [20]}, progress=3), "progress must be True, False or a stream, got 3"),
    ],
)
def test_probe_T23_sweep_with_wrong_types(kwargs, message):
    params = {"gamma": "0.01", **POINT, "executor": Refusing(), **kwargs}
    with pytest.raises(ParameterError, match=message):
        sweep(**params)


def test_a_sweep_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows = sweep(grid={"N": [20, 40]}, gamma="0.01", executor=client.get_executor(), **POINT)
    local = sweep(grid={"N": [20, 40]}, gamma="0.01", executor=ThreadPoolExecutor(1), **POINT)
    assert rows == local and failures(rows) == 0 and float(rows[0]["loss"]) > float(rows[1]["loss"])


def test_probe_T22_an_interrupted_sweep_cancels_what_has_not_started():
    class Interrupted:
        def __init__(self):
            self.cancelled = 0

        def result(self):
            raise KeyboardInterrupt

        def cancel(self):
            self.cancelled += 1

    made = []

    class Executor:
        def submit(self, *args):
            made.append(Interrupted())
            return made[-1]

    with pytest.raises(KeyboardInterrupt):
        sweep(grid={"N": [20, 40]}, gamma="0.01", executor=Executor(), **POINT)
    assert made and all(f.cancelled == 1 for f in made)


def test_a_warning_at_a_point_is_in_its_row():
    rows = sweep(grid={"N": [5, 40]}, gamma="0.01", P=6, M=7, dps=10, executor=ThreadPoolExecutor(1), progress=False)
    assert "every size is below 10" in rows[0]["warning"] and "warning" not in rows[1]


def test_probe_P2_a_grid_takes_every_keyword_of_solve():
    """alpha, delta, activation and spectrum vary over a grid like the model's symbols."""
    from concurrent.futures import ThreadPoolExecutor

    from largen.diagrams import mrs
    from largen.solver import Spectrum, solve, sweep

    point = dict(P=300, gamma="1e-2", dps=15, executor=ThreadPoolExecutor(1), progress=False)
    rows = sweep(mrs(), grid={"N": [100, 200], "alpha": [1, "0.5"], "M": ["inf"]}, **point)
    assert [(r["N"], r["alpha"]) for r in rows] == [(100, 1), (100, "0.5"), (200, 1), (200, "0.5")]
    for row in rows:
        expected = solve(N=row["N"], P=300, gamma="1e-2", M="inf", alpha=row["alpha"], dps=15)
        assert row["loss"] == expected.as_dict()["loss"]
    rows = sweep(grid={"delta": ["0", "0.5"], "activation": ["linear", "relu"]}, N=50, M=100, alpha="0.2",
                 **point)
    assert len({r["loss"] for r in rows}) == 4 and not any("error" in r for r in rows)
    assert rows[3]["loss"] == solve(N=50, P=300, gamma="1e-2", M=100, alpha="0.2", delta="0.5", activation="relu",
                                    dps=15).as_dict()["loss"]
    laws = [Spectrum.power_law(1, 100), Spectrum.power_law(2, 100)]
    rows = sweep(grid={"spectrum": laws}, N=50, **point)
    assert rows[1]["loss"] == solve(N=50, P=300, gamma="1e-2", spectrum=laws[1], dps=15).as_dict()["loss"]
    with pytest.raises(ParameterError, match="alpha"):
        sweep(grid={"alpha": ["nan"]}, N=50, **point)
    with pytest.raises(ParameterError, match="Spectrum objects"):
        sweep(grid={"spectrum": [1]}, N=50, **point)
