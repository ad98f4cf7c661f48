"""The ``data`` command: a dataset's covariance spectrum, best linear teacher, noise and power-law fit,
written as a spectrum file that ``largen loss --spectrum FILE --noise VAR`` reads back."""

from largen.diagrams.errors import UsageError
from largen.solver.cli.options import (Command, add_data_options, add_force_option, add_json_option, dataset_of,
                                       path_argument)
from largen.solver.data.datasets import data_spectrum

__all__ = ["COMMANDS"]


def options(parser, model):
    add_data_options(parser, positional=True)
    parser.add_argument("--out", metavar="SPECTRUM", type=path_argument,
                        help="write the spectrum file: eigenvalue and teacher weight per line, the noise and the fit "
                             "in its header")
    add_force_option(parser, "an existing --out file")
    parser.add_argument("--fit-range", metavar="FIRST,LAST",
                        help="the range of I of the power-law fit [2 to half the rank]")
    add_json_option(parser)


def _fit_range(text):
    if text is None:
        return None
    first, _, last = text.partition(",")
    try:
        return int(first), int(last)
    except ValueError:
        raise UsageError(f"--fit-range expects FIRST,LAST (two integers), got {text!r}") from None


def run(args, outputs):
    fit_range = _fit_range(args.fit_range)
    temporary = outputs.reserve(args.out, force=args.force) if args.out else None
    found = data_spectrum(dataset_of(args), fit_range)
    result = found.as_dict()
    if temporary:
        found.write(temporary, force=True)  # into the reserved file, put in place when the command succeeds
        result["spectrum"] = args.out
        result["noise_flag"] = f"--noise {result['noise']}"
    if args.json:
        return result
    lines = [f"dataset {found.name}: rank {found.rank}, largest eigenvalue {result['largest']}",
             f"{'target variance per output':40}{result['variance']}",
             f"{'noise: what no linear function carries':40}{result['noise']}  (--noise)"]
    fit = found.fit
    if fit is not None:
        lines.append(f"power-law fit over I = {fit.first}..{fit.last}: alpha = {fit.alpha:.4g} ± {fit.alpha_error:.2g}, "
                     f"lam_plus = {fit.lam_plus:.4g}, delta = {fit.delta:.4g} ± {fit.delta_error:.2g}")
    else:
        lines.append("power-law fit: too few eigenvalues (3 or more in the range are needed)")
    if temporary:
        lines.append(f"wrote {args.out}: read it back with largen loss --spectrum {args.out} "
                     f"--noise {result['noise']} --N ... --P ... --gamma ...")
    return "\n".join(lines)


COMMANDS = {
    "data": Command(help="a dataset's spectrum, teacher, noise and power-law fit, as a spectrum file",
                    options=options, run=run, model=False),
}
