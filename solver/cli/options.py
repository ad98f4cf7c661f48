"""The options the commands share, and how their values become the library's arguments.

A model's parameters are flags named after its own symbols (``--N``,
``--sigma-u``, ``--N1`` for a model file that has N1), found by a first parse
of ``--model``, or ``--set NAME=VALUE`` for any symbol; ``--noise`` sets the
symbol of the label-noise variance. The values stay text: the library reads
them, exactly, through its one grammar.
"""

import argparse
from dataclasses import dataclass
from typing import Callable

from largen.diagrams import load_model, mrs
from largen.diagrams.engine.grammar import parse_number
from largen.diagrams.engine.model import gaussian_equivalent, with_teacher
from largen.diagrams.engine.wick import MAX_DIAGRAMS
from largen.diagrams.errors import ParameterError, UsageError
from largen.solver.numerics.activation import activation as parse_activation
from largen.solver.data.datasets import digits, load
from largen.solver.numerics.point import EQUIVALENCES, noise_parameters, short
from largen.solver.numerics.solution import MAX_DPS
from largen.solver.numerics.spectrum import Spectrum

__all__ = ["Command", "path_argument", "limit_argument", "count_argument", "parameter_flags", "add_model_option",
           "add_parameter_options", "add_spectrum_options", "add_teacher_options", "add_activation_option",
           "add_limit_option", "add_json_option", "add_force_option", "add_dps_option", "base_model", "model_of",
           "parameters_of", "spectrum_of", "dps_of", "add_data_options", "add_equivalence_option", "dataset_of",
           "DIGITS"]

# Options the commands have besides a model's symbols: a symbol whose flag would be one of these is set
# with --set only.
RESERVED_FLAGS = {"--model", "--set", "--noise", "--alpha", "--delta", "--spectrum", "--teacher-spectrum", "--json",
                  "--dps", "--activation", "--seeds", "--seed", "--max-memory", "--max-diagrams", "--order",
                  "--planar", "--finite-size", "--out", "--force", "--workers", "--scheduler", "--help",
                  "--data", "--targets", "--target-columns", "--one-hot", "--equivalence", "--variance", "--outputs",
                  "--fast", "--check"}
DIGITS = "digits"  # the name of the built-in dataset (scikit-learn's handwritten digits) where a FILE may go


@dataclass(frozen=True)
class Command:
    """A command of the table: its help, its options, and its handler.

    ``options(parser, model)`` adds the command's flags (``model``: the one whose symbols are
    parameter flags); ``run(args, outputs)`` parses the flags into the library's arguments,
    calls the library and formats what it returns (text, or data for JSON), writing files only
    through ``outputs`` (:class:`largen.solver.cli.files.Outputs`). ``model`` says whether the
    command takes ``--model``, read first.
    """

    help: str
    options: Callable
    run: Callable
    description: str = None
    epilog: str = None
    model: bool = True


