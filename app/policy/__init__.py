"""Policy as code: the gate questions Gatehouse asks its Rego policies.

- ``app.policy.input_document``: the input document (``GateInput``) a gate is asked about;
- ``app.policy.factory.build_engine``: the embedded (regopy) or OPA-server engine;
- ``app.policy.decision.Decision``: the answer, always the same shape, deny on failure;
- ``app.policy.catalogue``: the controls, read from the policies' METADATA blocks;
- ``app.cli.policy.cli_group``: ``gatehouse policy test`` and ``gatehouse policy catalogue``.

Nothing here imports Flask or touches the database: the registry builds the document.
"""
