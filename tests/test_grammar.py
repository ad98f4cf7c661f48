"""The restricted grammar: hostile text is refused, no code runs, legitimate text is read exactly."""

import json
import os

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import WORK_OF_A_REFUSAL, bounded_work
from largen.diagrams import ExpressionError, Gaussian, LargenError, Model, ModelError, ParameterError, deep_linear
from largen.diagrams import load_model, mrs
from largen.diagrams.engine import modelfile
from largen.diagrams.errors import CostError
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.engine.grammar import MAX_DEPTH, parse_expression, parse_number
from largen.diagrams.engine.observable import namespace, parse_observable
from largen.diagrams.engine.spectral import covariance_trace
from largen.diagrams.engine.symbols import parameter_symbol, size_symbol

M, N, P = (size_symbol(s) for s in "MNP")
tr = covariance_trace()

# The payload of probe S1, byte for byte as in the shell: the backslashes are in the text.
S1 = (r"Trace(X*X.T)+0*sqrt.__globals__['\137\137builtins\137\137']['\137\137import\137\137']"
      r"('\157\163').system('\151\144')")

HOSTILE = [
    (S1, "attribute access '.system'"),
    ("Trace(X*X.T)+0*sqrt.__globals__['__builtins__']", "a subscript"),
    ("Trace(X*X.T)+0*sqrt.__globals__", "attribute access '.__globals__'"),
    ("__import__('os').system('id')", "attribute access '.system'"),
    ("__import__('os')", "a string"),
    ("__import__", "undefined symbol '__import__'"),
    ("(N:=3)*Trace(X*X.T)", "assignment expression"),
    ("(lambda: 1)()", "bare name"),
    ("lambda: 1", "a lambda"),
    ("N.name", "attribute access '.name'"),
    ("Trace(X*X.T).doit()", "attribute access '.doit'"),
    ("X.T.__class__", "attribute access '.__class__'"),
    ("Trace(X*X.T)[0]", "a subscript"),
    ("'...'", "a string"),
    ("...", "Ellipsis is not allowed"),
    ("f'{N}'", "an f-string"),
    ("[N for N in (1, 2)]", "a comprehension"),
    ("sum(N for N in (1, 2))", "a comprehension"),
    ("N < P", "a comparison"),
    ("N and P", "'and'/'or'"),
    ("N if P else M", "a conditional expression"),
    ("(N, P)", "a tuple"),
    ("sqrt(N, P)", "takes one argument"),
    ("sqrt(x=N)", "keyword arguments"),
    ("sqrt(*N)", "a starred argument"),
    ("N @ P", "the operator '@'"),
    ("N ^ 2", "write powers as **"),
    ("N // 2", "the operator '//'"),
    ("~N", "the operator '~'"),
    ("not N", "the operator not"),
    ("1j*Trace(X*X.T)", "an imaginary number"),
    ("0x10*N", "not a decimal number"),
    ("N.T", "applies to a matrix"),
    ("Trace", "must be called"),
    ("N(2)", "'N' is not a function"),
    ("Trace(X*X.T)*\u03b1", "character '\u03b1' (U+03B1) at position 13"),
    ("Trace(X*X.T)*\uff2e", "character '\uff2e' (U+FF2E) at position 13"),
    ("10**10**8", "digits, beyond 10000"),
    ("1e99999999*Trace(X*X.T)", "the exponent of '1e99999999' is beyond"),
    ("1" * 10**6, "longer than 10000 characters"),
    ("(" * 100_000 + "N" + ")" * 100_000, "longer than 10000 characters"),
    ("(" * 1000 + "N" + ")" * 1000, f"nested deeper than {MAX_DEPTH}"),
    ("2**" * 200 + "2", f"nested deeper than {MAX_DEPTH}"),
    ("-" * 5000 + "N", "nested too deeply to read"),
    ("Trace(X*X.T)**2000", "the power 2000 is beyond 1000"),
    ("Trace(X*X.T)/0", "division by zero"),
    ("0/0*Trace(X*X.T)", "division by zero"),
    ("0**-1*Trace(X*X.T)", "division by zero"),
    ("tr_Lambda(1)/(N-N)", "division by zero"),
    ("Trace(X*X.T +", "cannot read"),
    ("", "is empty"),
]