def path_argument(text):
    """A path flag's value: an empty path is refused, not ignored."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return text


def limit_argument(text):
    """--max-diagrams: a positive integer, or 'none' for no limit.

    Examples
    --------
    >>> limit_argument("1e3"), limit_argument("none")
    (1000, None)
    """
    if text.strip().lower() in ("none", "inf"):
        return None
    return count_argument(text, least=1, other="or 'none'")


def count_argument(text, *, least=0, other=""):
    """A count: an integer, in any notation the number reader takes (``1e6`` as the help writes it).

    Examples
    --------
    >>> count_argument("1e6"), count_argument("20000")
    (1000000, 20000)
    >>> count_argument("2.5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected an integer, got '2.5'
    """
    expected = f"expected {'a positive' if least == 1 else 'an'} integer{' ' + other if other else ''}, got {text!r}"
    try:
        value = parse_number(text, what="count")
    except ParameterError:
        raise argparse.ArgumentTypeError(expected) from None
    if not value.is_Integer or value < least:
        raise argparse.ArgumentTypeError(expected)
    return int(value)


def parameter_flags(model):
    """The flag of each symbol of ``model``: its name with '-' for '_' (``sigma_u``: ``--sigma-u``).

    A symbol whose flag is another option's (a parameter named ``seed``) has none: ``--set`` sets it.

    Examples
    --------
    >>> parameter_flags(mrs())  # doctest: +NORMALIZE_WHITESPACE
    {'M': '--M', 'N': '--N', 'P': '--P', 'gamma': '--gamma', 'sigma_eps': '--sigma-eps', 'sigma_u': '--sigma-u',
     'sigma_w': '--sigma-w'}
    """
    flags = {name: "--" + name.replace("_", "-") for name in sorted(model.symbols)}
    return {name: flag for name, flag in flags.items() if flag not in RESERVED_FLAGS}


def add_model_option(parser):
    parser.add_argument("--model", metavar="FILE", type=path_argument,
                        help="a TOML model file (default: the MRS model)")


def add_parameter_options(parser, model):
    """--model, a flag per symbol of ``model`` (MRS by default), --noise and --set."""
    add_model_option(parser)
    model = model or mrs()
    for name, flag in parameter_flags(model).items():
        parser.add_argument(flag, dest=f"symbol_{name}", metavar="VALUE", help=f"value of the symbol {name}")
    parser.add_argument("--noise", metavar="VAR", help="label-noise variance of the training labels "
                                                       "(sets the symbol of the model's noise variance)")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                        help="value of any symbol of the model (repeatable)")


def add_spectrum_options(parser):
    """--alpha, --spectrum (repeatable), --delta and --teacher-spectrum."""
    parser.add_argument("--alpha", metavar="A", help="power-law exponent: lambda_I = I^-(1+alpha) [1]")
    parser.add_argument("--spectrum", metavar="FILE", action="append", type=path_argument,
                        help="eigenvalues of Lambda, one per line (a second column: the teacher's omega_I), "
                             "and 'power_law alpha=A M=SIZE [delta=D]' lines; repeated, the pieces add")
    add_teacher_options(parser, spectrum=True)


def add_teacher_options(parser, *, spectrum=False, symbolic=False):
    """--delta (and --teacher-spectrum): a teacher covariance, E w_I^2 = (sigma_w^2/M) omega_I; with
    ``symbolic``, --delta may be the word 'symbolic'."""
    parser.add_argument("--delta", metavar="D|symbolic" if symbolic else "D",
                        help="teacher exponent: omega_I = I^-delta, the teacher covariance in the latent basis "
                             "[0: the isotropic teacher]" + ("; 'symbolic': the regimes piecewise in delta"
                                                             if symbolic else ""))
    if spectrum:
        parser.add_argument("--teacher-spectrum", metavar="FILE", type=path_argument,
                            help="the teacher's omega_I, one per line, paired with the listed eigenvalues")


def add_activation_option(parser):
    parser.add_argument("--activation", metavar="NAME",
                        help="nonlinear features s(F x) by Gaussian equivalence: linear, relu, tanh, erf or x^K "
                             "(the Monte Carlo uses s itself)")


def add_data_options(parser, *, positional=False):
    """--data (or, ``positional``, an argument DATA): the built-in 'digits' or an array FILE; with
    --targets, --target-columns and --one-hot for a FILE."""
    what = ("'digits' (scikit-learn's handwritten digits) or an n x M array (.npy or .csv)")
    if positional:
        parser.add_argument("data", metavar="digits|FILE", type=path_argument, help=f"the dataset: {what}")
    else:
        parser.add_argument("--data", metavar="digits|FILE", type=path_argument,
                            help=f"the population: {what}; its covariance spectrum, best linear teacher and noise "
                                 "(or its kernel's spectrum with --equivalence kernel) set M, the spectrum, the "
                                 "teacher and the noise")
    parser.add_argument("--targets", metavar="FILE", type=path_argument,
                        help="the targets of a data FILE: a second array (a vector or n x C)")
    parser.add_argument("--target-columns", metavar="K", type=count_argument, default=0,
                        help="the targets of a data FILE are its last K columns [0: give --targets]")
    parser.add_argument("--one-hot", action="store_true",
                        help="the targets are one column of integer class labels, made one-hot")


def add_equivalence_option(parser, default="white"):
    parser.add_argument("--equivalence", choices=EQUIVALENCES, default=default,
                        help="nonlinear features (--activation): Gaussian equivalence with a white xi, or the "
                             f"theory on the features' kernel spectrum [{default}]")


def dataset_of(args):
    """The dataset of --data (with --targets, --target-columns, --one-hot), or None without --data."""
    path = getattr(args, "data", None)
    targets = getattr(args, "targets", None)
    columns, one_hot = getattr(args, "target_columns", 0), getattr(args, "one_hot", False)
    if path is None:
        if targets or columns or one_hot:
            raise UsageError("--targets, --target-columns and --one-hot describe the array of --data FILE")
        return None
    if path == DIGITS:
        if targets or columns or one_hot:
            raise UsageError("the digits dataset has its own targets (the ten classes, one-hot): "
                             "--targets, --target-columns and --one-hot are for --data FILE")
        return digits()
    return load(path, targets=targets, target_columns=columns, one_hot=one_hot)


def add_limit_option(parser):
    parser.add_argument("--max-diagrams", type=limit_argument, default=MAX_DIAGRAMS, metavar="COUNT",
                        help=f"refuse work estimated past COUNT diagrams ('none': no limit) [{MAX_DIAGRAMS}]")


def add_json_option(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_force_option(parser, what):
    parser.add_argument("--force", action="store_true", help=f"overwrite {what}")


def add_dps_option(parser, help="significant digits [30]"):
    parser.add_argument("--dps", type=int, default=30, help=help)


def base_model(path):
    """The model of --model FILE (MRS without one): the first of the two parses, whose symbols are flags."""
    return load_model(path) if path else mrs()


def model_of(args, *, teacher=None):
    """The model of --model (MRS by default); with --activation, its Gaussian equivalent for nonlinear
    features; with a teacher covariance when ``teacher`` is true, by default when --delta (not 0) or
    --teacher-spectrum asks for one."""
    model = args.base_model
    if getattr(args, "activation", None) is not None:
        parse_activation(args.activation)  # an unknown name is refused before any work
        if model.regression.equivalent is None:
            model = gaussian_equivalent(model)
    if teacher is None:
        delta = getattr(args, "delta", None)
        teacher = getattr(args, "teacher_spectrum", None) or (delta is not None
                                                              and parse_number(delta, what="delta") != 0)
    return with_teacher(model) if teacher else model


def parameters_of(args, model, lists=False):
    """The symbol values the flags give, by name (as text or sympy numbers); the spectrum's ``alpha`` too.

    A symbol given twice (``--M 5 --set M=6``, ``--noise`` and ``--set`` of the
    noise symbol) is refused. With ``lists``, a value with commas is a list of
    values (a sweep's grid).
    """
    values, sources = {}, {}

    def put(name, value, source):
        if name in sources:
            raise UsageError(f"{name} is given twice: by {sources[name]} and by {source}")
        values[name], sources[name] = value, source

    for name, flag in parameter_flags(args.base_model).items():
        if getattr(args, f"symbol_{name}") is not None:
            put(name, getattr(args, f"symbol_{name}"), flag)
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        put(name.strip(), value.strip(), f"--set {name.strip()}")
    if args.noise is not None:
        for name, value in noise_parameters(model, args.noise).items():
            put(name, value, "--noise")
    if getattr(args, "alpha", None) is not None:
        if args.spectrum:
            raise UsageError("give either --spectrum or --alpha, not both")
        put("alpha", args.alpha, "--alpha")
    if getattr(args, "delta", None) is not None:
        if args.spectrum:
            raise UsageError("give either --spectrum or --delta, not both (a file's power_law lines take delta=D)")
        put("delta", args.delta, "--delta")
    if lists:
        values = {k: v.split(",") if isinstance(v, str) and "," in v else v for k, v in values.items()}
    return values


def spectrum_of(args):
    """The spectrum the --spectrum files give (their pieces added), with the --teacher-spectrum, or None.

    A teacher given twice (a file's second column or ``delta=D`` and --teacher-spectrum) is refused.
    """
    teacher = getattr(args, "teacher_spectrum", None)
    if not args.spectrum:
        if teacher:
            raise UsageError("--teacher-spectrum pairs with the listed eigenvalues of --spectrum FILE; "
                             "for a power law give --delta")
        return None
    spectrum = sum((Spectrum.from_file(path) for path in args.spectrum[1:]), Spectrum.from_file(args.spectrum[0]))
    if teacher and any(getattr(piece, "weights", None) is not None or piece.teacher for piece in spectrum.pieces):
        raise UsageError(f"the teacher is given twice: by --spectrum {' '.join(args.spectrum)} (its second column "
                         f"or delta=D) and by --teacher-spectrum {teacher}")
    return spectrum.with_teacher_file(teacher) if teacher else spectrum


def dps_of(args):
    if args.dps < 1:
        raise ParameterError(f"--dps must be at least 1, got {args.dps}")
    if args.dps > MAX_DPS:
        raise ParameterError(f"--dps must be at most {MAX_DPS}, got {short(args.dps)}")
    return args.dps
