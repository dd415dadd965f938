"""The reports rules' pure parts: the name of a project's '.reports' project and the
merge of per-owner event answers (bll/reports.py; the actions: tests/api/test_reports.py)."""

from __future__ import annotations

import pytest

from stationmaster.bll.reports import _merged, reports_project_name


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        ("", ".reports"),
        ("/", ".reports"),
        ("Proj", "Proj/.reports"),
        ("a/b/", "a/b/.reports"),
        ("a/.reports", "a/.reports"),
        (".reports", ".reports"),
        ("a/.reportsx", "a/.reportsx/.reports"),
    ],
)
def test_reports_project_name(project: str, expected: str) -> None:
    assert reports_project_name(project) == expected


def test_merged_joins_the_answers_of_several_owners() -> None:
    mine = {"loss": {"train": {"t1": {"y": [1]}}}, "acc": {"v": {"t1": {"y": [2]}}}}
    public = {"loss": {"train": {"t2": {"y": [3]}}, "test": {"t2": {"y": [4]}}}}
    assert _merged([mine, public]) == {
        "loss": {"train": {"t1": {"y": [1]}, "t2": {"y": [3]}}, "test": {"t2": {"y": [4]}}},
        "acc": {"v": {"t1": {"y": [2]}}},
    }
    assert mine == {"loss": {"train": {"t1": {"y": [1]}}}, "acc": {"v": {"t1": {"y": [2]}}}}  # unchanged
    assert _merged([]) == {}
