"""Seed the demo: the accounts of DESIGN section 6 and cases in every workflow state.

Demo accounts have the password `demo`, which no production password policy would
accept, so the command refuses to run unless `settings.MCQA_DEMO_MODE` is on
(config.settings.demo turns it on; production forces it off).

Cases are not written into the tables directly: each one is driven by `demo.scenario`
through the same services the API and the pages use (application_transition, the panel
services, the report services), so the demo shows exactly what the rules produce and the logs,
decisions, accreditations and registry events are all real. Running the command
again changes nothing that already exists, so `make demo` can be repeated on the same
database: it seeds only what is missing, each thing found by a stable key (an account
by its username, a provider by its first identifier, a course by its fixed `uid`, a case
by its course), and never rewrites what it finds (a changed password, a renamed course
or a removed role stays as the people using the demo left it).
"""

import datetime
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accreditation.models import (
    Application,
    Course,
    Framework,
    Provider,
    ProviderIdentifier,
    ProviderMembership,
)
from core.roles import Role
from demo.scenario import PATHS, Cast, Scenario
from reviews.models import Affiliation, ReviewerProfile

DEMO_PASSWORD = "demo"  # noqa: S105 - demo mode only; the command refuses otherwise

# username -> (roles, staff flag, description)
STAFF_ACCOUNTS = {
    "coordinator": ((Role.COORDINATOR,), True),
    "reviewer1": ((Role.REVIEWER,), False),
    "reviewer2": ((Role.REVIEWER,), False),
    "reviewer3": ((Role.REVIEWER,), False),
    "student1": ((Role.REVIEWER,), False),
    "decider": ((Role.DECISION_BODY, Role.APPEALS_COMMITTEE), True),
    "appeals": ((Role.APPEALS_COMMITTEE,), True),
}
DEMO_USERNAMES = (*STAFF_ACCOUNTS, "provider-a", "provider-b")
# Seeded courses get fixed public uids (uuid5 of this namespace, the provider seed's key
# and the course's place in it), so a later run finds a course however it was renamed.
DEMO_COURSE_NAMESPACE = uuid.UUID("8d7e3a52-4f0b-4c36-9a51-2f1c6b0e9d47")


def demo_course_uid(provider_key, index):
    return uuid.uuid5(DEMO_COURSE_NAMESPACE, f"{provider_key}:{index}")


def _course(title, **extra):
    """A course with every Annex I element present (overridable per course)."""
    values = {
        "title": title,
        "learning_outcomes": [
            "Explain the core concepts of the field to a non-specialist audience",
            "Apply the methods taught to a realistic case and justify the choices made",
        ],
        "workload_ects": 5,
        "eqf_level": 6,
        "qf_ehea_cycle": "first",
        "isced_f": "0613",
        "assessment_type": "Graded project with an oral defence",
        "participation_form": "online",
        "quality_assurance": "Internal quality assurance of the provider, reviewed yearly",
        "languages": ["en"],
        "prerequisites": "None",
        "supervision_identity_verification": "supervised_with_identity_verification",
        "grading": "Pass / fail with a percentage score",
        "stackability": "Counts towards the provider's 30 ECTS certificate",
        "further_information": "",
    }
    values.update(extra)
    return values


@dataclass
class ProviderSeed:
    key: str
    legal_name: str
    country: str
    type: str
    website: str
    identifiers: list
    courses: list
    admin: str
    admin_has_demo_password: bool = False
    extra: dict = field(default_factory=dict)


