"""Receivers of the accreditation app's after-commit signals: they only schedule the
registry projection (the dependency rule: accreditation never imports the registry)."""

from django.dispatch import receiver

from accreditation import workflow
from accreditation.signals import accreditation_changed, application_transitioned


def _schedule():
    from .tasks import sync_registry

    sync_registry.delay()


@receiver(accreditation_changed, dispatch_uid="registry.accreditation_changed")
def on_accreditation_changed(sender, **kwargs):
    _schedule()


@receiver(application_transitioned, dispatch_uid="registry.application_transitioned")
def on_application_transitioned(sender, transition=None, **kwargs):
    if workflow.step(transition).changes_registry:
        _schedule()
