"""The file server over loopback: uploads as the SDKs send them, downloads with
ranges and validators, deletes, path safety, limits and authentication."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from support.client import ApiClient
from support.files import Part, file_url, free_port, post_raw, upload
from support.server import ServerProcess, write_config


@dataclass
class Files:
    url: str
    token: str
    root: Path
    proc: ServerProcess

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **headers: str) -> requests.Response:
        return requests.get(file_url(self.url, path), headers={**self.auth(), **headers}, timeout=30)

    def put(self, path: str, content: bytes, **kw: str) -> list[str]:
        reply = upload(self.url, [Part(path, content, **kw)], self.token)  # type: ignore[arg-type]
        assert reply.status == 200, reply.body
        return reply.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    data = tmp_path_factory.mktemp("fileserver") / "data"
    with ServerProcess(data, files_port=free_port()) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        assert api.token
        yield Files(proc.files_url, api.token, data / "files", proc)


def _unique(prefix: str = "t") -> str:
    return f"{prefix}{os.urandom(4).hex()}"


# --- health, round trips ---------------------------------------------------------------


def test_health_needs_no_token_but_refuses_a_bad_one(files: Files) -> None:
    resp = requests.get(files.url + "/", timeout=10)
    assert (resp.status_code, resp.text) == (200, "OK")
    assert resp.headers["Server"] == "clearml"
    assert requests.get(files.url + "/", headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    assert requests.get(files.url + "/", headers=files.auth(), timeout=10).status_code == 200


def test_clearml_style_text_upload_round_trip(files: Files) -> None:
    task = _unique()
    field = f"/proj/exp.{task}/artifacts/a/a.json"
    content = b'{"x": 1}\n'
    reply = upload(files.url, [Part(field, content, content_type="application/json")], files.token)
    assert reply.status == 200
    assert reply.json() == [field.lstrip("/")]
    assert (files.root / field.lstrip("/")).read_bytes() == content
    resp = files.get(field)
    assert resp.status_code == 200
    assert resp.content == content
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Content-Length"] == str(len(content))
    assert resp.headers["ETag"].startswith('"')
    assert resp.headers["Last-Modified"].endswith("GMT")
    assert resp.headers["Accept-Ranges"] == "bytes"


def test_trains_style_upload_stores_at_field_name_not_filename(files: Files) -> None:
    field = f"p/t.{_unique()}/artifacts/a/a.json"
    reply = upload(files.url, [Part(field, b"[1]", filename="a.dk9zcmjm.json", content_type="text/plain")], files.token)
    assert reply.json() == [field]
    assert files.get(field).content == b"[1]"
    assert not list(files.root.rglob("a.dk9zcmjm.json"))


def test_binary_round_trip_with_boundary_like_bytes(files: Files) -> None:
    base = f"bin/{_unique()}"
    content = os.urandom(3 << 20) + b"\r\n--\r\n\r\n" + bytes(range(256)) * 64
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    files.put(f"{base}/blob.bin", content)
    files.put(f"{base}/img.png", png, content_type="image/png")
    resp = files.get(f"{base}/blob.bin")
    assert hashlib.sha256(resp.content).digest() == hashlib.sha256(content).digest()
    assert resp.headers["Content-Type"] == "application/octet-stream"
    resp = files.get(f"{base}/img.png")
    assert resp.content == png
    assert resp.headers["Content-Type"] == "image/png"


def test_empty_file_and_compressed_file_types(files: Files) -> None:
    base = f"misc/{_unique()}"
    files.put(f"{base}/empty.txt", b"")
    resp = files.get(f"{base}/empty.txt")
    assert (resp.status_code, resp.content, resp.headers["Content-Length"]) == (200, b"", "0")
    files.put(f"{base}/table.csv.gz", b"\x1f\x8b gz")
    assert files.get(f"{base}/table.csv.gz").headers["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    "name",
    [
        "t clone.abc/artifacts/my file (1).txt",
        "ünïcödé/日本語 ファイル/ñ.txt",
        "odd/50% off+more #1 ?.txt",
        'odd/it\'s a "quote".txt',
        "odd/semi;colon=eq,comma&amp.txt",
    ],
)
def test_quoted_names_with_spaces_and_unicode(files: Files, name: str) -> None:
    path = f"{_unique('n')}/{name}"
    content = name.encode() * 3
    assert files.put("/" + path, content) == [path]
    assert (files.root / path).read_bytes() == content
    assert files.get(path).content == content


def test_upload_replaces_and_changes_etag(files: Files) -> None:
    path = f"re/{_unique()}.txt"
    files.put(path, b"first version")
    etag = files.get(path).headers["ETag"]
    files.put(path, b"second")
    resp = files.get(path)
    assert resp.content == b"second"
    assert resp.headers["ETag"] != etag


def test_several_parts_in_one_request_and_plain_fields_ignored(files: Files) -> None:
    base = _unique("multi")
    boundary = "xYz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="comment"\r\n\r\nhello\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="{base}/a.txt"; filename="a"\r\n\r\nAAA\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="{base}/b.txt"; filename="b"\r\n\r\nBB\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    resp = post_raw(files.url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, files.token)
    assert resp.status_code == 200
    assert resp.json() == [f"{base}/a.txt", f"{base}/b.txt"]
    assert files.get(f"{base}/a.txt").content == b"AAA"
    assert files.get(f"{base}/b.txt").content == b"BB"
    assert not (files.root / "comment").exists()


def test_rfc2231_field_name(files: Files) -> None:
    base = _unique("r")
    body = (
        "--b\r\nContent-Disposition: form-data; name*=utf-8''" + base + '%2F%C3%BC.txt; filename="x"\r\n\r\n'
        "data\r\n--b--\r\n"
    ).encode()
    resp = post_raw(files.url, body, {"Content-Type": "multipart/form-data; boundary=b"}, files.token)
    assert resp.json() == [f"{base}/ü.txt"]
    assert files.get(f"{base}/ü.txt").content == b"data"


# --- download features -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(files: Files) -> tuple[str, bytes]:
    path = f"range/{_unique()}/data.bin"
    content = bytes(range(256)) * 40
    files.put(path, content)
    return path, content


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, 10239), ("bytes=-5", 10235, 10239), ("bytes=10230-99999", 10230, 10239)],
)
def test_range_requests(files: Files, sample: tuple[str, bytes], header: str, first: int, last: int) -> None:
    path, content = sample
    resp = files.get(path, Range=header)
    assert resp.status_code == 206
    assert resp.content == content[first : last + 1]
    assert resp.headers["Content-Range"] == f"bytes {first}-{last}/{len(content)}"
    assert resp.headers["Content-Length"] == str(last - first + 1)


def test_unsatisfiable_and_ignored_ranges(files: Files, sample: tuple[str, bytes]) -> None:
    path, content = sample
    resp = files.get(path, Range=f"bytes={len(content)}-")
    assert resp.status_code == 416
    assert resp.headers["Content-Range"] == f"bytes */{len(content)}"
    assert files.get(path, Range="bytes=-0").status_code == 416
    for ignored in ("bytes=0-1,5-6", "items=0-1", "bytes=9-2", "bytes=x-y"):
        resp = files.get(path, Range=ignored)
        assert (resp.status_code, resp.content) == (200, content), ignored
    stale = files.get(path, Range="bytes=0-1", **{"If-Range": '"stale"'})
    assert stale.status_code == 200
    etag = files.get(path).headers["ETag"]
    assert files.get(path, Range="bytes=0-1", **{"If-Range": etag}).status_code == 206


def test_head_matches_get_without_body(files: Files, sample: tuple[str, bytes]) -> None:
    path, content = sample
    head = requests.head(file_url(files.url, path), headers=files.auth(), timeout=10)
    get = files.get(path)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("Content-Length", "Content-Type", "ETag", "Last-Modified"):
        assert head.headers[name] == get.headers[name]
    assert head.headers["Content-Length"] == str(len(content))
    ranged = requests.head(file_url(files.url, path), headers={**files.auth(), "Range": "bytes=0-9"}, timeout=10)
    assert (ranged.status_code, ranged.headers["Content-Length"]) == (206, "10")
    missing = requests.head(file_url(files.url, path + ".nope"), headers=files.auth(), timeout=10)
    assert missing.status_code == 404


def test_conditional_get(files: Files, sample: tuple[str, bytes]) -> None:
    path, _ = sample
    first = files.get(path)
    assert files.get(path, **{"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert files.get(path, **{"If-None-Match": '"other"'}).status_code == 200
    assert files.get(path, **{"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert files.get(path, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_download_as_attachment_and_caching(files: Files) -> None:
    path = f"dl/{_unique()}/résumé final.txt"
    files.put(path, b"cv")
    resp = requests.get(file_url(files.url, path) + "?download", headers=files.auth(), timeout=10)
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt" in disposition
    assert resp.content == b"cv"
    assert "max-age=300" in resp.headers["Cache-Control"]
    assert "Content-Disposition" not in files.get(path).headers


def test_missing_file_and_folder_are_404(files: Files) -> None:
    folder = f"f/{_unique()}"
    files.put(f"{folder}/x.txt", b"x")
    assert files.get(f"{folder}/nope.txt").status_code == 404
    assert files.get(folder).status_code == 404
    assert files.get(f"{folder}/x.txt/deeper").status_code == 404


# --- delete ------------------------------------------------------------------------------


def test_delete_one_file(files: Files) -> None:
    path = f"del/{_unique()}/one file.txt"
    files.put(path, b"bye")
    resp = requests.delete(file_url(files.url, path), headers=files.auth(), timeout=10)
    assert (resp.status_code, resp.json()) == (200, path)
    assert files.get(path).status_code == 404
    again = requests.delete(file_url(files.url, path), headers=files.auth(), timeout=10)
    assert again.status_code == 404
    folder = requests.delete(file_url(files.url, path.rsplit("/", 1)[0]), headers=files.auth(), timeout=10)
    assert folder.status_code == 404
    assert (files.root / path.rsplit("/", 1)[0]).is_dir()


def test_delete_many(files: Files) -> None:
    base = f"many/{_unique()}"
    for name in ("a.txt", "b c.txt", "dir/x.txt", "dir/sub/y.txt", "keep.txt"):
        files.put(f"{base}/{name}", name.encode())
    request = [
        f"{base}/a.txt",
        f"{base}/b%20c.txt",
        f"{base}/dir",
        f"{base}/missing.txt",
        "/",
        "",
        "../etc",
        "%2e%2e/x",
    ]
    resp = requests.post(f"{files.url}/delete_many", json={"files": request}, headers=files.auth(), timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    assert body["deleted"] == {
        f"{base}/a.txt": f"{base}/a.txt",
        f"{base}/b%20c.txt": f"{base}/b c.txt",
        f"{base}/dir": f"{base}/dir",
    }
    assert body["errors"] == {
        "Not found": [f"{base}/missing.txt"],
        "Empty path not allowed": ["/", ""],
        "Invalid path": ["../etc", "%2e%2e/x"],
    }
    assert not (files.root / base / "dir").exists()
    assert files.get(f"{base}/keep.txt").content == b"keep.txt"


@pytest.mark.parametrize("body", [{}, {"files": []}, {"files": "a.txt"}, {"files": [1]}, [1]])
def test_delete_many_bad_bodies(files: Files, body: object) -> None:
    resp = requests.post(f"{files.url}/delete_many", json=body, headers=files.auth(), timeout=10)
    assert resp.status_code == 400
    assert "files" in resp.json()["description"]


def test_a_file_named_delete_many_is_still_a_file(files: Files) -> None:
    files.put("delete_many", b"just a name")
    assert files.get("delete_many").content == b"just a name"
    assert requests.delete(f"{files.url}/delete_many", headers=files.auth(), timeout=10).status_code == 200


# --- path safety -------------------------------------------------------------------------

TRAVERSAL_URL_PATHS = [
    "/../outside.txt",
    "/a/../../outside.txt",
    "/a/b/../../../outside.txt",
    "/%2e%2e/outside.txt",
    "/%2E%2E/outside.txt",
    "/a/%2e%2e/%2e%2e/outside.txt",
    "/%2e%2e%2foutside.txt",
    "/..%2foutside.txt",
    "/%252e%252e/outside.txt",
    "/%25252e%25252e%25252foutside.txt",
    "/..%5coutside.txt",
    "/a\\..\\..\\outside.txt",
    "/a%00.txt",
    "/a/%00/b",
]


@pytest.mark.parametrize("path", TRAVERSAL_URL_PATHS)
def test_traversal_in_urls_is_refused(files: Files, path: str) -> None:
    url = files.url + path
    for method in ("GET", "HEAD", "DELETE"):
        # requests would resolve the dot segments itself: send the path as is.
        session = requests.Session()
        prepared = requests.Request(method, url, headers=files.auth()).prepare()
        prepared.url = url
        resp = session.send(prepared, timeout=10)
        assert resp.status_code == 400, (method, path, resp.status_code)


def test_absolute_url_paths_stay_under_the_root(files: Files) -> None:
    # the HTTP layer folds leading slashes, so "//etc/passwd" can only name <root>/etc/passwd
    for path in ("//etc/passwd", "/%2Fetc/passwd", "/%2F%2Fetc/passwd"):
        url = files.url + path
        prepared = requests.Request("GET", url, headers=files.auth()).prepare()
        prepared.url = url
        resp = requests.Session().send(prepared, timeout=10)
        assert resp.status_code in (400, 404), path
        assert b"root:" not in resp.content


TRAVERSAL_FIELD_NAMES = [
    "../outside.txt",
    "/../outside.txt",
    "a/../../outside.txt",
    "//etc/outside.txt",
    "%2e%2e/outside.txt",
    "%252e%252e%252foutside.txt",
    "..\\outside.txt",
    "a/\x00/b.txt",
    "",
    "/",
    "./",
]


@pytest.mark.parametrize("name", TRAVERSAL_FIELD_NAMES)
def test_traversal_in_upload_field_names_is_refused(files: Files, name: str) -> None:
    before = set(files.root.parent.iterdir())
    field = name.replace("\x00", "%00") if "\x00" in name else name
    boundary = "bnd"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="f"\r\n\r\n'
        f"evil\r\n--{boundary}--\r\n"
    ).encode()
    if "\x00" in name:
        body = body.replace(b"%00", b"\x00")
    resp = post_raw(files.url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, files.token)
    assert resp.status_code == 400, resp.text
    assert set(files.root.parent.iterdir()) == before
    assert not Path("/etc/outside.txt").exists()


def test_symlinks_leading_outside_are_refused(files: Files, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    base = _unique("ln")
    (files.root / base).mkdir(parents=True)
    (files.root / base / "out").symlink_to(outside)
    (files.root / base / "file").symlink_to(outside / "secret.txt")
    files.put(f"{base}/real/in.txt", b"inside")
    (files.root / base / "inner").symlink_to(files.root / base / "real")
    for path in (f"{base}/out/secret.txt", f"{base}/file"):
        assert files.get(path).status_code == 400
        assert requests.delete(file_url(files.url, path), headers=files.auth(), timeout=10).status_code == 400
    reply = upload(files.url, [Part(f"{base}/out/new.txt", b"x")], files.token)
    assert reply.status == 400
    assert not (outside / "new.txt").exists()
    assert (outside / "secret.txt").read_text() == "secret"
    assert files.get(f"{base}/inner/in.txt").content == b"inside"


def test_parent_that_is_a_file_is_a_conflict(files: Files) -> None:
    path = f"c/{_unique()}.txt"
    files.put(path, b"file")
    reply = upload(files.url, [Part(f"{path}/child.txt", b"x")], files.token)
    assert reply.status == 409
    folder = f"c/{_unique()}"
    files.put(f"{folder}/x.txt", b"x")
    assert upload(files.url, [Part(folder, b"x")], files.token).status == 409


# --- malformed uploads -------------------------------------------------------------------


def test_bad_uploads(files: Files) -> None:
    resp = post_raw(files.url, b"{}", {"Content-Type": "application/json"}, files.token)
    assert resp.status_code == 415
    resp = post_raw(
        files.url,
        b"x",
        {"Content-Type": "multipart/form-data; boundary=b", "Content-Encoding": "gzip"},
        files.token,
    )
    assert resp.status_code == 415
    base = _unique("broken")
    body = (
        f'--b\r\nContent-Disposition: form-data; name="{base}/ok.txt"; filename="f"\r\n\r\nfine\r\n'
        f'--b\r\nContent-Disposition: form-data; name="{base}/cut.txt"; filename="f"\r\n\r\nno end'
    ).encode()
    resp = post_raw(files.url, body, {"Content-Type": "multipart/form-data; boundary=b"}, files.token)
    assert resp.status_code == 400
    # nothing of a broken request is kept, not even its complete first part
    assert not (files.root / base).exists() or not any((files.root / base).iterdir())
    resp = post_raw(
        files.url,
        b'--b\r\nContent-Disposition: form-data; filename="f"\r\n\r\nx\r\n--b--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b"},
        files.token,
    )
    assert resp.status_code == 400
    assert "field name" in resp.json()["description"]


# --- authentication ----------------------------------------------------------------------


def test_authentication_is_required(files: Files) -> None:
    path = f"auth/{_unique()}.txt"
    files.put(path, b"private")
    url = file_url(files.url, path)
    wrong_secret = jwt.encode({"identity": {"user": "u", "company": "c", "role": "root"}}, "x" * 32, "HS256")
    for headers in (
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Bearer {wrong_secret}"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ):
        assert requests.get(url, headers=headers, timeout=10).status_code == 401, headers
        assert requests.delete(url, headers=headers, timeout=10).status_code == 401, headers
        assert upload(files.url, [Part(path, b"overwrite")], headers=headers).status == 401, headers
        resp = requests.post(f"{files.url}/delete_many", json={"files": [path]}, headers=headers, timeout=10)
        assert resp.status_code == 401
    unauthorized = requests.get(url, timeout=10)
    assert unauthorized.headers["WWW-Authenticate"] == "Bearer"
    assert files.get(path).content == b"private"


def test_session_cookie_and_expired_token(files: Files) -> None:
    path = f"auth/{_unique()}.txt"
    files.put(path, b"cookie")
    url = file_url(files.url, path)
    assert requests.get(url, cookies={"clearml_token_basic": files.token}, timeout=10).content == b"cookie"
    assert requests.get(url, cookies={"trains_token_basic": files.token}, timeout=10).status_code == 200
    assert requests.get(url, cookies={"clearml_token_basic": "bad"}, timeout=10).status_code == 401
    key, secret = files.proc.admin_credentials()
    short = ApiClient(files.proc.url, key=key, secret=secret).login(expiration_sec=1).token
    assert requests.get(url, headers={"Authorization": f"Bearer {short}"}, timeout=10).status_code == 200
    time.sleep(2.1)
    resp = requests.get(url, headers={"Authorization": f"Bearer {short}"}, timeout=10)
    assert resp.status_code == 401
    assert "expired" in resp.json()["description"]


# --- concurrency, CORS -------------------------------------------------------------------


def test_concurrent_uploads_to_one_path_leave_one_complete_file(files: Files) -> None:
    path = f"race/{_unique()}/model.bin"
    size = 2 << 20
    contents = [bytes([i]) * size for i in range(8)]
    results: list[int] = []
    start = threading.Barrier(len(contents))

    def send(content: bytes) -> None:
        start.wait()
        results.append(upload(files.url, [Part(path, content)], files.token).status)

    threads = [threading.Thread(target=send, args=(c,)) for c in contents]
    for thread in threads:
        thread.start()
        # readers meanwhile only ever see a complete version
    seen = []
    while any(t.is_alive() for t in threads):
        resp = files.get(path)
        if resp.status_code == 200:
            seen.append(resp.content)
    for thread in threads:
        thread.join(60)
    assert results == [200] * len(contents)
    final = (files.root / path).read_bytes()
    assert final in contents
    assert all(body in contents for body in seen)
    assert [p.name for p in (files.root / path).parent.iterdir()] == ["model.bin"]


def test_cors(files: Files) -> None:
    preflight = requests.options(
        file_url(files.url, "any/file.txt"),
        headers={
            "Origin": "http://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "http://app.example")
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    path = f"cors/{_unique()}.txt"
    files.put(path, b"c")
    resp = files.get(path, Origin="http://app.example")
    assert resp.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]


# --- the HTTP layer: chunked bodies, 100-continue, keep-alive --------------------------------


def _multipart(name: str, content: bytes, boundary: str = "bnd") -> tuple[bytes, dict[str, str]]:
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="f"\r\n\r\n'.encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _connect(files: Files) -> socket.socket:
    url = urlsplit(files.url)
    return socket.create_connection((url.hostname, url.port), timeout=10)


def _post_head(files: Files, content_type: str, *lines: str, token: bool = True) -> bytes:
    """The head of a raw ``POST /`` with extra header lines."""
    head = ["POST / HTTP/1.1", "Host: x", f"Content-Type: {content_type}", *lines]
    if token:
        head.append(f"Authorization: Bearer {files.token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _read_reply(sock: socket.socket) -> tuple[bytes, bytes]:
    """Status line + headers, and a body of the announced Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, data
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head, rest


