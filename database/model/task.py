"""Tasks (experiments): collection ``task``, fields as the reference server's."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    DynamicField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    LongField,
    MapField,
    StringField,
)

from ..vocabulary import TaskStatus as TaskStatus
from ..vocabulary import TaskSystemTags as TaskSystemTags
from ..vocabulary import TaskType as TaskType
from .base import BackendDocument


class Output(EmbeddedDocument):
    meta = {"strict": False}
    destination = StringField()
    model = StringField()
    error = StringField()
    result = StringField(choices=("success", "failure"))


class ArtifactTypeData(EmbeddedDocument):
    meta = {"strict": False}
    preview = StringField()
    content_type = StringField()
    data_hash = StringField()


class Artifact(EmbeddedDocument):
    meta = {"strict": False}
    key = StringField(required=True)
    type = StringField(required=True)
    mode = StringField(choices=("input", "output"), default="output")
    uri = StringField()
    hash = StringField()
    content_size = LongField()
    timestamp = LongField()
    type_data = EmbeddedDocumentField(ArtifactTypeData)
    display_data = ListField(ListField())


class Execution(EmbeddedDocument):
    meta = {"strict": False}
    test_split = IntField(default=0)
    parameters = DictField()  # legacy, before hyperparams (API < 2.9)
    model = StringField()  # input model id
    model_desc = DictField()  # legacy, before configuration
    model_labels = DictField()  # label name → id (int or None)
    framework = StringField()
    artifacts = EmbeddedDocumentListField(Artifact, default=list)
    docker_cmd = StringField()
    queue = StringField()


class Script(EmbeddedDocument):
    meta = {"strict": False}
    binary = StringField(default="python")
    repository = StringField(default="")
    tag = StringField()
    branch = StringField()
    version_num = StringField()
    entry_point = StringField(default="")
    working_dir = StringField()
    requirements = DictField()
    diff = StringField()


class Task(BackendDocument):
    meta = {
        "collection": "task",
        "indexes": [
            "company",
            "project",
            "status",
            "parent",
            "user",
            "system_tags",
            "-last_update",
            # as the reference's: name lookups (the SDKs' Task.get_task / get_tasks by name);
            # on the embedded store it lets the index answer name patterns (docs/embedded-store.md)
            ("company", "name"),
        ],
    }

    id = StringField(primary_key=True)
    company = StringField(required=True)
    user = StringField()
    name = StringField(required=True, min_length=3)
    type = StringField(required=True, choices=TaskType.STORED)
    status = StringField(default=TaskStatus.created, choices=TaskStatus.ALL)
    status_reason = StringField()
    status_message = StringField()
    status_changed = DateTimeField()
    comment = StringField()
    created = DateTimeField()
    started = DateTimeField()
    completed = DateTimeField()
    published = DateTimeField()
    parent = StringField()
    project = StringField()
    output = EmbeddedDocumentField(Output)
    execution = EmbeddedDocumentField(Execution)
    script = EmbeddedDocumentField(Script)
    tags = ListField(StringField(), default=list)
    system_tags = ListField(StringField(), default=list)
    last_worker = StringField()
    last_worker_report = DateTimeField()
    last_update = DateTimeField()
    last_iteration = IntField(default=0)
    # md5(metric) → md5(variant) → {metric, variant, value, min_value, max_value}
    last_metrics = MapField(DictField())
    # md5(metric) → {metric, event_stats_by_type: {event type → {last_update}}}
    metric_stats = DictField()
    company_origin = StringField()  # the owner of a public task (company "")
    duration = IntField()
    # section → name → {section, name, value, type, description}; keys escaped (bll/task/params.py)
    hyperparams = DictField()
    # name → {name, value, type, description}; keys escaped
    configuration = DictField()
    runtime = DictField()
    # kept for data written by later reference releases
    models = DynamicField()
    container = DictField()
    enqueue_status = StringField()
    last_change = DateTimeField()
    last_changed_by = StringField()
    # a report's text and the external files it names (reports.*, API 2.23 / 2.24)
    report = StringField()
    report_assets = ListField(StringField())
    active_duration = IntField()
