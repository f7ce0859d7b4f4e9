"""API plumbing shared by every app: the exception handler that maps domain errors."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, GuardFailed


def exception_handler(exc, context):
    """Answer domain errors with their status and a `detail` (plus `unmet` for guards)."""
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.detail)}
        if isinstance(exc, GuardFailed):
            body["unmet"] = [item.as_dict() for item in exc.unmet]
        if getattr(exc, "code", None):
            body["code"] = exc.code
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=403)
    return drf_exception_handler(exc, context)
