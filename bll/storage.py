"""The storage.* rules: per-company credentials for the object stores (S3 and compatible,
Google Cloud Storage, Azure) that the web app's settings page edits and the SDK's users
read. One document per company (``documents.storage``); a provider the company has not
set is answered from ``services.storage.storage_credentials``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..config import Config
from ..database.repositories.storage import StorageSettingsRepository
from ..database.vocabulary import utcnow
from ..protocol import errors

PROVIDERS = ("aws", "google", "azure")
#: Defaults of a bucket entry the schema declares (filled in when an entry omits them).
_AWS_BUCKET_DEFAULTS = {"multipart": True, "secure": True, "verify": True, "use_credentials_chain": False}


class StorageBLL:
    def __init__(self, config: Config, repository: StorageSettingsRepository) -> None:
        self.repository = repository
        self.defaults = config.get("services.storage.storage_credentials").to_dict()

    def get(self, company_id: str) -> dict[str, Any]:
        stored = self.repository.get(company_id) or {}
        settings: dict[str, Any] = {
            name: _json_copy(stored[name]) if stored.get(name) else _json_copy(self.defaults[name])
            for name in PROVIDERS
        }
        settings["last_update"] = stored.get("last_update")
        return settings

    def set(self, company_id: str, request: Mapping[str, Any]) -> int:
        providers = {name: dict(request[name]) for name in PROVIDERS if request.get(name)}
        if not providers:
            raise errors.VALIDATION_ERROR("no settings given: set aws, google or azure")
        for bucket in providers.get("aws", {}).get("buckets", []):
            for key, value in _AWS_BUCKET_DEFAULTS.items():
                bucket.setdefault(key, value)
        google = providers.get("google", {})
        for where, text in [("google.credentials_json", google.get("credentials_json"))] + [
            (f"google.buckets[{i}].credentials_json", b.get("credentials_json"))
            for i, b in enumerate(google.get("buckets", []))
        ]:
            if text:
                try:
                    json.loads(text)
                except ValueError as ex:
                    raise errors.VALIDATION_ERROR(f"{where} is not JSON: {ex}") from None
        return self.repository.set(company_id, providers, utcnow())

    def reset(self, company_id: str, keys: Sequence[str] | None) -> int:
        return self.repository.reset(company_id, list(keys or PROVIDERS), utcnow())


def _json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
