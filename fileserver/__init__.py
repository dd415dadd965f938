"""The file server: artifacts, models and debug images uploaded by the SDKs.

``app.create_file_app`` builds the falcon application over a ``storage.Storage``
(``local.LocalStorage`` for now); ``serve`` runs it on its own HTTP gateway (``gateway``), inside
``stationmaster serve`` or alone (``stationmaster fileserver``).
"""