def test_chunked_upload_round_trip(files: Files) -> None:
    path = f"chunked/{_unique()}.bin"
    content = os.urandom(3 * (1 << 20) + 5) + b"\r\n--bn\r\n"
    body, headers = _multipart(path, content)

    def pieces() -> Iterator[bytes]:  # requests sends a generator chunked
        for start in range(0, len(body), 100_003):
            yield body[start : start + 100_003]

    resp = requests.post(files.url + "/", data=pieces(), headers={**headers, **files.auth()}, timeout=60)
    assert resp.status_code == 200, resp.text
    assert resp.json() == [path]
    assert files.get(path).content == content


def test_expect_100_continue(files: Files) -> None:
    path = f"expect/{_unique()}.txt"
    body, headers = _multipart(path, b"after continue")
    with _connect(files) as sock:
        sock.sendall(_post_head(files, headers["Content-Type"], "Expect: 100-continue", f"Content-Length: {len(body)}"))
        assert sock.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        head, reply = _read_reply(sock)
        assert head.startswith(b"HTTP/1.1 200 "), head
        # refused before the body is read: no 100 Continue, and the body is never sent
        lines = ("Expect: 100-continue", f"Content-Length: {len(body)}")
        sock.sendall(_post_head(files, headers["Content-Type"], *lines, token=False))
        head, _ = _read_reply(sock)
        assert head.startswith(b"HTTP/1.1 401 "), head
    assert files.get(path).content == b"after continue"