PROVIDER_A = ProviderSeed(
    key="a",
    legal_name="Aurora University of Applied Sciences",
    country="NL",
    type=Provider.Type.UNIVERSITY,
    website="https://aurora.example.org",
    identifiers=[("schac", "aurora.example.org"), ("erasmus", "NL AURORA01")],
    courses=[
        _course("Sustainable Supply Chains", isced_f="0413", eqf_level=6),
        _course(
            "Introduction to Machine Learning", isced_f="0613", eqf_level=7, qf_ehea_cycle="second"
        ),
    ],
    admin="provider-a",
    admin_has_demo_password=True,
)
PROVIDER_B = ProviderSeed(
    key="b",
    legal_name="Berlin Vocational Academy for Green Crafts",
    country="DE",
    type=Provider.Type.VET,
    website="https://green-crafts.example.org",
    identifiers=[("eu-pic", "912345678"), ("national", "DE-BVAG-2041")],
    courses=[
        _course(
            "Heat Pump Installation",
            isced_f="0713",
            eqf_level=4,
            qf_ehea_cycle=None,
            participation_form="blended",
            workload_ects=3,
            languages=["de", "en"],
        ),
        _course(
            "Solar Roof Safety",
            isced_f="0713",
            eqf_level=4,
            qf_ehea_cycle=None,
            participation_form="onsite",
            workload_ects=2,
            languages=["de"],
        ),
    ],
    admin="provider-b",
    admin_has_demo_password=True,
)

# Providers whose cases fill every state. Each case needs its own course, because a
# course may have only one open application at a time.
CASE_PROVIDERS = [
    ProviderSeed(
        key="c",
        legal_name="Coimbra Polytechnic Institute",
        country="PT",
        type=Provider.Type.UNIVERSITY,
        website="https://coimbra-poly.example.org",
        identifiers=[("schac", "coimbra-poly.example.org"), ("deqar", "DEQARINST9001")],
        courses=[
            _course("Data Visualisation for Public Policy"),
            _course("Digital Accessibility Essentials", isced_f="0611"),
            _course(
                "Water Resource Management", isced_f="0532", eqf_level=7, qf_ehea_cycle="second"
            ),
            _course(
                "Project Management Fundamentals",
                isced_f="0413",
                eqf_level=5,
                qf_ehea_cycle="short",
            ),
            _course("Cybersecurity Basics", isced_f="0612"),
        ],
        admin="staff-coimbra",
    ),
    ProviderSeed(
        key="d",
        legal_name="Dublin Digital Skills Ltd",
        country="IE",
        type=Provider.Type.COMPANY,
        website="https://dublin-digital.example.org",
        identifiers=[("lei", "635400DEMO0000000069"), ("eu-vat", "IE9876543W")],
        courses=[
            _course(
                "Cloud Operations Practitioner", isced_f="0612", eqf_level=5, qf_ehea_cycle="short"
            ),
            _course("Agile Product Ownership", isced_f="0413", eqf_level=6),
            _course("Prompt Engineering for Analysts", isced_f="0613", eqf_level=6),
            _course("Low-code Automation", isced_f="0613", eqf_level=4, qf_ehea_cycle=None),
            _course(
                "SQL for Business Reporting", isced_f="0613", eqf_level=5, qf_ehea_cycle="short"
            ),
        ],
        admin="staff-dublin",
    ),
    ProviderSeed(
        key="e",
        legal_name="Estonian Open Learning Foundation",
        country="EE",
        type=Provider.Type.NGO,
        website="https://open-learning.example.org",
        identifiers=[("national", "EE-80012345"), ("did", "did:web:open-learning.example.org")],
        courses=[
            _course("Community Facilitation", isced_f="0923", eqf_level=5, qf_ehea_cycle=None),
            _course("Media Literacy for Educators", isced_f="0111", eqf_level=6),
            _course("Green Entrepreneurship", isced_f="0413", eqf_level=6),
        ],
        admin="staff-estonia",
    ),
]

