"""clearml Datasets: ``python datasets.py spec.json result.json``.

``spec["step"]`` is ``make`` (a dataset of two files, a child dataset with a parent and a
third file, both finalized; lists the project's datasets) or ``fetch`` (from another
process: each dataset by id and by project/name, its local copy's files and bytes).
Python 3.8 compatible.
"""

import json
import os
import sys

from clearml import Dataset

spec = json.load(open(sys.argv[1]))
workdir = spec["workdir"]


def files_of(folder):
    found = {}
    for base, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = open(path, "rb").read().hex()
    return found


if spec["step"] == "make":
    source = os.path.join(workdir, "source")
    os.makedirs(os.path.join(source, "sub"))
    for name, content in spec["files"].items():
        with open(os.path.join(source, name), "wb") as handle:
            handle.write(bytes.fromhex(content))
    parent = Dataset.create(dataset_name=spec["name"], dataset_project=spec["project"])
    parent.add_files(path=source)
    parent.upload()
    parent.finalize()

    more = os.path.join(workdir, "more")
    os.makedirs(more)
    with open(os.path.join(more, "extra.txt"), "wb") as handle:
        handle.write(bytes.fromhex(spec["extra"]))
    child = Dataset.create(
        dataset_name=spec["name"] + " child", dataset_project=spec["project"], parent_datasets=[parent.id]
    )
    child.add_files(path=more)
    child.upload()
    child.finalize()
    listed = Dataset.list_datasets(dataset_project=spec["project"])
    result = {
        "parent_id": parent.id,
        "child_id": child.id,
        "listed": sorted((d["name"], d["id"]) for d in listed),
        "graph": Dataset.get(dataset_id=child.id).get_dependency_graph(),
    }
else:
    result = {}
    for label, dataset_id in (("parent", spec["parent_id"]), ("child", spec["child_id"])):
        by_id = Dataset.get(dataset_id=dataset_id)
        result[label] = {
            "files": files_of(by_id.get_local_copy()),
            "listed_files": sorted(by_id.list_files()),
            "is_final": by_id.is_final(),
        }
    result["by_name"] = Dataset.get(dataset_project=spec["project"], dataset_name=spec["name"]).id

json.dump(result, open(sys.argv[2], "w"))
