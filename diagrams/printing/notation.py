"""How a physicist writes what largen derives: names, and the order of a sum's terms.

The one source of notation for both printers, LaTeX (:mod:`largen.diagrams.printing.latex`) and
Unicode (:mod:`largen.diagrams.printing.pretty`). A symbol's name is split at underscores: the
first part is the letter, the others its subscripts (``Sigma_mu_M`` is
Sigma with the field mu and the space M as subscripts, never a power). Each part
is spelled as one of

- ``("greek", letter)``: a Greek letter by its name (``eps`` is epsilon);
- ``("numbered", part, digits)``: a letter with a numeric subscript (``N1``);
- ``("letter", text)``: one character or a non-alphabetic part, as it is;
- ``("word", text)``: a word, set upright (``train`` in ``L_train``).

Examples
--------
>>> split_name("Sigma_rho_N1")
(('greek', 'Sigma'), [('greek', 'rho'), ('numbered', ('letter', 'N'), '1')])
>>> split_name("sigma_eps")
(('greek', 'sigma'), [('greek', 'epsilon')])
"""

import re

__all__ = ["GREEK", "split_name", "spell", "positive_first"]

# Abbreviations physicists write as a letter.
ABBREVIATIONS = {"eps": "epsilon", "lam": "lambda"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}


def spell(part):
    """One part of a name, spelled (see the module's docstring).

    Examples
    --------
    >>> spell("lam"), spell("N12"), spell("+"), spell("train"), spell("u")
    (('greek', 'lambda'), ('numbered', ('letter', 'N'), '12'), ('letter', '+'), ('word', 'train'), ('letter', 'u'))
    """
    part = ABBREVIATIONS.get(part, part)
    if part in GREEK:
        return ("greek", part)
    match = re.fullmatch(r"([A-Za-z]+?)(\d+)", part)
    if match:  # N1 -> N with subscript 1
        return ("numbered", spell(match.group(1)), match.group(2))
    if len(part) == 1 or not part.isalpha():
        return ("letter", part)
    return ("word", part)


def split_name(name):
    """A symbol's name as ``(letter, subscripts)``, each spelled by :func:`spell`.

    Examples
    --------
    >>> split_name("n1"), split_name("L_train")
    ((('numbered', ('letter', 'n'), '1'), []), (('letter', 'L'), [('word', 'train')]))
    """
    head, *parts = [part for part in name.split("_") if part] or [name]
    return spell(head), [spell(part) for part in parts]


def positive_first(terms):
    """The terms of a sum with those that carry no minus sign first: ``n_1 - P``, not ``-P + n_1``.

    Examples
    --------
    >>> import sympy
    >>> n1, P = sympy.symbols("n1 P")
    >>> positive_first([-P, n1])
    [n1, -P]
    """
    return [t for t in terms if not t.could_extract_minus_sign()] + [t for t in terms if t.could_extract_minus_sign()]
