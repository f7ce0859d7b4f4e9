"""Writes of the accreditation app. Every change of an application's state goes through
`application_transition`, the single path used by the API, the pages, the admin and the
scheduled jobs, so that all of them lock, check, log and notify the same way.
"""

import hashlib
import logging
import os
import tempfile

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from core import reference
from core.audit import audit
from core.effects import after_commit
from core.errors import (
    ConflictError,
    FileRejected,
    NotAllowed,
    NotVisible,
)
from core.roles import Role, has_role

from . import engine
from .models import (
    OPEN_STATES,
    RENEWABLE_STATES,
    Application,
    ApplicationState,
    Complaint,
    Course,
    Document,
    Framework,
    Provider,
    ProviderIdentifier,
    ProviderMembership,
    SelfAssessment,
    Standard,
)
from .selectors import (
    applications_visible_to,
    courses_visible_to,
    is_provider_member,
    providers_visible_to,
)
from .tasks import send_complaint_notification

logger = logging.getLogger(__name__)


def application_transition(*, application, name, actor, data=None):
    """Fire transition `name` on `application` as `actor` (None: the system), through the
    one engine (`accreditation.engine.fire`: 404, 403, 409, 400 in that order; row-locked;
    logged; side effects after commit). Returns the changed application."""
    return engine.fire(application, name, actor, data)


def transition_right(*, application, name, actor):
    """None when `actor` may fire `name` on `application`, else the reason they may not."""
    return engine.right(application, name, actor)


def available_transitions(*, application, actor):
    """Names of the transitions `actor` may fire on `application` now."""
    return engine.available(application, actor)


# =========================================================================== providers and courses

PROVIDER_FIELDS = ("legal_name", "country", "type", "website")
COURSE_FIELDS = (
    "title",
    "learning_outcomes",
    "workload_ects",
    "eqf_level",
    "qf_ehea_cycle",
    "isced_f",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "languages",
    "prerequisites",
    "supervision_identity_verification",
    "grading",
    "stackability",
    "further_information",
)
_NULLABLE_COURSE_FIELDS = ("workload_ects", "eqf_level", "qf_ehea_cycle")
_IGNORED_INPUT = ("id",)


def _reject_unknown(data, allowed):
    unknown = sorted(set(data) - set(allowed) - set(_IGNORED_INPUT))
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in unknown})


def _assign(instance, data, fields, nullable=()):
    """Copy the given fields; an empty value means "not given yet" (None or "")."""
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if name in nullable:
            value = None if value in ("", None) else value
        elif value is None:
            value = [] if name in ("learning_outcomes", "languages") else ""
        setattr(instance, name, value)


def _full_clean(instance, exclude=()):
    """Model validation (field validators and database constraints) as a 400 per field."""
    instance.full_clean(exclude=list(exclude))


def _clean_identifiers(value, provider=None):
    """`[{scheme, value}]`: known schemes, non-empty values, each pair used by one provider."""
    if not isinstance(value, list):
        raise ValidationError({"identifiers": ["A list of {scheme, value} objects is required."]})
    cleaned, errors, seen = [], [], set()
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(f"Item {index + 1} must be an object with scheme and value.")
            continue
        scheme = str(item.get("scheme") or "").strip()
        val = str(item.get("value") or "").strip()
        if scheme not in reference.IDENTIFIER_SCHEMES:
            errors.append(
                f"Item {index + 1}: scheme {scheme!r} is not one of "
                f"{', '.join(reference.IDENTIFIER_SCHEMES)}."
            )
            continue
        if not val:
            errors.append(f"Item {index + 1}: a value is required.")
            continue
        if len(val) > 200:
            errors.append(f"Item {index + 1}: the value is longer than 200 characters.")
            continue
        if (scheme, val) in seen:
            errors.append(f"Item {index + 1}: {scheme}:{val} is listed twice.")
            continue
        taken = ProviderIdentifier.objects.filter(scheme=scheme, value=val)
        if provider is not None:
            taken = taken.exclude(provider=provider)
        if taken.exists():
            errors.append(f"Item {index + 1}: {scheme}:{val} already identifies another provider.")
            continue
        seen.add((scheme, val))
        cleaned.append((scheme, val))
    if errors:
        raise ValidationError({"identifiers": errors})
    return cleaned


def _replace_identifiers(provider, pairs):
    provider.identifiers.all().delete()
    ProviderIdentifier.objects.bulk_create(
        ProviderIdentifier(provider=provider, scheme=scheme, value=value) for scheme, value in pairs
    )


