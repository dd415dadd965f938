"""Turning reported events into stored ones, and their side effects on the tasks.

Each event is checked on its own: a bad one is counted under a reason and skipped,
the rest of the batch is stored. A scalar, vector, plot or image point's id is
deterministic, so re-sending a point overwrites it; every log line gets an id of its own,
so identical lines (repeated progress output) are all kept, as in the reference.
"""

from __future__ import annotations

import math
import operator
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ...database.events.base import iso_ms, md5
from ...database.events.es_templates import EVENT_TYPES
from ...database.vocabulary import TaskStatus
from ...protocol import errors
from ...protocol.request_data import text_problem
from .tasks import EventOwners

SCALAR = "training_stats_scalar"
VECTOR = "training_stats_vector"
LOG = "log"
LOCKED_STATUSES = (TaskStatus.publishing, TaskStatus.published)
# Fields clients send that are request options, not event data.
_DROPPED = ("method", "allow_locked", "model_event")


class EventRejected(ValueError):
    """An event that cannot be stored; the message is the reason reported back."""


@dataclass
class BatchResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


#: metric / variant names → their keys in last_metrics and metric_stats (few, repeated)
name_key = lru_cache(maxsize=4096)(md5)


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


_iso_cached = lru_cache(maxsize=8)(iso_ms)


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise EventRejected(f"{what} must be an integer")
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None or not -_INT64 <= number < _INT64:
        raise EventRejected(f"{what} must be an integer")
    return number


# Values are kept as ES "float" (32-bit) fields; larger ones would become infinite.
_FLOAT32_MAX = 3.4028234663852886e38
# iter and timestamp are 64-bit integers in both stores.
_INT64 = 2**63


def _timestamp(value: Any) -> int:
    """Epoch ms; fractions of a millisecond (float clocks) are dropped."""
    if isinstance(value, float) and math.isfinite(value):
        value = math.floor(value)
    return _as_int(value, "timestamp")


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= _FLOAT32_MAX
    )


# A scalar as the SDKs send it (report_scalar): checked and converted in one step. The
# clearml SDK adds the request option ``model_event`` from API 2.23 on (events.add
# requests merged into the batch line); the other options and an event's own ``worker``
# take the same path.
_SDK_SCALAR_KEYS = frozenset(("timestamp", "type", "task", "iter", "metric", "variant", "value"))
_SDK_EXTRA_KEYS = frozenset((*_DROPPED, "worker"))


def _sdk_scalar(raw: Mapping[str, Any], worker: str, write_ms: int, extra: Iterable[str] = ()) -> dict[str, Any] | None:
    """The stored form of a valid scalar in the SDKs' shape (``raw`` has the keys of
    _SDK_SCALAR_KEYS and ``extra``, some of _SDK_EXTRA_KEYS); None for anything else (the
    general path then decides, with the same result)."""
    for name in extra:
        option = raw[name]
        if name == "worker":
            if not (type(option) is str and option.isascii()):
                return None
            worker = option or worker  # the event's own worker, when it names one
        elif not (option is None or type(option) is bool or (type(option) is str and option.isascii())):
            return None  # (text is checked for lone surrogates by the general path)
    task, iteration, timestamp = raw["task"], raw["iter"], raw["timestamp"]
    metric, variant, value = raw["metric"], raw["variant"], raw["value"]
    if not (
        raw["type"] == SCALAR
        and type(task) is str
        and task
        and type(iteration) is int
        and -_INT64 <= iteration < _INT64
        and type(timestamp) is int
        and -_INT64 <= timestamp < _INT64
        and type(metric) is str
        and type(variant) is str
        and task.isascii()
        and metric.isascii()
        and variant.isascii()
        and type(value) is float
        and -_FLOAT32_MAX <= value <= _FLOAT32_MAX
        and worker
    ):
        return None
    event = raw if type(raw) is dict else dict(raw)  # the parsed request's own dict: completed in place
    for name in extra:
        if name != "worker":
            del event[name]
    event["@timestamp"] = _iso_cached(write_ms)
    event["worker"] = worker
    return event


