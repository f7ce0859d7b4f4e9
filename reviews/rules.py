"""Review rules registered with the application workflow (panel, chair, reports)."""
