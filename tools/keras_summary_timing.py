#!/usr/bin/env python3
"""Time Keras building ResNet-50 and printing its summary, as whole processes, for `make bench`.

This is a hand-run tool, NOT part of layercalc (Keras must never become a project dependency); run it
with a Python that has Keras 3 (+ TensorFlow), e.g.

    /tmp/kenv/bin/python tools/keras_summary_timing.py [--repeat 5]

Each run is a fresh process doing what a user does to read the same figures as
`layercalc summary specs/resnet50.yaml`: import keras, build keras.applications.ResNet50(weights=None)
(the model specs/resnet50.yaml describes) and print model.summary(). It writes the medians of the
wall-clock time, the user+sys CPU time and the peak RSS, with the versions and machine, to
bench/keras_resnet50.json, which bench/run.py reads (Keras cannot be imported in the project's venv).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "keras_resnet50.json"
PROGRAM = "import keras; keras.applications.ResNet50(weights=None).summary()"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs measured (default 5), after one warm-up run")
    options = parser.parse_args()
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's machine runs it: bytecode caches used
    command = [sys.executable, "-c", PROGRAM]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment, check=True)
    walls, cpus, peaks = [], [], []
    for _ in range(options.repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {PROGRAM}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    version = subprocess.run([sys.executable, "-c", "import keras, tensorflow; print(keras.__version__, "
                              "tensorflow.__version__)"], capture_output=True, text=True, env=environment,
                             check=True).stdout.split()
    result = {
        "measured": "python -c " + repr(PROGRAM) + ": whole processes, medians after one warm-up run",
        "keras": version[0], "tensorflow": version[1], "python": platform.python_version(),
        "machine": platform.machine(), "cores": os.cpu_count(), "repeat": options.repeat,
        "seconds": round(statistics.median(walls), 3), "cpu_seconds": round(statistics.median(cpus), 3),
        "peak_mb": round(statistics.median(peaks), 1),
    }
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
