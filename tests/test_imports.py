"""Data flows one way: readers -> spec -> graph -> analysis -> report -> renderer.

Each module may import only the stages it builds on (readers hand their data to the
spec package, which never imports a reader); yaml only in readers/ and spec/, rich
only in render/ and the command line (cli.py, and start.py, its entry point)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "calc"

ALLOWED = {
    "errors": set(),
    "record": set(),
    "dims": {"errors"},
    "symbolic": {"dims", "errors"},
    "spec": {"dims", "errors", "symbolic", "record"},
    "readers": {"spec", "errors", "rules"},
    "rules": {"dims", "errors", "rules", "record"},
    "graph": {"rules", "dims", "errors", "spec", "record"},
    "report": {"dims", "record"},
    "analysis": {"graph", "report", "dims", "errors", "spec", "symbolic", "costs"},
    "budget": {"report", "errors", "dims"},
    "diff": {"report", "dims"},
    "costs": {"report", "graph", "rules", "dims", "errors", "symbolic", "record"},
    "schema": {"rules", "spec"},
    "trace": {"symbolic"},
    "derivation": {"analysis", "graph", "report", "dims", "errors", "symbolic", "trace"},
    "render": {"render", "report", "budget", "diff", "dims", "errors", "rules", "derivation"},
    "output": {"errors"},
    "pipeline": {"analysis", "budget", "costs", "diff", "dims", "errors", "readers", "render", "report", "spec",
                 "derivation", "graph", "__version__"},
    # The entry point: the common commands without typer, the others through cli.py (typer's app).
    "start": {"pipeline", "render", "output", "spec", "dims", "errors", "cli", "__version__"},
}
THIRD_PARTY_OWNERS = {"yaml": {"readers", "spec"}, "rich": {"render", "cli", "start"}, "typer": {"cli"}}


def stage(path: Path) -> str:
    """calc/rules/conv.py -> 'rules'; calc/spec/build.py -> 'spec'."""
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported_stages(path: Path):
    """(kind, name) for each import: ('internal', stage) or ('external', top-level package)."""
    package = ["calc", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield "external", alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield "external", node.module.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1]
            target = base + (node.module.split(".") if node.module else [])
            if len(target) > 1:
                yield "internal", target[1]
            else:  # `from . import rules`: the names are the modules
                for alias in node.names:
                    yield "internal", alias.name


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if stage(p) not in ("cli", "__main__", "__init__"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path):
    own = stage(path)
    for kind, name in imported_stages(path):
        if kind == "internal" and name and name != own:
            assert name in ALLOWED[own], f"{path.name}: stage '{own}' must not import '{name}'"
        if kind == "external" and name in THIRD_PARTY_OWNERS:
            assert own in THIRD_PARTY_OWNERS[name], f"{path.name}: only {THIRD_PARTY_OWNERS[name]} may import {name}"


def modules_loaded_by_analyzing(spec: str) -> set:
    """The calc modules a fresh process has imported after analyzing `spec`."""
    import json
    import subprocess
    import sys

    code = (f"import json, sys, calc; calc.analyze(calc.load_spec({spec!r})); "
            "print(json.dumps([name for name in sys.modules if name.startswith('calc.')]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True)
    return set(json.loads(result.stdout))


def test_concrete_specs_do_not_import_symbolic_support():
    """A spec without symbols pays nothing for them at start-up (issue: symbolic dimensions)."""
    assert "calc.symbolic" not in modules_loaded_by_analyzing("specs/mnist_convnet.yaml")


def test_a_spec_imports_only_the_rule_families_it_uses():
    """The family index (calc/rules/registry.py) finds each type's module without importing the others."""
    loaded = modules_loaded_by_analyzing("specs/mnist_convnet.yaml")  # Conv2D, MaxPooling2D, Flatten, Dropout, Dense
    families = {name.rsplit(".", 1)[1] for name in loaded if name.startswith("calc.rules.")}
    assert families - {"arguments", "base", "registry"} == {"conv", "core", "pooling", "regularization", "reshaping"}