def provider_create(*, actor, data):
    """Register an organisation. Whoever registers it becomes its first administrator
    (a ProviderMembership with role admin) and holds the `provider` role, so they can
    describe courses and apply straight away. Identifiers are checked for known schemes
    and for not already identifying another provider (the registry's answers depend on
    each identifier naming one provider)."""
    data = dict(data)
    _reject_unknown(data, (*PROVIDER_FIELDS, "identifiers"))
    provider = Provider()
    _assign(provider, data, PROVIDER_FIELDS)
    if isinstance(provider.country, str):
        provider.country = provider.country.upper()
    _full_clean(provider)
    pairs = _clean_identifiers(data.get("identifiers") or [])
    with transaction.atomic():
        provider.save()
        _replace_identifiers(provider, pairs)
        ProviderMembership.objects.create(
            user=actor, provider=provider, role=ProviderMembership.Role.ADMIN
        )
        actor.groups.add(Group.objects.get_or_create(name=Role.PROVIDER)[0])
        actor.__dict__.pop("_mcqa_roles", None)
        actor.__dict__.pop("_mcqa_member_of", None)
        audit("provider.create", actor=actor, obj=provider, legal_name=provider.legal_name)
    return provider


def may_manage_provider(actor, provider):
    """Provider administrators manage their organisation's profile; agency coordinators
    may correct it (they keep the register accurate)."""
    if actor.is_superuser or has_role(actor, Role.COORDINATOR):
        return True
    return ProviderMembership.objects.filter(
        user=actor, provider=provider, role=ProviderMembership.Role.ADMIN
    ).exists()


def provider_update(*, provider, actor, data):
    """Change the profile of a provider. Only the fields given change; `identifiers`, when
    given, replaces the whole list (so a removed identifier really disappears)."""
    if not providers_visible_to(user=actor).filter(pk=provider.pk).exists():
        raise NotVisible()
    if not may_manage_provider(actor, provider):
        raise NotAllowed("Only an administrator of this provider may change its profile.")
    data = dict(data)
    _reject_unknown(data, (*PROVIDER_FIELDS, "identifiers"))
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        _assign(provider, data, PROVIDER_FIELDS)
        if isinstance(provider.country, str):
            provider.country = provider.country.upper()
        _full_clean(provider)
        pairs = None
        if "identifiers" in data:
            pairs = _clean_identifiers(data["identifiers"] or [], provider=provider)
        provider.save()
        if pairs is not None:
            _replace_identifiers(provider, pairs)
        audit("provider.update", actor=actor, obj=provider, fields=sorted(data))
    return provider


def _check_course_values(data):
    """Rules the model alone cannot say: outcomes are a non-empty list when given."""
    if "learning_outcomes" in data:
        value = data["learning_outcomes"]
        if not isinstance(value, list) or not value:
            raise ValidationError(
                {"learning_outcomes": ["Give at least one learning outcome (a list of strings)."]}
            )
    if data.get("languages") is not None and not isinstance(data["languages"], list):
        raise ValidationError({"languages": ["A list of ISO 639-1 codes is required."]})
    if data.get("eqf_level") not in (None, ""):
        value = data["eqf_level"]
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValidationError({"eqf_level": ["The EQF level is a whole number from 1 to 8."]})


def _resolve_provider(value, actor, field="provider"):
    """The provider named by `value` (instance or id) if `actor` may see it, else a 400 that
    does not tell an unknown id from one the caller may not see."""
    if isinstance(value, Provider):
        pk = value.pk
    else:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise ValidationError({field: ["A provider id is required."]}) from None
    provider = providers_visible_to(user=actor).filter(pk=pk).first()
    if provider is None:
        raise ValidationError({field: [f"There is no provider {pk}."]})
    return provider


def course_create(*, actor, data):
    """Describe a micro-credential course of a provider the actor acts for. The Annex I
    elements may be completed later (submit lists what is missing), but every value given
    must be valid: ECTS > 0, EQF 1..8, QF-EHEA cycle, ISCED-F code, ISO 639-1 languages."""
    data = dict(data)
    _reject_unknown(data, ("provider", *COURSE_FIELDS))
    if "provider" not in data:
        raise ValidationError({"provider": ["The provider is required."]})
    provider = _resolve_provider(data["provider"], actor)
    if not is_provider_member(actor, provider.pk):
        raise NotAllowed("Only people acting for this provider may describe its courses.")
    _check_course_values(data)
    course = Course(provider=provider)
    _assign(course, data, COURSE_FIELDS, nullable=_NULLABLE_COURSE_FIELDS)
    _full_clean(course)
    with transaction.atomic():
        course.save()
        audit("course.create", actor=actor, obj=course, title=course.title)
    return course


