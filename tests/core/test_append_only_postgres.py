"""On PostgreSQL the database itself refuses to rewrite or delete log rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from accreditation.models import ApplicationTransition
from accreditation.services import application_transition
from core.audit import audit
from core.models import AuditEvent
from tests.factories import complete_dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def logged(course_application, provider_user):
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    complete_dossier(course_application, provider_user)
    application_transition(application=course_application, name="submit", actor=provider_user)
    audit("example", actor=provider_user, obj=course_application)
    return course_application


@pytest.mark.parametrize(
    ("model", "change"),
    [(ApplicationTransition, {"comment": "rewritten"}), (AuditEvent, {"data": {}})],
)
def test_log_rows_cannot_be_updated_or_deleted_behind_the_application(logged, model, change):
    row = model.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**change)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    assert model.objects.filter(pk=row.pk).exists()
