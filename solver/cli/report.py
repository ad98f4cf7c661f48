"""The ``report`` command: the derivation of a model as a paper, with its figures, compiled (the main job)."""

from largen.solver.cli.options import (Command, add_activation_option, add_data_options, add_force_option,
                                       add_json_option, add_model_option, add_teacher_options, dataset_of, model_of,
                                       path_argument, spectrum_of)
from largen.solver.report.build import write_report

__all__ = ["COMMANDS"]


def options(parser, model):
    add_model_option(parser)
    parser.add_argument("--out", metavar="DIR", type=path_argument, default="report",
                        help="the directory of report.tex, its figures and report.pdf [report]")
    parser.add_argument("--spectrum", metavar="FILE", action="append", type=path_argument,
                        help="the latent spectrum of the scaling laws and the figures: eigenvalues of Lambda, one per "
                             "line, and 'power_law alpha=A M=SIZE' lines; repeated, the pieces add "
                             "(default: lambda_I = I^-2)")
    add_force_option(parser, "an existing report")
    add_json_option(parser)
    add_activation_option(parser)
    add_teacher_options(parser, spectrum=True)
    add_data_options(parser)


def run(args, outputs):
    model = model_of(args)
    spectrum = spectrum_of(args)
    curves = {"activation": args.activation} if args.activation is not None else None
    data = dataset_of(args)
    written = write_report(model, args.out, force=args.force, spectrum=spectrum, curves=curves,
                           **({} if args.delta is None else {"delta": args.delta}),
                           **({} if data is None else {"data": data}))
    if args.json:
        return written.as_dict()
    lines = [f"wrote {written.tex} and {len(written.figures)} figures"]
    lines.append(f"compiled {written.pdf}" if written.compiled else written.reason)
    return "\n".join(lines)


COMMANDS = {
    "report": Command(help="the derivation as a report: LaTeX, figures and a PDF (the main job)", options=options,
                   run=run),
}
