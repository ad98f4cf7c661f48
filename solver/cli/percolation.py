"""The ``percolation`` command: percolation clusters as data (Brill 2024), their exponents, and a spectrum file."""

import math

from largen.solver.cli.options import (Command, add_force_option, add_json_option, count_argument, path_argument)
from largen.solver.numerics.spectrum import Listed, Spectrum
from largen.solver.percolation.fit import percolation_report, percolation_spectrum

__all__ = ["COMMANDS"]


def options(parser, model):
    parser.add_argument("--lattice", required=True, choices=("bethe", "square", "cubic"))
    parser.add_argument("--z", type=int, help="coordination of the Bethe lattice [2d]")
    parser.add_argument("--d", type=int, help="dimension [100 for the Bethe lattice]")
    parser.add_argument("--p", metavar="P", help="occupation probability [p_c]")
    parser.add_argument("--clusters", type=count_argument, default=100000, help="clusters to grow [1e5]")
    parser.add_argument("--max-clusters", type=count_argument, default=10**6,
                        help="refuse more clusters than this [1e6]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random generator [0]")
    parser.add_argument("--out", metavar="FILE", type=path_argument,
                        help="write the subtask frequencies as a spectrum file for --spectrum")
    parser.add_argument("--source", choices=("simulation", "measured", "exact"), default="simulation",
                        help="--out lists the simulated frequencies, or writes the power law of the measured "
                             "or the exact exponent [simulation]")
    add_force_option(parser, "an existing --out file")
    add_json_option(parser)


def run(args, outputs):
    if args.out:
        outputs.reserve(args.out, force=args.force)
    result = percolation_report(args.lattice, z=args.z, d=args.d, p=args.p, clusters=args.clusters, seed=args.seed,
                                max_clusters=args.max_clusters)
    if args.out:
        found = percolation_spectrum(args.lattice, args.z, args.d, args.p, args.clusters, args.seed, args.source,
                                     max_clusters=args.max_clusters)
        # the subtask frequencies listed, or the power law of the fitted or the exact exponent
        spectrum = (Spectrum([Listed(tuple(found))]) if args.source == "simulation"
                    else Spectrum.power_law(found[0], math.inf, lam_plus=found[1]))
        outputs.write(args.out, spectrum.text())
        result["spectrum"] = args.out
    if args.json:
        return result
    return "\n".join(f"{k:24} {v}" for k, v in result.items())


COMMANDS = {
    "percolation": Command(help="percolation clusters as data: exponents and a spectrum", options=options, run=run,
                        model=False),
}
