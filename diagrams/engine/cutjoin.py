"""Exact expectations of products of traces by the cut-and-join recursion.

Wick's theorem applied to one letter ``a`` of a product of traces:
E[a F] = sum over the other letters ``b`` of E[a b] E[F without a, b]. The
propagator identifies the corners around ``a`` with those around ``b`` (see
:mod:`largen.diagrams.engine.ribbon`), and the letters left over read as new traces:

- ``b`` in the same trace, straight ribbon: the trace is *cut* in two (the
  letters between ``a`` and ``b``, and the rest);
- ``b`` in another trace, straight: the two traces are *joined* into one;
- a twisted ribbon (a real matrix meeting itself untransposed, the second
  term of a real symmetric one, a Hermitian matrix meeting its transpose):
  the same, with the part beyond ``b`` read backwards, transposed. This is
  the non-orientable term.

A trace left with no letter is a closed index loop: a face, worth the size of
its space or ``tr Lambda**k`` with its ``k`` covariance insertions (those of
the words, and one per propagator of a dressed matrix). Every trace is kept
in a canonical form (the least of its rotations and of the rotations of its
transpose, the same number), and the expectation of a multiset of canonical
traces is memoised, so that the many Wick contractions that lead to one
product of traces are summed once.

The result is the same exact polynomial as the sum over every ribbon graph
(:func:`largen.diagrams.engine.expectations.expectation` with ``planar=False``), and it is
graded by the Euler characteristic chi = V - E + F of the graphs, read off
each monomial: V traces, E propagators, F faces. For one trace, 2 - chi is
twice the genus of an orientable graph or the number of crosscaps of a
non-orientable one, and the relative power of 1/size of the term.

Examples
--------
>>> import sympy
>>> from largen.diagrams import Gaussian, Model
>>> M, P = sympy.symbols("M P", positive=True, integer=True)
>>> wishart = Model("wishart", {"M": M, "P": P}, [Gaussian("X", "M", "P", 1)])
>>> sympy.factor(exact_expectation("Trace((X*X.T)**3)", wishart))
M*P*(M**2 + 3*M*P + 3*M + P**2 + 3*P + 4)
>>> {chi: sympy.factor(part) for chi, part in graded_expectation("Trace((X*X.T)**2)", wishart).items()}
{1: M*P, 2: M*P*(M + P)}
"""

from collections import defaultdict
from fractions import Fraction

import sympy

from largen.diagrams.errors import CostError, ModelError
from largen.diagrams.engine.model import Ensemble, mrs
from largen.diagrams.engine.observable import parse_observable
from largen.diagrams.engine.ribbon import face_weight
from largen.diagrams.engine.spectral import CovarianceTrace
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.engine.wick import MAX_DIAGRAMS, check_cost, contraction_count

__all__ = ["exact_expectation", "graded_expectation", "graded_expectations", "WORK_PER_DIAGRAM"]

_BITS = 16  # bits of one exponent in a packed monomial (faces and propagators of one product of traces)
TEACHER_BITS = 16  # a corner's count of teacher-covariance insertions sits above this many bits of its
# covariance insertions, so that the counts of merged corners add as one integer
# A unit of work, about 1.5 microseconds on one core, is one term of a polynomial carried into
# the expectation of a product of traces; a ribbon graph listed costs some 140.
WORK_PER_DIAGRAM = 100


