"""The exact commands: ``derive`` (the planar theory), ``series`` (the large-ridge series by diagrams),
``duality`` (N <-> P on diagrams and derived expressions), ``expect`` (expectation values) and ``diagrams``
(the Wick contractions of an observable)."""

import sympy

from largen.diagrams.derivation import derive
from largen.diagrams.engine.expectations import expectation
from largen.diagrams.errors import ModelError, ParameterError
from largen.diagrams.printing.latex import latex
from largen.diagrams.printing.tikz import caption, tikz_document
from largen.diagrams.theory.duality import dual_pairs, noise_breaks_duality, parameter_map
from largen.diagrams.theory.series import (check_order, diagram_coefficients, diagram_count, loss_observables,
                                           theory_coefficients)
from largen.solver.cli.messages import convention_of
from largen.solver.cli.options import (Command, add_activation_option, add_dps_option, add_force_option,
                                       add_json_option, add_limit_option, add_model_option, add_parameter_options,
                                       add_spectrum_options, add_teacher_options, dps_of, model_of, parameters_of,
                                       path_argument, spectrum_of)
from largen.solver.numerics.evaluate import check_finite, check_printable, evaluate
from largen.solver.numerics.point import bind
from largen.solver.report.build import derivation_document, derivation_text, rate_names
from largen.solver.report.figures import diagram_classes

__all__ = ["COMMANDS", "exact"]


def exact(expr):
    """An exact expression as the text JSON carries (sympy reads it back), refused if it cannot be printed exactly.

    Examples
    --------
    >>> exact(sympy.Rational(1, 3) * sympy.Symbol("N"))
    'N/3'
    """
    return sympy.sstr(check_printable(expr))


# -- expect --------------------------------------------------------------------------------------
def expect_options(parser, model):
    parser.add_argument("expr", metavar="EXPR", help="e.g. 'Trace(U.T*U*X*X.T)' (after '--' if it begins with '-')")
    parser.add_argument("--planar", action="store_true", help="planar (leading large-N) diagrams only")
    add_dps_option(parser, "significant digits of the value [30]")
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    add_json_option(parser)
    add_limit_option(parser)


def run_expect(args, outputs):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    point = bind(model, spectrum=spectrum_of(args), complete=False, **values)
    expr = check_finite(expectation(args.expr, model, planar=args.planar, max_diagrams=args.max_diagrams))
    result = {"expression": exact(expr), "planar": args.planar}
    value = evaluate(expr, point, dps)
    if value is not None:
        result.update(value.as_dict())
    if args.json:
        return result
    lines = [f"E[{args.expr}]{' (planar)' if args.planar else ''} =", sympy.pretty(expr)]
    if value is not None:
        lines.append(f"= {result['value']}")
    return "\n".join(lines)


# -- diagrams ------------------------------------------------------------------------------------
def diagrams_options(parser, model):
    parser.add_argument("expr", metavar="EXPR", help="an observable (after '--' if it begins with '-')")
    parser.add_argument("--planar", action="store_true", help="planar diagrams only")
    add_model_option(parser)
    parser.add_argument("--tikz", metavar="FILE", type=path_argument,
                        help="write double-line drawings (LuaLaTeX) to FILE")
    add_force_option(parser, "an existing --tikz file")
    add_json_option(parser)
    add_limit_option(parser)


def run_diagrams(args, outputs):
    model = model_of(args)
    if args.tikz:
        outputs.reserve(args.tikz, force=args.force)
    classes = diagram_classes(args.expr, model, planar=args.planar, max_diagrams=args.max_diagrams)
    if args.tikz:
        outputs.write(args.tikz, tikz_document([(c.graph, caption(c.graph, c.multiplicity)) for c in classes]))
    count = sum(c.multiplicity for c in classes)
    listing = [{"coefficient": exact(c.coefficient), "multiplicity": c.multiplicity, "weight": exact(c.graph.weight),
                "euler": c.graph.euler, "genus": c.graph.genus, "orientable": c.graph.orientable,
                "faces": c.graph.face_counts()} for c in classes]
    if args.json:
        return {"expression": args.expr, "planar": args.planar, "contractions": count, "diagrams": listing}
    rows = [f"{count} contractions of {args.expr}{' (planar)' if args.planar else ''} in {len(listing)} classes:"]
    for d in listing:
        genus = d["genus"] if d["orientable"] else "non-orientable"
        rows.append(f"  x{d['multiplicity']:<4} chi={d['euler']:<3} genus={genus!s:<15} {d['weight']}")
    return "\n".join(rows)


