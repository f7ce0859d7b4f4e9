"""`make demo`'s supervisor: Ctrl-C (SIGINT) or SIGTERM stops every process it started,
and one process dying stops the others, so nothing is left running behind the demo.

The supervisor runs in its own interpreter with stand-ins for gunicorn and Celery (a
tiny HTTP server and sleepers), because signals are what is under test."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DRIVER = r"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("demo", sys.argv[1])
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)
demo.GRACE_SECONDS = 3
py = sys.executable
WEB = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
    "    def log_message(self, *a): pass\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
)
worker_seconds = sys.argv[3]
def stand_ins(port):
    return {
        "web": [py, "-c", WEB, str(port)],
        "worker": [py, "-c", f"import time; time.sleep({worker_seconds})"],
        "beat": [py, "-c", "import time; time.sleep(600)"],
    }
def one_shot(port):
    return {"seed": [py, "-c", "import sys; sys.exit(int(sys.argv[1]))", sys.argv[4]]}
sys.exit(demo.Supervisor(int(sys.argv[2]), commands_for=stand_ins, jobs_for=one_shot).run())
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by a dying parent) is not running.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def start_supervisor(worker_seconds=600, seed_exit=0):
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            DRIVER,
            str(ROOT / "scripts" / "demo.py"),
            str(free_port()),
            str(worker_seconds),
            str(seed_exit),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, pids = [], {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.search(r"started (\w+) \(pid (\d+)\)", line)
        if match:
            pids[match.group(1)] = int(match.group(2))
        if "Press Ctrl-C" in line or "exited with" in line:
            break
    return process, pids, output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_web_worker_and_beat(sig):
    process, pids, output = start_supervisor()
    assert set(pids) == {"web", "worker", "beat"}, "".join(output)
    assert any("Demo accounts (password: demo)" in line for line in output), "".join(output)
    assert all(alive(pid) for pid in pids.values())

    process.send_signal(sig)
    rest, _ = process.communicate(timeout=30)

    assert process.returncode == 0, "".join(output) + rest
    assert "all stopped" in rest
    assert not [name for name, pid in pids.items() if alive(pid)]


def test_a_child_that_dies_takes_the_others_down():
    process, pids, output = start_supervisor(worker_seconds=2)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 1, "".join(output) + rest
    assert "worker exited with 0" in "".join(output) + rest
    assert not [name for name, pid in pids.items() if alive(pid)]


@pytest.mark.parametrize("seed_exit", [0, 3])
def test_the_seeding_job_ending_well_or_badly_does_not_stop_the_demo(seed_exit):
    process, pids, output = start_supervisor(seed_exit=seed_exit)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if "[demo] seed " in line:
                break
        text = "".join(output)
        assert ("seed done" if seed_exit == 0 else f"seed failed (exit {seed_exit})") in text
        time.sleep(1)
        assert process.poll() is None, text
        assert all(alive(pid) for name, pid in pids.items() if name != "seed")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert not [name for name, pid in pids.items() if alive(pid)]