def test_keep_alive_serves_several_requests_on_one_connection(files: Files) -> None:
    path = f"keep/{_unique()}.txt"
    body, headers = _multipart(path, b"kept")
    with _connect(files) as sock:
        for _ in range(2):
            sock.sendall(_post_head(files, headers["Content-Type"], f"Content-Length: {len(body)}") + body)
            head, reply = _read_reply(sock)
            assert head.startswith(b"HTTP/1.1 200 ") and reply == f'["{path}"]'.encode(), (head, reply)
        for status in (b"200", b"206"):
            extra = b"Range: bytes=1-2\r\n" if status == b"206" else b""
            sock.sendall(
                f"GET /{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {files.token}\r\n".encode() + extra + b"\r\n"
            )
            head, reply = _read_reply(sock)
            assert head.startswith(b"HTTP/1.1 " + status) and b"\r\nServer: clearml" in head, head
            assert reply == (b"kept" if status == b"200" else b"ep")


def test_refused_large_upload_still_gets_its_answer(files: Files) -> None:
    # 401 before the body is read: the server drops the body the client keeps sending
    # instead of resetting the connection under it, so the client reads the answer.
    path = f"refused/{_unique()}.bin"
    reply = upload(files.url, [Part(path, b"r" * (8 << 20))], token=None)
    assert reply.status == 401
    assert not (files.root / path).exists()


