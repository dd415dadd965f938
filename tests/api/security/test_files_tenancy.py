"""Hole 4 of issue 13: the file server did not separate companies (any valid token read,
overwrote or deleted any path of another company). Now each company has its own
namespace under the URLs the SDKs build (fileserver/tenancy.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from api.conftest import new_tenant
from support.client import ApiClient
from support.files import Part, file_url, free_port, upload
from support.server import ServerProcess


@dataclass
class FileWorld:
    files_url: str
    root: Path
    admin: ApiClient  # the first-start admin: the default company
    alice: ApiClient
    bob: ApiClient


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileWorld]:
    data = tmp_path_factory.mktemp("files-tenancy") / "data"
    with ServerProcess(data, files_port=free_port()) as proc:
        key, secret = proc.admin_credentials()
        admin = ApiClient(proc.url, key=key, secret=secret).login()
        yield FileWorld(proc.files_url, data / "files", admin, new_tenant(admin), new_tenant(admin))


def _put(world: FileWorld, who: ApiClient, path: str, content: bytes) -> int:
    return upload(world.files_url, [Part(path, content)], who.token).status


def _get(world: FileWorld, who: ApiClient, path: str) -> requests.Response:
    return requests.get(file_url(world.files_url, path), headers=_auth(who), timeout=30)


def _auth(who: ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {who.token}"}


def _sdk_path(kind: str = "artifacts") -> str:
    """The layout the clearml SDK uploads to."""
    return f"/my project/train.{uuid.uuid4().hex}/{kind}/data/data.json"


def test_another_company_cannot_read_overwrite_or_delete(world: FileWorld) -> None:
    """Before: bob read alice's file (200), overwrote it and deleted it."""
    path = _sdk_path()
    assert _put(world, world.alice, path, b"alice's") == 200
    assert _get(world, world.bob, path).status_code == 404
    assert _get(world, world.admin, path).status_code == 404  # the default company is a tenant too
    # bob's write creates bob's own file; alice's is untouched
    assert _put(world, world.bob, path, b"bob's") == 200
    assert _get(world, world.alice, path).content == b"alice's"
    assert _get(world, world.bob, path).content == b"bob's"
    resp = requests.delete(file_url(world.files_url, path), headers=_auth(world.bob), timeout=30)
    assert resp.status_code == 200
    resp = requests.delete(file_url(world.files_url, path), headers=_auth(world.bob), timeout=30)
    assert resp.status_code == 404
    only_alices = _sdk_path()
    assert _put(world, world.alice, only_alices, b"alice's too") == 200
    folder = only_alices.rsplit("/", 3)[0]
    resp = requests.post(
        world.files_url + "/delete_many", json={"files": [folder, only_alices]}, headers=_auth(world.bob), timeout=30
    )
    assert resp.status_code == 200 and resp.json()["deleted"] == {}, resp.text
    assert _get(world, world.alice, path).content == b"alice's"
    assert _get(world, world.alice, only_alices).content == b"alice's too"


def test_single_company_layout_is_unchanged_on_disk(world: FileWorld) -> None:
    """The default company (every single-company install) keeps the storage root."""
    path = _sdk_path("models")
    assert _put(world, world.admin, path, b"weights") == 200
    assert (world.root / path.lstrip("/")).read_bytes() == b"weights"
    assert _get(world, world.admin, path).content == b"weights"


def test_other_companies_live_under_their_own_folder(world: FileWorld) -> None:
    path = _sdk_path()
    assert _put(world, world.alice, path, b"x") == 200
    company = world.alice.company_id  # type: ignore[attr-defined]
    assert (world.root / ".companies" / company / path.lstrip("/")).read_bytes() == b"x"
    assert not (world.root / path.lstrip("/")).exists()


@pytest.mark.parametrize("who", ["admin", "alice"])
def test_the_namespace_folder_is_reserved(world: FileWorld, who: str) -> None:
    client = getattr(world, who)
    company = world.bob.company_id  # type: ignore[attr-defined]
    path = f"/.companies/{company}/x.txt"
    assert _put(world, client, path, b"sneaky") == 400
    assert _get(world, client, path).status_code == 400


def test_a_public_models_file_is_readable_by_every_company(world: FileWorld) -> None:
    path = _sdk_path("models")
    assert _put(world, world.alice, path, b"public weights") == 200
    uri = file_url(world.files_url, path)
    model = world.alice.models.create(name="shared model", uri=uri)["id"]
    assert _get(world, world.bob, path).status_code == 404
    world.alice.models.make_public(ids=[model])
    resp = _get(world, world.bob, path)
    assert resp.status_code == 200 and resp.content == b"public weights"
    # still nobody else's to change
    assert requests.delete(uri, headers=_auth(world.bob), timeout=30).status_code == 404
    assert _get(world, world.bob, path).content == b"public weights"


def test_uploads_answer_the_paths_the_sdk_sent(world: FileWorld) -> None:
    path = _sdk_path("metrics")
    reply = upload(world.files_url, [Part(path, b"img")], world.bob.token)
    assert reply.status == 200 and json.loads(reply.body) == [path.lstrip("/")]
