"""layercalc: output shapes, parameters and MACs of neural networks described in YAML,
exactly as Keras 3 reports them, without importing a deep-learning framework.

>>> import calc
>>> report = calc.summarize(calc.parse_spec("input: [10, 20]\\nbatch: 64\\nlayers: [{type: Dense, units: 30}]"))
>>> report.layers[0].output_shape, report.totals.params
((64, 10, 30), 630)

`summarize`, `check` and `compare` do what `layercalc summary`, `check` and `diff` do (calc/pipeline.py).
Names are imported on first use (PEP 562), so `import calc` costs nothing and `import calc.errors`
loads no YAML parser.
"""

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it (and the name there, when it differs)
_EXPORTS = {
    "summarize": "pipeline", "explain": "pipeline", "check": "pipeline", "compare": "pipeline", "convert": "pipeline",
    "parse_spec": "readers", "read_spec": "readers", "load_spec": ("readers", "read_spec"), "Spec": "spec",
    "build_graph": "graph", "Graph": "graph",
    "analyze": "analysis", "collapse": "analysis",
    "conventions": "costs",
    "Report": "report",
    "LayercalcError": "errors", "Location": "errors", "ShapeError": "errors", "SpecError": "errors",
    "UsageError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'calc' has no attribute '{name}'")
    module, attribute = _EXPORTS[name] if isinstance(_EXPORTS[name], tuple) else (_EXPORTS[name], name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


def __dir__():
    return sorted([*globals(), *_EXPORTS])
