"""largen.diagrams: models, Wick contractions, ribbon graphs and their resummation, exactly.

This package knows nothing of numerics; :mod:`largen.solver` builds on it. Its
sub-packages, each importing only those before it:

* :mod:`~largen.diagrams.errors` -- the one exception tree;
* :mod:`~largen.diagrams.printing` -- LaTeX, Unicode and TikZ;
* :mod:`~largen.diagrams.engine` -- models, observables, Wick contractions, ribbon graphs,
  planar sums and the cut-and-join recursion;
* :mod:`~largen.diagrams.theory` -- the pencil, Schwinger-Dyson equations, the parametric
  form, the finite-size correction, the large-ridge series and the duality;
* :mod:`~largen.diagrams.regimes` -- asymptotics and the scaling regimes;
* :mod:`~largen.diagrams.derivation` -- :func:`derive`, the theory of a model as one object.
"""

from largen.diagrams.engine import *  # noqa: F403
from largen.diagrams.engine import __all__ as _engine
from largen.diagrams.errors import *  # noqa: F403
from largen.diagrams.errors import __all__ as _errors
from largen.diagrams.regimes import *  # noqa: F403
from largen.diagrams.regimes import __all__ as _regimes
from largen.diagrams.theory import *  # noqa: F403
from largen.diagrams.theory import __all__ as _theory

from largen.diagrams.derivation import Theory, derive

__all__ = [*_errors, *_engine, *_theory, *_regimes, "Theory", "derive"]
