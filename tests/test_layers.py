"""The dependency order of the sub-packages: a lower one never imports a higher one.

Every import of every module is read from its syntax tree (function-local imports included), so a
lazy import that goes upward is caught like any other. The order is the README's layout section.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# from the bottom up; a sub-package may import those before it and itself
LAYERS = [
    "largen.diagrams.errors",
    "largen.diagrams.printing",
    "largen.diagrams.engine",
    "largen.diagrams.theory",
    "largen.diagrams.regimes",
    "largen.diagrams.derivation",
    "largen.diagrams",  # the package's front: everything above
    # the numerics' leaves, on which the data's spectra are built, and the data, on which the point is
    "largen.solver.numerics.moments",
    "largen.solver.numerics.spectrum",
    "largen.solver.numerics.activation",
    "largen.solver.data",
    "largen.solver.numerics",
    "largen.solver.simulation",
    "largen.solver.percolation",
    "largen.solver.report",
    "largen.solver",  # the package's front
    "largen.solver.cli",
    "largen",
]


def layer(module):
    """The index of the deepest entry of LAYERS that is ``module`` or contains it."""
    found = [i for i, name in enumerate(LAYERS) if module == name or module.startswith(name + ".")]
    if not found:
        raise AssertionError(f"{module} is in no layer: add its sub-package to tests/test_layers.py and the README")
    return max(found, key=lambda i: len(LAYERS[i]))


def package_modules():
    """(import name, path) of every module of the package."""
    found = [("largen", ROOT / "__init__.py"), ("largen.__main__", ROOT / "__main__.py")]
    for folder in ("diagrams", "solver"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(("largen",) + (parts[:-1] if parts[-1] == "__init__" else parts))
            found.append((name, path))
    return found


def imports(name, path):
    """The largen modules that the module ``name`` imports, resolved to absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
    return {m for m in found if m == "largen" or m.startswith("largen.")}


@pytest.mark.slow
def test_the_old_top_level_names_are_gone():
    for name, path in package_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                assert node.module.split(".")[0] not in ("diagrams", "solver"), (name, node.module)


@pytest.mark.parametrize("name, path", package_modules(), ids=lambda x: x if isinstance(x, str) else "")
def test_no_module_imports_a_higher_layer(name, path):
    own = layer(name)
    upward = sorted(m for m in imports(name, path) if layer(m) > own and not m.startswith(name + "."))
    assert not upward, f"{name} (layer {LAYERS[own]}) imports {upward}"


def test_the_layering_test_sees_an_upward_import(tmp_path):
    """The check itself can fail: a module of the engine importing the solver is caught."""
    path = tmp_path / "model.py"
    path.write_text("def f():\n    from largen.solver.numerics.solution import solve\n")
    name = "largen.diagrams.engine.model"
    assert {m for m in imports(name, path) if layer(m) > layer(name)} == {"largen.solver.numerics.solution"}
