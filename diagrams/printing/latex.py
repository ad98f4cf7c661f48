"""LaTeX for what :mod:`diagrams` derives, through one printer.

:class:`LatexPrinter` prints names the way a physicist writes them:
``sigma_eps`` is :math:`\\sigma_{\\varepsilon}`, the self-energy ``Sigma_mu_M`` of
the field mu on the space M is :math:`\\Sigma_{\\mu M}` (the space a subscript: a
superscript would read as a power), a word such as ``L_train`` is upright.
What it writes, sympy's LaTeX parser reads back unambiguously: a parenthesis
after a name is braced (``\\Delta {\\left(N - n_{1}\\right)}``, not a call of
Delta), an indexed eigenvalue is ``\\lambda_{I}``; and a sum starts with a
positive term where it has one (``n_{1} - P``). The names and that order come
from :mod:`largen.diagrams.printing.notation`, which the Unicode printer (:mod:`largen.diagrams.printing.pretty`)
shares. Text that comes from a user (a model's name) is escaped, never typeset
as commands.

Every derived object prints through this printer: it has a hook
``_latex(self, printer)`` that prints its expressions with ``printer._print``,
and its ``_repr_latex_`` (how Jupyter renders it) is :func:`display`.

Examples
--------
>>> import sympy
>>> latex(sympy.Symbol("sigma_eps") ** 2 + sympy.Symbol("Sigma_mu_M") / sympy.Symbol("L_train"))
'\\\\sigma_{\\\\varepsilon}^{2} + \\\\frac{\\\\Sigma_{\\\\mu M}}{L_{\\\\mathrm{train}}}'
>>> latex(sympy.Symbol("Delta") * (sympy.Symbol("n1") - sympy.Symbol("P")))
'\\\\Delta {\\\\left(n_{1} - P\\\\right)}'
"""

from sympy.printing.latex import LatexPrinter as _SympyLatexPrinter

from largen.diagrams.printing.notation import positive_first, split_name

__all__ = ["LatexPrinter", "latex", "escape", "name_latex", "display", "text", "PREAMBLE"]

