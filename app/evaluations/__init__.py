"""Evaluation evidence: importers for the tools teams run, red-team findings and their
lifecycle, and production monitoring (drift and incidents) of deployments.

Doors call the services here (``importing``, ``findings``, ``monitoring``); the gate
input builder reads what they stored through ``gate_evidence``. Nothing here judges a
figure: thresholds live in policy data and the policy decides.
"""
