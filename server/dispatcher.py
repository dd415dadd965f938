"""The one path of a request: resolve, authenticate, authorize, validate, call, answer.

The dispatcher knows nothing of falcon: the HTTP resource hands it a ``RawRequest``
and writes out the ``Response`` it returns. It is the only place where exceptions
become envelopes.
"""

from __future__ import annotations

import logging
import random
import re
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..protocol import envelope, errors
from ..protocol.call import Call, Headers, RawResult
from ..protocol.request_data import (
    check_structure,
    is_json_lines,
    may_hold_surrogates,
    merge_query,
    parse_body,
    parse_json_lines,
)
from ..protocol.versions import Version
from ..schema import VersionBlock
from .endpoints import EndpointRegistry, Resolved
from .limits import RequestLimits

# Call ids name a call in the envelope and the logs; they are not secrets, so a PRNG
# seeded once from the OS serves (uuid4 reads os.urandom: ~7 µs a call, this ~0.5 µs).
_call_ids = random.Random()


def new_call_id() -> str:
    """32 hex digits, as the reference's uuid4().hex."""
    return f"{_call_ids.getrandbits(128):032x}"


if TYPE_CHECKING:
    from .authentication import Authenticator
    from .context import AppContext

log = logging.getLogger("stationmaster.dispatcher")
request_log = logging.getLogger("stationmaster.requests")

#: What the clients send: the SDKs GET with a body (or POST/PUT when configured so:
#: CLEARML_API_DEFAULT_REQ_METHOD / api.http.default_method), agents and the web app POST.
#: OPTIONS (CORS pre-flight) is answered before dispatch; HEAD only where nothing is
#: written or read on someone's behalf (actions without authentication).
METHODS = ("GET", "POST", "PUT")
ALLOWED = (*METHODS, "OPTIONS")
OPTIONS_ALLOW = "GET, POST, PUT, HEAD, OPTIONS"
_PATH = re.compile(r"^/?(?:v(?P<version>[^/]*)/)?(?P<name>[a-zA-Z_]\w+\.[a-zA-Z_]\w+)/?$")
_VERSION = re.compile(r"^\d+\.?\d+$")


@dataclass
class RawRequest:
    method: str
    path: str
    headers: Headers
    query: list[tuple[str, str]]
    body: bytes
    cookies: dict[str, str]
    remote_addr: str | None = None


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str | None] = field(default_factory=dict)


@dataclass
class _Route:
    name: str
    requested: Version | None