# (label, provider key, course index or None for an institutional review, target)
CASES = [
    ("draft", "c", 0, "draft"),
    ("submitted", "c", 1, "submitted"),
    ("screening", "c", 2, "screening"),
    ("returned", "c", 3, "returned"),
    ("withdrawn", "c", 4, "withdrawn"),
    ("in_review", "d", 0, "in_review"),
    ("clarification_requested", "d", 1, "clarification_requested"),
    ("factual_check", "d", 2, "factual_check"),
    ("decision_pending", "d", 3, "decision_pending"),
    ("accredited (institutional)", "e", None, "accredited"),
    ("conditionally_accredited", "d", 4, "conditionally_accredited"),
    ("rejected", "e", 0, "rejected"),
    ("appealed", "e", 1, "appealed"),
    ("accredited, then suspended", "c", None, "suspended"),
    ("accredited, then revoked", "e", 2, "revoked"),
]


class Command(BaseCommand):
    help = "Create the demo accounts (password 'demo') and cases in every state. Demo mode only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--accounts-only", action="store_true", help="create accounts and providers only"
        )

    def handle(self, *args, **options):
        if not getattr(settings, "MCQA_DEMO_MODE", False):
            raise CommandError(
                "Refusing to create demo accounts: MCQA_DEMO_MODE is off. Demo accounts "
                "(password 'demo') exist only with config.settings.demo or MCQA_DEMO_MODE=1."
            )
        for name in ("weasyprint", "weasyprint.progress", "fontTools"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._ensure_broker_folders()
        people = self.seed_accounts()
        providers = {}
        for seed in (PROVIDER_A, PROVIDER_B, *CASE_PROVIDERS):
            providers[seed.key] = self.seed_provider(seed, people)
        self.seed_affiliation(people["reviewer3"], providers["a"][0])
        self.seed_profiles(people)
        if options["accounts_only"]:
            return
        self.seed_cases(people, providers)

    # -- accounts

    def _ensure_broker_folders(self):
        """kombu's filesystem transport does not create its folders; tasks queued while
        seeding must find them."""
        from pathlib import Path

        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)

    def _user(self, username, roles=(), *, staff=False, demo_password=True):
        """(user, created): an account that exists is left exactly as it is (its
        password, flags and roles are its user's now); a missing one is created."""
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.example.org"}
        )
        if not created:
            return user, False
        user.is_staff = staff
        user.is_active = True
        if demo_password:
            user.set_password(DEMO_PASSWORD)  # bypasses the validators on purpose: demo only
        else:
            user.set_unusable_password()
        user.save()
        for name in roles:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user, True

    @transaction.atomic
    def seed_accounts(self):
        people, created = {}, set()
        for username, (roles, staff) in STAFF_ACCOUNTS.items():
            people[username], new = self._user(username, roles, staff=staff)
            if new:
                created.add(username)
        # Agency staff use the admin: the coordinator manages, the others look (granted
        # once, when the account is created).
        app_labels = ("accreditation", "reviews", "registry", "core")
        everything = Permission.objects.filter(content_type__app_label__in=app_labels)
        if "coordinator" in created:
            people["coordinator"].user_permissions.add(*everything)
        viewing = everything.filter(codename__startswith="view_")
        for username in {"decider", "appeals"} & created:
            people[username].user_permissions.add(*viewing)
        self.stdout.write(f"demo accounts: {', '.join(DEMO_USERNAMES)} (password: demo)")
        return people

    @transaction.atomic
    def seed_provider(self, seed, people):
        scheme, value = seed.identifiers[0]
        existing = ProviderIdentifier.objects.filter(scheme=scheme, value=value).first()
        provider_created = existing is None
        if existing is not None:
            provider = existing.provider
        else:
            provider = Provider(
                legal_name=seed.legal_name,
                country=seed.country,
                type=seed.type,
                website=seed.website,
            )
            provider.full_clean()
            provider.save()
            for scheme, value in seed.identifiers:
                identifier = ProviderIdentifier(provider=provider, scheme=scheme, value=value)
                identifier.full_clean()
                identifier.save()
        courses = []
        for index, values in enumerate(seed.courses):
            uid = demo_course_uid(seed.key, index)
            course = Course.objects.filter(uid=uid).first()
            if course is None and not provider_created:
                # Seeded before courses had fixed uids: found by the title it was given.
                course = Course.objects.filter(provider=provider, title=values["title"]).first()
            if course is None:
                course = Course(provider=provider, uid=uid, **values)
                course.full_clean()
                course.save()
            courses.append(course)
        admin, admin_created = self._user(
            seed.admin, (Role.PROVIDER,), demo_password=seed.admin_has_demo_password
        )
        if provider_created or admin_created:
            ProviderMembership.objects.get_or_create(
                user=admin, provider=provider, defaults={"role": ProviderMembership.Role.ADMIN}
            )
        people[seed.admin] = admin
        return provider, courses, admin

    def seed_affiliation(self, reviewer, provider):
        """reviewer3 left provider-a's organisation recently, inside the cooling-off
        period, so the conflict-of-interest rule must keep them off its panels."""
        today = timezone.now().date()
        Affiliation.objects.get_or_create(
            reviewer=reviewer,
            provider=provider,
            defaults={
                "description": "Lecturer in logistics",
                "start_date": today - datetime.timedelta(days=6 * 365),
                "end_date": today - datetime.timedelta(days=240),
            },
        )

    def seed_profiles(self, people):
        """Reviewer profiles, so the panel page has candidates to rank: a software
        expert, a management expert, reviewer3 (also software, but conflicted on
        provider-a) and a student. A profile that exists is its reviewer's: left as it is."""
        today = timezone.now().date()
        profiles = {
            "reviewer1": {"expertise": ["0613", "0612"], "country": "NL", "languages": ["en"]},
            "reviewer2": {"expertise": ["0413", "04"], "country": "DE", "languages": ["de", "en"]},
            "reviewer3": {"expertise": ["0613"], "country": "NL", "languages": ["en", "nl"]},
            "student1": {
                "expertise": ["06"],
                "country": "PT",
                "languages": ["en", "pt"],
                "is_student": True,
                "student_until": today + datetime.timedelta(days=365),
            },
        }
        for username, values in profiles.items():
            ReviewerProfile.objects.get_or_create(
                reviewer=people[username],
                defaults={**values, "last_training_on": today - datetime.timedelta(days=200)},
            )

    # -- cases

    def seed_cases(self, people, providers):
        if not Framework.objects.exists():
            raise CommandError("No standards frameworks: run `manage.py migrate` first.")
        reached = []
        for label, key, course_index, target in CASES:
            provider, courses, admin = providers[key]
            course = courses[course_index] if course_index is not None else None
            if self._case_exists(provider, course):
                reached.append((label, "exists"))
                continue
            cast = Cast(
                admin=admin,
                coordinator=people["coordinator"],
                decider=people["decider"],
                panel={
                    "chair": people["reviewer1"],
                    "member": people["reviewer2"],
                    "student": people["student1"],
                },
            )
            scenario = Scenario(cast, provider=provider, course=course)
            done = "nothing"
            for step in PATHS[target]:
                try:
                    scenario.run(step)
                except Exception as exc:  # noqa: BLE001 - report the case and go on
                    detail = getattr(exc, "unmet", None) or exc
                    self.stderr.write(f"  case '{label}': step {step} failed: {detail}")
                    break
                done = step
            state = scenario.application.state if scenario.application else "not created"
            if scenario.accreditation is not None:
                scenario.accreditation.refresh_from_db()
                state += f" (accreditation {scenario.accreditation.status})"
            reached.append((label, state if done == PATHS[target][-1] else f"{state} [partial]"))
        for label, state in reached:
            self.stdout.write(f"  {label:<30} {state}")

    @staticmethod
    def _case_exists(provider, course):
        applications = Application.objects.filter(provider=provider)
        if course is None:
            return applications.filter(course__isnull=True).exists()
        return applications.filter(course=course).exists()
