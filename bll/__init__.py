"""Business rules. Each component gets its stores and configuration through its
constructor; ``server.context.build_context`` wires them together."""
