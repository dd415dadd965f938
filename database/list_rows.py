"""A list field of the embedded store's documents kept one item a row (issue 24).

A queue's ``entries`` is the one list that changes on the hot path: every
``queues.get_next_task`` removes its head, every enqueue appends. Stored inside the queue's
document, each change re-encoded and rewrote the whole document (a queue of 1,000 entries:
a 68 KB BSON encode, ~0.4 ms, and a 68 KB write). With this layout the collection file of
such a collection holds, beside litemongo's ``documents`` table, a table ``list_items``
(document key, sequence number, one encoded item a row); the document's own row keeps an
empty list in the field's place. Readers see the whole document as before: the store
assembles it when it decodes the row, and keeps it in its cache.

A write compares the new list with the rows it knows (``_Shadow``: their sequence numbers
and the decoded items, the same objects the cache hands out, which no reader changes):

- the same items without the first k (a pop): the k first rows are deleted;
- the same items and more at the end (an append): the new items are inserted after them;
- anything else (an insert at a position, a pull, a list written by mongomock's generic
  update path, whose items are copies): every row of the document is written again.

Items are compared by identity, never by equality (1, 1.0 and True are equal and are
stored differently). A document row that still holds a non-empty list (written before
this layout) is read as it is and converted by its next write. The row and its items are
written in one SQLite transaction. Older releases of Stationmaster do not read this layout
(a queue would look empty to them): the data directory is not downgradable.

``split_documents`` makes the class from the cached documents table of
``database/embedded.py`` (the module that owns litemongo's internals); it uses only the
table's connection, cursor and encoding.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

#: Collection name → the list field its documents keep in rows.
SPLIT_FIELDS = {"queue": "entries"}
TABLE = "list_items"


@dataclass
class _Shadow:
    """What the rows of one document hold: sequence numbers and decoded items, in order."""

    seqs: list[int]
    items: list[Any]


class _Rows:
    """The ``list_items`` rows of one collection file, and what is known of them
    (``_Shadow`` per document key). Used under the store's lock."""

    def __init__(self, cursor: Any, encode: Any, decode: Any) -> None:
        self._cur = cursor
        self._encode, self._decode = encode, decode
        self.shadows: dict[str, _Shadow] = {}

    def read(self, key: str, share: bool) -> list[Any]:
        """The items of the document ``key``, in order; ``share``: the caller hands them
        out unchanged (the cache), so the next write may compare with them."""
        rows = self._cur.execute(f"SELECT seq, item FROM {TABLE} WHERE doc_id=? ORDER BY seq", (key,)).fetchall()
        items = [self._item(encoded) for _, encoded in rows]
        if share:
            self.shadows[key] = _Shadow([seq for seq, _ in rows], list(items))
        return items

    def write(self, key: str, items: list[Any]) -> None:
        """Make the rows of ``key`` hold ``items`` (in the caller's transaction)."""
        shadow = self.shadows.get(key)
        if shadow is not None:
            old = shadow.items
            cut = len(old) - len(items)
            if cut >= 0 and all(map(operator.is_, items, old[cut:])):  # the head removed, or nothing
                if cut:
                    self._cur.execute(f"DELETE FROM {TABLE} WHERE doc_id=? AND seq<=?", (key, shadow.seqs[cut - 1]))
                self.shadows[key] = _Shadow(shadow.seqs[cut:], old[cut:])
                return
            if cut < 0 and all(map(operator.is_, items, old)):  # appended
                start = shadow.seqs[-1] + 1 if shadow.seqs else 0
                added = self._insert(key, start, items[len(old) :])
                self.shadows[key] = _Shadow(shadow.seqs + list(range(start, start + len(added))), old + added)
                return
        self.delete(key)
        self.shadows[key] = _Shadow(list(range(len(items))), self._insert(key, 0, items))

    def delete(self, key: str) -> None:
        self.shadows.pop(key, None)
        self._cur.execute(f"DELETE FROM {TABLE} WHERE doc_id=?", (key,))

    def adopt(self, key: str, items: Any) -> None:
        """``items`` equal the rows' (the cache keeps them): compare the next write with them."""
        shadow = self.shadows.get(key)
        if shadow is not None and isinstance(items, list) and len(items) == len(shadow.seqs):
            shadow.items = list(items)

    def _insert(self, key: str, start: int, items: list[Any]) -> list[Any]:
        """Insert ``items`` from sequence number ``start``; them as the rows give them back."""
        encoded = [self._encode({"v": item}) for item in items]
        self._cur.executemany(
            f"INSERT INTO {TABLE} VALUES(?, ?, ?)", [(key, start + i, e) for i, e in enumerate(encoded)]
        )
        return [self._item(e) for e in encoded]

    def _item(self, encoded: bytes) -> Any:
        return self._decode(encoded)["v"]


