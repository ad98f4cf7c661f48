"""LaTeX for what :mod:`diagrams` derives, through one printer.

:class:`LatexPrinter` prints names the way a physicist writes them:
``sigma_eps`` is :math:`\\sigma_{\\varepsilon}`, the self-energy ``Sigma_mu_M`` of
the field mu on the space M is :math:`\\Sigma_{\\mu M}` (the space a subscript: a
superscript would read as a power), a word such as ``L_train`` is upright.
What it writes, sympy's LaTeX parser reads back unambiguously: a parenthesis
after a name is braced (``\\Delta {\\left(N - n_{1}\\right)}``, not a call of
Delta), an indexed eigenvalue is ``\\lambda_{I}``; and a sum starts with a
positive term where it has one (``n_{1} - P``). :func:`derivation_document`
writes the planar theory of a model as a LaTeX document; text that comes from a
user (a model's name) is escaped, never typeset as commands.

Examples
--------
>>> import sympy
>>> latex(sympy.Symbol("sigma_eps") ** 2 + sympy.Symbol("Sigma_mu_M") / sympy.Symbol("L_train"))
'\\\\sigma_{\\\\varepsilon}^{2} + \\\\frac{\\\\Sigma_{\\\\mu M}}{L_{\\\\mathrm{train}}}'
>>> latex(sympy.Symbol("Delta") * (sympy.Symbol("n1") - sympy.Symbol("P")))
'\\\\Delta {\\\\left(n_{1} - P\\\\right)}'
"""

import re

import sympy
from sympy.printing.latex import LatexPrinter as _SympyLatexPrinter

from .dyson import planar_theory
from .duality import symmetry
from .spectral import SOURCE, TRAIN_SOURCE

__all__ = ["LatexPrinter", "latex", "escape", "rate_names", "derivation_document"]

