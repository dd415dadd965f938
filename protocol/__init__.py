"""The API's vocabulary, importable from every layer: errors (the code/subcode table),
versions, the envelope, the request body's wire format, ``Call`` and the handler
declaration (``Endpoints``). It imports nothing of the package above it."""
