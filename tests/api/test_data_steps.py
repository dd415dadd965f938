"""The data steps a start runs once (bll/setup.py): data an older Stationmaster stored is
given what the newer layout reads. Each test starts its own server on a data directory,
stops it, changes the stored documents back to the older shape, and starts it again."""

from __future__ import annotations

from pathlib import Path

import requests
from support.server import ServerProcess

from stationmaster.bll.setup import TREE_DATA_VERSION
from stationmaster.config import load_config
from stationmaster.database.model.project import Project
from stationmaster.database.model.settings import DatabaseVersion
from stationmaster.database.raw import collection
from stationmaster.database.stores import open_stores


def _call(proc: ServerProcess, action: str, body: dict, version: str) -> dict:
    reply = requests.post(f"{proc.url}/v{version}/{action}", json=body, auth=proc.admin_credentials(), timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def _as_before_the_tree(data_dir: Path, *, forget_step: bool = True) -> None:
    """What an older Stationmaster stored: projects with no tree fields (and no record of
    the data step)."""
    stores = open_stores(load_config([]), data_dir)
    try:
        collection(Project).update_many({}, {"$unset": {"basename": 1, "parent": 1, "path": 1}})
        if forget_step:
            collection(DatabaseVersion).delete_many({"num": TREE_DATA_VERSION})
    finally:
        stores.close()


def test_projects_stored_before_the_tree_get_their_tree_fields(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess(data_dir) as proc:
        old = _call(proc, "projects.create", {"name": "older/one", "description": ""}, "2.9")["id"]
    _as_before_the_tree(data_dir)
    with ServerProcess(data_dir) as proc:
        # before the data step this matched nothing: the filter reads the stored basename
        found = _call(proc, "projects.get_all", {"basename": "older/one", "only_fields": ["id"]}, "2.13")
        assert [p["id"] for p in found["projects"]] == [old]
        top = _call(proc, "projects.get_all", {"shallow_search": True, "only_fields": ["id", "basename"]}, "2.13")
        assert {"id": old, "basename": "older/one"} in top["projects"]
        # a 2.13 client files a subproject under it
        child = _call(proc, "projects.create", {"name": "older/one/child", "description": ""}, "2.13")["id"]
        got = _call(proc, "projects.get_by_id", {"project": child}, "2.13")["project"]
        assert got["parent"] == old and got["path"] == [old]
    # the step is recorded and runs once, not at every start
    _as_before_the_tree(data_dir, forget_step=False)
    with ServerProcess(data_dir) as proc:
        found = _call(proc, "projects.get_all", {"basename": "older/one", "only_fields": ["id"]}, "2.13")
        assert found["projects"] == []
