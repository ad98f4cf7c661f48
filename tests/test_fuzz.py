"""Fuzz corpus: random and hostile input to the command line and the API.

Every call must end in one of two ways: a result (finite, non-negative losses,
JSON without NaN or Infinity, every digit it claims confirmed by an evaluation
at higher precision) or a refusal (one line on stderr and exit status 2 from
the command line, a :class:`largen.diagrams.errors.LargenError` from the API). Never
a traceback, never a command run from user text.

The budget is fixed for the test suite (``LARGEN_FUZZ_EXAMPLES`` examples per
property, derandomised, so a run is repeatable); ``bench/fuzz.py`` runs the
same properties with a larger budget and fresh random seeds.
"""

import contextlib
import io
import json
import os
import warnings

import mpmath
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from largen.diagrams.errors import LargenError

EXAMPLES = int(os.environ.get("LARGEN_FUZZ_EXAMPLES", "50"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("LARGEN_FUZZ_RANDOM") is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SENTINEL = "largen_fuzz_sentinel"  # a file that a payload would create if text were ever executed
PAYLOADS = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"sqrt.__globals__['__builtins__']['__import__']('os').system('touch {SENTINEL}')",
    "sqrt.__globals__['\\137\\137builtins\\137\\137']['\\137\\137import\\137\\137']('\\157\\163')"
    f".system('touch {SENTINEL}')",
    f"(lambda: __import__('os').system('touch {SENTINEL}'))()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(N:=3)", "N.name", "'text'", "f'{N}'", "N[0]", "N if N else P", "Trace(X*X.T).func",
]
NUMBERS = ["0", "1", "-1", "2", "0.1", "1/3", "2.5", "1e-3", "1e-30", "1e-400", "1e400", "1e20", "inf", "-inf",
           "nan", "", " ", "abc", "1e99999999", "10**10**8", "3j", "０", "1_000", "0x10", "1e-3.5", "+7", "1E3"]
SIZES = st.one_of(st.integers(1, 400).map(str), st.sampled_from(NUMBERS),
                  st.floats(0.5, 1e6, allow_nan=False).map(lambda x: f"{x:.4g}"))
SMALL_SIZES = st.one_of(st.integers(1, 60).map(str), st.sampled_from(NUMBERS))  # a Monte Carlo draw stays cheap
RIDGES = st.one_of(st.integers(-30, 3).map(lambda k: f"1e{k}"), st.sampled_from(NUMBERS))
TOKENS = ["Trace(", ")", "X", "X.T", "U", "U.T", "Lambda", "tr_Lambda(", "*", "+", "-", "/", "**", "(", "1", "2",
          "0.5", "N", "P", "M", "sigma_u", "gamma", "sqrt(", ",", ".", "α", "Ｎ", "__", "[", "]", "'", ":=", "lambda"]
EXPRESSIONS = st.one_of(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join),
    st.sampled_from(PAYLOADS),
    st.text(max_size=30),
    st.sampled_from(["Trace(X*X.T)", "Trace(U.T*U*X*X.T)", "tr_Lambda(2)*P", "Trace(X*X.T)/0", "Trace(X*X.T)**2000",
                     "Trace((X*X.T)**9)", "-Trace(X*X.T)", "Trace(X.T*X)*Trace(X*X.T)"]),
)


def largen(*argv):
    """Run ``largen ARGV`` in-process and check that it ends in a result or a clean refusal.

    Returns (status, stdout); stdout is parsed JSON when ``--json`` is given and the command succeeded.
    """
    from largen.solver.cli.commands import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main([str(a) for a in argv])
    out, err = out.getvalue(), err.getvalue()
    assert not os.path.exists(SENTINEL), f"largen {argv} ran a command"
    assert "Traceback" not in err
    if status == 2:
        assert out == "" and err.startswith("largen: error: ") and err.count("\n") == 1, (argv, err)
        return status, None
    assert status == 0, (argv, status, err)
    if "--json" in argv:
        return status, json.loads(out, parse_constant=_no_constant)
    return status, out


