"""The falcon application of the file server.

Routes (the reference file server's, see docs/fileserver.md):

- ``GET /``: health check (``OK``);
- ``POST /``: multipart upload, each file part stored at its field name;
- ``GET|HEAD /<path>``: a stored file (ranges, validators, ``?download``);
- ``DELETE /<path>``: delete a file;
- ``POST /delete_many {files: [...]}``: delete files and folders in one call.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus

import falcon

from ..bll.auth import Identity
from .auth import FileAuth
from .download import DownloadOptions, serve_file
from .gateway import BodyError, BodyTooLarge
from .multipart import MultipartError, MultipartReader, Part
from .paths import EmptyPath, clean_path
from .storage import Conflict, InvalidPath, NotFound, PendingFile, Storage, StorageError
from .tenancy import Tenancy

log = logging.getLogger("stationmaster.fileserver")

_RFC2231 = re.compile(r"^([^']*)'[^']*'(.+)$")
_EXPOSED_HEADERS = ["Content-Length", "Content-Range", "Content-Disposition", "ETag", "Last-Modified", "Accept-Ranges"]


@dataclass(frozen=True)
class FileServerOptions:
    download: DownloadOptions = field(default_factory=DownloadOptions)
    # Largest accepted request body in bytes; None: no limit.
    max_upload_bytes: int | None = None
    allow_batch_delete: bool = True
    cors_origins: str | list[str] = "*"
    cors_credentials: bool = True
    max_parts: int = 1000


def create_file_app(
    options: FileServerOptions, storage: Storage, auth: FileAuth, tenancy: Tenancy | None = None
) -> falcon.App:
    """The WSGI application serving ``storage``; ``tenancy`` maps each caller's paths
    into its company's namespace (fileserver/tenancy.py)."""
    tenancy = tenancy or Tenancy(default_company=None)
    cors: falcon.CORSMiddleware = falcon.CORSMiddleware(
        allow_origins=options.cors_origins,
        allow_credentials="*" if options.cors_credentials else None,
        expose_headers=_EXPOSED_HEADERS,
    )
    app = falcon.App(middleware=[cors])
    app.req_options.keep_blank_qs_values = True
    app.add_error_handler(StorageError, _storage_error)
    app.add_error_handler(BodyError, _body_error)
    app.add_error_handler(MultipartError, _multipart_error)
    files = FilesResource(options, storage, auth, tenancy)
    app.add_route("/", RootResource(options, storage, auth, tenancy))
    if options.allow_batch_delete:
        app.add_route("/delete_many", DeleteManyResource(files, storage, auth, tenancy))
    app.add_sink(files, prefix="/")
    return app


def _storage_error(req: falcon.Request, resp: falcon.Response, ex: StorageError, params: dict[str, Any]) -> None:
    if isinstance(ex, NotFound):
        raise falcon.HTTPNotFound(title="Not Found", description=str(ex))
    if isinstance(ex, Conflict):
        raise falcon.HTTPConflict(title="Conflict", description=str(ex))
    raise falcon.HTTPBadRequest(title="Invalid path", description=str(ex))


def _body_error(req: falcon.Request, resp: falcon.Response, ex: BodyError, params: dict[str, Any]) -> None:
    """A request body the gateway could not read to its end: too large or malformed."""
    if isinstance(ex, BodyTooLarge):
        raise falcon.HTTPContentTooLarge(description=str(ex))
    raise falcon.HTTPBadRequest(description=str(ex))


def _multipart_error(req: falcon.Request, resp: falcon.Response, ex: MultipartError, params: dict[str, Any]) -> None:
    raise falcon.HTTPBadRequest(title="Malformed multipart/form-data request media", description=str(ex))


def _refuse_encoded_body(req: falcon.Request) -> None:
    if req.get_header("Content-Encoding"):
        raise falcon.HTTPUnsupportedMediaType(
            description=f"content encoding is not supported ({req.get_header('Content-Encoding')})"
        )