def exact_expectation(expr, model=None, *, euler=None, max_diagrams=MAX_DIAGRAMS):
    """The Gaussian expectation of a polynomial in traces, all genera, by the recursion.

    Parameters
    ----------
    expr : str or sympy expression
        Traces of words in the model's matrices, read by
        :func:`largen.diagrams.engine.observable.parse_observable`.
    model : Model, optional
        The MRS model by default.
    euler : int, optional
        Keep only the graphs of this Euler characteristic chi = V - E + F
        (for one trace: 2 the spheres, 1 one crosscap, 0 a torus or two
        crosscaps, ...).
    max_diagrams : int or None
        The limit on the work, in diagrams' worth of time (a unit of
        :data:`WORK_PER_DIAGRAM` terms carried); None: no limit.

    Returns
    -------
    sympy.Expr
        The polynomial :func:`largen.diagrams.engine.expectations.expectation` gives with
        ``planar=False``, expanded.

    Raises
    ------
    CostError
        As soon as the work done passes ``max_diagrams``.

    Examples
    --------
    >>> exact_expectation("Trace(X*X.T*X*X.T)")
    P**2*tr_Lambda(2) + P*tr_Lambda(1)**2 + P*tr_Lambda(2)
    >>> exact_expectation("Trace(X*X.T*X*X.T)", euler=1)
    P*tr_Lambda(2)
    >>> exact_expectation("Trace((X*X.T)**40)", max_diagrams=100)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.CostError: the expectation of Trace((X*X.T)**40): 101 diagrams, beyond the limit of 100; pass max_diagrams= (the CLI's --max-diagrams) to allow more
    """
    graded = graded_expectation(expr, model, max_diagrams=max_diagrams)
    if euler is not None:
        return graded.get(euler, sympy.Integer(0))
    return sympy.Add(*graded.values())


def graded_expectation(expr, model=None, *, max_diagrams=MAX_DIAGRAMS):
    """The expectation of :func:`exact_expectation` split by Euler characteristic.

    Returns
    -------
    dict
        Euler characteristic -> the sum of the graphs that have it, in
        increasing order; parts that vanish are left out.

    Examples
    --------
    >>> import sympy
    >>> from largen.diagrams import Gaussian, Model
    >>> N = sympy.Symbol("N", positive=True, integer=True)
    >>> gue = Model("gue", {"N": N}, [Gaussian("H", "N", "N", 1, ensemble="hermitian")])
    >>> graded_expectation("Trace(H**8)", gue)
    {-2: 21*N, 0: 70*N**3, 2: 14*N**5}
    """
    (graded,) = graded_expectations([expr], model, max_diagrams=max_diagrams,
                                    what=lambda _: f"the expectation of {str(expr)[:100]}")
    return graded