# Abbreviations physicists write as a letter.
LETTERS = {"eps": r"\varepsilon", "epsilon": r"\varepsilon", "lambda": r"\lambda", "lam": r"\lambda"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "iota", "kappa", "mu", "nu", "xi", "pi", "rho",
    "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
           "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


class LatexPrinter(_SympyLatexPrinter):
    """sympy's LaTeX printer, with names split at underscores and read as a physicist does.

    The first part of a name is the letter, the others its subscripts (the
    space a self-energy lives on among them). The output is what sympy's LaTeX
    parser (ANTLR backend) reads back as the same expression: every
    parenthesised group is braced, so that a name before it is not read as a
    function called on it.
    """

    printmethod = "_latex"

    def doprint(self, expr):
        return _braced(super().doprint(expr))

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        if (order or self.order) in (None, "lex"):  # n_1 - P, not - P + n_1
            terms = ([t for t in terms if not t.could_extract_minus_sign()]
                     + [t for t in terms if t.could_extract_minus_sign()])
        return terms

    def _print_Indexed(self, expr):
        # lambda_I, not sympy's {lambda}_{I}, which the parser reads as lambda alone
        return f"{self._print(expr.base)}_{{{' '.join(map(self._print, expr.indices))}}}"

    def _print_Symbol(self, expr, style="plain"):
        name = self._settings["symbol_names"].get(expr)
        if name is not None:
            return name
        return name_latex(expr.name)

    _print_Dummy = _print_Symbol


def name_latex(name):
    """A symbol's name in LaTeX: the first part the letter, the others subscripts.

    Examples
    --------
    >>> name_latex("sigma_eps"), name_latex("Sigma_rho_N1"), name_latex("N1"), name_latex("tr")
    ('\\\\sigma_{\\\\varepsilon}', '\\\\Sigma_{\\\\rho N_{1}}', 'N_{1}', '\\\\mathrm{tr}')
    """
    head, *parts = [part for part in name.split("_") if part] or [name]
    text = _part(head)
    if parts:
        text += "_{" + " ".join(_part(part) for part in parts) + "}"
    return text


def _braced(tex):
    r"""``tex`` with every ``\left( ... \right)`` not already braced put in braces.

    Invisible in print, and what makes the LaTeX parser read ``a {\left(b\right)}``
    as a product where it reads ``a \left(b\right)`` as a function call.

    Examples
    --------
    >>> print(_braced(r"a \left(b \left(c\right)\right) \sin{\left(x \right)}"))
    a {\left(b {\left(c\right)}\right)} \sin{\left(x \right)}
    """
    out, braced = [], []
    i = 0
    while i < len(tex):
        if tex.startswith(r"\left(", i):
            braced.append(not tex.endswith("{", 0, i))
            out.append("{" * braced[-1] + r"\left(")
            i += len(r"\left(")
        elif tex.startswith(r"\right)", i) and braced:
            out.append(r"\right)" + "}" * braced.pop())
            i += len(r"\right)")
        else:
            out.append(tex[i])
            i += 1
    return "".join(out)


def _part(part):
    if part in LETTERS:
        return LETTERS[part]
    if part in GREEK:
        return "\\" + part
    match = re.fullmatch(r"([A-Za-z]+?)(\d+)", part)
    if match:  # N1 -> N_{1}
        return f"{_part(match.group(1))}_{{{match.group(2)}}}"
    if len(part) == 1 or not part.isalpha():
        return escape(part)
    return rf"\mathrm{{{part}}}"


def latex(expr, **settings):
    """LaTeX of a sympy expression through :class:`LatexPrinter`; ``settings`` as sympy's.

    Examples
    --------
    >>> latex(sympy.Symbol("Sigma_theta") - sympy.Symbol("gamma"))
    '\\\\Sigma_{\\\\theta} - \\\\gamma'
    """
    return LatexPrinter(settings).doprint(expr)


def escape(text):
    """``text`` as LaTeX that typesets it literally (no command in it runs).

    Examples
    --------
    >>> print(escape(r"x}\\input{/etc/hostname}\\texttt{"))
    x\\}\\textbackslash{}input\\{/etc/hostname\\}\\textbackslash{}texttt\\{
    """
    return "".join(SPECIAL.get(c, c) for c in str(text))


def rate_names(theory):
    """LaTeX for the rates of the self-energies in the sources of the two losses: d Sigma / d beta.

    Examples
    --------
    >>> from diagrams import mrs
    >>> theory = planar_theory(mrs())
    >>> rate_names(theory)[theory.test_loss[1][0]]
    '\\\\partial_{\\\\beta} \\\\Sigma_{\\\\theta}'
    """
    names = {}
    for (_, rates, _), source in ((theory.test_loss, SOURCE), (theory.train_loss, TRAIN_SOURCE)):
        for rate, unknown in zip(rates, theory.unknowns):
            names[rate] = rf"\partial_{{{latex(source)}}} {latex(unknown)}"
    return names


def derivation_document(model):
    """A LaTeX document with the planar equations and the losses of ``model``, for LuaLaTeX.

    Examples
    --------
    >>> from diagrams.model import ridge_model
    >>> model = ridge_model(r"x}\\input{/etc/hostname}\\texttt{", [("U", "N", "sigma_u**2/M")])
    >>> text = derivation_document(model)
    >>> r"\\input{/etc" in text, r"\\texttt{x\\}\\textbackslash{}input" in text
    (False, True)
    """
    theory = planar_theory(model)
    loss, _, ladder = theory.test_loss
    train, _, train_ladder = theory.train_loss
    names = rate_names(theory)

    def block(exprs):
        rows = []
        for e in exprs:
            tex = latex(e, symbol_names=names)
            rows.append(tex.replace("=", "&=", 1) if isinstance(e, sympy.Eq) else tex)
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    convention = escape(str(symmetry(model))).replace("<->", r"$\leftrightarrow$")
    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage[margin=1.5cm,landscape]{geometry}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        rf"\section*{{Planar theory of the model \texttt{{{escape(model.name)}}}}}",
        f"Convention: {convention}. The sums run over the latent eigenvalues $\\lambda_I$.",
        r"\subsection*{Schwinger--Dyson equations}", block(theory.equations),
        r"Physical branch: " + ", ".join(f"${latex(c)}$" for c in theory.conditions) + ".",
        r"\subsection*{Renormalised ridge}", block([sympy.Eq(sympy.Symbol("Delta"), theory.renormalized_ridge)]),
        r"\subsection*{Test loss}", block([sympy.Eq(sympy.Symbol("L"), loss)]),
        r"with the rates given by the ladder equations", block(ladder),
        r"\subsection*{Training loss}", block([sympy.Eq(sympy.Symbol("L_train"), train)]),
        r"with", block(train_ladder),
        r"\end{document}",
        "",
    ])
