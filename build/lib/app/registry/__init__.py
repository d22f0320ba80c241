"""Registry services: datasets, runs, models, deployments, lineage, state machines.

Plain functions with an explicit session and actor; every change is ledgered in the
caller's transaction. Nothing here imports Flask.
"""
