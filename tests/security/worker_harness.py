"""A real Celery worker (with its beat) whose renders misbehave on demand.

Started as a separate process by `test_worker_processes.py`:
`python -m tests.security.worker_harness`. Configuration comes from the environment, like
any worker's (`CELERY_BROKER_URL`, `DATABASE_URL`, `REPORT_*`), plus:

- `HARNESS_RENDER`: `slow` (each render sleeps `HARNESS_SLOW_SECONDS` before rendering,
  long enough to be killed mid-render) or `die` (each render kills its own worker
  process with SIGKILL, as the kernel's out-of-memory killer does); anything else renders.
- `HARNESS_LOG`: a file that gets `start <pid>` when a render begins and `done <pid>`
  when it produced a PDF, so a test can tell which process renders and count renders.

The pool's child processes are forked from this one, so they inherit the wrapped
renderer; nothing else of the worker is changed.
"""

import os
import signal
import socket
import time


def _note(line):
    with open(os.environ["HARNESS_LOG"], "a") as log:
        log.write(f"{line} {os.getpid()}\n")


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from reviews.reports import services

    real_render = services.render_report_pdf
    mode = os.environ.get("HARNESS_RENDER", "")

    def render(data):
        _note("start")
        if mode == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "slow":
            time.sleep(float(os.environ.get("HARNESS_SLOW_SECONDS", "3")))
        pdf = real_render(data)
        _note("done")
        return pdf

    services.render_report_pdf = render

    from config.celery import app

    app.worker_main(
        [
            "worker",
            "--beat",
            "--schedule",
            os.environ["HARNESS_BEAT_SCHEDULE"],
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"harness-{os.getpid()}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