def _sdk_shaped(raw: Mapping[str, Any], worker: str, write_ms: int) -> dict[str, Any] | None:
    """``_sdk_scalar`` for an event with the SDK scalar's keys and perhaps some of
    _SDK_EXTRA_KEYS; None for any other event."""
    keys = raw.keys()
    if keys == _SDK_SCALAR_KEYS:
        return _sdk_scalar(raw, worker, write_ms)
    if len(keys) <= len(_SDK_SCALAR_KEYS):
        return None
    order = tuple(keys)
    extra = _extra_keys.get(order, _UNKNOWN)
    if extra is _UNKNOWN:
        extra = _sdk_extra(order)
        if len(_extra_keys) < 256:  # the few shapes clients send, in their key orders
            _extra_keys[order] = extra
    return None if extra is None else _sdk_scalar(raw, worker, write_ms, extra)


_UNKNOWN: Any = object()
_extra_keys: dict[tuple[str, ...], tuple[str, ...] | None] = {}


def _sdk_extra(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The keys of _SDK_EXTRA_KEYS among ``keys`` if the others are exactly the SDK scalar's."""
    extra = tuple(k for k in keys if k in _SDK_EXTRA_KEYS)
    rest = frozenset(k for k in keys if k not in _SDK_EXTRA_KEYS)
    return extra if rest == _SDK_SCALAR_KEYS and len(keys) == len(extra) + len(rest) else None


def normalise(raw: Mapping[str, Any], *, worker: str, write_ms: int, position: int) -> dict[str, Any]:
    """The stored form of one reported event (with ``id`` for a log line); raises
    EventRejected."""
    fast = _sdk_shaped(raw, worker, write_ms)
    if fast is not None:
        return fast
    event = _own_copy(raw)
    event_type = event.get("type")
    if not event_type:
        raise EventRejected("Event must have a 'type' field")
    if type(event_type) is not str or event_type not in _TYPE_SET:
        if not isinstance(event_type, str) or event_type.replace(" ", "_") not in EVENT_TYPES:
            raise EventRejected(f"Invalid event type {event_type}")
        event["type"] = event_type = event_type.replace(" ", "_")
    task = event.get("task")
    if not task or not isinstance(task, str):
        raise EventRejected("Event must have a 'task' field")
    _set_numbers(event, write_ms)
    if not event.get("worker"):
        event["worker"] = worker
    if "values" in event:
        event["value"] = event.pop("values")
    _check_fields(event_type, event)
    if event_type == LOG:
        event["id"] = _log_id(write_ms, position)
    else:
        event.pop("id", None)  # not the client's to choose: the stores key it by its point
    return event


_TYPE_SET = frozenset(EVENT_TYPES)


def _own_copy(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The event's fields without the request options; text no store can encode (a lone
    surrogate) rejects the event."""
    problem = text_problem(raw)
    if problem:
        raise EventRejected(problem)
    event = dict(raw)
    for name in _DROPPED:
        if name in event:
            del event[name]
    return event


def _set_numbers(event: dict[str, Any], write_ms: int) -> None:
    """``timestamp`` (``ts``; the write time when missing), ``@timestamp`` and ``iter``."""
    if "ts" in event:
        event["timestamp"] = event.pop("ts")
    timestamp = event.get("timestamp")
    if type(timestamp) is not int or not -_INT64 <= timestamp < _INT64:
        event["timestamp"] = _timestamp(timestamp) if timestamp is not None else write_ms
    event["@timestamp"] = _iso_cached(write_ms)
    iteration = event.get("iter")
    if iteration is not None:
        if type(iteration) is not int or not -_INT64 <= iteration < _INT64:
            event["iter"] = _as_int(iteration, "iter")
    elif "iter" in event:
        del event["iter"]


def _check_fields(event_type: str, event: dict[str, Any]) -> None:
    for name in ("metric", "variant"):
        value = event.get(name)
        if not value:
            event[name] = ""
        elif not isinstance(value, str):
            raise EventRejected(f"{name} must be a string")
    if event_type == SCALAR:
        value = event.get("value")
        if type(value) is float and -_FLOAT32_MAX <= value <= _FLOAT32_MAX:
            return  # the common case, without the general checks
    _check_values(event_type, event)


def _check_values(event_type: str, event: dict[str, Any]) -> None:
    if event_type == SCALAR and not _is_number(event.get("value")):
        raise EventRejected("Scalar value must be a finite number (32-bit float range)")
    if event_type == VECTOR:
        values = event.get("value")
        if not isinstance(values, list) or not all(_is_number(v) for v in values):
            raise EventRejected("Vector values must be a list of finite numbers (32-bit float range)")


def _log_id(write_ms: int, position: int) -> str:
    """A log line's own id: never shared, so no line overwrites another (the reference
    gives each a random uuid). The write time and the place in the batch lead, so lines
    sharing a timestamp keep the order they were sent in (ids break ties). Other events'
    ids are their ``point_id`` (database/events/base.py), which the stores compute."""
    return f"{write_ms:013d}-{position:06d}-{uuid.uuid4().hex}"


def validate_batch(
    raw_events: Sequence[Mapping[str, Any]],
    *,
    worker: str,
    valid_tasks: Mapping[str, str | None],
    models: Collection[str] = (),
) -> BatchResult:
    """``valid_tasks``: task (or model) id → None when events may be added, else the
    reason; ``models``: the ids that are models' (no log lines for them)."""
    result = BatchResult()
    write_ms = now_ms()
    for position, raw in enumerate(raw_events):
        try:
            event = normalise(raw, worker=worker, write_ms=write_ms, position=position)
            reason = valid_tasks.get(event["task"], "Invalid task id")
            if models and event["type"] == LOG and event["task"] in models:
                reason = "Task log events are not supported for models"
            if reason:
                raise EventRejected(reason)
        except EventRejected as ex:
            result.errors[str(ex)] += 1
            continue
        result.events.append(event)
    return result


