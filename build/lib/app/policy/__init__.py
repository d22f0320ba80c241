"""Policy as code: the gate questions Gatehouse asks its Rego policies.

- ``app.policy.input_document``: the input document (``GateInput``) a gate is asked about;
- ``app.policy.factory.build_engine``: the embedded (OPA-compiled wasm in process) or
  OPA-server engine;
- ``app.policy.compiled``: ``gatehouse policy build`` and the committed compiled policy;
- ``app.policy.decision.Decision``: the answer, always the same shape, deny on failure;
- ``app.policy.catalogue``: the controls, read from the policies' METADATA blocks;
- ``app.cli.policy.cli_group``: ``gatehouse policy test|build|catalogue``.

Nothing here imports Flask or touches the database: the registry builds the document.
"""
