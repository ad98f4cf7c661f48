"""Model files: a ridge-regression model described in TOML.

The file names the model and its feature layers, the first applied to the
data leading::

    [model]
    name = "deep2"

    [[model.features]]      # applied to x first
    width = "N1"
    variance = "sigma_1**2/M"

    [[model.features]]
    width = "N2"
    variance = "sigma_2**2/N1"

Optional keys of ``[model]`` (defaults in brackets): ``latent`` ["M"],
``samples`` ["P"], ``covariance`` ["Lambda"], ``teacher`` ["sigma_w**2/M"],
``noise`` ["sigma_eps**2"], ``ridge`` ["gamma"], ``nonlinear`` [false]: true
for features s(F x) of an activation, by their Gaussian equivalent (the
matrix ``Xi`` and the parameters ``mu_1``, ``mu_star``: see
:func:`largen.diagrams.engine.model.gaussian_equivalent`), ``teacher_covariance`` [none: the
isotropic teacher; a name such as "Omega" gives the teacher a covariance diagonal in
the latent basis, E w_I**2 = teacher * omega_I]. Optional key of a feature:
``matrix``, its name [``U`` for one layer, ``U1``, ``U2``, ... for several].
Upper-case names are sizes and must be declared (as ``latent``, ``samples`` or
a ``width``); lower-case names are parameters. A size may be fixed by a
positive integer (``width = 5``); a variance may be a number (``variance =
0.5``), read exactly from its decimal digits.
"""

import os
import tomllib

from largen.diagrams.errors import ModelError
from largen.diagrams.engine.model import ridge_model
from largen.diagrams.engine.symbols import number

__all__ = ["loads", "load", "MODEL_KEYS", "FEATURE_KEYS"]

MODEL_KEYS = {"name", "features", "latent", "samples", "covariance", "teacher", "noise", "ridge", "nonlinear",
              "teacher_covariance"}
FEATURE_KEYS = {"width", "variance", "matrix"}


def loads(text, *, source="model file"):
    """Build a model from TOML text.

    Examples
    --------
    >>> loads('[model]\\nname = "one"\\n[[model.features]]\\nwidth = "N"\\nvariance = "sigma_u**2/M"').name
    'one'
    >>> loads('[model]\\nname = "x"\\ndepth = 2')
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: model file: unknown key 'depth' in [model]
    """
    if not isinstance(text, str):
        raise ModelError(f"{source}: the model must be text, got {type(text).__name__}")
    try:
        document = tomllib.loads(text, parse_float=_Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{source}: syntax error: {exc}") from None
    except ValueError as exc:  # an integer beyond Python's conversion limit
        raise ModelError(f"{source}: {exc}") from None
    unknown = set(document) - {"model"}
    if unknown:
        raise ModelError(f"{source}: unknown table {sorted(unknown)[0]!r} (expected [model])")
    if "model" not in document:
        raise ModelError(f"{source}: no [model] table")
    table = document["model"]
    unknown = set(table) - MODEL_KEYS
    if unknown:
        raise ModelError(f"{source}: unknown key {sorted(unknown)[0]!r} in [model]")
    features = table.get("features")
    if not isinstance(features, list) or not features:
        raise ModelError(f"{source}: [model] needs at least one [[model.features]] layer")
    layers = []
    for index, layer in enumerate(features, start=1):
        if not isinstance(layer, dict):
            raise ModelError(f"{source}: feature {index} is not a table")
        unknown = set(layer) - FEATURE_KEYS
        if unknown:
            raise ModelError(f"{source}: unknown key {sorted(unknown)[0]!r} in feature {index}")
        for key in ("width", "variance"):
            if key not in layer:
                raise ModelError(f"{source}: feature {index} has no {key!r}")
        default = "U" if len(features) == 1 else f"U{index}"
        where = f"feature {index}"
        layers.append((_value(layer.get("matrix", default), "matrix", where, source),
                       _value(layer["width"], "width", where, source),
                       _value(layer["variance"], "variance", where, source)))
    nonlinear = table.get("nonlinear", False)
    if not isinstance(nonlinear, bool):
        raise ModelError(f"{source}: nonlinear in [model] must be true or false, got {nonlinear!r}"[:200])
    options = {k: _value(v, k, "[model]", source) for k, v in table.items() if k not in ("features", "nonlinear")}
    options["nonlinear"] = nonlinear
    try:
        return ridge_model(options.pop("name", "model"), layers, **options)
    except ModelError as exc:
        raise ModelError(f"{source}: {exc}") from None


def load(path):
    """Build a model from a TOML file.

    Parameters
    ----------
    path : str or os.PathLike
        The file (never a file descriptor).

    Examples
    --------
    >>> load(2)
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ModelError: a model file is a path, got int
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise ModelError(f"a model file is a path, got {type(path).__name__}")
    if "\0" in os.fspath(path):
        raise ModelError(f"a model file's path cannot hold a null character: {str(path)[:80]!r}")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"model file {path} is not UTF-8 text (byte {exc.start})") from None
    return loads(text, source=str(path))


class _Decimal(str):
    """The text of a TOML float, kept so that it is read exactly (``0.1`` is 1/10)."""


def _value(value, key, where, source):
    """A TOML value as the model's builder takes it: text, an int, or an exact number."""
    if isinstance(value, _Decimal):
        return number(str(value), what=f"{source}: {key} in {where}", error=ModelError)
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ModelError(f"{source}: {key} in {where} must be text or a number, got {type(value).__name__}")