def test_a_family_imports_no_other_family_for_a_helper():
    """ResNet-50's BatchNormalization (norm) once imported the recurrent family for the wrappers' helper
    (rules/wrapped.py now): 15 ms of its start-up."""
    loaded = modules_loaded_by_analyzing("specs/resnet50.yaml")
    families = {name.rsplit(".", 1)[1] for name in loaded if name.startswith("calc.rules.")}
    assert families - {"arguments", "base", "registry", "wrapped"} == {"conv", "core", "merge", "norm", "pooling",
                                                                      "reshaping"}


def _modules_after(code: str) -> set:
    import subprocess
    import sys

    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PACKAGE.parent,
                            check=True)
    return set(result.stdout.split())


def test_import_calc_is_cheap():
    """`import calc` loads no stage and no third-party package; `import calc.errors` no YAML parser."""
    assert {name for name in _modules_after("import calc") if name.startswith("calc")} == {"calc"}
    loaded = _modules_after("import calc.errors")
    assert "yaml" not in loaded and {name for name in loaded if name.startswith("calc")} == {"calc", "calc.errors"}


def test_json_summary_imports_neither_rich_nor_unused_rule_families():
    """The JSON path of `layercalc summary` (the command line's own process) skips the table renderer and the
    layer families the spec does not use (MNIST's convnet: core, conv, pooling, reshaping, regularization)."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print(' '.join(sorted(sys.modules)), file=sys.stderr))\n"
            "sys.argv = ['layercalc', 'summary', 'specs/mnist_convnet.yaml', '--format', 'json']\n"
            "from calc.cli import main\nmain()")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stderr.split())
    assert not {name for name in loaded if name == "rich" or name.startswith("rich.")}
    families = {name.rpartition(".")[2] for name in loaded if name.startswith("calc.rules.")}
    assert families - {"arguments", "base", "registry"} == {"core", "conv", "pooling", "reshaping", "regularization"}
    assert "calc.render.table" not in loaded and "calc.symbolic" not in loaded


@pytest.mark.parametrize("path, not_imported", [
    ("specs/mnist_convnet.yaml", ["calc.readers.keras_file", "calc.spec.dumping"]),
    ("tests/data/keras_models/nested.keras", ["yaml", "calc.readers.yaml_spec", "calc.spec.dumping"]),
])
def test_a_reader_loads_only_what_its_format_needs(path, not_imported):
    """Readers are chosen in calc/readers/__init__.py and imported when a file needs them."""
    import subprocess
    import sys

    code = (f"import sys, calc; calc.analyze(calc.load_spec({path!r})); "
            f"print([name for name in {not_imported!r} if name in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True)
    assert result.stdout.strip() == "[]"


# The registry is filled once, as each rule module is imported, and never changes after.
WRITE_ONCE = {("rules/registry.py", name) for name in ("REGISTRY", "ALIASES", "TORCH_REGISTRY", "TORCH_ALIASES")}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_level_mutable_state(path):
    """No stage keeps state between calls (the redesign removed dims.ASSUMPTIONS): no empty container at
    module level waiting to be filled, and no `global` statement."""
    tree = ast.parse(path.read_text())
    relative = str(path.relative_to(PACKAGE))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        empty = (isinstance(value, (ast.Dict, ast.List, ast.Set)) and not getattr(value, "keys", None)
                 and not getattr(value, "elts", None)) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in ("dict", "list", "set", "defaultdict") and not value.args)
        for target in targets:
            name = getattr(target, "id", None)
            assert not (empty and (relative, name) not in WRITE_ONCE), f"{relative}: module-level '{name}' is state"
    assert not any(isinstance(node, ast.Global) for node in ast.walk(tree)), f"{relative} uses `global`"
