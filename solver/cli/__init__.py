"""The ``largen`` command line: flags in, one library call, text or JSON out.

May import everything else; nothing imports it.
"""

from largen.solver.cli.commands import main

__all__ = ["main"]
