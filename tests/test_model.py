import pytest
import sympy

from largen.diagrams import ModelError, ParameterError, deep_linear, load_model, mrs
from largen.diagrams.engine import modelfile
from largen.diagrams.engine.symbols import parameter_symbol, size_symbol

DATA = "tests/data"


def test_mrs_quiver():
    model = mrs()
    M, N, P = (size_symbol(s) for s in "MNP")
    assert model.spaces == {"M": M, "N": N, "P": P}
    U, X = model.matrices["U"], model.matrices["X"]
    assert (U.rows, U.cols, U.variance) == ("N", "M", parameter_symbol("sigma_u") ** 2 / M)
    assert (X.rows, X.cols, X.variance, X.dressed) == ("M", "P", 1, True)
    assert model.covariance("M") == "Lambda" and model.covariance("N") is None
    assert model.regression.teacher_variance == parameter_symbol("sigma_w") ** 2 / M
    assert model.regression.noise_variance == parameter_symbol("sigma_eps") ** 2
    # the quiver is a networkx multigraph: one edge per matrix, from column to row space
    assert sorted(model.graph.edges(keys=True)) == [("M", "N", "U"), ("P", "M", "X")]


def test_deep_linear_chain():
    model = deep_linear(3)
    assert model.feature_spaces == ["M", "N1", "N2", "N3"]
    assert model.matrices["U3"].variance == parameter_symbol("sigma_3") ** 2 / size_symbol("N2")


def test_toml_model_equals_preset():
    loaded = load_model(f"{DATA}/deep2.toml")
    built = deep_linear(2)
    assert loaded.spaces == built.spaces
    assert loaded.matrices == built.matrices
    assert loaded.regression == built.regression


def test_toml_options():
    model = modelfile.loads(
        '[model]\nname="m"\nlatent="D"\nteacher="s**2/D"\n[[model.features]]\nmatrix="W"\nwidth=7\nvariance="1/D"'
    )
    assert model.latent == "D" and model.spaces["N"] == 7
    assert model.matrices["W"].variance == 1 / size_symbol("D")


@pytest.mark.parametrize(
    "text, message",
    [
        ('[model\nname="x"', "syntax error"),
        ('[model]\nname="x"\ndepth=2\n[[model.features]]\nwidth="N"\nvariance="1/M"', "unknown key 'depth'"),
        ('[model]\n[[model.features]]\nwidth="N"\nvariance="1/M"\nbias=1', "unknown key 'bias' in feature 1"),
        ('[model]\n[[model.features]]\nwidth="N"\nvariance="s**2/N3"', "undefined symbol 'N3'"),
        ('[model]\n[[model.features]]\nwidth=0\nvariance="1/M"', "must be positive"),
        ('[model]\n[[model.features]]\nwidth=-3\nvariance="1/M"', "must be positive"),
        ('[model]\n[[model.features]]\nwidth="N"\nvariance="1/M +"', "cannot read"),
        ('[model]\nname="x"', "at least one"),
        ('[other]\nname="x"', "unknown table 'other'"),
    ],
)
def test_malformed_model_files(text, message):
    with pytest.raises(ModelError, match=message):
        modelfile.loads(text)


def test_missing_model_file():
    with pytest.raises(ModelError, match="cannot read model file"):
        load_model("no/such/file.toml")


def test_bind_checks_values():
    model = mrs()
    bound = model.bind({"N": "3", "gamma": "1e-3"})
    assert bound[parameter_symbol("gamma")] == sympy.Rational(1, 1000)
    assert bound[parameter_symbol("sigma_eps")] == 0 and bound[parameter_symbol("sigma_u")] == 1
    with pytest.raises(ParameterError, match="has no symbol 'Q'"):
        model.bind({"Q": 1})
    with pytest.raises(ParameterError, match="gamma must be non-negative"):
        model.bind({"gamma": -1})
    with pytest.raises(ParameterError, match="size N must be a positive integer"):
        model.bind({"N": 0}, integer_sizes=True)
    with pytest.raises(ParameterError, match="size P must be a positive integer"):
        model.bind({"P": "2.5"}, integer_sizes=True)
    # the planar theory is analytic in the sizes: positive reals and oo by default
    assert model.bind({"P": "2.5", "M": "inf"}, defaults=False) == {
        size_symbol("P"): sympy.Rational(5, 2), size_symbol("M"): sympy.oo}
    with pytest.raises(ParameterError, match="size N must be positive, got 0"):
        model.bind({"N": 0})
    with pytest.raises(ParameterError, match="not a number"):
        model.bind({"N": "many"})


def test_the_quiver_is_frozen_since_models_are_hashed():
    import pickle

    import networkx as nx

    model = mrs()
    assert nx.is_frozen(model.graph)
    with pytest.raises(nx.NetworkXError, match="Frozen graph"):
        model.graph.add_node("Q")
    copy = pickle.loads(pickle.dumps(model))
    assert copy == model and hash(copy) == hash(model)


def test_probe_N22_two_spaces_of_the_same_fixed_size():
    """latent = 5 and width = 5: two spaces named by their roles, and the theory of MRS at N = M = 5."""
    from largen.solver import solve

    fixed = modelfile.loads('[model]\nname = "n22"\nlatent = 5\n[[model.features]]\nwidth = 5\nvariance = "1/5"\n')
    assert fixed.spaces == {"M": 5, "P": sympy.Symbol("P", positive=True, integer=True), "N": 5}
    assert fixed.matrices["U"].rows == "N" and fixed.matrices["U"].cols == "M"
    point = dict(P=7, gamma="0.1", dps=20)
    assert solve(fixed, **point).as_dict()["loss"] == solve(mrs(), N=5, M=5, **point).as_dict()["loss"]
    # a fixed space never takes the name of a declared one
    mixed = modelfile.loads('[model]\nname = "m"\nlatent = 4\n[[model.features]]\nwidth = "M"\nvariance = "1/4"\n')
    assert set(mixed.spaces) == {"M", "M_2", "P"} and mixed.latent == "M_2"


@pytest.mark.parametrize("where", ['teacher_covariance = "__class__"', 'ridge = "__init__"',
                                   'covariance = "__dict__"', 'noise = "__x__**2"'])
def test_probe_N23_python_special_names_are_refused(where):
    with pytest.raises(ModelError, match="is a Python special name"):
        modelfile.loads(f'[model]\nname = "n23"\n{where}\n[[model.features]]\nwidth = "N"\nvariance = "1/M"\n')
