"""deploy/helm/stationmaster: ``helm lint``, ``helm template``, and the rendered manifests
checked offline against the Kubernetes schemas (kubernetes-validate)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from stationmaster.config import load_config

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "stationmaster"
# the oldest Kubernetes still maintained when the chart was written, and the newest the
# validator knows
K8S_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())

EXTERNAL = [
    "--set",
    "mongodb.backendUri=mongodb://sm:pw@mongo.db.svc:27017/backend?authSource=admin",
    "--set",
    "mongodb.authUri=mongodb://sm:pw@mongo.db.svc:27017/auth?authSource=admin",
    "--set",
    "elasticsearch.hosts[0].host=es.db.svc",
    "--set",
    "elasticsearch.hosts[0].port=9200",
    "--set",
    "redis.host=redis.db.svc",
    "--set",
    "redis.password=s3cret",
    "--set",
    "ingress.domain=ml.example.org",
]


def render(helm: Path, *args: str) -> list[dict[str, Any]]:
    res = subprocess.run(
        [str(helm), "template", "sm", str(CHART), "--namespace", "ml", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    return [doc for doc in yaml.safe_load_all(res.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"]["containers"][0])


def test_helm_lint_passes(helm: Path) -> None:
    res = subprocess.run([str(helm), "lint", "--strict", str(CHART), *EXTERNAL], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 chart(s) failed" in res.stdout


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(
    "variant", [[], ["--set", "ingress.tls.enabled=true", "--set", "ingress.tls.secretName=sm-tls"]]
)
def test_rendered_manifests_match_the_kubernetes_schemas(helm: Path, version: str, variant: list[str]) -> None:
    docs = render(helm, *EXTERNAL, *variant)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(["Deployment"] * 3 + ["Service"] * 3 + ["Secret"] * 2 + ["PersistentVolumeClaim", "Ingress"])
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)  # raises on the first error


def test_api_deployment_has_replicas_resources_and_ping_probes(helm: Path) -> None:
    docs = render(helm, *EXTERNAL, "--set", "api.replicas=3")
    api = by_kind(docs, "Deployment")["sm-stationmaster-api"]
    assert api["spec"]["replicas"] == 3
    c = container(api)
    assert c["args"][:2] == ["serve", "--host=0.0.0.0"] and "--config=/etc/stationmaster" in c["args"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/debug.ping", "port": "http"}
    assert c["resources"]["limits"] and c["resources"]["requests"]
    assert api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_the_hosts_file_names_the_external_stores_as_the_server_reads_it(helm: Path, tmp_path: Path) -> None:
    secret = by_kind(render(helm, *EXTERNAL), "Secret")["sm-stationmaster-hosts"]
    (tmp_path / "hosts.conf").write_text(secret["stringData"]["hosts.conf"])
    config = load_config([tmp_path], env={}, include_env_dirs=False)
    assert config.get("hosts.mongo.backend.host") == "mongodb://sm:pw@mongo.db.svc:27017/backend?authSource=admin"
    assert config.get("hosts.mongo.auth.host") == "mongodb://sm:pw@mongo.db.svc:27017/auth?authSource=admin"
    assert [dict(h) for h in config.get("hosts.elastic.events.hosts")] == [{"host": "es.db.svc", "port": 9200}]
    assert [dict(h) for h in config.get("hosts.elastic.workers.hosts")] == [{"host": "es.db.svc", "port": 9200}]
    redis = config.get("hosts.redis.apiserver")
    assert (redis["host"], redis["port"], redis["password"]) == ("redis.db.svc", 6379, "s3cret")


def _auth(docs: list[dict[str, Any]]) -> dict[str, str]:
    data = by_kind(docs, "Secret")["sm-stationmaster-auth"]["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def test_secrets_are_generated_when_absent_and_taken_when_given(helm: Path) -> None:
    first, second = _auth(render(helm, *EXTERNAL)), _auth(render(helm, *EXTERNAL))
    for key in ("token-secret", "admin-key", "admin-secret"):
        assert len(first[key]) >= 24 and first[key] != second[key], key  # random per fresh install
    given = _auth(render(helm, *EXTERNAL, "--set", "auth.tokenSecret=tok", "--set", "auth.adminKey=AK"))
    assert given["token-secret"] == "tok" and given["admin-key"] == "AK"
    docs = render(helm, *EXTERNAL, "--set", "auth.existingSecret=mine")
    assert "sm-stationmaster-auth" not in by_kind(docs, "Secret")
    env = {e["name"]: e for e in container(by_kind(docs, "Deployment")["sm-stationmaster-api"])["env"]}
    assert env["STATIONMASTER__secure__auth__token_secret"]["valueFrom"]["secretKeyRef"]["name"] == "mine"


def test_ingress_uses_the_api_files_app_host_convention(helm: Path) -> None:
    docs = render(helm, *EXTERNAL, "--set", "ingress.tls.enabled=true", "--set", "ingress.tls.secretName=sm-tls")
    ingress = by_kind(docs, "Ingress")["sm-stationmaster"]
    rules = {r["host"]: r["http"]["paths"][0]["backend"]["service"] for r in ingress["spec"]["rules"]}
    assert rules == {
        "api.ml.example.org": {"name": "sm-stationmaster-api", "port": {"number": 8008}},
        "files.ml.example.org": {"name": "sm-stationmaster-fileserver", "port": {"number": 8081}},
        "app.ml.example.org": {"name": "sm-stationmaster-web", "port": {"number": 8080}},
    }
    assert ingress["spec"]["tls"][0]["hosts"] == list(rules)
    web = container(by_kind(docs, "Deployment")["sm-stationmaster-web"])
    assert "--api-url=http://sm-stationmaster-api:8008" in web["args"]
    files_hosts = {e["name"]: e.get("value") for e in web["env"]}["STATIONMASTER__web__files_hosts"]
    config = load_config(env={"STATIONMASTER__web__files_hosts": files_hosts}, include_env_dirs=False)
    assert list(config.get("web.files_hosts")) == ["https://files.ml.example.org"]


def test_file_server_keeps_its_files_on_a_claim(helm: Path) -> None:
    docs = render(helm, *EXTERNAL)
    files = by_kind(docs, "Deployment")["sm-stationmaster-fileserver"]
    assert files["spec"]["strategy"]["type"] == "Recreate"
    volumes = {v["name"]: v for v in files["spec"]["template"]["spec"]["volumes"]}
    assert volumes["files"]["persistentVolumeClaim"]["claimName"] == "sm-stationmaster-files"
    assert "sm-stationmaster-files" in by_kind(docs, "PersistentVolumeClaim")
    existing = render(helm, *EXTERNAL, "--set", "fileserver.persistence.existingClaim=nfs-files")
    assert not by_kind(existing, "PersistentVolumeClaim")
