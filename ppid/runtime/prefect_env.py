"""Where Prefect is: its settings for this home, and the API of the server `ppid run` started.

Prefect reads its settings from the environment when it is imported, so they are applied to
`os.environ` first. Our own loggers (`OUR_LOGGERS`) are Prefect's "extra loggers": what the
product logs inside a flow run (a case registered, a bag written, a page unreadable) shows in
that run's logs in the Prefect UI, as Prefect's own lines do; outside flow runs they stay local.

`ppid run` records its server's address in `var/run/ppid-run.json`; the CLI and the web app find
it there (or in PREFECT_API_URL) and check it answers before using it. `api_call` is Prefect's
REST API without its SDK, for what submits work but runs no flows: importing the SDK costs a
command of the CLI about a second.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ppid.core import paths
from ppid.core.errors import PpidError
from ppid.core.settings import Settings

log = logging.getLogger(__name__)


OUR_LOGGERS = ("ppid", "parsers", "flows")


def prefect_environment(settings: Settings, api_url: str | None = None) -> dict[str, str]:
    """Prefect settings for this home, applied to os.environ before Prefect is imported."""
    env = {
        "PREFECT_HOME": str(paths.prefect_home(settings)),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_EXTRA_LOGGERS": ",".join(OUR_LOGGERS),
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",  # the watcher, the web app: local
    }
    running = api_url or os.environ.get("PREFECT_API_URL") or _running_api_url(settings)
    if running:
        env["PREFECT_API_URL"] = running
    return env


def use_prefect(settings: Settings) -> None:
    """Point Prefect at this home's server (the one `ppid run` started, if any)."""
    for key, value in prefect_environment(settings).items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def log_flow_runs(level: int = logging.INFO) -> None:
    """Our loggers at `level` in a process that runs flows, so their lines reach the UI."""
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)


def state_file(settings: Settings) -> Path:
    return paths.run_folder(settings) / "ppid-run.json"


def reachable_api_url(settings: Settings) -> str | None:
    """The Prefect API to submit work to, if it answers: PREFECT_API_URL, else `ppid run`'s."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        return given if healthy(given) else None
    return _running_api_url(settings)


def _running_api_url(settings: Settings) -> str | None:
    try:
        state = json.loads(state_file(settings).read_text())
    except (OSError, ValueError):
        return None
    url = state.get("prefect_api_url")
    return url if url and healthy(url) else None


def healthy(api_url: str) -> bool:
    try:
        # our own Prefect server (http://127.0.0.1:port), never a URL from outside
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # nosec B310
            return response.status == 200
    except OSError:
        return False


def api_call(api_url: str, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
    """One request to Prefect's REST API, JSON both ways; None when the object is not there (404).

    Any other failure is a `PpidError` naming the server and what it answered.
    """
    if not api_url.startswith(("http://", "https://")):
        raise PpidError("prefect.not_http", api=api_url)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api_url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310 (http)
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        detail = error.read().decode(errors="replace")[:300]
        request_line = f"{method} {path}"
        raise PpidError(
            "prefect.refused", api=api_url, status=error.code, request=request_line, detail=detail
        ) from error
    except (OSError, ValueError) as error:
        raise PpidError("prefect.no_answer", api=api_url, problem=str(error)) from error
