"""Fairness (fairlearn definitions, vectorised) and explainability (SHAP) audits.

The computation library the registry's audit service and the scheduler call. It never
decides pass/fail: it returns the figures; the thresholds and the verdict belong to
the Rego controls that read them.
"""