def course_update(*, course, actor, data):
    """Change a course's description (only the fields given). The provider never changes:
    a course belongs to the organisation that awards it."""
    if not courses_visible_to(user=actor).filter(pk=course.pk).exists():
        raise NotVisible()
    if not is_provider_member(actor, course.provider_id):
        raise NotAllowed("Only people acting for this provider may change its courses.")
    data = dict(data)
    _reject_unknown(data, ("provider", *COURSE_FIELDS))
    if "provider" in data and str(data["provider"]) != str(course.provider_id):
        raise ValidationError({"provider": ["A course cannot move to another provider."]})
    _check_course_values(data)
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        _assign(course, data, COURSE_FIELDS, nullable=_NULLABLE_COURSE_FIELDS)
        _full_clean(course)
        course.save()
        audit("course.update", actor=actor, obj=course, fields=sorted(data))
    return course


# =========================================================================== applications

DEFAULT_FRAMEWORKS = {"course": "eu-mc-2022-principles", "provider": "esg-2015-part1"}


def newest_framework(code):
    """The newest version of framework `code` (by effective date), or None."""
    return Framework.objects.filter(code=code).order_by("-effective_from", "-id").first()


def _renewal_source(*, provider, course, previous):
    """The application whose cycle a renewal continues: the one given, else the newest
    positively decided one for the same provider and course."""
    if previous is None:
        previous = (
            Application.objects.filter(
                provider=provider, course=course, state__in=[s.value for s in RENEWABLE_STATES]
            )
            .order_by("-decided_at", "-id")
            .first()
        )
        if previous is None:
            raise ValidationError(
                {"previous": ["A renewal continues an accredited application; there is none."]}
            )
    elif not isinstance(previous, Application):
        previous = Application.objects.filter(pk=previous).first()
        if previous is None:
            raise ValidationError({"previous": ["There is no such application."]})
    if previous.provider_id != provider.pk:
        raise ValidationError({"previous": ["The previous application is another provider's."]})
    if course is not None and previous.course_id != course.pk:
        raise ValidationError({"previous": ["The previous application is for another course."]})
    if previous.state not in RENEWABLE_STATES:
        raise ValidationError({"previous": ["Only an accredited application can be renewed."]})
    return previous


def application_create(*, actor, kind, provider, course=None, framework_code=None, previous=None):
    """Open a draft application for a provider the actor acts for.

    The framework is frozen now (the newest version of the requested or default code:
    Annex II principles for a course, ESG Part 1 for an institutional review), so a later
    edit of the standards never changes a review under way. A renewal continues the last
    accredited cycle: same provider and course, and the previous self-assessments copied
    as a starting point. A course has at most one open application at a time (409).
    """
    if kind not in Application.Kind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(Application.Kind)}."]})
    provider = _resolve_provider(provider, actor)
    if not is_provider_member(actor, provider.pk):
        raise NotAllowed("Only people acting for this provider may apply for it.")
    if course is not None and not isinstance(course, Course):
        try:
            course = Course.objects.filter(pk=int(course)).first()
        except (TypeError, ValueError):
            raise ValidationError({"course": ["A course id is required."]}) from None
        if course is None:
            raise ValidationError({"course": ["There is no such course."]})
    if course is not None and course.provider_id != provider.pk:
        raise ValidationError({"course": ["There is no such course for this provider."]})
    if kind == Application.Kind.COURSE and course is None:
        raise ValidationError({"course": ["A course application needs a course."]})
    if kind == Application.Kind.PROVIDER and course is not None:
        raise ValidationError({"course": ["An institutional review covers no single course."]})
    source = None
    if kind == Application.Kind.RENEWAL:
        source = _renewal_source(provider=provider, course=course, previous=previous)
        course = source.course
    elif previous is not None:
        raise ValidationError({"previous": ["Only a renewal continues a previous application."]})
    code = framework_code or DEFAULT_FRAMEWORKS["course" if course is not None else "provider"]
    framework = newest_framework(code)
    if framework is None:
        raise ValidationError({"framework": [f"There is no framework {code!r}."]})
    if course is not None:
        open_one = Application.objects.filter(
            course=course, state__in=[s.value for s in OPEN_STATES]
        ).first()
        if open_one is not None:
            raise ConflictError(
                f"The course already has an open application (#{open_one.pk}); "
                "finish or withdraw it first."
            )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                kind=kind,
                provider=provider,
                course=course,
                framework=framework,
                previous=source,
                created_by=actor,
            )
            if source is not None:
                _copy_self_assessments(source, application)
            audit("application.create", actor=actor, obj=application, kind=kind)
    except IntegrityError as exc:
        raise ConflictError("The course already has an open application.") from exc
    return application


