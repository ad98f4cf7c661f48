"""The ``largen`` command line: the table of its commands, and the one entry point, :func:`main`.

Every command takes the model's parameters as flags named after its symbols
(``--N 100 --P 300 --gamma 1e-3 --M 800``, ``--N1`` for a model file with N1:
``--model`` is read first) or as ``--set NAME=VALUE``, and ``--json`` for
scripts. A command handler parses its flags into the library's arguments,
calls the library, and formats what it returns. Bad input ends with one line
on stderr and exit status 2; a sweep whose points partly fail prints every
row (the failed ones with their error), says "largen: K of N points failed"
on stderr and exits with status 3. A warning (LargenWarning) is one line on
stderr. Ctrl-C exits with status 130, a closed output pipe quietly with 141.
The files a command writes are checked before its work and written only when
it succeeds (:mod:`largen.solver.cli.files`).
"""

import argparse
import json
import math
import os
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version

import mpmath

from largen.diagrams.errors import LargenError, LargenWarning, SolverError, UsageError
from largen.solver.cli import data, deriving, exponents, fitting, percolation, report, solving
from largen.solver.cli.files import Outputs
from largen.solver.cli.messages import for_the_command_line
from largen.solver.cli.options import base_model, parameter_flags
from largen.solver.cli.solving import Partial

__all__ = ["main", "build_parser", "COMMANDS"]

PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away
INTERRUPTED = 130  # 128 + SIGINT
SOME_POINTS_FAILED = 3

# name -> Command: help, options(parser, model), run(args, outputs)
COMMANDS = {**solving.COMMANDS, **deriving.COMMANDS, **report.COMMANDS, **exponents.COMMANDS,
            **percolation.COMMANDS, **data.COMMANDS, **fitting.COMMANDS}
ORDER = ("simulate", "expect", "diagrams", "derive", "series", "loss", "sweep", "duality", "report", "exponents",
         "percolation", "data", "fit")


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)  # flags are spelled out: --N is not --N1

    def _parse_optional(self, arg_string):
        # '-Trace(X*X.T)' is an expression, not a flag: no flag holds these characters
        if arg_string.startswith("-") and any(c in arg_string for c in "()*+/ "):
            return None
        return super()._parse_optional(arg_string)

    def error(self, message):
        if "required: EXPR" in message:
            message += " (an expression beginning with '-' goes last, after '--': largen expect --P 2 -- -N)"
        command = self.prog.partition(" ")[2]  # the handler names largen itself; a subcommand says which
        raise UsageError(f"{command}: {message}" if command else message)


def build_parser(model=None):
    """The parser of every command; the parameter flags are the symbols of ``model`` (MRS by default)."""
    model = model or base_model(None)
    parser = Parser(prog="largen", description="Large-N diagrams and neural scaling laws.",
                    epilog="Exit status: 0 success, 2 bad input (one line on stderr), 3 some points of a sweep "
                           "failed, 130 interrupted, 141 the output pipe closed.")
    parser.add_argument("--version", action="version", version=f"largen {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for name in ORDER:
        command = COMMANDS[name]
        sub = commands.add_parser(name, help=command.help, description=command.description, epilog=command.epilog)
        command.options(sub, model)
        sub.set_defaults(run=command.run, base_model=model)
    return parser


def _model_of_argv(argv):
    """The model whose symbols are a command's flags: the first parse, of --model alone."""
    if not argv or argv[0] not in COMMANDS or not COMMANDS[argv[0]].model:
        return None
    first = Parser(prog=f"largen {argv[0]}", add_help=False)
    first.add_argument("--model")
    known, _ = first.parse_known_args(argv[1:argv.index("--") if "--" in argv else len(argv)])
    return base_model(known.model) if known.model and known.model.strip() else None


def _warnings_said(flags):
    """Show a warning (LargenWarning) as one line on stderr, said as the command line says it."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"largen: warning: {for_the_command_line(str(message), flags)}", file=sys.stderr)

    return show


def _as_json(result):
    """``result`` as JSON text, refused (SolverError) where it holds a number that is not finite."""
    _check_finite(result)
    return json.dumps(result, indent=2, allow_nan=False)


def _check_finite(data, where="the result"):
    if isinstance(data, dict):
        for key, value in data.items():
            _check_finite(value, f"{where}[{key!r}]")
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            _check_finite(value, f"{where}[{i}]")
    elif isinstance(data, (float, mpmath.mpf)) and not math.isfinite(data):
        raise SolverError(f"{where} is {data}: JSON holds finite numbers only")


def main(argv=None):
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    outputs, flags, failed = Outputs(), {}, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("default", LargenWarning)
            warnings.showwarning = _warnings_said(flags)
            if sys.stdout is None:  # started with its output closed (>&-): nowhere to print, checked first
                raise UsageError("the standard output is closed: there is nowhere to print the result")
            model = _model_of_argv(argv) or base_model(None)
            parser = build_parser(model)
            flags.update(parameter_flags(model))
            args = parser.parse_args(argv)
            result = args.run(args, outputs)
            if isinstance(result, Partial):
                failed, result = result, result.result
            text = result if isinstance(result, str) else _as_json(result)
            outputs.commit()
        print(text)
        sys.stdout.flush()
    except SystemExit as exc:  # --help and --version
        return exc.code
    except LargenError as exc:
        print(f"largen: error: {for_the_command_line(str(exc), flags)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away: nothing more can be said, and the interpreter must not say it at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except KeyboardInterrupt:
        print("largen: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        outputs.discard()  # after a commit there is nothing left to discard
    if failed is not None:
        print(f"largen: {failed.failed} of {failed.total} points failed (their rows give the errors)", file=sys.stderr)
        return SOME_POINTS_FAILED
    return 0


def _version():
    try:
        return version("largen")
    except PackageNotFoundError:
        return "unknown"
