#!/usr/bin/env python3
"""layercalc's benchmark: whole processes, medians over repeated runs.

    make bench              # or: .venv/bin/python bench/run.py [--repeat N] [--quick]

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
    """(median seconds, median peak RSS in MB) of a command run `repeat` times as a fresh process,
    after one unmeasured warm-up run (which also writes the bytecode caches)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENVIRONMENT)
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                                   env=ENVIRONMENT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(map(str, command))}\n{process.stderr.read().decode()}")
        times.append(elapsed)
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(times), statistics.median(peaks)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-layer chain")
    options = parser.parse_args()
    repeat = options.repeat
    rows = []

    def run(label, command, runs=repeat, group=None):
        seconds, peak = measure(command, runs)
        rows.append({"case": label, "seconds": round(seconds, 4), "peak_mb": round(peak, 1), "group": group})
        print(f"  {label:<46} {seconds * 1000:9.1f} ms {peak:8.1f} MB", flush=True)

    print(f"layercalc benchmark: Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.machine()}, medians of {repeat} runs")
    run("import floor: import typer, rich, yaml", [sys.executable, "-c", "import typer, rich, yaml"])
    run("python -m calc --version", [*LAYERCALC, "--version"])
    run("summary seed_conv_pool (table)", [*LAYERCALC, "summary", "specs/seed_conv_pool.yaml"])
    resnet = ROOT / "specs" / "resnet50.yaml"
    if resnet.exists():
        run("summary resnet50 (table)", [*LAYERCALC, "summary", str(resnet)])
        run("summary resnet50 (json)", [*LAYERCALC, "summary", str(resnet), "-f", "json"])
    with tempfile.TemporaryDirectory() as folder:
        if resnet.exists():
            symbolic = Path(folder) / "resnet50_symbolic.yaml"
            text = resnet.read_text()
            symbolic.write_text(text.replace("input: [224, 224, 3]", "input: [H, W, 3]"))
            if "input: [H, W, 3]" in symbolic.read_text():
                run("summary resnet50, H and W symbolic (json)", [*LAYERCALC, "summary", str(symbolic), "-f", "json"])
        sizes = [1_000, 10_000] + ([] if options.quick else [100_000])
        for size in sizes:
            path = Path(folder) / f"chain_{size}.yaml"
            path.write_text(chain_spec(size))
            run(f"chain of {size:,} Dense layers (json)", [*LAYERCALC, "summary", str(path), "-f", "json"],
                runs=min(repeat, 3) if size >= 100_000 else repeat, group="chain")
        run("chain of 10,000 Dense layers (table)", [*LAYERCALC, "summary", str(Path(folder) / "chain_10000.yaml")])
        path = Path(folder) / "dag_10000.yaml"
        path.write_text(dag_spec(10_000))
        run("DAG of 10,000 layers with skips (json)", [*LAYERCALC, "summary", str(path), "-f", "json"])

    chain = [row for row in rows if row["group"] == "chain"]
    for previous, current in zip(chain, chain[1:]):
        current["ratio_to_previous"] = round(current["seconds"] / previous["seconds"], 2)
        print(f"  ×10 layers: {previous['case']} -> {current['case']}: ×{current['ratio_to_previous']} time")
    floor = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_import_floor"] = round(row["seconds"] / floor, 2)
    results = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count(),
               "repeat": repeat, "rows": rows}
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("wrote bench/results.json")


if __name__ == "__main__":
    main()
