"""Report kinds, one module each; every module registers its kind (see :mod:`app.reports.kind`)."""
