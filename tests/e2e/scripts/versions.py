"""API-level discovery as a client sees it: ``python versions.py spec.json result.json``.

spec["package"] is clearml, clearml_agent or trains. Logs in through the package's own
Session, reports the level it negotiated and makes a few calls through the service
proxies (clearml: also APIClient, as the docs show it). Python 3.8 compatible.
"""

import importlib
import json
import sys

spec = json.load(open(sys.argv[1]))
package = spec["package"]
Session = importlib.import_module(package + ".backend_api.session").Session
session = Session()
result = {
    "api_version": str(Session.api_version),
    "server_version": str(getattr(Session, "server_version", None)),
    "feature_set": str(getattr(Session, "feature_set", None)),
    "checks": {v: bool(session.check_min_api_version(v)) for v in spec.get("check", [])},
}
if package == "clearml":
    from clearml.backend_api.session.client import APIClient

    client = APIClient(api_version="2.9")
    queue = client.queues.create(name=spec["queue"])
    found = client.queues.get_all(name=f"^{spec['queue']}$")
    result["queue_id"] = queue.id
    result["queues_found"] = [q.id for q in found]
    result["projects"] = len(client.projects.get_all())
elif package == "clearml_agent":
    reply = session.send_request("queues", "get_all", version="2.5", json={"name": spec["queue"]}, method="get")
    result["agent_queues"] = [q["id"] for q in reply.json()["data"]["queues"]]
else:
    from trains.backend_api.services import queues

    reply = session.send(queues.GetAllRequest(name=f"^{spec['queue']}$"))
    result["trains_queues"] = [q.id for q in reply.response.queues]
json.dump(result, open(sys.argv[2], "w"))
