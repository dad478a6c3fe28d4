"""Proxy fidelity: the same request sent to the mock gateway directly and through the proxy gateway must
come back the same (apart from per-response ids and timestamps) — bodies, SSE framing and errors."""

import httpx
import pytest

import helpers
from conftest import CHAT_MODEL

VOLATILE = {"id", "created"}


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def post(gw, path, body, headers=None):
    return httpx.post(f"{gw.base_url}{path}", json=body, headers=headers or {}, timeout=20)


def stream_lines(gw, body):
    with httpx.stream("POST", f"{gw.base_url}/chat/completions", json=body, timeout=20) as r:
        assert r.status_code == 200
        return list(r.iter_lines())


@pytest.mark.parametrize(
    "path,body",
    [
        ("/chat/completions", {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hello proxy"}], "n": 2}),
        ("/chat/completions", {"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "Why?"}]}),
        ("/completions", {"model": "mock-davinci-002", "prompt": "Proxy me"}),
        ("/embeddings", {"model": "mock-embedding-ada-002", "input": ["a b", "c d"], "encoding_format": "base64"}),
        ("/rerank", {"model": "mock-rerank-v1", "query": "cats", "documents": ["cats purr", "dogs bark"]}),
    ],
    ids=["chat", "reasoning", "completions", "embeddings", "rerank"],
)
def test_proxy_body_matches_direct(gateways, path, body):
    direct = post(gateways["mock"], path, body)
    proxied = post(gateways["proxy"], path, body)
    assert direct.status_code == proxied.status_code == 200
    assert strip(proxied.json()) == strip(direct.json())


@pytest.mark.parametrize(
    "body",
    [
        {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Stream it"}], "stream": True,
         "stream_options": {"include_usage": True}},
        {"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "Think"}], "stream": True},
        {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Weather in Oslo?"}], "stream": True,
         "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
         "tool_choice": "required"},
    ],
    ids=["chat", "reasoning", "tools"],
)
def test_proxy_stream_matches_direct(gateways, body):
    direct = helpers.sse_json(stream_lines(gateways["mock"], body))
    proxied = helpers.sse_json(stream_lines(gateways["proxy"], body))
    assert [strip(c) for c in proxied] == [strip(c) for c in direct]


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_proxy_passes_upstream_errors_through(gateways, kind):
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}]}
    direct = post(gateways["mock"], "/chat/completions", body, {"x-mock-fault": kind})
    proxied = post(gateways["proxy"], "/chat/completions", body, {"x-mock-fault": kind})
    assert proxied.status_code == direct.status_code == int(kind)
    assert proxied.json() == direct.json()
    assert proxied.headers.get("retry-after") == direct.headers.get("retry-after")
