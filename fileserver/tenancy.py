"""Which company's files a request sees: one folder (namespace) per company.

The URLs stay the ones the SDKs build (``/<project>/<task>.<id>/artifacts/...``); the
caller's token decides where such a path is kept (docs/fileserver.md, docs/security.md):

- the default company (``apiserver.default_company``: every single-company install) keeps
  the storage root itself, so existing installs are unchanged on disk;
- any other company keeps ``<root>/.companies/<company id>/``; the first segment
  ``.companies`` is reserved (400 for every caller);
- with authentication off there is no caller: everything is the default company's
  (and so is everything when no default company is given: one namespace, no isolation).

A company reads, writes and deletes only in its own namespace: another company's file at
the same path is not found (404), a write creates the writer's own file and never
touches the other's, a delete finds nothing (404). One exception, for reading: the file
of a public object (a model with no company whose ``uri`` is the path, or an artifact
of a public task) is served from whichever namespace holds it, as the reference shows
public objects' files to every company. Files written before this existed stay where
they are: in a multi-company install, files other companies wrote into the shared root
belong to the default company until an operator moves them (nothing is moved silently).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable

from ..bll.auth import Identity
from .storage import InvalidPath, NotFound, Storage

RESERVED = ".companies"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: ``path`` (as the client names it) -> whether it is the file of a public object.
PublicLookup = Callable[[str], bool]


class Tenancy:
    def __init__(self, default_company: str | None, public: PublicLookup | None = None) -> None:
        self.default_company = default_company
        self._public = public

    def namespace(self, identity: Identity | None) -> str:
        """The caller's folder inside the storage root ("" for the root itself)."""
        if identity is None or self.default_company is None or identity.company == self.default_company:
            return ""
        company = identity.company
        if not _SAFE_ID.match(company):
            company = hashlib.sha256(company.encode()).hexdigest()[:32]
        return f"{RESERVED}/{company}"

    def path(self, identity: Identity | None, path: str) -> str:
        """Where the caller's ``path`` (already cleaned) is kept."""
        if path.split("/", 1)[0] == RESERVED:
            raise InvalidPath(f"the folder {RESERVED!r} is reserved")
        namespace = self.namespace(identity)
        return f"{namespace}/{path}" if namespace else path

    def readable(self, storage: Storage, identity: Identity | None, path: str) -> str:
        """Where to read the caller's ``path``: its own file, else a public object's."""
        own = self.path(identity, path)
        if self._public is None or identity is None:
            return own
        try:
            storage.stat(own)
            return own
        except NotFound:
            pass
        if not self._public(path):
            return own
        for candidate in self._namespaces(storage):
            location = f"{candidate}/{path}" if candidate else path
            try:
                storage.stat(location)
                return location
            except NotFound:
                continue
        return own

    @staticmethod
    def _namespaces(storage: Storage) -> list[str]:
        root = getattr(storage, "root", None)
        found = [""]
        if root:
            try:
                found += [f"{RESERVED}/{name}" for name in sorted(os.listdir(os.path.join(root, RESERVED)))]
            except OSError:
                pass
        return found


def public_file_lookup() -> PublicLookup:
    """Whether a path is the file of a public object, from the document store this
    process is connected to (``stationmaster serve``): a model without company whose
    ``uri`` ends with the path, or an artifact of a task without company."""
    from urllib.parse import quote

    from ..bll.patterns import SafePattern
    from ..database.model.model import Model
    from ..database.model.task import Task
    from ..database.raw import collection

    def lookup(path: str) -> bool:
        spellings = {path, quote(path)}
        pattern = "(" + "|".join("/" + re.escape(s) for s in spellings) + ")$"
        regex = SafePattern(pattern, False, "path")
        public = {"$in": ["", None]}
        if collection(Model).find_one({"company": public, "uri": {"$regex": regex}}, {"_id": 1}):
            return True
        query = {"company": public, "execution.artifacts.uri": {"$regex": regex}}
        return collection(Task).find_one(query, {"_id": 1}) is not None

    return lookup