# -- derive --------------------------------------------------------------------------------------
def derive_options(parser, model):
    add_model_option(parser)
    parser.add_argument("--latex", metavar="FILE", type=path_argument,
                        help="also write a LaTeX document of the derivation")
    add_force_option(parser, "an existing --latex file")
    add_json_option(parser)
    add_activation_option(parser)
    add_teacher_options(parser)


def run_derive(args, outputs):
    model = model_of(args)
    if args.latex:
        outputs.reserve(args.latex, force=args.force)
    derived = derive(model)
    theory = derived.planar
    loss, _, ladder = theory.test_loss
    train, _, train_ladder = theory.train_loss
    parts = {"equations": list(theory.equations), "unknowns": list(theory.unknowns),
             "conditions": list(theory.conditions), "Delta": [theory.renormalized_ridge], "loss": [loss],
             "ladder": list(ladder), "train_loss": [train], "train_ladder": list(train_ladder)}
    result = {"model": model.name, "convention": convention_of(model)}
    result.update({k: [exact(e) for e in v] for k, v in parts.items()})
    for key in ("Delta", "loss", "train_loss"):
        (result[key],) = result[key]
    if args.latex:
        outputs.write(args.latex, derivation_document(model))
        names = rate_names(theory)
        result["latex"] = {k: [latex(e, symbol_names=names) for e in v] for k, v in parts.items()}
    if args.json:
        return result
    return derivation_text(model).rstrip("\n")


# -- series --------------------------------------------------------------------------------------
def series_options(parser, model):
    parser.add_argument("--order", type=int, required=True, metavar="K", help="highest power of 1/gamma")
    parser.add_argument("--planar", action="store_true", help="planar diagrams (checked against the resummation)")
    add_dps_option(parser, "significant digits of values [30]")
    add_parameter_options(parser, model)
    add_spectrum_options(parser)
    add_json_option(parser)
    add_limit_option(parser)


def run_series(args, outputs):
    model = model_of(args)
    values = parameters_of(args, model)
    dps = dps_of(args)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    order = check_order(args.order)
    point = bind(model, spectrum=spectrum_of(args), complete=False, **values)
    exprs = diagram_coefficients(model, order, args.planar, max_diagrams=args.max_diagrams)
    resummed = theory_coefficients(model, order, max_diagrams=args.max_diagrams) if args.planar else None
    coefficients = []
    for k, observable in enumerate(loss_observables(model, order, max_diagrams=args.max_diagrams)):
        expr = check_finite(exprs[k])
        entry = {"order": k, "expression": exact(expr),
                 "diagrams": diagram_count(observable, model, args.planar, max_diagrams=args.max_diagrams)}
        value = evaluate(expr, point, dps, normalized=True)
        if value is not None:
            entry["value"] = value.decimal
        if resummed is not None:
            entry["resummed_agrees"] = sympy.expand(expr - resummed[k]) == 0
        coefficients.append(entry)
    result = {"model": model.name, "planar": args.planar, "coefficients": coefficients}
    if point.normalization:
        result["normalization"] = point.normalization
    if model.regression.equivalent is not None and not args.planar:
        result["note"] = ("exact for the Gaussian-equivalent model (xi Gaussian); beyond the planar part an "
                          "activation's mu_0 and non-Gaussian part also enter, and are not derived")
    if args.json:
        return result
    lines = [f"<L> = sum_k c_k {model.regression.ridge}^-k for model {model.name}{' (planar)' if args.planar else ''}:"]
    for c in coefficients:
        lines.append(f"  c_{c['order']} ({c['diagrams']} diagrams) = {c['expression']}" +
                     (f" = {c['value']}" if "value" in c else ""))
    lines += [result[key] for key in ("normalization", "note") if result.get(key)]
    return "\n".join(lines)


