"""The public projection of accreditation events (filled in by the registry work)."""
