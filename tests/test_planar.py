"""Directly generated planar diagrams against filtering the full Wick enumeration."""

import itertools

import pytest
import sympy

from largen.diagrams import deep_linear, mrs
from largen.diagrams.engine.observable import Letter, Word
from largen.diagrams.engine.planar import planar_contractions, planar_count, planar_sum
from largen.diagrams.engine.wick import contractions

MRS = mrs()
# Letters of the MRS model with the spaces they read from and into: (letter, left, right).
ALPHABET = [(Letter("U"), "N", "M"), (Letter("U", True), "M", "N"), (Letter("X"), "M", "P"), (Letter("X", True), "P", "M")]


def mrs_words(max_order):
    """Every cyclic word in U, U^T, X, X^T with at most 2*max_order letters (one per rotation
    class), with every pattern of covariance insertions."""
    seen = set()
    for length in range(2, 2 * max_order + 1, 2):
        for letters in itertools.product(ALPHABET, repeat=length):
            if any(a[2] != b[1] for a, b in zip(letters, letters[1:] + letters[:1])):
                continue
            key = min(tuple(str(l[0]) for l in letters[r:] + letters[:r]) for r in range(length))
            if key in seen:
                continue
            seen.add(key)
            spaces = tuple(l[1] for l in letters)
            # every pattern of covariance insertions (none or one) on the latent corners
            latent = [i for i, s in enumerate(spaces) if s == "M"]
            for chosen in itertools.product((0, 1), repeat=len(latent)):
                insertions = [0] * length
                for i, k in zip(latent, chosen):
                    insertions[i] = k
                yield Word(tuple(l[0] for l in letters), tuple(insertions), spaces)


WORDS = list(mrs_words(4))


def test_there_are_many_words():
    assert len(WORDS) > 100


@pytest.mark.slow
def test_planar_generation_agrees_with_filtering_up_to_order_4():
    for word in WORDS:
        filtered = {g.edges for g in contractions([word], MRS) if g.planar}
        generated = [g.edges for g in planar_contractions([word], MRS)]
        assert len(generated) == len(set(generated)), word
        assert set(generated) == filtered, word
        assert planar_count(word, MRS) == len(filtered), word
        weights = sympy.Add(*[g.weight for g in contractions([word], MRS) if g.planar])
        assert sympy.expand(planar_sum(word, MRS) - weights) == 0, word


@pytest.mark.parametrize("k", range(1, 9))
def test_planar_count_of_the_mrs_chain_is_fuss_catalan(k):
    # U^T U and X X^T are free: the moments of their product count ternary trees
    word = Word((Letter("U", True), Letter("U"), Letter("X"), Letter("X", True)) * k, (0,) * (4 * k), ("M", "N", "M", "P") * k)
    assert planar_count(word, MRS) == sympy.binomial(3 * k, k) / (2 * k + 1)


def test_planar_sum_of_a_deep_word_matches_filtering():
    model = deep_linear(2)
    letters = (Letter("U1", True), Letter("U2", True), Letter("U2"), Letter("U1"), Letter("X"), Letter("X", True)) * 2
    spaces = ("M", "N1", "N2", "N1", "M", "P") * 2
    word = Word(letters, (0, 0, 0, 0, 1, 0) * 2, spaces)
    weights = sympy.Add(*[g.weight for g in contractions([word], model) if g.planar])
    assert sympy.expand(planar_sum(word, model) - weights) == 0
