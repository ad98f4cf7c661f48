import math

import mpmath
import pytest
import sympy

from largen.diagrams import ModelError, ParameterError, SpectrumError, deep_linear, load_model, mrs
from largen.diagrams.engine.modelfile import loads
from largen.solver import Spectrum
from largen.solver.numerics.point import bind, noise_parameters


def symbol(name):
    return mrs().symbols[name]


def test_defaults_and_the_power_law_spectrum():
    point = bind(N=3, P=5, M=4, gamma="0.1")
    assert point.values == {symbol("N"): 3, symbol("P"): 5, symbol("M"): 4, symbol("gamma"): sympy.Rational(1, 10),
                            symbol("sigma_u"): 1, symbol("sigma_w"): 1, symbol("sigma_eps"): 0}
    assert point.spectrum.power_sum(1) == sympy.Rational(1) + sympy.Rational(1, 4) + sympy.Rational(1, 9) + sympy.Rational(1, 16)
    assert not point.latent_infinite and point.normalization == "" and point.scaled_values == point.values


def test_alpha_sets_the_exponent():
    assert bind(N=3, P=5, M=2, gamma=1, alpha=2).spectrum.power_sum(1) == sympy.Rational(9, 8)


@pytest.mark.parametrize("inf", [math.inf, mpmath.inf, "inf", sympy.oo])
def test_every_spelling_of_an_infinite_latent_size(inf):
    point = bind(N=3, P=5, M=inf, gamma=1)
    assert point.latent_infinite and point.spectrum.size == math.inf
    assert point.values[symbol("M")] == sympy.oo and point.scaled_values[symbol("M")] == 1
    assert point.parameters()["M"] == "oo"


def test_the_normalisation_is_derived_from_the_variances():
    assert bind(N=3, P=5, M="inf", gamma=1).normalization == \
        "M = inf: sigma_u^2 and sigma_w^2 are the entry variances themselves (no 1/M)"
    point = bind(deep_linear(2), N1=3, N2=4, P=5, M="inf", gamma=1)
    assert point.normalization == "M = inf: sigma_1^2 and sigma_w^2 are the entry variances themselves (no 1/M)"
    # a model whose teacher does not carry the latent size: only the feature variance is named
    model = loads('[model]\nname = "t"\nteacher = "t**2"\n[[model.features]]\nwidth = "N"\nvariance = "s/sqrt(M)"')
    assert bind(model, N=3, P=5, M="inf", gamma=1).normalization == \
        "M = inf: s is the entry variance itself (no 1/sqrt(M))"


def test_the_spectrum_gives_the_latent_size():
    point = bind(N=3, P=5, gamma=1, spectrum=Spectrum.power_law(1, 7))
    assert point.values[symbol("M")] == 7 and point.size("M") == 7


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(N=3, P=5, M=6), ParameterError, "M = 6 but the spectrum has 7 eigenvalues"),
        (dict(N=3, P=5, M="inf"), ParameterError, "M = oo but the spectrum has 7 eigenvalues"),
        (dict(N=3, P=5, M=7, alpha=2), ParameterError, "either a spectrum or alpha"),
    ],
)
def test_the_latent_size_must_agree_with_the_spectrum(params, error, message):
    with pytest.raises(error, match=message):
        bind(spectrum=Spectrum.power_law(1, 7), gamma=1, **params)


def test_an_infinite_spectrum_needs_an_infinite_latent_size():
    with pytest.raises(ParameterError, match="M = 5 but the spectrum has infinitely many eigenvalues"):
        bind(N=3, P=5, M=5, gamma=1, spectrum=Spectrum.power_law(1, math.inf))


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(N=3, P=5, gamma=1), ParameterError, "no value for M"),
        (dict(N=3, M=4, gamma=1), ParameterError, "no value for P"),
        (dict(N=3, P=5, M=4), ParameterError, "no value for gamma"),
        (dict(N=3, P=5, M=4, gamma=1, Q=1), ParameterError, "has no symbol 'Q'"),
        (dict(N="inf", P=5, M=4, gamma=1), ParameterError, "size N must be finite"),
        (dict(N=3, P=5, M=4, gamma="inf"), ParameterError, "parameter gamma must be finite"),
        (dict(N=3, P=5, M="inf", gamma=1, alpha=0), SpectrumError, "diverge"),
        (dict(N=3, P=5, M="2.5", gamma=1), ParameterError, "size M must be a positive integer or inf"),
    ],
)
def test_refusals(params, error, message):
    with pytest.raises(error, match=message):
        bind(**params)


