"""Run every benchmark module (`bench/<name>.py`) and summarise the figures they print.

Each module runs in its own interpreter (`python -m bench.<name>`), so one benchmark's
database and settings never leak into the next. Known benchmarks run first in a fixed
order (reports, registry); any other module in the folder runs after them. The full
output of each is also written to `bench-results/<name>.txt`.

Usage: python -m bench.run [name ...]
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = ROOT / "bench-results"
PREFERRED = ("reports", "registry")
NOT_BENCHMARKS = {"__init__", "run"}


def discover(names=()):
    available = sorted(
        p.stem
        for p in HERE.glob("*.py")
        if p.stem not in NOT_BENCHMARKS and not p.stem.startswith("_")
    )
    if names:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise SystemExit(
                f"no benchmark named {', '.join(unknown)} (have: {', '.join(available)})"
            )
        return list(names)
    return [n for n in PREFERRED if n in available] + [n for n in available if n not in PREFERRED]


def run_one(name):
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own module, no shell
        [sys.executable, "-m", f"bench.{name}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout:
        print(f"  {line}", end="", flush=True)
        lines.append(line)
    code = process.wait()
    elapsed = time.perf_counter() - start
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.txt").write_text("".join(lines), encoding="utf-8")
    figures = [line.split(None, 1)[1].strip() for line in lines if line.startswith("BENCH ")]
    return code, elapsed, figures


def main(argv):
    names = discover(argv)
    if not names:
        print("no benchmarks found in bench/ (expected bench/reports.py, bench/registry.py)")
        return 0
    summary = []
    for name in names:
        print(f"\n=== bench/{name}.py", flush=True)
        code, elapsed, figures = run_one(name)
        summary.append((name, code, elapsed, figures))
    print("\n=== summary")
    failed = 0
    for name, code, elapsed, figures in summary:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        failed += code != 0
        print(f"{name:<12} {status:<18} {elapsed:7.1f}s")
        for line in figures:
            print(f"    {line}")
    for name in PREFERRED:
        if name not in names and not argv:
            print(f"{name:<12} missing (bench/{name}.py not written yet)")
    print(f"full output: {RESULTS.relative_to(ROOT)}/<name>.txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