class RootResource:
    """``GET /`` (health) and ``POST /`` (upload)."""

    def __init__(self, options: FileServerOptions, storage: Storage, auth: FileAuth, tenancy: Tenancy) -> None:
        self._options = options
        self._storage = storage
        self._auth = auth
        self._tenancy = tenancy

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # A token is optional here, but one that is sent must be valid (as in the
        # reference), so clients can check their token against the file server.
        self._auth.check(req, required=False)
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "OK"

    on_head = on_get

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _refuse_encoded_body(req)
        identity = self._auth.check(req)
        limit = self._options.max_upload_bytes
        if limit is not None and (req.content_length or 0) > limit:
            raise falcon.HTTPContentTooLarge(description=f"the upload limit is {limit} bytes")
        if not (req.content_type or "").lower().startswith("multipart/form-data"):
            raise falcon.HTTPUnsupportedMediaType(description="uploads must be multipart/form-data")
        stored = self._store_parts(req, identity)
        log.info("stored %d file(s)", len(stored))
        resp.media = stored

    def _store_parts(self, req: falcon.Request, identity: Identity | None) -> list[str]:
        """Write every file part to a pending file; only when the whole body has been
        read are they committed, so a broken request leaves nothing behind."""
        pending: list[tuple[str, PendingFile]] = []
        # The reader reads the server's input directly: it ends with the body
        # (Content-Length, or the end of a chunked body).
        reader = MultipartReader(req.stream, req.content_type or "", max_parts=self._options.max_parts)
        try:
            for part in reader:
                name = _file_field_name(part)
                if name is None:
                    continue  # a plain form field, not a file
                path = clean_path(name)
                target = self._storage.create(self._tenancy.path(identity, path))
                pending.append((path, target))
                # views of the reader's buffer go straight to the file
                part.pipe(target.write)
            for _, target in pending:
                target.commit()
        finally:
            for _, target in pending:
                target.discard()
        return [path for path, _ in pending]


def _file_field_name(part: Part) -> str | None:
    """The field name (the target path) of a file part; None for other fields."""
    if part.filename is None:
        return None
    name = part.name
    if not name:
        # RFC 2231 spelling (name*=utf-8''...) of older multipart encoders.
        match = _RFC2231.match(part.params.get("name*", ""))
        try:
            name = unquote(match[2], encoding=match[1] or "utf-8", errors="strict") if match else None
        except (LookupError, UnicodeDecodeError):
            name = None
    if not name:
        raise falcon.HTTPBadRequest(description="a file part has no field name (the target path)")
    # Browsers and urllib3 (so the SDKs) write a double quote in a name as %22.
    return name.replace("%22", '"')


class FilesResource:
    """Every other path: ``GET``/``HEAD``/``DELETE`` of a stored file."""

    def __init__(self, options: FileServerOptions, storage: Storage, auth: FileAuth, tenancy: Tenancy) -> None:
        self._options = options
        self._storage = storage
        self._auth = auth
        self._tenancy = tenancy

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: Any) -> None:
        if req.method == "OPTIONS":
            resp.set_header("Allow", "GET, HEAD, DELETE, OPTIONS")
            return
        if req.method in ("GET", "HEAD"):
            identity = self._auth.check(req)
            path = self._tenancy.readable(self._storage, identity, clean_path(req.path))
            serve_file(req, resp, self._storage, path, self._options.download)
        elif req.method == "DELETE":
            identity = self._auth.check(req)
            path = clean_path(req.path)
            self._storage.delete(self._tenancy.path(identity, path))
            log.info("deleted %s", path)
            resp.media = path
        else:
            raise falcon.HTTPMethodNotAllowed(["GET", "HEAD", "DELETE", "OPTIONS"])


class DeleteManyResource:
    """``POST /delete_many``; other methods treat ``delete_many`` as a file name."""

    def __init__(self, files: FilesResource, storage: Storage, auth: FileAuth, tenancy: Tenancy) -> None:
        self._files = files
        self._storage = storage
        self._auth = auth
        self._tenancy = tenancy

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._files(req, resp)

    on_head = on_delete = on_get

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _refuse_encoded_body(req)
        identity = self._auth.check(req)
        files = _files_field(req)
        deleted: dict[str, str] = {}
        errors: dict[str, list[str]] = defaultdict(list)
        for item in files:
            try:
                path = clean_path(unquote_plus(item))
                self._storage.delete(self._tenancy.path(identity, path), folders=True)
            except EmptyPath:
                errors["Empty path not allowed"].append(item)
            except InvalidPath:
                errors["Invalid path"].append(item)
            except NotFound:
                errors["Not found"].append(item)
            except OSError as ex:
                errors[ex.strerror or "Cannot delete"].append(item)
            else:
                deleted[item] = path
        if errors:
            log.warning("delete_many: %s", {msg: len(items) for msg, items in errors.items()})
        log.info("delete_many: deleted %d file(s)/folder(s)", len(deleted))
        resp.media = {"deleted": deleted, "errors": dict(errors)}


def _files_field(req: falcon.Request) -> list[str]:
    try:
        # The server's input ends with the body (Content-Length or chunked).
        body = json.loads(req.stream.read(1 << 24) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise falcon.HTTPBadRequest(description='the body must be JSON: {"files": [...]}') from None
    files = body.get("files") if isinstance(body, dict) else None
    if not files:
        raise falcon.HTTPBadRequest(description="files: a non-empty list of paths is required")
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise falcon.HTTPBadRequest(description="files: must be a list of strings")
    return files