def task_ids_of(raw_events: Iterable[Mapping[str, Any]]) -> set[str]:
    return {e["task"] for e in raw_events if isinstance(e.get("task"), str) and e["task"]}


def check_tasks(
    owners: EventOwners, company_id: str, task_ids: Iterable[str], allow_locked: bool | Mapping[str, bool]
) -> dict[str, str | None]:
    """Task id → None if events may be added to it, else the rejection reason.
    ``allow_locked``: for every task, or per task id (API 2.22 batches)."""
    ids = list(task_ids)
    found = owners.task_statuses(company_id, ids)
    result: dict[str, str | None] = {}
    for task_id in ids:
        allowed = allow_locked if isinstance(allow_locked, bool) else allow_locked.get(task_id, False)
        if task_id not in found:
            result[task_id] = "Invalid task id"
        elif found[task_id] in LOCKED_STATUSES and not allowed:
            result[task_id] = "Task is published (events cannot be added)"
        else:
            result[task_id] = None
    return result


def check_models(
    owners: EventOwners, company_id: str, model_ids: Iterable[str], allow_locked: Mapping[str, bool]
) -> dict[str, str | None]:
    """Model id → None if events may be added to it, else the rejection reason (a
    published model, ``ready``, needs ``allow_locked``)."""
    ids = list(model_ids)
    ready = owners.models_ready(company_id, ids)
    result: dict[str, str | None] = {}
    for model_id in ids:
        if model_id not in ready:
            result[model_id] = "Invalid model id"
        elif ready[model_id] and not allow_locked.get(model_id, False):
            result[model_id] = "Model is published (events cannot be added)"
        else:
            result[model_id] = None
    return result


@dataclass
class EventOptions:
    """The per-event request options of API 2.22 (``model_event``, ``allow_locked``),
    taken out of the events: which ids are models', and ``allow_locked`` per id."""

    models: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    allow_locked: dict[str, bool] = field(default_factory=dict)


def take_options(raw_events: Sequence[Any], default_allow_locked: bool = False) -> EventOptions:
    """Pop ``model_event``, ``allow_locked`` (and ``model``, the model id's other name)
    from each event; 400/12 when one id is sent both as a task's and a model's, or with
    different ``allow_locked`` values (as the reference)."""
    options = EventOptions()
    for raw in raw_events:
        if not isinstance(raw, dict):
            continue
        is_model = raw.pop("model_event", False) is True
        allowed = raw.pop("allow_locked", default_allow_locked) is True
        if is_model and "model" in raw:
            raw["task"] = raw.pop("model")
        entity = raw.get("task")
        if not isinstance(entity, str) or not entity:
            continue
        (options.models if is_model else options.tasks).add(entity)
        if options.allow_locked.setdefault(entity, allowed) != allowed:
            raise errors.VALIDATION_ERROR(f"Inconsistent allow_locked setting in the passed events for {entity}")
    both = options.models & options.tasks
    if both:
        raise errors.VALIDATION_ERROR("Inconsistent model_event setting in the passed events", tasks=sorted(both))
    return options


