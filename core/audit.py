"""Helpers to write audit events from services."""

from core.models import AuditEvent


def audit(action, *, actor=None, obj=None, **data):
    """Record one audit event; `obj` gives the object type and id."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
