"""server.*: version information, the (redacted) configuration, usage figures."""

from __future__ import annotations

import os
from typing import Any

from ..config import Config
from ..database.repositories import Documents
from ..database.vocabulary import utcnow
from ..version import API_VERSION, COMPATIBLE_SERVER_VERSION, __version__

_SECRET_WORDS = ("secret", "password", "token", "key")


def redact(value: Any) -> Any:
    """The configuration without anything that looks like a secret."""
    if isinstance(value, dict):
        return {
            k: ("********" if any(w in k.lower() for w in _SECRET_WORDS) and not isinstance(v, dict) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class ServerInfo:
    def __init__(self, config: Config, server_uuid: str, documents: Documents) -> None:
        self._config = config
        self._documents = documents
        self.uid = server_uuid

    def info(self, with_uid: bool) -> dict[str, Any]:
        result = {
            "version": os.environ.get("CLEARML_SERVER_VERSION", COMPATIBLE_SERVER_VERSION),
            "build": f"stationmaster-{__version__}",
            "commit": os.environ.get("STATIONMASTER_COMMIT", ""),
            "api_version": API_VERSION,
        }
        if with_uid:
            result["uid"] = self.uid
        return result

    def config(self) -> dict[str, Any]:
        data = self._config.to_dict()
        data.pop("secure", None)
        return redact(data)

    def stats(self) -> dict[str, Any]:
        """Counts per company; nothing is ever sent anywhere."""
        docs = self._documents
        companies = {}
        for company_id, name in docs.companies.all_names():
            companies[company_id] = {
                "name": name,
                "users": docs.users.count_in(company_id),
                "queues": docs.queues.count_in(company_id),
            }
        return {"server": self.info(with_uid=True), "companies": companies, "auth_users": docs.credentials.count()}

    def report_stats_option(self, company_id: str, user_id: str, enabled: bool | None) -> dict[str, Any]:
        """Statistics are never reported by this server; the option is kept for the UI."""
        company = self._documents.companies.get(company_id, ["defaults"])
        option: dict[str, Any] = dict((company.get("defaults") or {}).get("stats_option", {})) if company else {}
        if enabled is not None and company is not None:
            option = {
                "enabled": bool(enabled),
                "enabled_time": utcnow(),
                "enabled_version": __version__,
                "enabled_user": user_id,
            }
            self._documents.companies.set_stats_option(company_id, option)
        return {
            "supported": False,
            "enabled": bool(option.get("enabled", False)),
            "enabled_time": option.get("enabled_time"),
            "enabled_version": option.get("enabled_version"),
            "enabled_user": option.get("enabled_user"),
            "current_version": __version__,
        }
