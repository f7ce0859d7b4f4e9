"""The registry listens to the workflow (the dependency rule: accreditation never
imports the registry).

A transition that changes what the registry answers (a decision, an annulment, any
change of an accreditation) is projected into registry events inside the transition's
own transaction: the change and its public record commit together, so no verifier can
ask between them and get an answer that later changes. The minute sweep
(`registry.sync`) stays as the safety net for what is not a transition (published
reports). An approved identity change request is recorded the same way, and any change to a
provider's identity periods reaches the copy of them that verify reads in the same
transaction.

A new accreditation also gets its place in the status lists as it is created.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accreditation import workflow
from accreditation.models import Accreditation, ProviderIdentity
from accreditation.signals import identity_changed, transition_recorded


@receiver(transition_recorded, dispatch_uid="registry.transition_recorded")
def project_in_the_same_transaction(sender, transition=None, **kwargs):
    if workflow.step(transition).changes_registry:
        from .services import registry_sync

        registry_sync()


@receiver(identity_changed, dispatch_uid="registry.identity_changed")
def project_identity_in_the_same_transaction(sender, **kwargs):
    from .services import registry_sync

    registry_sync()


@receiver(post_save, sender=ProviderIdentity, dispatch_uid="registry.identity_saved")
@receiver(post_delete, sender=ProviderIdentity, dispatch_uid="registry.identity_deleted")
def refresh_identity_periods(sender, instance, raw=False, **kwargs):
    """Verify shows the name, country and identifiers of the period in force at the
    moment asked about, from the registry row's copy of the periods."""
    if not raw:
        from .services import refresh_identities

        refresh_identities(instance.provider_id)


@receiver(post_save, sender=Accreditation, dispatch_uid="registry.status_list_index")
def allocate_status_list_index(sender, instance, created, raw=False, **kwargs):
    """A new accreditation gets its status-list index in the transaction that creates
    it: allocated once, never reused (registry.models.StatusListIndex)."""
    if created and not raw:
        from .credentials import allocate_index

        allocate_index(instance)
