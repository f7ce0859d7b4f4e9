"""Report rendering: data, PDF, storage (see the reports work)."""
