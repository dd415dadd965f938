"""Flow 9: what clearml 2.1.12 does only against a server announcing 2.20+ (issue 16):
Datasets (a parent and a child, fetched from another process), model metadata,
single-value scalars and ``Task.get_num_enqueued_tasks``."""

from __future__ import annotations

from e2e_harness import E2E


def test_datasets_made_and_fetched_from_another_process(e2e: E2E) -> None:
    files = {"a.txt": b"first file\n".hex(), "sub/b.bin": bytes(range(200)).hex()}
    spec = {"step": "make", "project": f"e2e datasets {e2e.run_id}", "name": "digits", "files": files}
    spec["extra"] = b"third file\n".hex()
    made = e2e.run("clearml", "datasets.py", spec, timeout=300).result
    assert made["parent_id"] != made["child_id"]
    assert sorted(name for name, _ in made["listed"]) == ["digits", "digits child"]
    assert made["graph"].get(made["child_id"]) == [made["parent_id"]], made["graph"]

    back = e2e.run("clearml", "datasets.py", {**spec, **made, "step": "fetch"}, timeout=300).result
    assert back["parent"]["files"] == files
    assert back["child"]["files"] == {**files, "extra.txt": spec["extra"]}
    assert back["child"]["listed_files"] == sorted([*files, "extra.txt"])
    assert back["parent"]["is_final"] and back["child"]["is_final"]
    assert back["by_name"] == made["parent_id"]
    # the datasets live in hidden projects the web hides by default
    visible = e2e.api.projects.get_all(name=f"^{spec['project']}")["projects"]
    hidden = e2e.api.projects.get_all(name=f"^{spec['project']}", search_hidden=True)["projects"]
    assert {p["name"] for p in visible} < {p["name"] for p in hidden}
    assert f"{spec['project']}/.datasets/digits" in {p["name"] for p in hidden}


def test_model_metadata_single_values_and_enqueued_count(e2e: E2E) -> None:
    queue = e2e.api.queues.create(name=f"e2e modern {e2e.run_id}")["id"]
    for n in range(2):
        task = e2e.api.tasks.create(name=f"waiting {n}", type="training")["id"]
        e2e.api.tasks.enqueue(task=task, queue=queue)
    spec = {
        "project": f"e2e modern {e2e.run_id}",
        "metadata": {"accuracy": ["0.875", "float"], "classes": ["10", "int"], "arch": ["resnet", "str"]},
        "single": "test accuracy",
        "single_value": 0.75,
        "queue": f"e2e modern {e2e.run_id}",
    }
    result = e2e.run("clearml", "modern.py", spec, timeout=240).result
    assert result["metadata"] == {k: v[0] for k, v in spec["metadata"].items()}
    assert {k: (v["value"], v["type"]) for k, v in result["all_metadata"].items()} == {
        k: tuple(v) for k, v in spec["metadata"].items()
    }
    assert result["single"] == 0.75
    assert result["singles"] == {"test accuracy": 0.75}
    assert result["enqueued"] == 2
