"""Time a full report of the MRS model: derivation, figures (solver and Monte Carlo), LuaLaTeX.

    python bench/report.py [OUT]

Prints the wall time of the whole report; the target is under two minutes on two cores.
"""

import os
import sys
import tempfile
import time

from largen.diagrams import mrs
from largen.solver.report.build import write_report


def main(out=None):
    out = out or tempfile.mkdtemp(prefix="largen-report-")
    start = time.perf_counter()
    written = write_report(mrs(), out)
    total = time.perf_counter() - start
    print(f"report of MRS in {out}: {total:.1f} s wall on {os.cpu_count()} cores "
          f"({'PDF compiled' if written.compiled else 'no PDF: ' + written.reason}); "
          f"target under 120 s: {'met' if total < 120 else 'NOT met'}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
