"""Tests of the fairness and explainability audits."""
