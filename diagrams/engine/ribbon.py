"""Ribbon graphs: one Wick contraction of an observable, as a fat graph.

Each trace of the observable is a vertex; each of its letters is a dart, and
the order of the letters in the trace is the vertex rotation. Each Wick pair is
an edge joining two darts (the involution), glued either straight or with a
twist. A twisted ribbon appears for real matrices when a matrix meets itself
untransposed (E[A_ij A_kl] glues rows to rows), and for a real symmetric
Wigner matrix as the second term of its propagator.

The index loops are the faces. Corner ``(v, i)`` is the index between letters
``i - 1`` and ``i`` of vertex ``v``; a dart has a left corner ``(v, i)`` and a
right corner ``(v, i + 1)``. A straight edge identifies left with right and
right with left across the pair, a twisted one left with left and right with
right; the faces are the classes of corners under these identifications. (For
an orientable graph these are the cycles of the vertex rotation composed with
the involution.) Face weights: the size of its space, or ``tr Lambda**k`` when
``k`` covariance insertions lie on it, from the word or from the propagators of
a dressed matrix (E[X_ia X_jb] = Lambda_ij delta_ab); with ``j`` insertions of a
teacher covariance Omega too, ``tr Lambda**k Omega**j``.

The graph is stored on a networkx MultiGraph: nodes are the vertices with their
``rotation`` (tuple of darts in cyclic order) and ``word``; edges are the
propagators with ``matrix``, ``darts`` and ``twisted``.
"""

from functools import cached_property

import networkx as nx
import sympy

from largen.diagrams.printing.latex import display
from largen.diagrams.engine.spectral import covariance_trace

__all__ = ["RibbonGraph", "face_weight"]


class RibbonGraph:
    """A Wick contraction of a product of traces.

    Parameters
    ----------
    words : tuple of Word
        The traces; vertex ``v`` is ``words[v]``.
    model : Model
        Gives the matrices' variances and the spaces' sizes.
    edges : iterable of (dart, dart, twisted)
        The Wick pairs; a dart is ``(vertex, position)``.

    Examples
    --------
    >>> from largen.diagrams import mrs
    >>> from largen.diagrams.engine.observable import parse_observable
    >>> (_, words), = parse_observable("Trace(X*X.T)").terms
    >>> graph = RibbonGraph(words, mrs(), [((0, 0), (0, 1), False)])
    >>> graph.weight, graph.euler, graph.genus
    (P*tr_Lambda(1), 2, 0)
    """

    def __init__(self, words, model, edges):
        self.words = tuple(words)
        self.model = model
        self.edges = tuple(sorted((min(a, b), max(a, b), bool(t)) for a, b, t in edges))
        graph = nx.MultiGraph()
        for v, word in enumerate(self.words):
            graph.add_node(v, word=word, rotation=tuple((v, i) for i in range(len(word))))
        for a, b, twisted in self.edges:
            matrix = self.letter(a).matrix
            graph.add_edge(a[0], b[0], matrix=matrix, darts=(a, b), twisted=twisted)
        self.graph = graph

    def letter(self, dart):
        v, i = dart
        return self.words[v].letters[i]

    # -- faces ---------------------------------------------------------------
    @cached_property
    def faces(self):
        """The index loops: a list of ``(space, (covariance insertions, teacher insertions), corners)``."""
        parent = {}

        def find(c):
            parent.setdefault(c, c)
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        def union(a, b):
            parent[find(a)] = find(b)

        corners = [(v, i) for v, w in enumerate(self.words) for i in range(max(len(w), 1))]
        for c in corners:
            find(c)
        dressing = []
        matrices = self.model.matrices
        for a, b, twisted in self.edges:
            (la, ra), (lb, rb) = self.sides(a), self.sides(b)
            if twisted:
                union(la, lb), union(ra, rb)
            else:
                union(la, rb), union(ra, lb)
            if matrices[self.letter(a).matrix].dressed:
                dressing.append(ra if self.letter(a).transposed else la)
        loops = {}
        for c in corners:
            loops.setdefault(find(c), []).append(c)
        count = {root: sum(self.words[v].insertions[i] for v, i in members) for root, members in loops.items()}
        weights = {root: sum(self.words[v].weight(i) for v, i in members) for root, members in loops.items()}
        for corner in dressing:
            count[find(corner)] += 1
        faces = []
        for root, members in loops.items():
            v, i = members[0]
            faces.append((self.words[v].spaces[i], (count[root], weights[root]), tuple(sorted(members))))
        return sorted(faces)

    def sides(self, dart):
        """The corners to the left and right of a dart."""
        v, i = dart
        return (v, i), (v, (i + 1) % len(self.words[v]))

    @cached_property
    def weight(self):
        """Product of the propagators' variances and of one factor per face."""
        matrices = self.model.matrices
        weight = sympy.Mul(*[matrices[self.letter(a).matrix].variance for a, _, _ in self.edges])
        for space, (insertions, weights), _ in self.faces:
            weight *= face_weight(self.model, space, insertions, weights)
        return weight

    def face_counts(self):
        """Number of faces on each space."""
        counts = {}
        for space, _, _ in self.faces:
            counts[space] = counts.get(space, 0) + 1
        return counts

    # -- topology ------------------------------------------------------------
    @property
    def euler(self):
        """Euler characteristic V - E + F (summed over connected components)."""
        return len(self.words) - len(self.edges) + len(self.faces)

    @property
    def components(self):
        return nx.number_connected_components(self.graph)

    @cached_property
    def orientable(self):
        """Whether a choice of vertex orientations makes every ribbon straight.

        Flipping a vertex's orientation toggles the twist of each edge at it
        (a loop keeps its twist), so the graph is orientable exactly when the
        twisted edges form a cut of the vertex signs.
        """
        sign = {}
        for start in self.graph.nodes:
            if start in sign:
                continue
            sign[start] = 0
            stack = [start]
            while stack:
                v = stack.pop()
                for _, w, twisted in self.graph.edges(v, data="twisted"):
                    want = sign[v] ^ twisted
                    if w not in sign:
                        sign[w] = want
                        stack.append(w)
                    elif sign[w] != want:
                        return False
        return True

    @property
    def euler_genus(self):
        """Sum over components of 2 - chi: twice the genus, or the number of crosscaps."""
        return 2 * self.components - self.euler

    @property
    def genus(self):
        """The orientable genus (summed over components), or None for a non-orientable graph."""
        return self.euler_genus // 2 if self.orientable else None

    @property
    def planar(self):
        """Every connected component is a sphere."""
        return self.euler_genus == 0

    # -- identity ------------------------------------------------------------
    def key(self):
        """The pairing itself: equal keys are equal contractions."""
        return self.edges

    def __eq__(self, other):
        return isinstance(other, RibbonGraph) and self.words == other.words and self.edges == other.edges

    def __hash__(self):
        return hash((self.words, self.edges))

    def __repr__(self):
        pairs = ", ".join(f"{a}{'~' if t else '-'}{b}" for a, b, t in self.edges)
        return f"RibbonGraph({pairs}; chi={self.euler}, weight={self.weight})"

    def _latex(self, printer):
        return printer._print(self.weight)

    def _repr_latex_(self):
        return display(self)


def face_weight(model, space, insertions, weights=0):
    """The factor of a face: the space's size, or tr C**k W**j with k insertions of its covariance C
    and j of its teacher covariance W (tr C**k when j = 0, tr W**j when k = 0)."""
    if weights == 0:
        return model.spaces[space] if insertions == 0 else covariance_trace(model.covariance(space))(insertions)
    return covariance_trace(model.covariance(space), model.teacher(space))(insertions, weights)