def _no_constant(name):
    raise AssertionError(f"JSON output contains {name}")


def assert_losses_are_numbers(result):
    for key in ("loss", "train_loss"):
        value = result.get(key)
        if value is not None:
            assert mpmath.mpf(value) >= 0 and mpmath.isfinite(mpmath.mpf(value)), (key, value)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.mark.slow
@fuzz
@given(N=SIZES, P=SIZES, M=st.one_of(SIZES, st.just("inf")), gamma=RIDGES,
       alpha=st.sampled_from(["1", "0.5", "2", "0", "-1", "1e-30", "50", "nan"]),
       dps=st.sampled_from(["1", "5", "15", "30", "0", "-3", "x", "100"]))
def test_loss_answers_or_refuses(N, P, M, gamma, alpha, dps):
    status, result = largen("loss", "--N", N, "--P", P, "--M", M, "--gamma", gamma, "--alpha", alpha,
                            "--dps", dps, "--json")
    if status == 0:
        assert_losses_are_numbers(result)


@pytest.mark.slow
@fuzz
@given(expression=EXPRESSIONS, planar=st.booleans(), M=st.sampled_from(["3", "inf", "100000", None]))
def test_expect_answers_or_refuses(expression, planar, M):
    argv = ["expect", expression, "--P", "2", "--N", "3", "--json", "--max-diagrams", "2000"]
    argv += ["--planar"] if planar else []
    argv += ["--M", M] if M is not None else []
    largen(*argv)


@fuzz
@given(N=SMALL_SIZES, P=SMALL_SIZES, M=st.sampled_from(["5", "20", "40", "inf", "0", "1e9"]), gamma=RIDGES,
       noise=st.sampled_from([None, "0", "0.01", "-1", "inf", "nan"]),
       seeds=st.sampled_from(["2", "3", "1", "-1", "x"]), seed=st.sampled_from(["0", "7", "-1", "x"]))
def test_simulate_answers_or_refuses(N, P, M, gamma, noise, seeds, seed):
    argv = ["simulate", "--N", N, "--P", P, "--M", M, "--gamma", gamma, "--seeds", seeds, "--seed", seed, "--json"]
    argv += ["--noise", noise] if noise is not None else []
    status, result = largen(*argv)
    if status == 0:
        assert result["mean"] >= 0 and result["train_mean"] >= 0


LAYER = st.fixed_dictionaries({
    "width": st.sampled_from(["N", "N1", "N2", "5", "Q", "I", "lambda", "n", "0", "N"]),
    "variance": st.one_of(st.sampled_from(["sigma_u**2/M", "s**2/M", "1/M", "0", "-t**2/M", "sqrt(-1)", "nan",
                                           "2*a*b/M", "M**-1", "0.5/M"]), st.sampled_from(PAYLOADS)),
})


MODEL_KEYS = ["", 'ridge = "lambda"', 'noise = "0"', 'noise = "a*b"', 'teacher = "-w**2/M"',
              'name = "x}\\\\input{/etc/hostname}"', "depth = 2", 'latent = "I"', "samples = 7",
              # the keys added since the first round: a teacher covariance, nonlinear features
              'teacher_covariance = "Omega"', 'teacher_covariance = "__class__"', 'teacher_covariance = "Lambda"',
              'teacher_covariance = "Xi"', 'teacher_covariance = 3', "nonlinear = true", 'nonlinear = "yes"',
              'nonlinear = true\nteacher_covariance = "Omega"']
MODEL_FLAGS = [[], ["--set", "mu_1=0.5", "--set", "mu_star=0.3"], ["--mu-1", "0.5", "--mu-star", "-1"],
               ["--delta", "0.5"], ["--activation", "relu"], ["--activation", "x^2", "--delta", "1"],
               ["--teacher-spectrum", "omega.txt"]]


