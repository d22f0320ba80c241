"""Attestations: governance facts recorded by the role that owns them.

``facts`` says which facts exist and who owns each, ``current`` reads the facts in
force (the gates read nothing else), ``service`` records a new attestation.
"""
