#!/usr/bin/env python3
"""layercalc's benchmark: whole processes, medians over repeated runs.

    make bench              # or: .venv/bin/python bench/run.py [--repeat N] [--quick] [--big] [--clock wall]
    make bench BIG=1        # with the 1,000,000-layer chain (a minute or more)

Prints a table and writes bench/results.json (not committed) so runs can be compared.
Uses only the standard library and the project's own dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERCALC = [sys.executable, "-m", "calc"]


# As a user's machine runs it: bytecode caches written and used (some sandboxes set this variable).
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def measure(command, repeat: int):
    """(median wall-clock seconds, median user+sys CPU seconds, median peak RSS in MB) of a command run
    `repeat` times as a fresh process, after one unmeasured warm-up run (which also writes the bytecode
    caches)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENVIRONMENT)
    times, cpus, peaks = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                                   env=ENVIRONMENT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(map(str, command))}\n{process.stderr.read().decode()}")
        times.append(elapsed)
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(times), statistics.median(cpus), statistics.median(peaks)


def chain_spec(layers: int) -> str:
    lines = ["name: chain", "input: [64]", "layers:"]
    lines += ["  - {type: Dense, units: 64}" for _ in range(layers)]
    return "\n".join(lines) + "\n"


def dag_spec(layers: int) -> str:
    """Dense layers with an Add skip connection every third layer (a residual ladder)."""
    lines = ["name: dag", "input: [64]", "layers:"]
    for index in range(layers):
        if index % 3 == 2:
            lines.append(f"  - {{type: Add, name: l{index}, inputs: [l{index - 1}, l{index - 2}]}}")
        else:
            lines.append(f"  - {{type: Dense, name: l{index}, units: 64}}")
    return "\n".join(lines) + "\n"


def repeated_chain_spec(layers: int) -> str:
    """The chain as one entry with `repeat:` (a spec lists at most 1,000,000 nodes, so a million layers
    are written this way)."""
    return f"name: chain\ninput: [64]\nlayers:\n  - {{type: Dense, units: 64, repeat: {layers}}}\n"