@pytest.mark.slow
@fuzz
@example(layers=[{"width": "N", "variance": "sigma_u**2/M"}], extra="nonlinear = true", flags=MODEL_FLAGS[1],
         command="loss")
@example(layers=[{"width": "N", "variance": "sigma_u**2/M"}], extra='teacher_covariance = "Omega"',
         flags=MODEL_FLAGS[3], command="loss")
@given(layers=st.lists(LAYER, min_size=0, max_size=2), extra=st.sampled_from(MODEL_KEYS),
       flags=st.sampled_from(MODEL_FLAGS), command=st.sampled_from(["simulate", "loss", "derive"]))
def test_model_files_answer_or_refuse(layers, extra, flags, command):
    body = "".join(f'[[model.features]]\nwidth = "{layer["width"]}"\nvariance = "{layer["variance"]}"\n'
                   for layer in layers)
    with open("model.toml", "w", encoding="utf-8") as handle:
        handle.write(f'[model]\nname = "fuzz"\n{extra}\n{body}')
    with open("omega.txt", "w", encoding="utf-8") as handle:
        handle.write("1\n0.5\n")
    point = [] if command == "derive" else ["--set", "N=12", "--P", "9", "--M", "15", "--gamma", "0.1"]
    if command == "derive" and any(f in flags for f in ("--set", "--mu-1", "--teacher-spectrum")):
        flags = []  # derive takes no parameters and no spectrum
    if len(layers) > 1 and ("nonlinear" in extra or "--activation" in flags):
        return  # two nonlinear layers take minutes (probe N10): their estimate and refusal are tested with N10
    status, result = largen(command, "--model", "model.toml", *point, *flags, "--json")
    if status == 0 and command == "loss":
        assert_losses_are_numbers(result)


@fuzz
@given(lines=st.lists(st.one_of(st.sampled_from(["1", "0.5", "0", "1e-50", "1e20", "-1", "nan", "inf", "x", "# c",
                                                 "power_law alpha=1 M=10", "power_law alpha=0 M=inf",
                                                 "power_law alpha=1 M=inf lam_plus=2", "power_law beta=1"]),
                                st.text(max_size=8)), max_size=6))
def test_spectrum_files_answer_or_refuse(lines):
    with open("spectrum.txt", "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    status, result = largen("loss", "--spectrum", "spectrum.txt", "--N", "7", "--P", "5", "--gamma", "0.01",
                            "--dps", "15", "--json")
    if status == 0:
        assert_losses_are_numbers(result)


def digits_agree(claimed, truth, dps):
    """``claimed`` has ``dps`` right significant digits: within one unit of the last against ``truth``."""
    return abs(claimed - truth) <= mpmath.mpf(10) ** (1 - dps) * abs(truth)


@pytest.mark.slow
@fuzz
@given(N=st.one_of(st.integers(1, 10**6), st.floats(1.5, 1e4)), P=st.integers(1, 10**6),
       M=st.one_of(st.integers(10, 10**4), st.just(mpmath.inf)),
       log_gamma=st.integers(-30, 3), alpha=st.sampled_from(["0.5", "1", "2"]),
       noise=st.sampled_from(["0", "0.01"]), dps=st.sampled_from([15, 20, 30]))
def test_every_claimed_digit_is_right(N, P, M, log_gamma, alpha, noise, dps):
    """The API's certified outputs agree with an evaluation 30 digits deeper."""
    from largen.solver import solve

    params = dict(N=N, P=P, M=M, gamma=f"1e{log_gamma}", alpha=alpha, sigma_eps=noise)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            low = solve(dps=dps, **params)
        except LargenError:
            return
        high = solve(dps=dps + 30, **params)
    for name in ("loss", "train_loss", "Delta"):
        claimed, truth = getattr(low, name), getattr(high, name)
        if claimed is not None and truth is not None:
            assert digits_agree(claimed, truth, dps), (name, params, dps, claimed, truth)