def _set_document(self: Any, key: Any, val: Any) -> None:
    """Store the document ``val`` under ``key``: its row and its list items, in one transaction."""
    if isinstance(val, bytes | str):
        val = self._decode_doc(val)
    self._check_version()
    encoded_key = self.encode_key(key)
    self._cache.pop(encoded_key, None)
    items = val.get(self.field)
    try:
        with self._connection:
            if isinstance(items, list):
                self._rows.write(encoded_key, items)
                val = {**val, self.field: []}
            else:
                self._rows.delete(encoded_key)
            self._cur.execute(
                f"INSERT INTO {self._table_name} VALUES(?, ?) "
                f"ON CONFLICT({self.ID}) DO UPDATE SET {self.DOC}=excluded.{self.DOC}",
                (encoded_key, self._encode_doc(val)),
            )
    except BaseException:
        self._rows.shadows.pop(encoded_key, None)  # rolled back: what the rows hold is unknown
        raise
    finally:
        self._cache.pop(encoded_key, None)


def split_documents(base: Any) -> Any:
    """A subclass of the cached documents table ``base`` (``database/embedded.py``'s) that
    keeps one list field in rows; its objects are made by swapping the class of ``base``'s
    (a subclass keeps their layout, which a mixin would not)."""

    class SplitDocuments(base):
        """``base`` with the list field ``field`` of each document in ``list_items`` rows."""

        field: str
        _rows: _Rows

        def start_split(self, field: str) -> None:
            self.field = field
            self._rows = _Rows(self._cur, self._encode_doc, self._decode_doc)
            if not has_rows_table(self._connection):  # no write otherwise: a read-only copy opens
                with self._connection:
                    create_table(self._connection)

        def clear_cache(self) -> None:
            super().clear_cache()
            self._rows.shadows.clear()

        def _decoded(self, key: str, encoded: bytes) -> dict[str, Any]:
            """The whole document of a row: its list items read from their rows."""
            doc: dict[str, Any] = self._decode_doc(encoded)
            value = doc.get(self.field)
            if isinstance(value, list) and not value:
                # during an update the document read is changed in place: share nothing
                doc[self.field] = self._rows.read(key, share=not self.bypass)
            elif not self.bypass:  # no list, or one stored in the row itself (before this layout)
                self._rows.shadows.pop(key, None)
            return doc

        def keep(self, key: Any, doc: dict[str, Any]) -> None:
            super().keep(key, doc)
            if not self.bypass:
                self._rows.adopt(self.encode_key(key), doc.get(self.field))

        __setitem__ = _set_document

        def __delitem__(self, key: Any) -> None:
            encoded_key = self.encode_key(key)
            self._cache.pop(encoded_key, None)
            with self._connection:
                self._rows.delete(encoded_key)
                deleted = self._cur.execute(f"DELETE FROM {self._table_name} WHERE {self.ID}=?", (encoded_key,))
            if deleted.rowcount <= 0:
                raise KeyError(encoded_key)

    return SplitDocuments


def create_table(connection: Any) -> None:
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE}(doc_id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " item BLOB NOT NULL, PRIMARY KEY (doc_id, seq)) WITHOUT ROWID"
    )


def has_rows_table(connection: Any) -> bool:
    found = connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,))
    return found.fetchone() is not None