LETTERS = {"epsilon": r"\varepsilon"}  # the Greek letters physicists write in their variant form
# The preamble of a report (largen.solver.report.document.Report): a display equation is scaled down
# to the line width when it is wider (fitequation); TikZ draws the diagrams and the quiver.
PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{graphicx,booktabs,adjustbox,environ}
\usepackage{tikz-feynman}
\usetikzlibrary{arrows.meta,positioning}
\allowdisplaybreaks
% a display equation scaled down to the line width when it is wider
\NewEnviron{fitequation}{\begin{equation}\adjustbox{max width=\linewidth}{$\displaystyle\BODY$}\end{equation}}
"""
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
        if type(expr).__name__ in ("Section", "Report"):  # a document: its maths is braced where it is printed
            return super().doprint(expr)
        return _braced(super().doprint(expr))

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        if (order or self.order) in (None, "lex"):
            terms = positive_first(terms)
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

    # -- the report's document (largen.solver.report.document): dispatched by class name --------
    def _print_Equation(self, equation):
        # lhs = terms, each term's factors side by side and its sign in front
        terms = ""
        for i, (negative, factors) in enumerate(equation.terms):
            terms += ((" - " if i else "- ") if negative else (" + " if i else "")) + " ".join(map(self._print, factors))
        return f"{self._print(equation.lhs)} = {terms}"

    def _print_Statement(self, statement):
        return "".join(escape(w) if isinstance(w, str) else f"${_braced(self._print(w))}$" for w in statement.words)

    def _print_Section(self, section):
        return "\n\n".join([rf"\section{{{section.title}}}", *map(self._paragraph, section.parts)])

    def _paragraph(self, part):
        # LaTeX prose as it is; an equation displayed (_display_Equation); anything else in running text
        if isinstance(part, str):
            return part
        return getattr(self, f"_display_{type(part).__name__}", self._print)(part)

    def _display_Equation(self, equation):
        return "\\begin{fitequation}\n" + _braced(self._print(equation)) + "\n\\end{fitequation}"

    def _print_Report(self, report):
        title = rf"\title{{Planar theory of the model \texttt{{{escape(report.model.name)}}}}}"
        body = "\n\n".join(map(self._print, report.sections))
        return f"{PREAMBLE}{title}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n{body}\n\n\\end{{document}}\n"


def name_latex(name):
    """A symbol's name in LaTeX: the first part the letter, the others subscripts.

    Examples
    --------
    >>> name_latex("sigma_eps"), name_latex("Sigma_rho_N1"), name_latex("N1"), name_latex("tr")
    ('\\\\sigma_{\\\\varepsilon}', '\\\\Sigma_{\\\\rho N_{1}}', 'N_{1}', '\\\\mathrm{tr}')
    """
    head, parts = split_name(name)
    text = _spelled(head)
    if parts:
        text += "_{" + " ".join(map(_spelled, parts)) + "}"
    return text


def _braced(tex):
    r"""``tex`` with every ``\left( ... \right)`` of a product put in braces.

    Invisible in print, and what makes the LaTeX parser read ``a {\left(b\right)}``
    as a product where it reads ``a \left(b\right)`` as a function call. A
    function's own parentheses (sympy writes ``\zeta\left(3\right)``, no space
    before them) stay as they are: the parser reads those as its argument.

    Examples
    --------
    >>> print(_braced(r"a \left(b \left(c\right)\right) \sin{\left(x \right)} \zeta\left(3\right)"))
    a {\left(b {\left(c\right)}\right)} \sin{\left(x \right)} \zeta\left(3\right)
    """
    out, braced = [], []
    i = 0
    while i < len(tex):
        if tex.startswith(r"\left(", i):
            braced.append(not tex.endswith("{", 0, i) and not (i and tex[i - 1].isalpha()))
            out.append("{" * braced[-1] + r"\left(")
            i += len(r"\left(")
        elif tex.startswith(r"\right)", i) and braced:
            out.append(r"\right)" + "}" * braced.pop())
            i += len(r"\right)")
        else:
            out.append(tex[i])
            i += 1
    return "".join(out)


def _spelled(spelled):
    kind, text, *digits = spelled
    if kind == "greek":
        return LETTERS.get(text, "\\" + text)
    if kind == "numbered":  # N1 -> N_{1}
        return f"{_spelled(text)}_{{{digits[0]}}}"
    if kind == "word":
        return rf"\mathrm{{{text}}}"
    return escape(text)


def latex(expr, **settings):
    """LaTeX of a sympy expression through :class:`LatexPrinter`; ``settings`` as sympy's.

    Examples
    --------
    >>> from sympy import Symbol
    >>> latex(Symbol("Sigma_theta") - Symbol("gamma"))
    '\\\\Sigma_{\\\\theta} - \\\\gamma'
    """
    return LatexPrinter(settings).doprint(expr)


def display(obj):
    """``obj`` as inline math for Jupyter's ``_repr_latex_``: ``$...$`` through :class:`LatexPrinter`.

    Examples
    --------
    >>> from sympy import Symbol
    >>> print(display(Symbol("n1") / Symbol("N")))
    $\\frac{n_{1}}{N}$
    """
    return f"${latex(obj)}$"


def text(words):
    r"""Words inside math, escaped: ``\text{...}``.

    Examples
    --------
    >>> print(text("test loss, 100%"))
    \text{test loss, 100\%}
    """
    return rf"\text{{{escape(words)}}}"


def escape(text):
    """``text`` as LaTeX that typesets it literally (no command in it runs).

    Examples
    --------
    >>> print(escape(r"x}\\input{/etc/hostname}\\texttt{"))
    x\\}\\textbackslash{}input\\{/etc/hostname\\}\\textbackslash{}texttt\\{
    """
    return "".join(SPECIAL.get(c, c) for c in str(text))