@fuzz
@given(text=st.one_of(st.text(max_size=40), st.sampled_from(PAYLOADS)))
def test_api_text_is_parsed_or_refused(text):
    from largen.diagrams import expectation, load_model
    from largen.diagrams.engine.modelfile import loads

    for call in (lambda: expectation(text, max_diagrams=2000), lambda: loads(text),
                 lambda: loads(f'[model]\n[[model.features]]\nwidth = "N"\nvariance = "{text}"')):
        try:
            call()
        except LargenError:
            pass
    with pytest.raises(LargenError):
        load_model(text if text else None)
    assert not os.path.exists(SENTINEL)


@pytest.mark.slow
@settings(fuzz, max_examples=max(5, EXAMPLES // 5))
@given(alpha=st.sampled_from(["1", "0.5", "0", "-1", "nan", "x", PAYLOADS[0]]),  # symbolic alpha: tests/test_regimes.py
       M=st.sampled_from(["inf", "symbolic", "1000", "0", "-5", PAYLOADS[1]]),
       noise=st.sampled_from([None, "symbolic", "0.01", "-1", "inf", PAYLOADS[0], PAYLOADS[3]]))
def test_exponents_answer_or_refuse(alpha, M, noise):
    argv = ["exponents", "--M", M, "--json"]
    argv += ["--alpha", alpha] if alpha is not None else []
    argv += ["--noise", noise] if noise is not None else []
    largen(*argv)


REPORT_WORK = {"draw_orders": 0, "count_orders": 1, "duality_order": 0, "phase_grid": 2,
               "curves": {"points": 2, "mc_points": 1, "seeds": 2, "P": (20,), "gammas": (0.1,)}}


@pytest.mark.slow
@settings(fuzz, max_examples=max(4, EXAMPLES // 8))
@example(out="rep", model=None, spectrum="law.txt", teacher=None, force=False)
@example(out="taken", model="nl.toml", spectrum="huge.txt", teacher=None, force=True)
@given(out=st.sampled_from(["rep", "taken", "/proc/rep", "", "rep/sub", "no/such/../rep"]),
       model=st.sampled_from([None, "bad.toml", "none.toml", "nl.toml"]),
       spectrum=st.sampled_from([None, "law.txt", "listed.txt", "huge.txt", "bad.txt", "none.txt"]),
       teacher=st.sampled_from([None, ["--delta", "0.5"], ["--delta", PAYLOADS[0]], ["--delta", "-3"],
                                ["--teacher-spectrum", "omega.txt"], ["--activation", "junk"]]),
       force=st.booleans())
def test_report_answers_or_refuses(monkeypatch, out, model, spectrum, teacher, force):
    """A report is written whole, or refused in one line leaving nothing behind (the work kept small)."""
    from largen.solver.report import build

    report = build.build_report
    monkeypatch.setattr(build, "build_report", lambda model, **options: report(model, **{
        **options, **REPORT_WORK, "curves": {**(options.get("curves") or {}), **REPORT_WORK["curves"]}}))
    monkeypatch.setattr(build.shutil, "which", lambda name: None)  # no LuaLaTeX: the work of a report, not TeX's
    files = {"bad.toml": "[model\n", "nl.toml": '[model]\nname = "nl"\nnonlinear = true\n[[model.features]]\n'
             'width = "N"\nvariance = "1/M"\n', "law.txt": "power_law alpha=1 M=inf\n",
             "listed.txt": "1\n0.5\n0.25\n", "huge.txt": "1e300\n1e300\n", "bad.txt": "x\n", "omega.txt": "1\n2\n3\n"}
    for name, text in files.items():
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
    os.makedirs("taken", exist_ok=True)
    with open(os.path.join("taken", "report.tex"), "w", encoding="utf-8") as handle:
        handle.write("mine")
    before = sorted(os.listdir("."))
    argv = ["report", "--out", out, "--json", *(["--force"] if force else [])]
    argv += ["--model", model] if model else []
    argv += ["--spectrum", spectrum] if spectrum else []
    argv += teacher or []
    status, result = largen(*argv)
    if status == 2:  # refused: nothing written
        assert sorted(os.listdir(".")) == before
        with open(os.path.join("taken", "report.tex"), encoding="utf-8") as handle:
            assert handle.read() == "mine"
    else:
        assert os.path.exists(result["tex"]) and all(os.path.exists(p) for p in result["figures"])
        assert not [name for name in os.listdir(os.path.dirname(result["tex"])) if name.startswith(".report-")]


@settings(fuzz, max_examples=max(5, EXAMPLES // 5))
@example(lattice="bethe", z=None, d=None, p=None, clusters="50", max_clusters="1e3", seed="7", out="spectrum.txt",
         source="simulation")
@example(lattice="bethe", z=None, d=None, p=None, clusters="1e1", max_clusters=None, seed="0", out="spectrum.txt",
         source="exact")
@given(lattice=st.sampled_from(["bethe", "hexagonal"]),  # square and cubic: seconds a box (tests/test_percolation.py)
       z=st.sampled_from([None, "1", "0", "-3", "1e6", "x"]), d=st.sampled_from([None, "2", "3", "0", "100"]),
       p=st.sampled_from([None, "0.5", "1.5", "-0.1", "nan", "0", "1", PAYLOADS[0]]),
       clusters=st.sampled_from(["50", "1e1", "0", "-5", "2e6", "2.5", "x"]),  # z = 3 at p_c: seconds per 100
       max_clusters=st.sampled_from([None, "1e3", "5e2", "0", "x"]),
       seed=st.sampled_from(["0", "7", "-1", "1e30", "x"]),
       out=st.sampled_from([None, "spectrum.txt", "/proc/x.txt", "", "existing.txt"]),
       source=st.sampled_from(["simulation", "measured", "exact", "bogus"]))
def test_percolation_answers_or_refuses(lattice, z, d, p, clusters, max_clusters, seed, out, source):
    with open("existing.txt", "w", encoding="utf-8") as handle:
        handle.write("precious")
    argv = ["percolation", "--lattice", lattice, "--clusters", clusters, "--seed", seed, "--source", source, "--json"]
    for flag, value in (("--z", z), ("--d", d), ("--p", p), ("--max-clusters", max_clusters), ("--out", out)):
        argv += [flag, value] if value is not None else []
    before = sorted(os.listdir("."))
    status, result = largen(*argv)
    with open("existing.txt", encoding="utf-8") as handle:
        assert handle.read() == "precious"
    if status == 2:
        assert sorted(os.listdir(".")) == before
    elif out:  # the spectrum file is one the solver reads
        status, solved = largen("loss", "--spectrum", out, "--N", "7", "--P", "5", "--gamma", "0.1", "--dps", "10",
                                "--json")
        if status == 0:
            assert_losses_are_numbers(solved)


@pytest.mark.slow
@settings(fuzz, max_examples=max(3, EXAMPLES // 10))
@example(alpha="1", M=None, noise=None, delta=None, dps="15")
@given(alpha=st.sampled_from(["1", "2", "0", "nan", None, PAYLOADS[0]]),
       M=st.sampled_from([None, "inf", "1000", "symbolic"]),
       noise=st.sampled_from([None, "0.1", "symbolic", "-1"]),
       delta=st.sampled_from([None, "0.5", "symbolic", "1e6"]), dps=st.sampled_from(["15", "0", "x"]))
def test_exponents_check_answers_or_refuses(alpha, M, noise, delta, dps):
    """``exponents --check``: every ratio of the solver's loss to a regime's leading term is a finite number."""
    argv = ["exponents", "--check", "--dps", dps, "--json"]
    for flag, value in (("--alpha", alpha), ("--M", M), ("--noise", noise), ("--delta", delta)):
        argv += [flag, value] if value is not None else []
    status, result = largen(*argv)
    if status == 0:
        for regime in result["regimes"]:
            assert regime["check"] and all(mpmath.isfinite(mpmath.mpf(c["ratio"])) for c in regime["check"])
