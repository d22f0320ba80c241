"""Approval workflows: gated transitions with quorum, separation of duties and expiry,
webhooks for approval events, and the release pipelines' CLI that waits on them.
"""
