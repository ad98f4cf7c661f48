"""Printing: sympy printers with a physicist's names, Unicode, and TikZ pictures.

The lowest layer beside :mod:`largen.diagrams.errors`: it knows sympy and the
notation only, and every object of the package prints through it (its
``_latex`` and ``_pretty`` hooks receive these printers). Drawings of ribbon
graphs and of a model's quiver read those objects by their fields.

May import: :mod:`largen.diagrams.errors`.
"""

from largen.diagrams.printing.latex import LatexPrinter, display, escape, latex, text
from largen.diagrams.printing.pretty import PrettyPrinter, pretty
from largen.diagrams.printing.quiver import quiver_document, quiver_picture
from largen.diagrams.printing.tikz import tikz_document, tikz_picture

__all__ = ["LatexPrinter", "PrettyPrinter", "display", "escape", "latex", "pretty", "quiver_document",
           "quiver_picture", "text", "tikz_document", "tikz_picture"]
