"""Starts two real `switchboard` gateways for the whole session and hands tests an SDK client for each.

* `mock`  — the built-in mock provider, streaming as fast as possible.
* `proxy` — mock disabled, one `openai`-kind provider pointing at the mock gateway, so every request
  goes SDK → proxy gateway → mock gateway and back.

Every test that takes the `gw` fixture runs once per gateway.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest

import helpers

DEFAULT_BIN = "/root/.cache/switchboard/target/debug/switchboard"
CHAT_MODEL = "mock-gpt-3.5-turbo"
PRESET_MODELS = [
    "mock-gpt-3.5-turbo",
    "mock-davinci-002",
    "deepseek-reasoner",
    "mock-embedding-ada-002",
    "mock-rerank-v1",
]

MOCK_CONFIG = """\
[mock]
enabled = true
ttft_ms = 0
tokens_per_second = 0
"""

PROXY_CONFIG = """\
[mock]
enabled = false

[[providers]]
id = "up"
kind = "openai"
base_url = "{upstream}"
"""


def gateway_bin() -> Path:
    return Path(os.environ.get("SWITCHBOARD_BIN") or DEFAULT_BIN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Gateway:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path
    clients: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    @property
    def client(self) -> openai.OpenAI:
        if "sync" not in self.clients:
            self.clients["sync"] = openai.OpenAI(
                base_url=self.base_url, api_key="sk-switchboard-test", max_retries=0, timeout=20.0
            )
        return self.clients["sync"]

    def async_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.base_url, api_key="sk-switchboard-test", max_retries=0, timeout=20.0)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        for c in self.clients.values():
            c.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def _start(name: str, config_text: str, workdir: Path) -> Gateway:
    cfg = workdir / f"{name}.toml"
    cfg.write_text(config_text)
    log = workdir / f"{name}.log"
    port = _free_port()
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [str(gateway_bin()), "serve", "--host", "127.0.0.1", "--port", str(port), "--config", str(cfg)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
        )
    gw = Gateway(name=name, port=port, proc=proc, log=log)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} gateway exited with {proc.returncode}; log {log}:\n{gw.log_tail()}")
        try:
            if httpx.get(f"{gw.root}/health", timeout=1.0).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            gw.stop()
            raise RuntimeError(f"{name} gateway not healthy after 30 s; log {log}:\n{gw.log_tail()}")
        time.sleep(0.05)
    return gw


def _wait_for_models(gw: Gateway, want: list[str]) -> None:
    """The proxy discovers the upstream's models; wait until they are routable."""
    deadline = time.monotonic() + 15
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{gw.base_url}/models", timeout=2.0)
            if r.status_code == 200:
                seen = [m.get("id") for m in r.json().get("data", [])]
                if all(w in seen for w in want):
                    return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{gw.name} gateway never listed {want}; last /v1/models ids: {seen}\n{gw.log_tail()}")


def pytest_sessionstart(session: pytest.Session) -> None:
    b = gateway_bin()
    if not (b.is_file() and os.access(b, os.X_OK)):
        pytest.exit(
            f"switchboard binary not found at {b}: build it with "
            "`CARGO_TARGET_DIR=/root/.cache/switchboard/target cargo build -p switchboard-gateway` "
            "or set SWITCHBOARD_BIN",
            returncode=2,
        )


@pytest.fixture(scope="session")
def oas():
    """Warm the OpenAPI registry once per session; tests call helpers.validate()."""
    helpers._registry()
    return helpers


@pytest.fixture(scope="session")
def gateways(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gateways")
    started: list[Gateway] = []
    try:
        mock = _start("mock", MOCK_CONFIG, workdir)
        started.append(mock)
        proxy = _start("proxy", PROXY_CONFIG.format(upstream=mock.base_url), workdir)
        started.append(proxy)
        _wait_for_models(proxy, PRESET_MODELS)
        yield {"mock": mock, "proxy": proxy}
    finally:
        for g in reversed(started):
            g.stop()


@pytest.fixture(params=["mock", "proxy"])
def gw(request, gateways) -> Gateway:
    g = gateways[request.param]
    if g.proc.poll() is not None:
        pytest.fail(f"{g.name} gateway died (exit {g.proc.returncode}):\n{g.log_tail()}")
    return g


@pytest.fixture
def client(gw) -> openai.OpenAI:
    return gw.client