def test_real_sizes_for_the_planar_theory_integers_for_the_monte_carlo():
    assert bind(N="2.5", P=5, M=4, gamma=1).values[symbol("N")] == sympy.Rational(5, 2)
    with pytest.raises(ParameterError, match="N"):
        bind(N="2.5", P=5, M=4, gamma=1, sizes="integer")
    for inf in ("inf", mpmath.inf):
        with pytest.raises(SpectrumError, match="needs a finite spectrum"):
            bind(N=2, P=5, M=inf, gamma=1, sizes="integer")
    with pytest.raises(ParameterError, match="sizes must be 'real' or 'integer'"):
        bind(N=2, P=5, M=4, gamma=1, sizes="complex")


def test_a_partial_point_holds_what_is_given():
    point = bind(P=2, complete=False)
    assert point.spectrum is None
    assert point.values == {symbol("P"): 2, symbol("sigma_u"): 1, symbol("sigma_w"): 1, symbol("sigma_eps"): 0}
    assert bind(P=2, M=3, complete=False).spectrum.size == 3


def test_probe_T20_integer_sizes_fixed_in_a_model_file():
    model = loads('[model]\nname = "fixed"\nlatent = 5\nsamples = 7\nteacher = "w/5"\n[[model.features]]\n'
                  'width = 3\nvariance = "s**2/5"')
    point = bind(model, gamma="0.1", sizes="integer")
    assert [point.size(space) for space in (model.latent, model.samples, *model.feature_spaces[1:])] == [5, 7, 3]
    assert point.spectrum.size == 5 and point.parameters() == {"gamma": "1/10", "s": "1", "sigma_eps": "0", "w": "1"}
    with pytest.raises(ParameterError, match="the latent size is fixed to 5"):
        bind(model, gamma="0.1", alpha=2, spectrum=None, M=6)


@pytest.mark.parametrize(
    "model, spectrum, error, message",
    [
        ("mrs", None, ModelError, "expected a diagrams.Model, got str"),
        (None, [1, 0.5], SpectrumError, "expected a Spectrum, got list"),
        (None, Spectrum([]), SpectrumError, "the spectrum has no eigenvalues"),
    ],
)
def test_probe_T23_wrong_types_are_typed_errors(model, spectrum, error, message):
    with pytest.raises(error, match=message):
        bind(model, spectrum=spectrum, N=2, P=3, gamma=1)


@pytest.mark.parametrize(
    "noise, variance, expected",
    [("sigma_eps**2", "0.25", {"sigma_eps": sympy.Rational(1, 2)}), ("sigma_eps**2", "0", {"sigma_eps": 0}),
     ("0", "0", {}), ("e", "0.1", {"e": sympy.Rational(1, 10)})],
)
def test_noise_parameters(noise, variance, expected):
    model = loads(f'[model]\nname = "n"\nnoise = "{noise}"\n[[model.features]]\nwidth = "N"\nvariance = "1/M"')
    assert noise_parameters(model, variance) == expected


@pytest.mark.parametrize(
    "noise, variance, message",
    [
        ("sigma_eps**2", "inf", "noise variance must be finite"),
        ("sigma_eps**2", "-1", "noise variance must be non-negative"),
        ("0", "0.1", "fixes the noise variance to 0: it cannot be 1/10"),
        ("a*b", "0.1", r"has several symbols \(a, b\)"),
    ],
)
def test_probe_T14_noise_variances_that_cannot_be_set(noise, variance, message):
    model = loads(f'[model]\nname = "n"\nnoise = "{noise}"\n[[model.features]]\nwidth = "N"\nvariance = "1/M"')
    with pytest.raises(ParameterError, match=message):
        noise_parameters(model, variance)


def test_toml_and_python_models_bind_alike():
    params = dict(M=6, N1=3, N2=2, P=4, gamma="0.05", sigma_1="1.5")
    assert bind(load_model("tests/data/deep2.toml"), **params).values == bind(deep_linear(2), **params).values


def test_a_spectrum_and_its_own_law_parameters_are_refused_together():
    for name, value in (("alpha", 1), ("delta", "0.5")):
        with pytest.raises(ParameterError, match=f"^give either a spectrum or {name}, not both$"):
            bind(N=10, P=20, gamma="0.1", spectrum=Spectrum.power_law(1, 50), **{name: value})


def test_values_given_as_text_are_read_once_and_shared():
    gamma = symbol("gamma")
    first, second = bind(N=3, P=5, M=7, gamma="1e-3"), bind(N=4, P=5, M=7, gamma="1e-3")
    assert first.values[gamma] is second.values[gamma] and first.values[gamma] == sympy.Rational(1, 1000)
    for _ in range(2):  # a value that does not read is refused every time, never kept
        with pytest.raises(ParameterError, match="gamma"):
            bind(N=3, P=5, M=7, gamma="1e-3x")
