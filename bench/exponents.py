"""Time to derive every regime (MRS, symbolic and numeric alpha; a two-layer model) and the --check run."""

import time

import sympy

from largen.diagrams import deep_linear
from largen.diagrams.regimes import derive_regimes
from largen.solver.numerics.scaling import exponents


def timed(label, function):
    start = time.perf_counter()
    result = function()
    print(f"{label}: {time.perf_counter() - start:.1f} s")
    return result


if __name__ == "__main__":
    timed("MRS regimes, alpha = 1", lambda: derive_regimes(alpha=1))
    timed("MRS regimes, symbolic alpha", lambda: derive_regimes())
    timed("MRS regimes with label noise, alpha = 1/2", lambda: derive_regimes(alpha=sympy.Rational(1, 2), noise=True))
    timed("two-layer regimes, alpha = 1", lambda: derive_regimes(deep_linear(2), alpha=1))
    out = timed("exponents --alpha 1 --check", lambda: exponents(alpha="1", check=True))
    for r in out.to_json()["regimes"]:
        deepest = r["check"][-1]
        print(f"  {r['name']:28s} ratio {deepest['ratio']}  slopes {deepest['slopes']}  exponents {r['exponents']}")