@pytest.mark.parametrize("text, message", HOSTILE)
def test_hostile_observables_are_refused(text, message):
    with bounded_work(WORK_OF_A_REFUSAL), pytest.raises(ExpressionError) as refusal:
        expectation(text, mrs())
    assert message in str(refusal.value)
    assert "\n" not in str(refusal.value)


def _sentinel_payloads(path):
    return [
        f"Trace(X*X.T)+0*sqrt.__globals__['__builtins__']['open']('{path}', 'w')",
        f"__import__('os').system('touch {path}')",
        f"[open('{path}', 'w') for N in (1,)]",
        f"(N:=open('{path}', 'w'))",
        f"lambda: open('{path}', 'w')",
        f"open('{path}', 'w')",
        f"Trace(X*X.T).__class__.__init__.__globals__['__builtins__']['open']('{path}', 'w')",
    ]


def test_no_code_runs_from_an_observable(tmp_path):
    sentinel = tmp_path / "pwned"
    for payload in _sentinel_payloads(sentinel):
        with pytest.raises(LargenError):
            expectation(payload, mrs())
    assert not sentinel.exists()


def test_no_code_runs_from_a_model_file(tmp_path):
    sentinel = tmp_path / "pwned"
    for payload in _sentinel_payloads(sentinel):
        for key in ("variance", "teacher", "noise"):
            layer = f"variance = {payload!r}" if key == "variance" else 'variance = "1/M"'
            extra = f"{key} = {payload!r}\n" if key != "variance" else ""
            with pytest.raises(ModelError):
                modelfile.loads(f'[model]\nname = "m"\n{extra}[[model.features]]\nwidth = "N"\n{layer}\n')
    assert not sentinel.exists()


# -- property tests: anything either parses or raises a LargenError ------------------------------

TOKENS = ["N", "P", "M", "X", "U", "Lambda", "Trace", "tr_Lambda", "sqrt", "gamma", "sigma_u", "(", ")",
          "*", "**", "/", "+", "-", ".T", ".H", "0", "1", "2", "0.5", "1e-3", "1e400", " ", ",", "[", "]",
          ".", "'", ":=", "lambda", "__class__", "_", "j", "e", "10**", "%", "@"]


def _total(text):
    """Parse and expect: a result or a LargenError, nothing else."""
    try:
        result = expectation(text, mrs(), max_diagrams=2_000)
    except LargenError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert not result.has(sympy.nan, sympy.zoo, sympy.oo)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_a_largen_error(text):
    _total(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_text_from_the_grammars_tokens_parses_or_raises_a_largen_error(text):
    _total(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40), st.sampled_from(["variance", "teacher", "noise", "width", "ridge", "name", "latent",
                                            "samples", "covariance"]))
def test_arbitrary_model_file_values_build_a_model_or_raise_a_model_error(text, key):
    value = json.dumps(text)  # a TOML basic string
    keys = {"variance": value, "width": '"N"'} if key in ("variance", "width") else {"variance": '"1/M"', "width": '"N"'}
    if key in ("variance", "width"):
        keys[key] = value
    top = f"{key} = {value}\n" if key not in ("variance", "width") else ""
    layer = "".join(f"{k} = {v}\n" for k, v in keys.items())
    try:
        model = modelfile.loads(f"[model]\n{top}[[model.features]]\n{layer}")
    except ModelError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for variance in [m.variance for m in model.matrices.values()] + [model.regression.teacher_variance,
                                                                     model.regression.noise_variance]:
        assert variance.is_negative is not True and variance.is_extended_real is not False


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.floats(), st.integers(), st.fractions(), st.booleans(), st.none()))
def test_arbitrary_values_are_numbers_or_a_parameter_error(value):
    try:
        result = parse_number(value, what="x")
    except ParameterError:
        return
    assert isinstance(result, sympy.Basic) and (result.is_Rational or result in (sympy.oo, -sympy.oo))


# -- the one number reader -----------------------------------------------------------------------


