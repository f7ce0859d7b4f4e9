"""Events other apps may react to (after commit). Receivers only schedule their own work."""

from django.dispatch import Signal

# Sent after an application transition committed: application_id, transition, log_id.
application_transitioned = Signal()

# Sent after an accreditation was created or changed status or outcome and the change
# committed: accreditation_id, transition, log_id (an AccreditationTransition row).
accreditation_changed = Signal()
