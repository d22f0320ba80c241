"""Training launchers: an approved run becomes training only after the gate says so again."""
