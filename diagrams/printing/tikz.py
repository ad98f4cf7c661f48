"""'t Hooft double-line drawings of ribbon graphs, as TikZ-Feynman source.

Each trace is drawn as a circle of letters; every index line is drawn in the
colour of its space, so each propagator appears as two parallel lines. A
corner's covariance insertions are dots on its arc, its teacher-covariance
insertions open circles. The documents compile
with LuaLaTeX (``lualatex`` and the ``tikz-feynman`` and ``standalone``
packages).

Examples
--------
>>> from largen.diagrams import mrs
>>> from largen.diagrams.engine.observable import parse_observable
>>> from largen.diagrams.engine.planar import planar_contractions
>>> (_, words), = parse_observable("Trace(X*X.T*X*X.T)").terms
>>> graph = next(planar_contractions(words, mrs()))
>>> "\\\\begin{feynman}" in tikz_picture(graph)
True
"""

import math

import sympy

from largen.diagrams.printing.latex import latex

__all__ = ["space_colours", "tikz_picture", "tikz_document", "caption", "COLOURS"]

COLOURS = ("blue!70!black", "red!75!black", "green!50!black", "orange!90!black", "violet", "teal", "brown")
RADIUS = 1.6
SPACING = 4.5


def space_colours(model):
    """A colour for each index space of the model."""
    return {space: COLOURS[i % len(COLOURS)] for i, space in enumerate(model.spaces)}


def tikz_picture(graph, caption=None):
    """One ``tikzpicture`` with a ``feynman`` environment drawing ``graph``."""
    colours = space_colours(graph.model)
    lines = [r"\begin{tikzpicture}", r"\begin{feynman}"]
    ends = {}
    for v, word in enumerate(graph.words):
        n = max(len(word), 1)
        cx = SPACING * v
        half = min(9.0, 0.3 * 180 / n)
        for i in range(len(word)):
            angle = 90 - 360 * i / n
            for side, offset in (("l", half), ("r", -half)):
                name = f"v{v}d{i}{side}"
                ends[(v, i, side)] = (name, angle + offset)
                x, y = _point(cx, angle + offset, RADIUS)
                lines.append(rf"\vertex ({name}) at ({x:.3f}, {y:.3f});")
            x, y = _point(cx, angle, RADIUS + 0.35)
            lines.append(rf"\vertex[label={{[inner sep=0pt]center:\small ${_letter(word.letters[i])}$}}] "
                         rf"(v{v}d{i}t) at ({x:.3f}, {y:.3f});")
    lines.append(r"\end{feynman}")
    for v, word in enumerate(graph.words):
        lines += _corner_arcs(v, word, colours)
    for a, b, twisted in graph.edges:
        (la, ra), (lb, rb) = _ends(ends, a), _ends(ends, b)
        va = graph.sides(a)
        pairs = [(la, lb, va[0]), (ra, rb, va[1])] if twisted else [(la, rb, va[0]), (ra, lb, va[1])]
        for (p, pa), (q, qa), corner in pairs:
            space = graph.words[corner[0]].spaces[corner[1]]
            lines.append(rf"\draw[{colours[space]}, thick] ({p}) .. controls +({pa + 180:.1f}:1.1) "
                         rf"and +({qa + 180:.1f}:1.1) .. ({q});")
    if caption is not None:
        x = SPACING * (len(graph.words) - 1) / 2
        lines.append(rf"\node[below] at ({x:.2f}, {-RADIUS - 0.7:.2f}) {{{caption}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def tikz_document(graphs_with_captions):
    """A standalone LuaLaTeX document, one page per ``(graph, caption)``."""
    pictures = "\n\n".join(tikz_picture(g, c) for g, c in graphs_with_captions)
    return "\n".join([
        r"\documentclass[tikz,border=6pt]{standalone}",
        r"\usepackage{amsmath}",
        r"\usepackage{tikz-feynman}",
        r"\begin{document}",
        pictures,
        r"\end{document}",
        "",
    ])


def caption(graph, multiplicity=1):
    """Weight, multiplicity and Euler characteristic of a diagram, as LaTeX text."""
    return (rf"${latex(graph.weight)}$ \quad $\times {multiplicity}$ \quad "
            rf"$\chi = {graph.euler}$")


def _ends(ends, dart):
    v, i = dart
    return ends[(v, i, "l")], ends[(v, i, "r")]


def _corner_arcs(v, word, colours):
    """Arcs of the trace circle between neighbouring darts, one per corner."""
    n = len(word)
    cx = SPACING * v
    if n == 0:
        return [rf"\draw[{colours[word.spaces[0]]}, thick] ({cx}, 0) circle[radius={RADIUS}];"]
    half = min(9.0, 0.3 * 180 / n)
    lines = []
    for i in range(n):
        start = 90 - 360 * (i - 1) / n - half  # right side of the previous dart
        end = 90 - 360 * i / n + half  # left side of this dart
        x, y = _point(cx, start, RADIUS)
        lines.append(rf"\draw[{colours[word.spaces[i]]}, thick] ({x:.3f}, {y:.3f}) "
                     rf"arc[start angle={start:.2f}, end angle={end:.2f}, radius={RADIUS}];")
        marks = [r"\fill"] * word.insertions[i] + [r"\draw[fill=white]"] * word.weight(i)
        for k, mark in enumerate(marks):
            angle = start + (end - start) * (k + 1) / (len(marks) + 1)
            x, y = _point(cx, angle, RADIUS)
            lines.append(rf"{mark} ({x:.3f}, {y:.3f}) circle[radius=2.2pt];")
    return lines


def _point(cx, angle, radius):
    return cx + radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))


def _letter(letter):
    """A letter of a word in LaTeX: the matrix's name as the printer writes it (U1 is U_1), transposed or not."""
    return latex(sympy.Symbol(letter.matrix)) + ("^{T}" if letter.transposed else "")
