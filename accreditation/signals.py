"""Events other apps may react to (after commit). Receivers only schedule their own work."""

from django.dispatch import Signal

# Sent after an application transition committed: application_id, transition, log_id.
application_transitioned = Signal()

# Sent after an accreditation was created or changed status or outcome and the change
# committed: accreditation_id, transition, log_id (an AccreditationTransition row).
accreditation_changed = Signal()

# Sent inside the transaction of a transition, after its log row and effects are
# written (obj, transition, log): a listener that must record the change atomically
# with it (the registry's event history) writes here, so no reader ever sees the
# change without it. A listener that raises rolls the transition back.
transition_recorded = Signal()

# Sent inside the transaction of an approved identity change request, after the provider,
# its identifiers and its identity history are written (provider, change_request): the
# registry records the change as an `identity` event in the same transaction.
identity_changed = Signal()
