"""The fuzz corpus of the test suite with a larger budget and fresh random seeds.

    python bench/fuzz.py [EXAMPLES]

Runs every property of tests/test_fuzz.py with EXAMPLES examples each (default 500) and prints how many
properties held and the time taken; a failure prints hypothesis's minimal falsifying example.
"""

import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(examples=500):
    env = dict(os.environ, LARGEN_FUZZ_EXAMPLES=str(examples), LARGEN_FUZZ_RANDOM="1")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(proc.stdout[-4000:])
    print(f"fuzz corpus: {examples} examples per property, {elapsed:.0f} s, exit status {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
