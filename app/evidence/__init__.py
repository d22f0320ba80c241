"""Evidence for outside parties: OSCAL assessment results and offline-verifiable bundles.

:mod:`app.evidence.oscal` turns stored gate decisions into OSCAL assessment results whose
controls are the catalogue's; :mod:`app.evidence.bundle` writes an evidence bundle (a zip
of signed reports, the ledger, checkpoints, the policy bundle and OSCAL files) and
:mod:`app.evidence.bundle_verify` checks one offline, without a database.
"""