@pytest.mark.parametrize("value, exact", [
    ("0.1", sympy.Rational(1, 10)), (0.1, sympy.Rational(1, 10)), ("1e-3", sympy.Rational(1, 1000)),
    ("1E+2", 100), (" 2.5 ", sympy.Rational(5, 2)), (".5", sympy.Rational(1, 2)), ("5.", 5),
    ("-2/6", sympy.Rational(-1, 3)), ("inf", sympy.oo), ("+inf", sympy.oo), ("-Infinity", -sympy.oo),
    (float("inf"), sympy.oo), (7, 7), (sympy.Rational(2, 3), sympy.Rational(2, 3)),
    (sympy.Float("0.25"), sympy.Rational(1, 4)), ("1e-400", sympy.Rational(1, 10**400)),
])
def test_numbers_are_read_exactly(value, exact):
    assert parse_number(value, what="x") == exact


def test_numbers_from_mpmath_and_numpy_are_exact():
    import mpmath
    import numpy as np

    assert parse_number(mpmath.inf, what="M") == sympy.oo
    assert parse_number(mpmath.mpf("0.5"), what="x") == sympy.Rational(1, 2)
    assert parse_number(np.float64(0.1), what="x") == sympy.Rational(1, 10)
    assert parse_number(np.int64(3), what="x") == 3


@pytest.mark.parametrize("value, message", [
    ("nan", "'nan' is not a number"), (float("nan"), "nan is not a number"), ("1+2j", "a complex number"),
    (sympy.I, "is not real"), (sympy.nan, "is not a number"), (sympy.Symbol("q"), "is not a number"),
    ("1e99999999", "the exponent of '1e99999999' is beyond 3000"), ("9" * 2000, "more than 1000 digits"),
    (10**2000, "more than 1000 digits"), ("1/0", "division by zero"), (True, "is not a number"),
    (None, "NoneType is not a number"), ("0x10", "is not a number"), ("", "is not a number"),
    ("1" * 20_000, "longer than 10000"), ("\uff11", "U+FF11"),
])
def test_bad_numbers_are_refused(value, message):
    with pytest.raises(ParameterError) as refusal:
        parse_number(value, what="x")
    assert message in str(refusal.value)


def test_the_grammar_reads_the_models_names_only():
    names = namespace(mrs())
    assert parse_expression("sqrt(4)*N/3 - 1", names, what="t") == 2 * N / 3 - 1
    assert parse_expression("Trace(X*X.T)", names, what="t") == sympy.Trace(names["X"] * names["X"].T)
    # sympy's own names are not in the namespace: E, I, S, pi mean nothing here
    for name in ("E", "I", "S", "pi", "oo", "Symbol", "Integer", "eval", "exec", "open"):
        with pytest.raises(ExpressionError, match=f"undefined symbol '{name}'"):
            parse_expression(f"{name}*N", names, what="t")


# -- regression tests of the reliability probes --------------------------------------------------


def test_probe_S1_the_octal_escaped_payload_is_refused_and_runs_nothing(tmp_path):
    with pytest.raises(ExpressionError, match="attribute access '.system' is not allowed"):
        expectation(S1, mrs())
    with pytest.raises(ExpressionError, match="attribute access"):
        parse_observable(S1, mrs())
    with pytest.raises(ExpressionError, match="assignment expression"):
        expectation("(N:=3)*Trace(X*X.T)", mrs())


def test_probe_S2_a_model_file_cannot_run_code(tmp_path):
    for key in ("variance", "teacher", "noise"):
        payload = "sigma**2/M + 0*" + S1.split("0*", 1)[1]
        extra = f"{key} = {payload!r}\n" if key != "variance" else ""
        layer = f"variance = {payload!r}" if key == "variance" else 'variance = "1/M"'
        path = tmp_path / f"{key}.toml"
        path.write_text(f'[model]\nname = "m"\n{extra}[[model.features]]\nwidth = "N"\n{layer}\n')
        with pytest.raises(ModelError, match="attribute access '.system' is not allowed"):
            load_model(path)


def test_probe_S5_power_sums_of_non_positive_or_fractional_order_are_refused():
    for k in ("0", "-1", "1/2", "0.5", "N"):
        with pytest.raises(ExpressionError, match="must be a positive integer"):
            expectation(f"tr_Lambda({k})", mrs())
    assert expectation("tr_Lambda(2)*Trace(X*X.T)", mrs()) == P * tr(1) * tr(2)