KERAS_MEASUREMENT = ROOT / "bench" / "keras_resnet50.json"  # tools/keras_summary_timing.py, run outside the venv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-layer chain")
    parser.add_argument("--big", action="store_true", help="add the 1,000,000-layer chain (a minute or more)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="the time the targets are judged on: user+sys CPU time (default; a busy machine "
                        "does not inflate it) or wall-clock time")
    options = parser.parse_args()
    repeat = options.repeat
    rows = []
    clock = "cpu_seconds" if options.clock == "cpu" else "seconds"

    def run(label, command, runs=repeat, group=None):
        seconds, cpu, peak = measure(command, runs)
        row = {"case": label, "seconds": round(seconds, 4), "cpu_seconds": round(cpu, 4), "peak_mb": round(peak, 1),
               "group": group}
        rows.append(row)
        print(f"  {label:<46} {seconds * 1000:9.1f} ms {cpu * 1000:9.1f} ms {peak:8.1f} MB", flush=True)
        return row

    print(f"layercalc benchmark: Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.machine()}, medians of {repeat} runs; targets judged on {options.clock} time")
    print(f"  {'':<46} {'wall':>12} {'cpu':>12} {'peak RSS':>11}")
    floor = run("import floor: import typer, rich, yaml", [sys.executable, "-c", "import typer, rich, yaml"])
    run("python -m calc --version", [*LAYERCALC, "--version"])
    run("summary seed_conv_pool (table)", [*LAYERCALC, "summary", "specs/seed_conv_pool.yaml"])
    resnet = ROOT / "specs" / "resnet50.yaml"
    resnet_table = run("summary resnet50 (table)", [*LAYERCALC, "summary", str(resnet)])
    resnet_json = run("summary resnet50 (json)", [*LAYERCALC, "summary", str(resnet), "-f", "json"])
    layers = run("layers (the layer types)", [*LAYERCALC, "layers"])
    chain = {}
    with tempfile.TemporaryDirectory() as folder:
        symbolic = Path(folder) / "resnet50_symbolic.yaml"
        symbolic.write_text(resnet.read_text().replace("input: [224, 224, 3]", "input: [H, W, 3]"))
        if "input: [H, W, 3]" in symbolic.read_text():
            run("summary resnet50, H and W symbolic (json)", [*LAYERCALC, "summary", str(symbolic), "-f", "json"])
        sizes = [1_000, 10_000] + ([] if options.quick else [100_000])
        for size in sizes:
            path = Path(folder) / f"chain_{size}.yaml"
            path.write_text(chain_spec(size))
            chain[size] = run(f"chain of {size:,} Dense layers (json)", [*LAYERCALC, "summary", str(path), "-f", "json"],
                              runs=min(repeat, 3) if size >= 100_000 else repeat, group="chain")
        chain_table = run("chain of 1,000 Dense layers (table)",
                          [*LAYERCALC, "summary", str(Path(folder) / "chain_1000.yaml")])
        run("chain of 10,000 Dense layers (table)", [*LAYERCALC, "summary", str(Path(folder) / "chain_10000.yaml")])
        path = Path(folder) / "dag_10000.yaml"
        path.write_text(dag_spec(10_000))
        run("DAG of 10,000 layers with skips (json)", [*LAYERCALC, "summary", str(path), "-f", "json"])
        if options.big:
            for size in (100_000, 1_000_000):
                path = Path(folder) / f"repeated_{size}.yaml"
                path.write_text(repeated_chain_spec(size))
                chain[f"repeat {size}"] = run(f"chain of {size:,} Dense layers, repeat: (json)",
                                              [*LAYERCALC, "summary", str(path), "-f", "json"], runs=min(repeat, 3),
                                              group="repeated chain")

    for group in ("chain", "repeated chain"):
        series = [row for row in rows if row["group"] == group]
        for previous, current in zip(series, series[1:]):
            current["ratio_to_previous"] = round(current[clock] / previous[clock], 2)
    for row in rows:
        row["ratio_to_import_floor"] = round(row[clock] / floor[clock], 2)

    targets = []

    def target(what, figure, bound, unit, met):
        targets.append({"target": what, "figure": round(figure, 3), "bound": bound, "met": met})
        print(f"  {'met   ' if met else 'MISSED'} {what:<64} {figure:9.2f}{unit}   (target {bound})")

    print("targets (issue 17):")
    ratio = resnet_json[clock] / floor[clock]
    target("resnet50 json / import floor", ratio, "<= 1.2", "x", ratio <= 1.2)
    ratio = resnet_table[clock] / floor[clock]
    target("resnet50 table / import floor", ratio, "<= 1.5", "x", ratio <= 1.5)
    ratio = chain_table[clock] / chain[1_000][clock]
    target("1,000-layer table / its json", ratio, "<= 1.5", "x", ratio <= 1.5)
    ratio = layers[clock] / floor[clock]
    target("layers / import floor", ratio, "<= 2", "x", ratio <= 2)
    for size, seconds, megabytes in ((100_000, 4, 300), ("repeat 1000000", 45, 2500)):
        if size in chain:
            row = chain[size]
            target(f"{row['case']}: time", row[clock], f"< {seconds} s", " s", row[clock] < seconds)
            target(f"{row['case']}: peak RSS", row["peak_mb"], f"< {megabytes:,} MB", " MB",
                   row["peak_mb"] < megabytes)
    for row in rows:
        if "ratio_to_previous" in row:
            target(f"x10 layers: {row['case']}", row["ratio_to_previous"], "<= 11", "x",
                   row["ratio_to_previous"] <= 11)
    if KERAS_MEASUREMENT.exists():
        keras = json.loads(KERAS_MEASUREMENT.read_text())
        ratio = keras[clock] / resnet_table[clock]
        target(f"Keras {keras['keras']} build+summary / resnet50 table", ratio, ">= 30", "x", ratio >= 30)
        print(f"  (Keras: {keras[clock]:.2f} s {options.clock}, {keras['peak_mb']:.0f} MB, measured by "
              f"tools/keras_summary_timing.py in {KERAS_MEASUREMENT.relative_to(ROOT)})")
    results = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count(),
               "repeat": repeat, "clock": options.clock, "rows": rows, "targets": targets}
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("wrote bench/results.json")


if __name__ == "__main__":
    main()
