"""The ``largen`` command line: flags in, a library call, text or JSON out.

Its modules: :mod:`~largen.solver.cli.commands` (the table of commands and the entry point
:func:`main`), :mod:`~largen.solver.cli.options` (the options the commands share, parameter flags
from the model's own symbols), :mod:`~largen.solver.cli.files` (outputs reserved before the work,
written only on success), :mod:`~largen.solver.cli.messages` (the library's keyword arguments
said as flags), and a module per group of commands: :mod:`~largen.solver.cli.solving` (loss, sweep,
simulate), :mod:`~largen.solver.cli.deriving` (derive, series, duality, expect, diagrams),
:mod:`~largen.solver.cli.exponents`, :mod:`~largen.solver.cli.report`, :mod:`~largen.solver.cli.percolation`
(clusters, Brill's experiment, the lattice dimensions), :mod:`~largen.solver.cli.data` (a dataset's spectrum)
and :mod:`~largen.solver.cli.fitting` (``fit``: parameters fitted to measured learning curves).

May import everything else; nothing imports it.
"""

from largen.solver.cli.commands import build_parser, main

__all__ = ["main", "build_parser"]