def graded_expectations(observables, model=None, *, max_diagrams=MAX_DIAGRAMS, what=None):
    """:func:`graded_expectation` of each of a sequence of observables, sharing one memo.

    Meant for a sequence whose work grows about geometrically, such as the
    orders of a series: before each observable, its work is projected from
    the growth of the previous two, and the sequence is refused when the
    projected total passes the limit; the work actually done is held to it too.

    Parameters
    ----------
    observables : iterable of str or sympy expression
        Taken one at a time (a generator is built only as far as it is allowed).
    model : Model, optional
        The MRS model by default.
    max_diagrams : int or None
        The limit on the total work, in diagrams' worth of time; None: no limit.
    what : callable, optional
        ``what(index)`` names the computation refused at observable ``index``.

    Returns
    -------
    list of dict
        One ``{chi: sympy.Expr}`` per observable.

    Raises
    ------
    CostError
        Before an observable whose projected work passes the limit, or as soon
        as the work done does.

    Examples
    --------
    >>> graded_expectations(["Trace(X*X.T)", "Trace(X.T*X*X.T*X)"])
    [{2: P*tr_Lambda(1)}, {1: P*tr_Lambda(2), 2: P**2*tr_Lambda(2) + P*tr_Lambda(1)**2}]
    """
    model = model or mrs()
    what = what or (lambda index: f"the expectations of the observables (at number {index})")
    engine, results, spent = _Engine(model), [], []
    budget = _Budget(max_diagrams)
    for index, observable in enumerate(observables):
        describe = lambda: what(index)  # noqa: E731
        if len(spent) >= 2 and spent[-2]:
            budget.check(budget.work + spent[-1] * spent[-1] // spent[-2], describe)
        start = budget.work
        terms = parse_observable(observable, model, max_diagrams=max_diagrams)
        results.append(_graded(terms, engine, budget, describe))
        spent.append(budget.work - start)
    return results


def _graded(observable, engine, budget, describe):
    """``{chi: sympy.Expr}`` of an observable's terms ``(coefficient, words)``."""
    total = _Total(engine)
    for coefficient, words in observable:
        if contraction_count(words, engine.model) == 0:
            continue
        state, shift = engine.state(words)
        letters = sum(len(word) for word in words)
        total.add(coefficient, engine.expect(state, lambda work: budget.spend(work, describe)), shift,
                  len(words) - letters // 2)
    return total.parts()


class _Budget:
    """Work done so far, against a limit in diagrams' worth of time."""

    def __init__(self, max_diagrams):
        self.max_diagrams, self.work = max_diagrams, 0

    def check(self, work, what):
        if self.max_diagrams is not None and work > self.max_diagrams * WORK_PER_DIAGRAM:
            check_cost(-(-work // WORK_PER_DIAGRAM), self.max_diagrams, what)

    def spend(self, work, what):
        self.work += work
        self.check(self.work, what)


class _Engine:
    """The recursion for one model: letter codes, monomial generators and the memo.

    A letter is coded ``4 * matrix + 2 * t + c``: ``t`` says whether it is read
    transposed (its row index on the right), ``c`` whether it is complex
    conjugated; a real matrix has ``c = 0``, a symmetric one neither bit, and
    a Hermitian one the single bit ``t xor c`` (its transpose is its
    conjugate). A trace is a tuple of ``code + (k << SHIFT)``, ``k`` the
    covariance insertions on the corner before the letter. A polynomial is a
    dict from packed monomials (exponents of the generators, :data:`_BITS`
    bits each) to integer coefficients.
    """

    def __init__(self, model):
        self.model = model
        matrices = sorted(model.matrices.values(), key=lambda m: m.name)
        self.matrix_index = {m.name: i for i, m in enumerate(matrices)}
        self.shift = max(2, (4 * len(matrices) - 1).bit_length())
        self.mask = (1 << self.shift) - 1
        self.generators, self.generator_index = [], {}
        size = 4 * len(matrices)
        self.transpose, self.left, self.dressed = [0] * size, [None] * size, [False] * size
        self.partners = [set() for _ in range(size)]
        self.variance = [0] * size
        for i, m in enumerate(matrices):
            if m.dressed and m.ensemble.wigner:
                # rows meet columns in a Wigner propagator: no face is the row side of both letters
                raise ModelError(f"Wigner matrix {m.name} cannot carry the covariance of its rows")
            for code in range(4 * i, 4 * i + 4):
                t, c = (code >> 1) & 1, code & 1
                self.transpose[code] = self._normal(m, 4 * i + 2 * (1 - t) + c)
                self.left[code] = m.cols if t else m.rows
                self.dressed[code] = m.dressed
                self.variance[code] = self._generator(("variance", m.name), m.variance, face=False)
            for code in range(4 * i, 4 * i + 4):
                for other in range(4 * i, 4 * i + 4):
                    if self._normal(m, code) == code and self._normal(m, other) == other:
                        self.partners[code].update((other, twisted) for twisted in _gluings(m.ensemble, code, other))
        self.memo = {(): {0: 1}}
        self.canonical_memo = {}

    @staticmethod
    def _normal(matrix, code):
        """The code of a letter in its ensemble's normal form."""
        base, t, c = code & ~3, (code >> 1) & 1, code & 1
        if matrix.ensemble is Ensemble.REAL:
            return base + 2 * t
        if matrix.ensemble is Ensemble.SYMMETRIC:
            return base
        if matrix.ensemble is Ensemble.HERMITIAN:
            return base + 2 * (t ^ c)
        return code

    def _generator(self, key, factor, face):
        if key not in self.generator_index:
            self.generator_index[key] = len(self.generators)
            self.generators.append((factor, face))
        return 1 << (_BITS * self.generator_index[key])

    def face(self, space, insertions):
        """The packed monomial of a face on ``space`` with ``insertions`` (covariance insertions, and
        teacher-covariance ones above :data:`TEACHER_BITS`)."""
        if insertions == 0:
            return self._generator(("size", space), self.model.spaces[space], True)
        k, j = insertions & ((1 << TEACHER_BITS) - 1), insertions >> TEACHER_BITS
        covariance = self.model.covariance(space)
        return self._generator(("trace", covariance, k, j), face_weight(self.model, space, k, j), True)

    def code(self, letter):
        m = self.model.matrices[letter.matrix]
        t = int(letter.transposed)
        c = t if m.ensemble is Ensemble.COMPLEX else 0  # a complex letter's .H is its conjugate transpose
        return self._normal(m, 4 * self.matrix_index[letter.matrix] + 2 * t + c)

    # -- traces and states -------------------------------------------------
    def state(self, words):
        """The canonical state of Words, and the packed monomial of their letterless traces."""
        if sum(map(len, words)) // 2 + len(words) >= 1 << _BITS:
            raise CostError(f"{len(words)} traces of {sum(map(len, words))} letters: too many faces to count")
        traces, shift = [], 0
        for word in words:
            corners = [k + (word.weight(i) << TEACHER_BITS) for i, k in enumerate(word.insertions)]
            if not word.letters:
                shift += self.face(word.spaces[0], corners[0])
                continue
            traces.append(self.canonical(tuple(self.code(letter) | (k << self.shift)
                                               for letter, k in zip(word.letters, corners))))
        return tuple(sorted(traces)), shift

    def canonical(self, trace):
        """The least of the rotations of a trace and of its transpose (read backwards, each letter transposed)."""
        found = self.canonical_memo.get(trace)
        if found is not None:
            return found
        n, mask, shift, transpose = len(trace), self.mask, self.shift, self.transpose
        backwards = tuple(transpose[trace[n - 1 - j] & mask] | ((trace[-j] >> shift) << shift) for j in range(n))
        best = min(min(w[i:] + w[:i] for i in range(n)) for w in (trace, backwards))
        self.canonical_memo[trace] = best
        return best

    # -- the recursion -------------------------------------------------------
    def expect(self, state, spend):
        """E[product of the traces of ``state``] as a packed polynomial.

        Depth first with an explicit stack (a trace of n letters is n/2 levels
        deep); ``spend(work)`` is told the work as it is done: a pairing costs
        about the square of the letters it rewrites (their canonical form), a
        term carried one unit.
        """
        memo, pending, stack = self.memo, {}, [state]
        while stack:
            top = stack[-1]
            if top in memo:
                stack.pop()
                continue
            branches = pending.get(top)
            if branches is None:
                branches = pending[top] = defaultdict(int)
                letters = sum(map(len, top))
                for branch in self.branches(top):
                    branches[branch] += 1
                    spend(1 + letters * letters // 32)
            missing = [following for _, following in branches if following not in memo]
            if missing:
                stack.extend(missing)
                continue
            result = defaultdict(int)
            for (shift, following), multiplicity in branches.items():
                polynomial = memo[following]
                spend(len(polynomial))
                for monomial, coefficient in polynomial.items():
                    result[monomial + shift] += multiplicity * coefficient
            memo[top] = {m: c for m, c in result.items() if c}
            del pending[top]
            stack.pop()
        return memo[state]

    def branches(self, state):
        """Wick's theorem on the first letter of the first trace: ``(monomial, state)`` per pairing."""
        mask, shift = self.mask, self.shift
        first, rest = state[0], state[1:]
        letters = [e & mask for e in first]
        corners = [e >> shift for e in first]
        a = letters[0]
        if self.dressed[a]:  # the covariance sits on the row index of a, where rows meet
            corners = list(corners)
            corners[1 % len(first) if a & 2 else 0] += 1
        partners = self.partners[a]
        variance = self.variance[a]
        for twisted in (False, True):
            for b in range(1, len(first)):
                if (letters[b], twisted) in partners:
                    pieces = self._cut(letters, corners, b, twisted)
                    yield self._assemble(pieces, rest, (), variance)
            for v, other in enumerate(rest):
                for b, e in enumerate(other):
                    if (e & mask, twisted) in partners:
                        joined = self._join(letters, corners, [x & mask for x in other], [x >> shift for x in other],
                                            b, twisted)
                        yield self._assemble([joined], rest, (v,), variance)

    def _assemble(self, pieces, rest, used, monomial):
        """The state after a pairing: the closed paths become faces or traces, beside the untouched traces."""
        traces = [w for v, w in enumerate(rest) if v not in used]
        for corners, letters, space in pieces:
            if not letters:
                monomial += self.face(space, corners[0])
            else:
                merged = [corners[0] + corners[-1]] + corners[1:-1]
                traces.append(self.canonical(tuple(l | (k << self.shift) for l, k in zip(letters, merged))))
        return monomial, tuple(sorted(traces))

    def _forward(self, letters, corners, i, j):
        """The open path from corner i to corner j reading forwards: (corners, letters, space of corner i)."""
        n = len(letters)
        m = (j - i) % n
        return ([corners[(i + t) % n] for t in range(m + 1)], [letters[(i + t) % n] for t in range(m)],
                self.left[letters[i % n]])

    def _backward(self, letters, corners, i, j):
        """The open path from corner i back to corner j, each letter transposed."""
        n, transpose = len(letters), self.transpose
        m = (i - j) % n
        return ([corners[(i - t) % n] for t in range(m + 1)], [transpose[letters[(i - 1 - t) % n]] for t in range(m)],
                self.left[letters[i % n]])

    @staticmethod
    def _concat(p, q):
        return p[0][:-1] + [p[0][-1] + q[0][0]] + q[0][1:], p[1] + q[1], p[2]

    def _cut(self, letters, corners, b, twisted):
        """Pair letter 0 with letter b of the same trace: two closed paths (straight) or one (twisted)."""
        if twisted:  # left corners meet, right corners meet
            return [self._concat(self._forward(letters, corners, 1, b), self._backward(letters, corners, 0, b + 1))]
        return [self._forward(letters, corners, 1, b), self._forward(letters, corners, b + 1, 0)]

    def _join(self, letters, corners, other_letters, other_corners, b, twisted):
        """Pair letter 0 with letter b of another trace: one closed path."""
        here = self._forward(letters, corners, 1, 0)
        if twisted:
            there = self._backward(other_letters, other_corners, b, b + 1)
        else:
            there = self._forward(other_letters, other_corners, b + 1, b)
        return self._concat(here, there)

    # -- results -------------------------------------------------------------
    def decode(self, monomial):
        """A packed monomial as ``(faces, [(generator, exponent), ...])``."""
        mask, faces, powers, g = (1 << _BITS) - 1, 0, [], 0
        while monomial:
            e = monomial & mask
            if e:
                powers.append((g, e))
                faces += e * self.generators[g][1]
            monomial >>= _BITS
            g += 1
        return faces, powers


class _Total:
    """A sum of coefficient * E[product of traces], kept by Euler characteristic.

    Products of generators that are monomials (a rational times integer powers
    of symbols and ``tr_Lambda(k)``, as every variance of the presets) are
    added up as Laurent monomials, without sympy: the sums run to thousands
    of terms. Anything else is left to :func:`sympy.expand`.
    """

    def __init__(self, engine):
        self.engine = engine
        self.atoms, self.atom_index = [], {}
        self.splits = []  # per generator: (Fraction, ((atom, exponent), ...)) or None
        self.laurent = defaultdict(lambda: defaultdict(Fraction))
        self.general = defaultdict(list)

    def add(self, coefficient, polynomial, shift, base):
        """Add ``coefficient`` times a packed polynomial times the monomial ``shift``; chi = base + faces."""
        scale = self._laurent(coefficient)
        generators = self.engine.generators
        while len(self.splits) < len(generators):
            self.splits.append(self._monomial(generators[len(self.splits)][0]))
        for monomial, count in polynomial.items():
            faces, powers = self.engine.decode(monomial + shift)
            product = self._product(powers)
            if product is None or scale is None:
                factors = [generators[g][0] ** e for g, e in powers]
                self.general[base + faces].append(coefficient * count * sympy.Mul(*factors))
                continue
            value, exponents = product
            target = self.laurent[base + faces]
            for term_value, term_exponents in scale:
                merged = dict(exponents)
                for atom, k in term_exponents:
                    merged[atom] = merged.get(atom, 0) + k
                target[tuple(sorted((a, k) for a, k in merged.items() if k))] += count * value * term_value

    def _product(self, powers):
        """A product of generator powers as ``(Fraction, {atom: exponent})``, or None."""
        value, exponents = Fraction(1), defaultdict(int)
        for g, e in powers:
            split = self.splits[g]
            if split is None:
                return None
            value *= split[0] ** e
            for atom, k in split[1]:
                exponents[atom] += k * e
        return value, exponents

    def parts(self):
        """``{chi: sympy.Expr}``, expanded; zero parts left out."""
        result = {}
        for chi in sorted(set(self.laurent) | set(self.general)):
            terms = [sympy.Rational(c.numerator, c.denominator) * sympy.Mul(*[self.atoms[a] ** k for a, k in key])
                     for key, c in self.laurent[chi].items() if c]
            part = sympy.Add(*terms)
            if self.general[chi]:
                part = sympy.expand(part + sympy.Add(*self.general[chi]))
            if part != 0:
                result[chi] = part
        return result

    def _atom(self, atom):
        if atom not in self.atom_index:
            self.atom_index[atom] = len(self.atoms)
            self.atoms.append(atom)
        return self.atom_index[atom]

    def _monomial(self, expr):
        """``(Fraction, ((atom, exponent), ...))`` for a rational times integer powers of atoms, else None."""
        coefficient, factors = as_expr(expr).as_coeff_mul()
        if not coefficient.is_Rational:
            return None
        powers = []
        for factor in factors:
            atom, exponent = factor.as_base_exp()
            if not exponent.is_Integer or not (atom.is_Symbol or isinstance(atom, CovarianceTrace)):
                return None
            powers.append((self._atom(atom), int(exponent)))
        return Fraction(int(coefficient.p), int(coefficient.q)), tuple(powers)

    def _laurent(self, expr):
        """An expression as a list of Laurent monomials, or None if it is not a Laurent polynomial."""
        terms = [self._monomial(term) for term in sympy.Add.make_args(sympy.expand(expr))]
        return None if None in terms else terms


def _gluings(ensemble, a, b):
    """The twists with which two letter codes of one matrix may pair (see :func:`largen.diagrams.engine.wick.gluings`).

    A propagator glues rows to rows: straight when the two row indices sit on
    opposite sides (t differs), twisted when on the same side. A complex entry
    pairs only with a conjugated one; a Hermitian one with its own
    orientation straight, with its transpose twisted; a real symmetric one
    both ways.
    """
    ta, tb = (a >> 1) & 1, (b >> 1) & 1
    if ensemble is Ensemble.REAL:
        return [ta == tb]
    if ensemble is Ensemble.SYMMETRIC:
        return [False, True]
    if ensemble is Ensemble.HERMITIAN:
        return [ta != tb]
    return [ta == tb] if (a & 1) != (b & 1) else []
