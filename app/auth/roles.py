"""Which roles may do what: the one table route declarations are built from."""

from __future__ import annotations

from app.models.users import RoleName as R

#: Read the registry, decisions and ledger.
READERS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.MODEL_RISK, R.ML_ENGINEER, R.AUDITOR, R.PIPELINE)
#: Register and change artefacts: datasets, runs, models, evaluations, deployments.
REGISTRARS = (R.ADMIN, R.ML_ENGINEER, R.PIPELINE)
#: Classify data and record data-subject requests.
DATA_STEWARDS = (R.ADMIN, R.COMPLIANCE_OFFICER)
#: Ask a gate for a decision.
GATE_CALLERS = (R.ADMIN, R.ML_ENGINEER, R.PIPELINE, R.COMPLIANCE_OFFICER, R.MODEL_RISK)
#: Vote on approval requests.
APPROVERS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.MODEL_RISK)
#: Generate and download signed reports.
REPORT_READERS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.MODEL_RISK, R.ML_ENGINEER, R.AUDITOR)
#: Generate signed reports (auditors download and verify them).
REPORT_GENERATORS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.MODEL_RISK)
#: Export a period's evidence bundle (signs a ledger checkpoint, ledgered as an export).
EVIDENCE_EXPORTERS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.AUDITOR)
#: Manage users and tokens.
ADMINS = (R.ADMIN,)
#: Record governance facts (the service then checks the fact's owning role, so an engineer
#: who tries is refused with the reason instead of a bare 403).
ATTESTERS = (R.ADMIN, R.COMPLIANCE_OFFICER, R.MODEL_RISK, R.ML_ENGINEER)
