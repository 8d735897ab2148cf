"""The Prefect server `ppid run` starts as a child process (`ppid.runtime.prefect_server`), or
the shared one several machines use (PREFECT_API_URL)."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ppid.core import paths
from ppid.core.errors import ConfigError, UnavailableError
from ppid.core.settings import Settings
from ppid.runtime.prefect_env import healthy, prefect_environment

log = logging.getLogger(__name__)


@contextlib.contextmanager
def prefect_server(settings: Settings, port: int) -> Iterator[str]:
    """A local Prefect server (`ppid.runtime.prefect_server`) as a child process, until the block
    ends."""
    env = {**os.environ, **prefect_environment(settings, api_url="unused")}
    env.pop("PREFECT_API_URL", None)
    log_path = paths.log_file(settings, "prefect-server")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "ppid.runtime.prefect_server", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    api_url = f"http://127.0.0.1:{port}/api"
    if healthy(api_url):
        raise ConfigError("prefect.port_taken", port=port)
    with log_path.open("ab") as log_file:
        child = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _waithealthy(api_url, child, log_path)
        yield api_url
    finally:
        _stop(child)


def _waithealthy(api_url: str, child: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ConfigError("prefect.stopped", log=str(log_path))
        if healthy(api_url):
            return
        time.sleep(0.5)
    raise ConfigError("prefect.silent_start", log=str(log_path))


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextlib.contextmanager
def prefect_api(settings: Settings, shared: str | None) -> Iterator[str]:
    """The Prefect API to use: `shared` (the operator's PREFECT_API_URL), or a child of our own.

    A shared server that does not answer is an error, not a reason to start a private one that
    the other machines' workers would never see.
    """
    if shared:
        if not healthy(shared):
            raise UnavailableError("prefect.unreachable", api=shared)
        yield shared
        return
    with prefect_server(settings, settings.intake.prefect_port) as api:
        yield api