def update_task_stats(
    owners: EventOwners,
    company_id: str,
    events: Sequence[Mapping[str, Any]],
    ignore_iteration: Sequence[str],
    models: Collection[str] = (),
) -> None:
    """last_iteration, last_metrics, metric_stats and last_update of each task, as
    atomic updates of the task documents; of a model (an id in ``models``) the same but
    metric_stats, which the reference keeps for tasks only."""
    per_task: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        per_task.setdefault(event["task"], []).append(event)
    now = datetime.now(UTC).replace(tzinfo=None)
    for task_id, task_events in per_task.items():
        update, extremes = _task_update_and_extremes(task_events, ignore_iteration, now)
        documents = owners.models if task_id in models else owners.tasks
        if task_id in models:
            sets = update["$set"]
            for key in [k for k in sets if k.startswith("metric_stats.")]:
                del sets[key]
        if extremes:
            update["$set"].update(_extreme_iterations(extremes, documents.last_metrics(task_id, company_id)))
        documents.update_statistics(task_id, company_id, update)


#: last_metrics path → (min value, its iteration, max value, its iteration) of a batch
Extremes = dict[str, tuple[float, Any, float, Any]]


def _extreme_iterations(extremes: Extremes, stored: Mapping[str, Any]) -> dict[str, Any]:
    """``min_value_iteration`` / ``max_value_iteration`` of the series whose batch extreme
    reaches (or ties) the stored one, which ``$min`` / ``$max`` then keep."""
    sets: dict[str, Any] = {}
    for prefix, (low, low_iter, high, high_iter) in extremes.items():
        _, metric_key, variant_key = prefix.split(".")
        current = stored.get(metric_key, {}).get(variant_key, {}) if isinstance(stored, Mapping) else {}
        if not isinstance(current, Mapping):
            current = {}
        if low_iter is not None and not low > current.get("min_value", low):
            sets[f"{prefix}.min_value_iteration"] = low_iter
        if high_iter is not None and not high < current.get("max_value", high):
            sets[f"{prefix}.max_value_iteration"] = high_iter
    return sets


def _task_update(events: Sequence[Mapping[str, Any]], ignore_iteration: Sequence[str], now: datetime) -> dict[str, Any]:
    return _task_update_and_extremes(events, ignore_iteration, now)[0]


def _task_update_and_extremes(
    events: Sequence[Mapping[str, Any]], ignore_iteration: Sequence[str], now: datetime
) -> tuple[dict[str, Any], Extremes]:
    """The task document's update for the events, and per scalar series the batch's least
    and greatest value with their iterations (of equal values the later event)."""
    extremes: Extremes = {}
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for event in events:
        groups.setdefault((event["type"], event["metric"], event["variant"]), []).append(event)
    sets: dict[str, Any] = {"last_update": now}
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    iterations = [
        e["iter"]
        for (_, metric, _), members in groups.items()
        if metric not in ignore_iteration
        for e in members
        if "iter" in e
    ]
    if iterations:
        maxs["last_iteration"] = max(iterations)
    for (event_type, metric, variant), members in groups.items():
        if event_type == LOG:
            continue
        metric_key = name_key(metric)
        stats = f"metric_stats.{metric_key}"
        sets[f"{stats}.metric"] = metric
        sets[f"{stats}.event_stats_by_type.{event_type}.last_update"] = now
        if event_type != SCALAR:
            continue
        # of equal values or timestamps the later event counts, as the reference's min/max pick
        latest_first = members[::-1]
        values = [e["value"] for e in latest_first]
        newest = max(latest_first, key=_timestamp_of)
        low, high = min(values), max(values)
        prefix = f"last_metrics.{metric_key}.{name_key(variant)}"
        mins[f"{prefix}.min_value"] = low
        maxs[f"{prefix}.max_value"] = high
        # list.index finds the first, i.e. the latest, event holding the value (C loops)
        low_iter, high_iter = latest_first[values.index(low)].get("iter"), latest_first[values.index(high)].get("iter")
        extremes[prefix] = (low, low_iter, high, high_iter)
        sets[f"{prefix}.metric"] = metric
        sets[f"{prefix}.variant"] = variant
        sets[f"{prefix}.value"] = newest["value"]
    update: dict[str, Any] = {"$set": sets}
    if mins:
        update["$min"] = mins
    if maxs:
        update["$max"] = maxs
    return update, extremes


_timestamp_of = operator.itemgetter("timestamp")
