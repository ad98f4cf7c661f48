"""Planar diagrams of tr((U^T U X X^T)^k): time per order (figures printed, not asserted).

Columns: the planar count by the interval recursion, the full weighted planar sum,
the direct listing of every planar diagram, and the baseline, filtering all
(2k-1)!!^2 Wick contractions for the planar ones (run while it stays under a minute).

    python bench/planar.py [max_order]
"""

import sys
import time

from largen.diagrams import mrs
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.planar import planar_contractions, planar_count, planar_sum
from largen.diagrams.engine.wick import contractions


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main(max_order=8):
    model = mrs()
    print(f"{'k':>2} {'planar':>8} {'count':>9} {'sum':>9} {'listing':>9} {'brute force':>12} {'ratio':>8}")
    brute_ok = True
    for k in range(1, max_order + 1):
        ((_, words),) = parse_observable(f"Trace((U.T*U*X*X.T)**{k})", model).terms
        count, t_count = timed(lambda: planar_count(words[0], model))
        _, t_sum = timed(lambda: planar_sum(words[0], model))
        listed, t_list = timed(lambda: sum(1 for _ in planar_contractions(words, model)))
        assert listed == count
        brute = ratio = "-"
        if brute_ok:
            filtered, t_brute = timed(lambda: sum(1 for g in contractions(words, model) if g.planar))
            assert filtered == count
            brute, ratio = f"{t_brute:11.3f}s", f"{t_brute / t_list:7.0f}x"
            brute_ok = t_brute * (2 * k + 1) ** 2 < 90  # the next order costs ~(2k+1)^2 times more
        print(f"{k:>2} {count:>8} {t_count:8.4f}s {t_sum:8.3f}s {t_list:8.3f}s {brute:>12} {ratio:>8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
