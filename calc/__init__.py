"""layercalc: output shapes, parameters and MACs of neural networks described in YAML,
exactly as Keras 3 reports them, without importing a deep-learning framework.

>>> from calc import parse_spec, analyze
>>> report = analyze(parse_spec("input: [10, 20]\\nbatch: 64\\nlayers: [{type: Dense, units: 30}]"))
>>> report.layers[0].output_shape, report.totals.params
((64, 10, 30), 630)
"""

from .analyze import analyze
from .costs import add_costs, conventions
from .errors import LayercalcError, Location, ShapeError, SpecError
from .graph import Graph, build_graph
from .readers import parse_spec, read_spec as load_spec
from .report import Report
from .spec import Spec

__all__ = [
    "add_costs", "analyze", "build_graph", "conventions", "load_spec", "parse_spec",
    "Graph", "Report", "Spec", "LayercalcError", "Location", "ShapeError", "SpecError",
]
__version__ = "0.1.0"
