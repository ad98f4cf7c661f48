"""A model's quiver drawn in TikZ: index spaces as nodes, Gaussian matrices as arrows.

Everything drawn is read from the :class:`~largen.diagrams.engine.model.Model`: each space
with its size and, where it has one, its diagonal covariance; each Gaussian
matrix as an arrow from its column space to its row space, labelled with its
name and entry variance. With regression roles, the spaces are laid out along
the regression: the samples, the latent space, then the feature chain; the
teacher's variance and the label noise are written under the latent space and
the samples.

Examples
--------
>>> from largen.diagrams import mrs
>>> picture = quiver_picture(mrs())
>>> r"\\node[space] (M)" in picture, "U" in picture
(True, True)
"""

import sympy

from largen.diagrams.printing.latex import escape, latex

__all__ = ["quiver_picture", "quiver_document", "layout"]

STEP = 3.4  # cm between neighbouring spaces


def layout(model):
    """The spaces in drawing order: samples, latent, the feature chain, then any other space.

    Examples
    --------
    >>> from largen.diagrams import deep_linear
    >>> layout(deep_linear(2))
    ['P', 'M', 'N1', 'N2']
    """
    order = []
    if model.regression is not None:
        order = [model.samples, *model.feature_spaces]
    return order + [space for space in model.spaces if space not in order]


def quiver_picture(model):
    """The quiver of ``model`` as one ``tikzpicture`` (needs the TikZ library ``arrows.meta``).

    Parameters
    ----------
    model : Model

    Returns
    -------
    str
        LaTeX source of a ``tikzpicture``.
    """
    spaces = model.spaces
    place = {space: i * STEP for i, space in enumerate(layout(model))}
    lines = [r"\begin{tikzpicture}[space/.style={circle, draw, thick, minimum size=9mm},"
             r" matrix/.style={-{Stealth[length=2.5mm]}, thick}]"]
    for space, x in place.items():
        size = spaces[space]
        label = latex(size) if space == str(size) else rf"{escape(space)}:\ {latex(size)}"
        lines.append(rf"\node[space] ({_node(space)}) at ({x:.2f}, 0) {{${label}$}};")
        covariance = model.covariance(space)
        if covariance is not None:
            lines.append(rf"\node[above=1mm of {_node(space)}] {{covariance ${latex(sympy.Symbol(covariance))}$}};")
    bends = {}
    for matrix in model.matrices.values():
        pair = frozenset((matrix.rows, matrix.cols))
        bend = 25 * bends.get(pair, 0)
        bends[pair] = bends.get(pair, 0) + 1
        if matrix.rows == matrix.cols:
            path = f"to[out={60 + bend}, in={120 - bend}, looseness=6]"
        else:
            path = f"to[bend left={bend}]"
        text = rf"${latex(sympy.Symbol(matrix.name))} \sim \mathcal{{N}}\!\left(0, {latex(matrix.variance)}\right)$"
        if matrix.ensemble.value != "real":  # the default, not written
            text += rf" \small({escape(matrix.ensemble.value)})"
        lines.append(rf"\draw[matrix] ({_node(matrix.cols)}) {path} "
                     rf"node[midway, below=1mm, font=\small] {{{text}}} ({_node(matrix.rows)});")
    if model.regression is not None:
        r = model.regression
        lines.append(rf"\node[below=9mm of {_node(model.samples)}, anchor=north west, font=\small] "
                     rf"{{teacher $w \sim \mathcal{{N}}\!\left(0, {latex(r.teacher_variance)}\right)$}};")
        lines.append(rf"\node[below=16mm of {_node(model.samples)}, anchor=north west, font=\small] "
                     rf"{{label noise $\varepsilon \sim \mathcal{{N}}\!\left(0, {latex(r.noise_variance)}\right)$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def quiver_document(model):
    """A standalone LuaLaTeX document with the quiver of ``model``.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> quiver_document(mrs()).startswith(r"\\documentclass[tikz")
    True
    """
    return "\n".join([
        r"\documentclass[tikz,border=6pt]{standalone}",
        r"\usepackage{amsmath}",
        r"\usetikzlibrary{arrows.meta,positioning}",
        r"\begin{document}",
        quiver_picture(model),
        r"\end{document}",
        "",
    ])


def _node(space):
    """A TikZ node name for a space (letters and digits only, so any space name is safe)."""
    return "s" + "".join(c if c.isalnum() else f"x{ord(c):x}" for c in space) if not space.isalnum() else space
