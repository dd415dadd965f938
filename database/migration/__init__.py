"""The Elasticsearch 5.6 → 7 event migration (``stationmaster migrate-es``).

Modules: ``http`` (a small JSON client for both clusters), ``source`` (discovery and
reading of the ES 5.6 indices), ``templates`` (destination templates and indices),
``convert`` (one ES 5 document → its ES 7 form), ``state`` (the marker index on the
destination), ``copy`` (scroll + bulk or reindex-from-remote), ``verify``, ``progress``,
``run`` (the whole migration), ``command`` (the CLI) and ``guard`` (the server's start-up
check). The operator's guide is docs/migration.md.
"""