def _copy_self_assessments(source, application):
    """Pre-fill a renewal: each narrative of the previous cycle whose standard (by code)
    exists in the new framework. Evidence stays with the old dossier."""
    by_code = {s.code: s for s in application.framework.standards.all()}
    for old in source.self_assessments.select_related("standard"):
        standard = by_code.get(old.standard.code)
        if standard is not None and old.narrative.strip():
            SelfAssessment.objects.create(
                application=application, standard=standard, narrative=old.narrative
            )


def _visible_application(application, actor):
    if (
        actor is not None
        and not applications_visible_to(user=actor).filter(pk=application.pk).exists()
    ):
        raise NotVisible()


# =========================================================================== documents

DOSSIER_STATES = (ApplicationState.DRAFT, ApplicationState.RETURNED)
RESPONSE_STATES = (ApplicationState.CLARIFICATION_REQUESTED, ApplicationState.FACTUAL_CHECK)
PDF_MAGIC = b"%PDF-"
_JS_KEYS = ("/JS", "/JavaScript")
_MAX_PDF_OBJECTS = 200_000


def _clean_filename(name):
    """The uploaded name as metadata only: its last path part, without control characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return (name or "document.pdf")[:255]


def _pdf_has_javascript(reader):
    """True when the document can run JavaScript: a /JS or /JavaScript entry anywhere in
    the object graph reachable from the trailer (catalog, name tree, open action,
    additional actions, annotations and form fields). Content streams are not scanned."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen = set()
    stack = [reader.trailer]
    count = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        count += 1
        if count > _MAX_PDF_OBJECTS:
            raise FileRejected("The PDF has too many objects to be checked.")
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _JS_KEYS:
                    return True
                if key == "/S" and isinstance(value, NameObject) and value == "/JavaScript":
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


def _check_pdf(path, head):
    """Refuse anything that is not a well-formed, plain PDF (415): the magic bytes, a
    parse by pypdf that finds pages, no encryption (the panel must be able to read it and
    we must be able to inspect it) and no JavaScript."""
    if not head.startswith(PDF_MAGIC):
        raise FileRejected("Only PDF files are accepted; this file is not a PDF.")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with open(path, "rb") as handle:
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                raise FileRejected("Encrypted PDFs are not accepted; upload an unprotected copy.")
            if len(reader.pages) < 1:
                raise FileRejected("The PDF has no pages.")
            if _pdf_has_javascript(reader):
                raise FileRejected("PDFs containing JavaScript are not accepted.")
    except FileRejected:
        raise
    except (
        PyPdfError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
        AssertionError,
    ) as exc:
        raise FileRejected("The file is not a readable PDF.") from exc


def _spool(uploaded_file, limit):
    """Copy the upload to a private temporary file, hashing and counting as it streams, and
    stop as soon as it passes the limit (413) without reading the rest."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    spool = tempfile.NamedTemporaryFile(prefix="mcqa-upload-", suffix=".pdf", delete=False)  # noqa: SIM115
    try:
        with spool:
            for chunk in uploaded_file.chunks():
                size += len(chunk)
                if size > limit:
                    raise FileRejected(
                        f"The file is larger than the limit of {limit} bytes.",
                        status_code=413,
                        code="too_large",
                    )
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                digest.update(chunk)
                spool.write(chunk)
        if size == 0:
            raise FileRejected("The file is empty.")
    except BaseException:
        os.unlink(spool.name)
        raise
    return spool.name, digest.hexdigest(), size, head


def document_upload(*, application, actor, kind, uploaded_file):
    """Add a PDF to the dossier, whole with its checksum or not at all.

    Only the provider's people upload, and only while the dossier is open: dossier
    documents in draft or returned, `response` documents while a clarification or the
    factual-accuracy check waits for the provider (409 otherwise). The file is checked
    before anything is stored: over the size limit 413 (decided before reading the whole
    body), not a plain PDF 415. It is stored under a random name (the uploaded name is
    kept only as metadata), and the stored file is removed if the row cannot be written.
    """
    _visible_application(application, actor)
    if not is_provider_member(actor, application.provider_id):
        raise NotAllowed("Only people acting for the provider may add documents.")
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(Document.Kind)}."]})
    if uploaded_file is None:
        raise ValidationError({"file": ["A file is required."]})
    _check_upload_state(application.state, kind)
    limit = settings.MCQA_UPLOAD_MAX_BYTES
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise FileRejected(
            f"The file is larger than the limit of {limit} bytes.",
            status_code=413,
            code="too_large",
        )
    path, sha256, size, head = _spool(uploaded_file, limit)
    stored = None
    try:
        _check_pdf(path, head)
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            _check_upload_state(locked.state, kind)
            document = Document(
                application=locked,
                kind=kind,
                original_name=_clean_filename(getattr(uploaded_file, "name", "")),
                sha256=sha256,
                size=size,
                content_type="application/pdf",
                uploaded_by=actor,
            )
            with open(path, "rb") as handle:
                document.file.save("upload.pdf", File(handle), save=False)
            stored = document.file.name
            document.save()
            audit("document.upload", actor=actor, obj=document, sha256=sha256, size=size)
    except BaseException:
        if stored:
            document.file.storage.delete(stored)
        raise
    finally:
        os.unlink(path)
    return document


def _check_upload_state(state, kind):
    if kind == Document.Kind.RESPONSE:
        if state not in RESPONSE_STATES:
            raise ConflictError(
                "Responses are uploaded while a clarification or the factual-accuracy check "
                f"waits for the provider; the application is {state}."
            )
    elif state not in DOSSIER_STATES:
        raise ConflictError(
            f"The dossier is closed while the application is {state}; "
            "documents are added in draft or when it was returned."
        )


def document_open(*, document, actor):
    """The stored file, opened for reading, for someone who may see the application:
    the provider's people, agency staff and the accepted panel. Anyone else gets 404."""
    _visible_application(document.application, actor)
    document.file.open("rb")
    return document.file