class Dispatcher:
    def __init__(
        self,
        registry: EndpointRegistry,
        authenticator: Authenticator,
        ctx: AppContext,
        storage_errors: Callable[[Exception], errors.ApiError | None] = lambda ex: None,
    ) -> None:
        """``storage_errors`` translates what the stores raise for bad data (given by the
        composition root: ``database.errors.as_api_error``); the dispatcher knows no
        storage library."""
        self.registry = registry
        self.storage_errors = storage_errors
        self.authenticator = authenticator
        self.ctx = ctx
        config = ctx.config
        self.max_version = registry.max_version
        self.check_max_version = bool(config.get("apiserver.version.check_max_version"))
        self.strip_prefix = config.get("apiserver.request.strip_prefix") or ""
        self.return_stack = bool(config.get("apiserver.return_stack"))
        self.stack_codes = {tuple(c) for c in config.get("apiserver.return_stack_on_code")}
        self.max_depth = int(config.get("apiserver.request.max_depth"))
        self.limits = RequestLimits.from_config(config)

    def dispatch(self, raw: RawRequest) -> Response:
        started = time.perf_counter()
        call_id = new_call_id()
        trx = raw.headers.first("X-Clearml-Trx", "X-Trains-Trx") or call_id
        route = _Route(name=raw.path, requested=None)
        resolved: Resolved | None = None
        try:
            route = self._route(raw.path)
            method = raw.method.upper()
            if method not in METHODS and method != "HEAD":
                raise _method_not_allowed(method, ALLOWED)
            resolved = self._resolve(route)
            if method == "HEAD" and resolved.schema.authorize:
                raise _method_not_allowed(method, ALLOWED)
            call = self._make_call(raw, route, resolved, call_id, trx)
            result = self._run(call, resolved, raw)
            response = self._success(call, result)
        except Exception as ex:  # every failure must become an envelope
            response = self._failure(ex, call_id, trx, route, resolved)
        if request_log.isEnabledFor(logging.DEBUG):
            request_log.debug(
                "%s %s %d %.1fms [%s]",
                raw.method,
                raw.path,
                response.status,
                (time.perf_counter() - started) * 1000,
                call_id,
            )
        return response

    def error_response(self, error: errors.ApiError, path: str) -> Response:
        """An envelope for a request rejected before dispatch (e.g. body too large)."""
        call_id = new_call_id()
        return self._failure(error, call_id, call_id, _Route(path, None), None)

    # --- steps ---------------------------------------------------------------------------

    def _route(self, path: str) -> _Route:
        if self.strip_prefix and path.startswith(self.strip_prefix):
            path = path[len(self.strip_prefix) :]
        match = _PATH.match(path)
        if not match:
            raise errors.BAD_REQUEST(f"Invalid request path {path}")
        name, text = match.group("name"), match.group("version")
        if text is None:
            return _Route(name, self.max_version)
        if not _VERSION.match(text):
            raise errors.REQUEST_PATH_HAS_INVALID_VERSION(version=text)
        requested = Version.parse(text)
        if self.check_max_version and requested > self.max_version:
            raise errors.REQUEST_PATH_HAS_INVALID_VERSION(f"max. supported version is {self.max_version}", version=text)
        return _Route(name, requested)

    def _resolve(self, route: _Route) -> Resolved:
        assert route.requested is not None
        resolved = self.registry.resolve(route.name, route.requested)
        if resolved is None:
            raise errors.ENDPOINT_NOT_FOUND(
                f"Unable to find endpoint for name {route.name} and version {route.requested}"
            )
        return resolved

    def _make_call(self, raw: RawRequest, route: _Route, resolved: Resolved, call_id: str, trx: str) -> Call:
        assert route.requested is not None
        call = Call(
            id=call_id,
            trx=trx,
            endpoint=route.name,
            requested_version=route.requested,
            actual_version=resolved.version,
            headers=raw.headers,
            ctx=self.ctx,
            remote_addr=raw.remote_addr,
        )
        self._authenticate(call, raw, resolved)
        if is_json_lines(raw.headers.get("Content-Type")):
            call.batch = parse_json_lines(raw.body, self.max_depth)
            return call
        body = parse_body(raw.body, self.max_depth, batch=bool(resolved.schema.block_for(route.requested).batch_of))
        if isinstance(body, list):
            call.batch = body  # a batch action's JSON array
        else:
            call.data = merge_query(body, raw.query)
        return call

    def _authenticate(self, call: Call, raw: RawRequest, resolved: Resolved) -> None:
        schema = resolved.schema
        remote = call.real_ip
        if not schema.authorize:
            try:
                call.identity = self.authenticator.authenticate(raw.headers, raw.cookies, call.endpoint, remote)
            except errors.ApiError:
                call.identity = None
            call.auth_identity = call.identity
            return
        identity = self.authenticator.authenticate(raw.headers, raw.cookies, call.endpoint, remote)
        if identity is None:
            raise errors.NO_CREDENTIALS("unauthorized (missing credentials)")
        self._check_role(schema.allow_roles, identity.role, call.endpoint)
        call.auth_identity = identity
        call.identity = self.authenticator.impersonate(identity, raw.headers)
        if call.identity is not identity:
            self._check_role(schema.allow_roles, call.identity.role, call.endpoint)

    @staticmethod
    def _check_role(allowed: tuple[str, ...], role: str, endpoint: str) -> None:
        if "*" not in allowed and role not in allowed:
            raise errors.ROLE_NOT_ALLOWED(f"role {role} may not call {endpoint}")

    def _run(self, call: Call, resolved: Resolved, raw: RawRequest) -> Any:
        block = resolved.schema.block_for(call.requested_version)
        if block.batch_of:
            items = call.batch if call.batch is not None else [call.data]
            if not items:
                raise errors.BATCH_CONTAINS_NO_ITEMS()
            if _accepts_any_object(block) and all(type(item) is dict for item in items):
                # nothing to check, fill or drop per item (e.g. events.add_batch, which
                # rejects a bad item alone, lone surrogates included)
                request: Any = items
            else:
                text = call.batch is not None and may_hold_surrogates(raw.body)
                request = [self._checked(block, item, f"item #{i}", text) for i, item in enumerate(items)]
        else:
            text = False
            if call.batch is not None:
                if len(call.batch) != 1:
                    raise errors.BAD_REQUEST(f"{call.endpoint} takes one JSON object, not a json-lines batch")
                call.data = call.batch[0]
                call.batch = None
                text = may_hold_surrogates(raw.body)  # a plain body was checked when parsed
            request = self._checked(block, call.data, None, text)
            call.data = request
        company = call.identity.company if call.identity else None
        return resolved.func(call, company, request)

    def _checked(self, block: VersionBlock, data: dict[str, Any], where: str | None, text: bool) -> dict[str, Any]:
        if text:
            check_structure(data, self.max_depth, where=f"{where}: " if where else "")
        request = block.checked(data, where)
        self.limits.check(request, where)
        return request

    # --- answers -------------------------------------------------------------------------

    def _success(self, call: Call, result: Any) -> Response:
        if isinstance(result, RawResult):
            return Response(200, result.body, result.content_type, dict(result.headers), call.cookies)
        if result is not None and not isinstance(result, dict):
            raise TypeError(f"handler of {call.endpoint} returned {type(result).__name__}")
        body = envelope.build(
            call_id=call.id,
            trx=call.trx,
            endpoint=call.endpoint,
            requested=call.requested_version,
            actual=call.actual_version,
            data=result or {},
        )
        try:
            payload = envelope.dumps(body)
        except (TypeError, ValueError) as ex:
            log.exception("cannot serialise the response of %s [%s]", call.endpoint, call.id)
            raise errors.GENERAL_ERROR(f"Error serializing response data: {ex}") from ex
        return Response(200, payload, cookies=call.cookies)

    def _failure(self, ex: Exception, call_id: str, trx: str, route: _Route, resolved: Resolved | None) -> Response:
        error = self._as_api_error(ex, call_id, route.name)
        stack = None
        if error.code >= 500 and self.return_stack and (error.code, error.subcode) in self.stack_codes:
            stack = "".join(traceback.format_exception(ex))
        body = envelope.build(
            call_id=call_id,
            trx=trx,
            endpoint=route.name,
            requested=route.requested,
            actual=resolved.version if resolved else None,
            code=error.code,
            subcode=error.subcode,
            msg=error.msg,
            error_stack=stack,
            error_data=error.data,
        )
        allowed = error.data.get("allowed") if error.code == 405 else None
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return Response(error.code, envelope.dumps(body), headers=headers)

    def _as_api_error(self, ex: Exception, call_id: str, endpoint: str) -> errors.ApiError:
        if isinstance(ex, errors.ApiError):
            return ex
        translated = self.storage_errors(ex)
        if translated is not None:
            return translated
        if isinstance(ex, re.error):
            # a pattern from the request (e.g. a get_all name filter) the store cannot compile
            return errors.INVALID_REGEX_ERROR(f"invalid regular expression {ex.pattern!r}: {ex.msg}")
        log.error("unexpected error in %s [%s]", endpoint, call_id, exc_info=ex)
        return errors.GENERAL_ERROR(f"{type(ex).__name__}: {ex}")


#: Schema keys that do not constrain or shape an object.
_ANNOTATIONS = frozenset({"type", "description", "title", "additionalProperties"})


def _accepts_any_object(block: VersionBlock) -> bool:
    """The request schema is ``{type: object}`` with nothing to validate, default or drop."""
    schema = block.request
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and schema.get("additionalProperties", True) is True
        and _ANNOTATIONS.issuperset(schema)
    )


def _method_not_allowed(method: str, allowed: tuple[str, ...]) -> errors.ApiError:
    return errors.METHOD_NOT_ALLOWED(f"{method} is not accepted", method=method, allowed=list(allowed))
