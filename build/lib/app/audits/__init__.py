"""Fairness (fairlearn definitions, vectorised) and explainability (SHAP) audits.

The computation library the registry's audit service and the scheduler call. It never
decides pass/fail: it returns the figures; the thresholds and the verdict belong to the
Rego controls that read them.

- :mod:`app.audits.fairness` -- ``run_fairness_audit(frame, ...) -> FairnessResult``
- :mod:`app.audits.explain` -- ``run_explainability_audit(model, features, ...) ->
  ExplainabilityResult`` (imports SHAP, which is slow to import: import it where needed)
- :mod:`app.audits.inputs` -- ``load_decisions``, ``load_model``, ``predict_decisions``
- :mod:`app.audits.charts` -- SVG charts of the results
- :mod:`app.audits.datasets` -- the shipped UCI Adult and German Credit data
- :mod:`app.cli.audits` -- ``gatehouse audit fairness|explain``

Nothing is imported here, so importing one module does not pull in the others.
"""