# =========================================================================== self-assessments


def self_assessment_put(*, application, actor, standard_code, narrative, evidence_ids=()):
    """Write the provider's self-assessment against one standard of the frozen framework,
    with evidence from this application's own documents. Only while the dossier is open
    (draft or returned). Returns `(self_assessment, created)`."""
    _visible_application(application, actor)
    if not is_provider_member(actor, application.provider_id):
        raise NotAllowed("Only people acting for the provider write its self-assessment.")
    standard = Standard.objects.filter(
        framework_id=application.framework_id, code=standard_code
    ).first()
    if standard is None:
        raise NotVisible(
            f"There is no standard {standard_code!r} in the framework of this application."
        )
    if not isinstance(narrative, str) or not narrative.strip():
        raise ValidationError({"narrative": ["A narrative is required."]})
    if evidence_ids is None:
        evidence_ids = ()
    if isinstance(evidence_ids, str | bytes) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in evidence_ids
    ):
        raise ValidationError({"evidence": ["A list of document ids is required."]})
    ids = set(evidence_ids)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in DOSSIER_STATES:
            raise ConflictError(f"The dossier is closed while the application is {locked.state}.")
        documents = list(Document.objects.filter(application=locked, pk__in=ids))
        missing = ids - {d.pk for d in documents}
        if missing:
            raise ValidationError(
                {
                    "evidence": [
                        "Not documents of this application: "
                        + ", ".join(str(i) for i in sorted(missing))
                    ]
                }
            )
        assessment, created = SelfAssessment.objects.update_or_create(
            application=locked, standard=standard, defaults={"narrative": narrative.strip()}
        )
        assessment.evidence.set(documents)
    return assessment, created


# =========================================================================== accreditations


def accreditation_transition(*, accreditation, name, actor, data=None):
    """Change an accreditation's status (or, for `confirm_conditions_met`, its outcome)
    through the same engine as applications: invisible 404, no right 403, wrong status
    409, unmet guard 400; row-locked, one log row, registry notified after commit. The
    rules (who, guards, what confirming conditions writes) are in `accreditation.rules`."""
    return engine.fire(accreditation, name, actor, data)


def available_accreditation_transitions(*, accreditation, actor):
    """What `actor` may fire on `accreditation` now."""
    return engine.available(accreditation, actor)


# =========================================================================== complaints


def complaint_lodge(*, actor, application, text):
    """Lodge a complaint about the procedure (ESG 2.7), optionally about one application
    the complainant may see. Coordinators are told after commit."""
    if application is not None:
        _visible_application(application, actor)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": ["Say what the complaint is about."]})
    with transaction.atomic():
        complaint = Complaint.objects.create(
            application=application, lodged_by=actor, text=text.strip()
        )
        audit("complaint.lodge", actor=actor, obj=complaint)
        complaint_id = complaint.pk
        after_commit(send_complaint_notification.delay, complaint_id=complaint_id)
    return complaint
