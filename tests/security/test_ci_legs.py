"""The CI legs of .ci/run fail when their selection collected no test: a leg that ran
nothing (a marker renamed, a path moved) must not pass as green."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings


def run_pytest_function():
    script = (Path(settings.BASE_DIR) / ".ci" / "run").read_text()
    match = re.search(r"^run_pytest\(\) \{\n.*?^\}\n", script, re.MULTILINE | re.DOTALL)
    assert match, ".ci/run defines no run_pytest function"
    return match.group(0)


@pytest.mark.parametrize(("pytest_exit", "leg_exit"), [(0, 0), (1, 1), (5, 5)])
def test_a_leg_fails_when_pytest_collects_nothing(tmp_path, pytest_exit, leg_exit):
    fake = tmp_path / ".venv" / "bin" / "pytest"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\nexit {pytest_exit}\n")
    fake.chmod(0o755)
    script = f'ROOT="{tmp_path}"\n{run_pytest_function()}\nrun_pytest "redis" -m redis\n'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == leg_exit, done.stderr
    if pytest_exit == 5:
        assert "collected no tests" in done.stderr
