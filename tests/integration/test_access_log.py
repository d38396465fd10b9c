"""No secret reaches the logs: a real `linkgate serve` is called with credentials in query strings, then
its whole output is searched for them. Requests are still logged, by `linkgate.access`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.access_log import REDACTED
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, serving_linkgate

pytestmark = pytest.mark.integration


@pytest.fixture
def served(process_env: dict[str, str], logs_dir: Path) -> Iterator[tuple[LinkgateProcess, str]]:
    with serving_linkgate(process_env, PROJECT_ROOT, logs_dir / "serve.log") as served:
        yield served


def mint(base_url: str, client_id: str, client_secret: str, **fields: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    response = httpx.post(f"{base_url}/oauth/token", data=form | fields)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def test_tokens_in_query_strings_never_reach_the_log(served, sandbox_app) -> None:
    server, base_url = served
    client_id, client_secret = sandbox_app.client_id, sandbox_app.client_secret
    user_token = mint(base_url, client_id, client_secret, guid=f"user-{uuid.uuid4().hex[:8]}")
    generic_token = mint(base_url, client_id, client_secret)
    with httpx.Client(base_url=base_url, follow_redirects=False) as http:
        entry = http.get(
            "/v1/gateway/authenticate", params={"token": user_token, "redirectUri": f"{base_url}/healthz"}
        )
        assert entry.status_code == 303, entry.text
        (session_token,) = parse_qs(urlsplit(entry.headers["location"]).query)["link_session_token"]
        assert http.get("/connect", params={"link_session_token": session_token}).status_code == 200
        refused = http.get(
            "/v1/gateway/authenticate", params={"token": generic_token, "redirectUri": base_url}
        )
        assert refused.status_code == 403
        credential_params = {
            "access_token": generic_token,
            "client_secret": client_secret,
            "password": "hunter2-x",
        }
        assert http.get("/healthz", params=credential_params).status_code == 200
        assert http.get(f"/healthz?anything={user_token}").status_code == 200  # a JWT under any name
    server.stop()  # everything it buffered is written

    output = server.output()
    for secret in (user_token, generic_token, session_token, client_secret, "hunter2-x"):
        assert secret not in output
    access_lines = [line for line in output.splitlines() if " linkgate.access: " in line]
    request_id = entry.headers["x-request-id"]
    assert any(
        re.search(rf"GET /v1/gateway/authenticate\?token={re.escape(REDACTED)}&redirectUri=\S+ 303 .*"
                  rf"request_id={request_id}", line)
        for line in access_lines
    ), access_lines  # fmt: skip
    assert any(f"GET /connect?link_session_token={REDACTED} 200 " in line for line in access_lines)
    assert ' HTTP/1.1" ' not in output  # uvicorn's raw access line is off


def test_json_lines_carry_the_route_template_and_the_app(
    process_env: dict[str, str], logs_dir: Path, sandbox_app
) -> None:
    env = process_env | {"LINKGATE_LOG_FORMAT": "json"}
    with serving_linkgate(env, PROJECT_ROOT, logs_dir / "serve.log") as (server, base_url):
        user = f"user-{uuid.uuid4().hex[:8]}"
        mint(base_url, sandbox_app.client_id, sandbox_app.client_secret, guid=user)
        found = httpx.get(
            f"{base_url}/v1/mx/users/{user}", auth=(sandbox_app.client_id, sandbox_app.client_secret),
            headers={"accept": "application/vnd.mx.api.v1+json"},
        )  # fmt: skip
        missing = httpx.get(f"{base_url}/nowhere")
        server.stop()

    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]  # every line is JSON
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    access = {line["request_id"]: line for line in lines if line["logger"] == "linkgate.access"}
    read = access[found.headers["x-request-id"]]
    assert (read["method"], read["route"], read["status"]) == (
        "GET",
        "/v1/mx/users/{user_guid}",
        found.status_code,
    )
    assert read["app_id"] == str(sandbox_app.app_id)
    assert read["target"] == f"/v1/mx/users/{user}"
    assert isinstance(read["duration_ms"], float)
    unknown = access[missing.headers["x-request-id"]]
    assert (unknown["route"], unknown["status"], unknown["app_id"]) == ("unmatched", 404, "-")
    assert sandbox_app.client_secret not in server.output()