def test_malformed_chunked_body_is_400_and_stores_nothing(files: Files) -> None:
    path = f"badchunk/{_unique()}.txt"
    body, headers = _multipart(path, b"x" * 100)
    with _connect(files) as sock:
        sock.sendall(
            _post_head(files, headers["Content-Type"], "Transfer-Encoding: chunked")
            + f"{len(body) // 2:x}\r\n".encode()
            + body[: len(body) // 2]
            + b"\r\nzz\r\n"
        )
        head, reply = _read_reply(sock)
        assert head.startswith(b"HTTP/1.1 400 "), head
        assert b"chunk" in reply
    assert not (files.root / path).exists()


# --- a second server: size limit, authentication off, restricted CORS ----------------------


@pytest.fixture(scope="module")
def open_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    base = tmp_path_factory.mktemp("fileserver-open")
    config = write_config(
        base / "config",
        {
            "fileserver.conf": """
                upload.max_upload_size_mb: 1
                auth.enabled: false
                delete.allow_batch: false
                cors { origins: ["http://allowed.example"], supports_credentials: false }
            """,
        },
    )
    root = base / "store"
    env = {"CLEARML_UPLOAD_FOLDER": str(root)}
    with ServerProcess(base / "data", config_dir=config, env=env, files_port=free_port()) as proc:
        yield Files(proc.files_url, "", root, proc)


def test_upload_size_limit(open_files: Files) -> None:
    ok = upload(open_files.url, [Part("small.bin", b"s" * (1 << 19))])
    assert ok.status == 200
    # The limit is checked on the announced length, before any of the body is read.
    host, port = urlsplit(open_files.url).hostname, urlsplit(open_files.url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {(1 << 20) + 1}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    # A client that sends the whole body gets 413 too, or sees the connection closed
    # while it is still sending; either way nothing is stored.
    path = f"big/{_unique()}.bin"
    try:
        assert upload(open_files.url, [Part(path, b"b" * ((1 << 20) + 1))]).status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert not (open_files.root / "big").exists()
    # A chunked body announces no length: it is refused when it grows past the limit.
    body, headers = _multipart(path, b"c" * ((1 << 20) + 1))
    chunked = requests.post(open_files.url + "/", data=iter([body[:1000], body[1000:]]), headers=headers, timeout=30)
    assert chunked.status_code == 413
    assert "larger than" in chunked.json()["description"]
    # (its folder may have been made before the limit was reached, as for any broken upload)
    assert not [p for p in (open_files.root / "big").rglob("*") if p.is_file()]
    # 100-continue with too large a length: 413 at once, no 100 Continue
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {(1 << 20) + 1}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")


def test_authentication_off_and_other_config(open_files: Files) -> None:
    path = f"open/{_unique()}.txt"
    assert upload(open_files.url, [Part(path, b"open")]).status == 200
    assert (open_files.root / path).read_bytes() == b"open"
    assert requests.get(file_url(open_files.url, path), timeout=10).content == b"open"
    resp = requests.post(f"{open_files.url}/delete_many", json={"files": [path]}, timeout=10)
    assert resp.status_code == 405
    denied = requests.get(file_url(open_files.url, path), headers={"Origin": "http://other.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in denied.headers
    allowed = requests.get(file_url(open_files.url, path), headers={"Origin": "http://allowed.example"}, timeout=10)
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://allowed.example"
    assert requests.delete(file_url(open_files.url, path), timeout=10).status_code == 200