def test_probe_S6_decimal_literals_are_exact():
    assert expectation("0.1*Trace(X*X.T)", mrs()) == P * tr(1) / 10
    assert expectation("1e-3*Trace(X*X.T)", mrs()) == P * tr(1) / 1000
    assert parse_observable("2.50*Trace(X*X.T)", mrs()).terms[0][0] == sympy.Rational(5, 2)


def test_probe_S8_negative_teacher_or_noise_variances_are_refused():
    with pytest.raises(ModelError, match="teacher variance: -t\\*\\*2/M is negative"):
        modelfile.loads('[model]\nteacher = "-t**2/M"\n[[model.features]]\nwidth = "N"\nvariance = "1/M"')
    with pytest.raises(ModelError, match="noise variance: -e\\*\\*2 is negative"):
        modelfile.loads('[model]\nnoise = "-e**2"\n[[model.features]]\nwidth = "N"\nvariance = "1/M"')


def test_probe_S9_nan_and_infinite_toml_values_are_refused():
    with pytest.raises(ModelError, match="'nan' is not a number"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = nan')
    with pytest.raises(ModelError, match="variance of U: oo is not finite"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = inf')
    # a float is read exactly from its decimal digits
    model = modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = 0.1')
    assert model.matrices["U"].variance == sympy.Rational(1, 10)


def test_probe_S12_division_by_zero_and_non_finite_results_are_refused():
    for text in ("Trace(X*X.T)/0", "0/0*Trace(X*X.T)", "Trace(X*X.T)*0**-1", "Trace(X*X.T)/(P-P)"):
        with pytest.raises(ExpressionError, match="division by zero"):
            expectation(text, mrs())


def test_probe_S13_non_ascii_names_are_refused_with_the_character_and_its_place():
    with pytest.raises(ExpressionError, match=r"character 'α' \(U\+03B1\) at position 13"):
        expectation("Trace(X*X.T)*α", mrs())
    with pytest.raises(ExpressionError, match=r"character 'Ｎ' \(U\+FF2E\) at position 0"):
        expectation("Ｎ*Trace(X*X.T)", mrs())
    with pytest.raises(ModelError, match="U\\+03C3"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = "σ**2/M"')


def test_probe_T9_a_model_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b"\xff\xfe1\n")
    with pytest.raises(ModelError, match="is not UTF-8 text"):
        load_model(path)


def test_probe_T12_attributes_and_strings_are_refused():
    for text, message in (("N.name", "attribute access '.name'"), ("...", "Ellipsis"), ("'abc'", "a string")):
        with pytest.raises(ExpressionError, match=message):
            expectation(text, mrs())


def test_probe_T13_huge_powers_of_traces_are_refused_without_recursion():
    with pytest.raises(ExpressionError, match="the power 2000 is beyond 1000"):
        expectation("Trace(X*X.T)**2000", mrs())
    with pytest.raises(CostError, match="max_diagrams"):
        expectation("Trace(X*X.T)**999", mrs())


def test_probe_T15_a_negative_variance_is_refused():
    with pytest.raises(ModelError, match="variance of U: -s\\*\\*2/M is negative"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = "-s**2/M"')


def test_probe_T16_a_zero_variance_is_a_model():
    model = modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = "0"')
    assert model.matrices["U"].variance == 0
    assert expectation("Trace(U*U.T)", model) == 0


def test_probe_T17_a_complex_variance_is_refused():
    with pytest.raises(ModelError, match="variance of U: I is not real"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = "sqrt(-1)"')
    with pytest.raises(ModelError, match="is not real"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = "N"\nvariance = "s*sqrt(-s)"')


@pytest.mark.parametrize("option, message", [
    ('ridge = "lambda"', "the ridge 'lambda' is a Python keyword"),
    ('ridge = "beta"', "the parameter name 'beta' is the source of the test loss"),
    ('ridge = "n1"', "is an effective dimension"),
    ('ridge = "pi"', "is sympy's constant pi"),
    ('ridge = "sqrt"', "is a function of the observable grammar"),
    ('ridge = "Delta"', "must begin with a lower-case letter"),
    ('noise = "E**2"', "undefined symbol 'E'"),
    ('latent = "E"', "latent size 'E' is sympy's constant E"),
    ('samples = "Delta"', "sample size 'Delta' is the renormalised ridge"),
    ('covariance = "Trace"', "the covariance name 'Trace' is a function of the observable grammar"),
    ('covariance = "U"', "covariance U has the name of a matrix"),
    ('covariance = "gamma"', "covariance gamma has the name of a parameter"),
])
def test_probe_T18_names_that_collide_with_the_theory_are_refused(option, message):
    with pytest.raises(ModelError, match=message):
        modelfile.loads(f'[model]\n{option}\n[[model.features]]\nwidth = "N"\nvariance = "sigma_u**2/M"')


def test_probe_T18_a_parameter_named_like_a_symbol_of_the_theory_is_refused_in_text():
    for name, message in (("lambda", "cannot read"), ("beta", "source of the test loss"),
                          ("n2", "effective dimension"), ("if", "cannot read")):
        with pytest.raises(ModelError, match=message):
            modelfile.loads(f'[model]\n[[model.features]]\nwidth = "N"\nvariance = "{name}**2/M"')


@pytest.mark.parametrize("width, message", [
    ("I", "width of U 'I' is the summation index of the spectral sums"),
    ("Sigma_nu", "the prefix of the self-energies"), ("If", None), ("None", "is a Python keyword"),
])
def test_probe_T19_a_size_named_like_the_summation_index_is_refused(width, message):
    text = f'[model]\n[[model.features]]\nwidth = "{width}"\nvariance = "1/M"'
    if message is None:
        assert modelfile.loads(text).feature_spaces == ["M", "If"]
        return
    with pytest.raises(ModelError, match=message):
        modelfile.loads(text)


def test_probe_T20_integer_sizes_in_a_model_file():
    model = modelfile.loads('[model]\nlatent = 5\nsamples = 7\n[[model.features]]\nwidth = "N"\nvariance = "s/5"')
    assert model.fixed_sizes == {"M": 5, "P": 7}  # named by their roles
    assert model.latent == "M" and model.samples == "P" and sorted(model.sizes) == ["N"]
    assert model.regression.teacher_variance == parameter_symbol("sigma_w") ** 2 / 5  # derived from the latent size
    bound = model.bind({"N": 3, "gamma": "0.1"})
    assert bound[size_symbol("N")] == 3 and set(model.symbols) == {"N", "gamma", "s", "sigma_eps", "sigma_w"}
    assert expectation("Trace(X*X.T)", model) == 7 * tr(1)
    width = modelfile.loads('[model]\n[[model.features]]\nwidth = 4\nvariance = "1/M"')
    assert width.fixed_sizes == {"N": 4} and width.feature_spaces == ["M", "N"]
    with pytest.raises(ModelError, match="width of U must be a size name or a positive integer, got 5/2"):
        modelfile.loads('[model]\n[[model.features]]\nwidth = 2.5\nvariance = "1/M"')


@pytest.mark.parametrize("call, message", [
    (lambda: deep_linear(2.5), "depth must be a positive integer, got 2.5"),
    (lambda: deep_linear("x"), "depth must be a positive integer, got 'x'"),
    (lambda: deep_linear(True), "depth must be a positive integer"),
    (lambda: deep_linear(0), "depth must be a positive integer"),
    (lambda: load_model(None), "a model file is a path, got NoneType"),
    (lambda: load_model(b"deep2.toml"), "a model file is a path, got bytes"),
    (lambda: load_model("deep2\0.toml"), "cannot hold a null character"),
    (lambda: load_model("tests"), "cannot read model file tests"),
    (lambda: Model("w", {"M": -3}, []), "size of space M must be positive, got -3"),
    (lambda: Model("w", {"M": "many"}, []), "'many' must begin with an upper-case letter"),
    (lambda: Model("w", {"M": "3 sizes"}, []), "is neither a size name nor a number"),
    (lambda: Model("w", {"M": 2.5}, []), "must be a size name or a positive integer"),
    (lambda: Model("w", [("M", 3)], []), "spaces must be a non-empty dict"),
    (lambda: Model("w", {"M": 3}, ["X"]), "is not a Gaussian matrix"),
    (lambda: Model("w", {"M": 3}, [Gaussian("X", "M", "M", "-1")]), "variance of X: -1 is negative"),
    (lambda: Model("w", {"M": 3}, [Gaussian("X", "M", "M", float("nan"))]), "nan is not a number"),
    (lambda: mrs().bind([("N", 3)]), "must be a dict"),
    (lambda: mrs().bind({"N": 1 + 2j}), "complex is not a number"),
    (lambda: mrs().bind({"N": float("nan")}), "nan is not a number"),
    (lambda: mrs().bind({"gamma": "-inf"}), "gamma must be non-negative"),
    (lambda: parse_observable(3, mrs()), "an observable is text or a sympy expression, got int"),
    (lambda: parse_expression(None, {}, what="t"), "t must be text, got NoneType"),
])
def test_probe_T23_wrong_types_give_a_largen_error(call, message):
    with pytest.raises(LargenError) as refusal:
        call()
    assert message in str(refusal.value)


def test_probe_T24_an_integer_is_not_taken_for_a_file_descriptor():
    with pytest.raises(ModelError, match="a model file is a path, got int"):
        load_model(2)
    os.fstat(2)  # stderr is still open


@pytest.mark.parametrize("name", ["", "x" * 81, "two\nlines", "tab\there", 3, None])
def test_probe_U6_model_names_are_short_printable_text(name):
    with pytest.raises(ModelError, match="name"):
        Model(name, {"M": 3}, [])


def test_probe_U6_a_latex_payload_is_kept_as_text_for_the_printer_to_escape():
    name = "x}\\input{/etc/hostname}\\texttt{"
    assert Model(name, {"M": 3}, []).name == name


def test_probe_U9_two_matrices_with_one_name_are_refused():
    with pytest.raises(ModelError, match="two matrices are named X"):
        Model("w", {"M": 3, "P": 4}, [Gaussian("X", "M", "P", 1), Gaussian("X", "P", "M", 1)])
    with pytest.raises(ModelError, match="two matrices are named X"):
        modelfile.loads('[model]\n[[model.features]]\nmatrix = "X"\nwidth = "N"\nvariance = "1/M"')


def test_probe_H2_the_cost_of_a_long_word_is_estimated_before_listing():
    with bounded_work(WORK_OF_A_REFUSAL):
        with pytest.raises(CostError, match=r"about 10\^6.3 diagrams, beyond the limit of 150000; pass max_diagrams="):
            expectation("Trace((X*X.T)**8)", mrs())
    with pytest.raises(CostError, match="105 diagrams, beyond the limit of 104"):
        expectation("Trace((X*X.T)**4)", mrs(), max_diagrams=104)
    assert expectation("Trace((X*X.T)**4)", mrs(), max_diagrams=105) == expectation("Trace((X*X.T)**4)", mrs())


def test_probe_H3_huge_numbers_and_powers_are_refused_fast():
    with bounded_work(WORK_OF_A_REFUSAL * 5):
        with pytest.raises(ExpressionError, match="has about 1e\\+08 digits"):
            expectation("10**10**8", mrs())
        with pytest.raises(ExpressionError, match="the exponent of '1e99999999' is beyond 3000"):
            expectation("1e99999999*Trace(X*X.T)", mrs())
        with pytest.raises(CostError, match=r"about 10\^1283.0 diagrams"):
            expectation("Trace(X*X.T)**500", mrs())
        with pytest.raises(CostError, match="max_diagrams"):
            expectation("(Trace(X*X.T) + Trace(U*U.T) + Trace(Lambda))**900", mrs())
        with pytest.raises(CostError, match="the words of"):
            expectation("Trace((X*X.T + U.T*U*X*X.T)**20)", mrs())


def test_probe_U8_a_long_planar_word_is_refused_with_its_estimate():
    with bounded_work(WORK_OF_A_REFUSAL):
        with pytest.raises(CostError, match="529402 diagrams, beyond the limit of 150000"):
            expectation("Trace((X*X.T)**20)", mrs(), planar=True)
