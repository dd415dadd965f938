"""The HTTP layer: falcon app factory, dispatcher, endpoint registry, auth, errors, CLI."""
