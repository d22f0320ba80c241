"""Gate decisions: build the input document from the registry, ask the policy engine,
store the decision and ledger it. Python only gathers evidence; Rego decides.
"""
