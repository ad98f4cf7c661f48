"""``python -m largen``: the command line."""

import sys

from largen.solver.cli import main

sys.exit(main())
