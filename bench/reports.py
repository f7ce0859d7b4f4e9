"""Report rendering benchmark: `python -m bench.reports [--renders N] [--batch N] [--workers N]`.

Builds a realistic case in a throwaway SQLite database (a course application against a
10-standard framework, a 3-member panel with judgements, findings with paragraphs of
text, a clarification, a conditional decision), then measures:

1. rendering the published report `--renders` times in this process: median and p95
   wall time of one render (data → PDF bytes) and this process's peak RSS;
2. `--batch` reports rendered and stored by `--workers` worker processes through the
   same service the Celery task calls (`report_render`): wall time, throughput, each
   worker's peak RSS, and every failure (a failed or missing report is counted).

Goals (DESIGN/issue 5): ≤ 1.0 s median per render on one core, ≤ 250 MB peak RSS per
worker, no failure in the batch. The exit status is 1 when the batch had failures;
timings and memory are reported, not enforced, because they depend on the machine.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MEDIAN_S = 1.0
GOAL_RSS_MB = 250


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _configure(workdir):
    """Point Django at a fresh SQLite file and media folder inside `workdir`."""
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MCQA_VAR_DIR"] = str(workdir)
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = workdir / "media"
    logging_quiet()


def logging_quiet():
    import logging

    for name in ("weasyprint", "weasyprint.progress", "fontTools", "celery", "kombu"):
        logging.getLogger(name).setLevel(logging.ERROR)


PROSE = (
    "the provider documents its procedures for design approval monitoring and review of "
    "each micro-credential with clear responsibilities learning outcomes are stated at "
    "the level of the course and assessed by methods that match them staff are qualified "
    "and supported learners receive information before enrolment about workload level "
    "and recognition evidence includes minutes of the programme committee survey results "
    "and a sample credential issued in the pilot cohort"
)
WORDS = PROSE.split()


def _text(seed, words):
    """Deterministic prose of `words` words (sentences of 12–20 words)."""
    out, sentence, i = [], [], seed
    while len(out) + len(sentence) < words:
        sentence.append(WORDS[(i * 7 + seed) % len(WORDS)])
        i += 1
        if len(sentence) >= 12 + (i % 9):
            out.extend([sentence[0].capitalize(), *sentence[1:-1], sentence[-1] + "."])
            sentence = []
    if sentence:
        out.extend([sentence[0].capitalize(), *sentence[1:-1], sentence[-1] + "."])
    text = " ".join(out)
    middle = len(text) // 2
    cut = text.find(". ", middle)
    return text if cut < 0 else text[: cut + 1] + "\n\n" + text[cut + 2 :]


# Words written at each step (see demo.scenario.plain_text): (length, seed offset).
LENGTHS = {
    "self_assessment": (220, 0),
    "judgement": (60, 1),
    "finding": (160, 3),
    "recommendations": (70, 5),
    "request_clarification": (40, 1),
    "answer_clarification": (80, 2),
    "confirm_factual_accuracy": (12, 7),
}


def bench_text(kind, standard=None, verdict=None):
    """Deterministic prose of a realistic length for each thing people write."""
    words, offset = LENGTHS[kind]
    return _text(offset + (standard.order if standard is not None else 0), words)


def build_case():
    """A decided course application with a realistic amount of text, driven through the
    services by `demo.scenario`; returns it."""
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from accreditation.models import Course, Provider, ProviderIdentifier, ProviderMembership
    from demo.scenario import Cast, Scenario, blank_pdf

    def user(name, role, first, last):
        person = User.objects.create_user(name, f"{name}@example.org", "bench-password-1")
        person.first_name, person.last_name = first, last
        person.save()
        person.groups.add(Group.objects.get_or_create(name=role)[0])
        return person

    cast = Cast(
        admin=user("provider", "provider", "Pro", "Vider"),
        coordinator=user("coordinator", "coordinator", "Cora", "Ordinator"),
        decider=user("decider", "decision_body", "Dee", "Cider"),
        panel={
            "chair": user("chair", "reviewer", "Ann", "Chair"),
            "member": user("member", "reviewer", "Bob", "Member"),
            "student": user("student", "reviewer", "Cy", "Student"),
        },
    )
    provider = Provider.objects.create(
        legal_name="Hogeschool Voorbeeld", country="NL", type="university"
    )
    ProviderIdentifier.objects.create(provider=provider, scheme="schac", value="voorbeeld.nl")
    ProviderMembership.objects.create(user=cast.admin, provider=provider)
    course = Course.objects.create(
        provider=provider,
        title="Applied Data Literacy for Public Administration",
        learning_outcomes=[_text(i, 14) for i in range(5)],
        workload_ects=5,
        eqf_level=6,
        qf_ehea_cycle="first",
        isced_f="0613",
        assessment_type="Written exam and a supervised project",
        participation_form="blended",
        quality_assurance="Internal QA of the university, reviewed yearly",
        languages=["en", "nl"],
        prerequisites="A bachelor's degree or equivalent work experience",
        grading="Pass/fail with a numeric grade on the project",
        stackability="Counts towards the Data Science certificate (15 ECTS)",
    )
    scenario = Scenario(
        cast,
        provider=provider,
        course=course,
        text=bench_text,
        verdicts=("compliant", "substantially_compliant", "partially_compliant", "compliant"),
        pdf=lambda title: blank_pdf(),
    )
    scenario.run(
        *("create", "dossier", "submit", "start_screening", "panel", "start_review", "judge"),
        *("request_clarification", "answer_clarification", "draft_report"),
        *("submit_draft_report", "confirm_factual_accuracy", "final_report"),
    )
    due = (timezone.now() + timedelta(days=365)).date().isoformat()
    scenario.decide(
        "accredit_with_conditions",
        rationale=_text(9, 60),
        conditions=[
            {"text": _text(4, 30), "due_date": due},
            {"text": _text(6, 25), "due_date": due},
        ],
    )
    return scenario.application


def measure_single(application, renders):
    from reviews.reports.render import render_report_pdf
    from reviews.reports.services import report_publish, report_render

    report = report_publish(application=application, trigger="bench")
    report = report_render(report_id=report.pk)
    assert report.status == "ready", report.error
    data = report.data
    times, cpu, size = [], [], 0
    for _ in range(renders):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render_report_pdf(data)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        size = len(pdf)
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return report, {
        "renders": renders,
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(_p95(times), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "cpu_p95_s": round(_p95(cpu), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "pdf_bytes": size,
        "pages": pages,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _worker_render(report_id):
    from django.db import connection

    from reviews.reports.services import report_render

    start = time.perf_counter()
    try:
        report = report_render(report_id=report_id)
        status, error = report.status, report.error
    except Exception as exc:  # noqa: BLE001 – a benchmark counts failures, it does not stop
        status, error = "exception", f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return report_id, status, error, time.perf_counter() - start, os.getpid(), _peak_rss_mb()


def measure_batch(template, count, workers):
    import multiprocessing

    from django.db import connections

    from reviews.models import Report

    ids = []
    top = Report.objects.filter(application=template.application, stage="published").count()
    for i in range(count):
        version = top + i + 1
        data = json.loads(json.dumps(template.data))
        report = Report.objects.create(
            application_id=template.application_id, stage="published", version=version
        )
        data["report"].update({"id": report.pk, "version": version, "trigger": f"bench-{i}"})
        Report.objects.filter(pk=report.pk).update(data=data)
        ids.append(report.pk)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(workers) as pool:
        results = pool.map(_worker_render, ids, chunksize=1)
    wall = time.perf_counter() - start
    rows = {r.pk: r for r in Report.objects.filter(pk__in=ids)}
    failures = [
        {"id": rid, "status": status, "error": error}
        for rid, status, error, *_ in results
        if status != "ready"
    ]
    for rid in ids:
        row = rows.get(rid)
        stored = row is not None and row.status == "ready" and row.file
        if not (stored and row.size == row.file.size) and not any(f["id"] == rid for f in failures):
            failures.append(
                {"id": rid, "status": getattr(row, "status", None), "error": "stored file"}
            )
    per_worker = {}
    for _, _, _, _, pid, rss in results:
        per_worker[pid] = max(per_worker.get(pid, 0), rss)
    durations = [r[3] for r in results]
    return {
        "reports": count,
        "workers": workers,
        "wall_s": round(wall, 1),
        "reports_per_s": round(count / wall, 2),
        "median_task_s": round(statistics.median(durations), 3),
        "p95_task_s": round(_p95(durations), 3),
        "worker_peak_rss_mb": sorted(round(v, 1) for v in per_worker.values()),
        "failures": failures,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20, help="single-process renders")
    parser.add_argument("--batch", type=int, default=200, help="reports for the worker pool")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    if "django" in sys.modules and getattr(sys.modules["django"], "apps", None):
        from django.apps import apps

        if apps.ready:  # another benchmark already set Django up: run in a fresh process
            command = [sys.executable, "-m", "bench.reports", *(argv or sys.argv[1:])]
            return subprocess.call(command)  # noqa: S603 – our own interpreter and module

    with tempfile.TemporaryDirectory(prefix="mcqa-bench-reports-") as tmp:
        workdir = Path(tmp)
        _configure(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        application = build_case()
        setup_s = time.perf_counter() - started
        template, single = measure_single(application, args.renders)
        batch = measure_batch(template, args.batch, args.workers)

    load = os.getloadavg()
    results = {
        "setup_s": round(setup_s, 1),
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in load],
        "single": single,
        "batch": batch,
    }
    print("Report rendering (10 standards, 3 reviewers, published report with conditions)")
    print(f"  machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} (wall times grow with it)")
    print(
        f"  single process: {single['renders']} renders, median {single['median_s']} s, "
        f"p95 {single['p95_s']} s (goal ≤ {GOAL_MEDIAN_S} s median); CPU time median "
        f"{single['cpu_median_s']} s, p95 {single['cpu_p95_s']} s; "
        f"peak RSS {single['peak_rss_mb']} MB (goal ≤ {GOAL_RSS_MB} MB); "
        f"PDF {single['pages']} pages, {single['pdf_bytes']} bytes"
    )
    print(
        f"  {batch['workers']} workers: {batch['reports']} reports in {batch['wall_s']} s "
        f"({batch['reports_per_s']}/s), task median {batch['median_task_s']} s, "
        f"p95 {batch['p95_task_s']} s; worker peak RSS {batch['worker_peak_rss_mb']} MB; "
        f"failures {len(batch['failures'])}"
    )
    for failure in batch["failures"][:10]:
        print(f"    failed report {failure['id']}: {failure['status']} {failure['error']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if batch["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
