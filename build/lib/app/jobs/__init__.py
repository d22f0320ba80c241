"""Scheduled jobs and the ``gatehouse scheduler`` process (APScheduler 3.x).

Lives in ``app/jobs`` rather than a top-level ``jobs/`` package so that it installs and
imports with the rest of the ``app`` package (the console script imports ``app``).

Architecture:

- :mod:`app.jobs.definitions` -- the registry of jobs. A job is one function
  ``(context, session) -> details`` and one ``@job(...)`` registration naming its id and
  trigger. Per-model audit schedules (the ``audit_schedule`` table) become jobs
  ``audit-schedule-<id>``.
- :mod:`app.jobs.runner` -- runs one job and records it as a ``JobRun`` (start, end,
  outcome, one-line error, details with the scheduled run time).
- :mod:`app.jobs.leader` -- the leader lock: ``pg_try_advisory_lock`` held on a dedicated
  PostgreSQL connection, or a file lock next to a SQLite database. APScheduler 3.x cannot
  share a job store between running schedulers, so only the lock holder starts one.
- :mod:`app.jobs.scheduler` -- builds the ``BlockingScheduler`` (persistent
  ``SQLAlchemyJobStore`` on the Gatehouse database, coalescing, misfire grace time),
  waits for leadership, registers the jobs and runs until stopped or the lock is lost.
- :mod:`app.cli.scheduler` -- ``gatehouse scheduler`` (and ``scheduler runs`` / ``scheduler jobs``).
"""