# -- duality -------------------------------------------------------------------------------------
def duality_options(parser, model):
    add_model_option(parser)
    parser.add_argument("--order", type=int, default=2, metavar="K", help="coefficient of gamma^-K [2]")
    parser.add_argument("--convention", choices=("sum", "mean"), default="sum",
                        help="training loss summed over samples (gamma fixed) or averaged (gamma rescaled)")
    add_json_option(parser)
    add_activation_option(parser)
    add_teacher_options(parser)
    add_limit_option(parser)


def run_duality(args, outputs):
    model = model_of(args)
    if args.order < 0:
        raise ParameterError(f"--order must be non-negative, got {args.order}")
    order = check_order(args.order)
    mapping = parameter_map(model, args.convention)
    result = {"model": model.name, "convention": args.convention, "order": order,
              "parameter_map": {str(k): exact(v) for k, v in mapping.items()}}
    try:
        pairs = dual_pairs(model, order, max_diagrams=args.max_diagrams)
    except ModelError as exc:
        pairs, result["diagram_map"] = [], str(exc)
    else:
        broken = noise_breaks_duality(model, max(order, 2), max_diagrams=args.max_diagrams)
        result["noise_breaks"] = [{"word": repr(w), "dual": repr(d)} for w, d in broken]
    found = derive(model).verdicts(order, max_diagrams=args.max_diagrams)
    result.update(_duality_data(pairs, found))
    if args.json:
        return result
    return _duality_text(result, model, order, pairs, found)


def _duality_data(pairs, found):
    def describe(graph, weight, coefficient):
        return {"weight": exact(weight), "coefficient": exact(coefficient), "euler": graph.euler,
                "word": repr(graph.words[0]), "faces": graph.face_counts()}

    def key(v):  # "N<->P", as the JSON keys have always been
        return v.exchange.replace(" ", "")

    return {"pairs": [{"diagram": {**describe(p.diagram, p.weight, p.coefficient), "multiplicity": p.multiplicity},
                       "dual": None if p.dual is None else describe(p.dual, p.dual_weight, p.dual_coefficient)}
                      for p in pairs],
            "contractions": sum(p.multiplicity for p in pairs),
            "rescalings": {key(v): exact(v.rescaling) for v in found if v.rescaling is not None},
            "verdicts": {f"{key(v)}: {v.quantity}": {"invariant": v.invariant, "remainder": exact(v.remainder),
                                                     **({"cause": v.cause} if v.cause else {})} for v in found}}


def _duality_text(result, model, order, pairs, found):
    ridge = model.regression.ridge
    lines = [f"duality of model {model.name}: " + ", ".join(f"{k} -> {v}" for k, v in result["parameter_map"].items())]
    if "diagram_map" in result:
        lines.append(f"diagrams: {result['diagram_map']}")
    else:
        unpaired = sum(p.dual is None for p in pairs)
        lines.append(f"{ridge}^-{order}: {len(pairs)} planar classes ({result['contractions']} diagrams), "
                     + ("each mapped to a planar diagram of the same coefficient" if not unpaired else
                        f"{unpaired} of them with a dual word that is no word of the coefficient"))
    for v in found:
        lines.append(f"  {v.exchange}: {v.quantity}: " +
                     ("invariant" if v.invariant else f"changes by {exact(v.remainder)}")
                     + (f"; broken by {v.cause}" if v.cause else ""))
        if v.rescaling is not None:
            lines.append(f"  {v.exchange}: the same Delta solves the exchanged problem at {v.ridge} * "
                         f"{exact(v.rescaling)}")
    return "\n".join(lines)


COMMANDS = {
    "expect": Command(help="exact (or planar) expectation of traces of matrix words", options=expect_options,
                   run=run_expect),
    "diagrams": Command(help="the Wick contractions of an observable, in classes", options=diagrams_options,
                     run=run_diagrams),
    "derive": Command(help="derive the planar self-consistent equations and the losses", options=derive_options,
                   run=run_derive),
    "series": Command(help="the large-ridge series of the test loss, from diagrams", options=series_options,
                   run=run_series),
    "duality": Command(help="the N <-> P duality on diagrams and derived expressions", options=duality_options,
                    run=run_duality),
}
