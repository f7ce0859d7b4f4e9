"""Run the demo: web server, Celery worker and Celery beat, stopped together.

`make demo` prepares the database and then runs this supervisor. It starts each
process in its own process group, prints the URL and the demo accounts once the
web server answers, and on Ctrl-C (SIGINT) or SIGTERM stops every child (SIGTERM,
then SIGKILL after a grace period). If one child dies, the others are stopped too,
so the demo never runs half-alive.

The demo's cases (applications in every state, rendered reports) are seeded by a
one-shot job that starts once the web server answers: the accounts already exist
(`make demo` creates them before), so the demo is usable at once and the cases appear
within a minute or two. A job that ends, well or badly, does not stop the demo.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GRACE_SECONDS = 10

ACCOUNTS = (
    ("coordinator", "coordinator: screens dossiers, composes panels"),
    ("reviewer1", "reviewer (chairs the seeded panels)"),
    ("reviewer2", "reviewer"),
    ("reviewer3", "reviewer; used to work for provider-a, so refused on its panels"),
    ("student1", "reviewer who takes the student seat"),
    ("decider", "decision body and appeals committee"),
    ("appeals", "appeals committee only"),
    ("provider-a", "admin of a provider with courses and no application yet"),
    ("provider-b", "admin of another provider with courses and no application yet"),
)


def commands(port):
    celery = str(BIN / "celery")
    var = ROOT / "var"
    return {
        "web": [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "2"),
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
        ],
        "worker": [
            celery,
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            os.environ.get("CELERY_CONCURRENCY", "2"),
            "--hostname",
            "demo@%h",
        ],
        "beat": [
            celery,
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(var / "celerybeat-schedule"),
        ],
    }


def jobs(port):
    """One-shot commands started once the web server answers."""
    return {"seed": [sys.executable, str(ROOT / "manage.py"), "seed_demo"]}


class Supervisor:
    def __init__(self, port, commands_for=commands, jobs_for=jobs):
        self.port = port
        self.commands_for = commands_for
        self.jobs_for = jobs_for
        self.children = {}
        self.jobs = {}
        self.stopping = False
        self.stop_requested = False
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.demo"}

    def _spawn(self, name, argv):
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, cwd=ROOT, env=self.env, start_new_session=True
        )
        print(f"[demo] started {name} (pid {process.pid})", flush=True)
        return process

    def start(self):
        for name, argv in self.commands_for(self.port).items():
            self.children[name] = self._spawn(name, argv)

    def start_jobs(self):
        for name, argv in self.jobs_for(self.port).items():
            self.jobs[name] = self._spawn(name, argv)

    def check_jobs(self):
        for name, job in list(self.jobs.items()):
            if job.poll() is not None:
                del self.jobs[name]
                outcome = "done" if job.returncode == 0 else f"failed (exit {job.returncode})"
                print(f"[demo] {name} {outcome}; the demo keeps running.", flush=True)

    def request_stop(self, *_):
        """The signal handler: only note the request. The main loop stops the children,
        so a signal that arrives while a child is being spawned or a line printed never
        runs the shutdown inside that half-done step."""
        self.stop_requested = True

    def stop(self):
        if self.stopping:
            return
        self.stopping = True
        print("\n[demo] stopping web, worker and beat ...", flush=True)
        # SIGTERM to each leader only: gunicorn's master and Celery's main process stop
        # their own workers gracefully; the whole group is killed only if they linger.
        everyone = [*self.jobs.values(), *self.children.values()]
        for child in everyone:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in everyone:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.wait()
        print("[demo] all stopped.", flush=True)

    @staticmethod
    def _signal(child, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)

    def wait_until_serving(self, timeout=120):
        url = f"http://127.0.0.1:{self.port}/admin/login/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_requested:
            if self.children["web"].poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        return False

    def banner(self):
        base = f"http://127.0.0.1:{self.port}"
        lines = [
            "",
            "=" * 72,
            f"  The demo is running at {base}/",
            f"    admin      {base}/admin/",
            f"    API docs   {base}/api/docs/   (schema: {base}/api/schema/)",
            f"    registry   {base}/registry/",
            "  Demo accounts (password: demo):",
            *(f"    {name:<12} {what}" for name, what in ACCOUNTS),
            "  Cases in every state are being seeded in the background (a minute or two).",
            "  Press Ctrl-C to stop the web server, the Celery worker and beat.",
            "=" * 72,
            "",
        ]
        print("\n".join(lines), flush=True)

    def run(self):
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGHUP, self.request_stop)
        try:
            return self._run()
        finally:
            self.stop()

    def _run(self):
        self.start()
        if self.wait_until_serving():
            self.banner()
            self.start_jobs()
        elif not self.stop_requested:
            print("[demo] the web server did not answer; stopping.", file=sys.stderr, flush=True)
            return 1
        while not self.stop_requested:
            for name, child in self.children.items():
                if child.poll() is not None:
                    print(f"[demo] {name} exited with {child.returncode}; stopping the rest.")
                    return 1
            self.check_jobs()
            time.sleep(0.5)
        return 0


def main():
    port = int(os.environ.get("PORT", "8000"))
    return Supervisor(port).run()


if __name__ == "__main__":
    sys.exit(main())
