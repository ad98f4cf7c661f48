"""Exact expectations of MRS words against a Monte Carlo average at small sizes."""

import numpy as np
import pytest
import sympy

from largen.diagrams import mrs
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.engine.spectral import CovarianceTrace

SIZES = {"N": 3, "M": 4, "P": 5}
LAMBDA = np.array([1.0, 0.5, 0.3, 0.2])  # a non-trivial spectrum
SIGMA_U = 1.3
SAMPLES = 1_000_000


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(20241)
    N, M, P = SIZES["N"], SIZES["M"], SIZES["P"]
    U = rng.standard_normal((SAMPLES, N, M)) * SIGMA_U / np.sqrt(M)
    X = rng.standard_normal((SAMPLES, M, P)) * np.sqrt(LAMBDA)[None, :, None]
    UtU = np.einsum("sni,snj->sij", U, U)
    XXt = np.einsum("sia,sja->sij", X, X)
    return UtU, XXt


def exact(text):
    model = mrs()
    values = {s: SIZES[n] for n, s in model.symbols.items() if n in SIZES}
    values[model.symbols["sigma_u"]] = sympy.Float(SIGMA_U, 30)
    expr = expectation(text, model).xreplace(values)
    expr = expr.replace(lambda e: isinstance(e, CovarianceTrace), lambda e: sympy.Float(np.sum(LAMBDA ** int(e.args[0])), 30))
    return float(expr)


def traces(draws):
    UtU, XXt = draws
    L = np.diag(LAMBDA)
    A = UtU @ XXt
    return {
        "Trace(U.T*U*X*X.T)": np.trace(A, axis1=1, axis2=2),
        "Trace((U.T*U*X*X.T)**2)": np.trace(A @ A, axis1=1, axis2=2),
        "Trace(U.T*U*Lambda*X*X.T*U.T*U*X*X.T)": np.trace(UtU @ L @ XXt @ A, axis1=1, axis2=2),
        "Trace(U.T*U*X*X.T)**2": np.trace(A, axis1=1, axis2=2) ** 2,
        "Trace(X*X.T*Lambda*X*X.T)": np.trace(XXt @ L @ XXt, axis1=1, axis2=2),
    }


@pytest.mark.slow
def test_mrs_words_agree_with_monte_carlo(draws):
    for text, samples in traces(draws).items():
        mean = samples.mean()
        stderr = samples.std(ddof=1) / np.sqrt(len(samples))
        assert stderr < 0.003 * abs(mean), text  # enough samples: 4 standard errors stay near 1%
        assert abs(mean - exact(text)) < 4 * stderr, (text, mean, exact(text), stderr)
