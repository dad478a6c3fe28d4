"""Error envelope and status → SDK exception class, plus fault injection through `x-mock-fault`."""

import time

import httpx
import openai
import pytest

from conftest import CHAT_MODEL

MESSAGES = [{"role": "user", "content": "Tell me a long story about rivers and mountains."}]


def fault(kind):
    return {"x-mock-fault": kind}


def test_unknown_model_chat_is_not_found(client, oas):
    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model="no-such-model-xyz", messages=MESSAGES)
    assert exc.value.status_code == 404
    body = exc.value.response.json()
    oas.validate(body, "ErrorResponse")
    assert "no-such-model-xyz" in body["error"]["message"]


def test_unknown_model_stream_fails_before_streaming(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model-xyz", messages=MESSAGES, stream=True)


def test_unknown_embedding_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-embedder", input="x")


def test_missing_messages_is_bad_request(client, oas):
    with pytest.raises(openai.BadRequestError) as exc:
        client.post("/chat/completions", cast_to=dict, body={"model": CHAT_MODEL})
    assert exc.value.status_code == 400
    oas.validate(exc.value.response.json(), "ErrorResponse")


def test_wrong_type_is_bad_request(client, oas):
    with pytest.raises(openai.BadRequestError) as exc:
        client.post("/chat/completions", cast_to=dict, body={"model": CHAT_MODEL, "messages": "not-a-list"})
    oas.validate(exc.value.response.json(), "ErrorResponse")


def test_malformed_json_is_bad_request(gw, oas):
    r = httpx.post(
        f"{gw.base_url}/chat/completions",
        content=b'{"model": "mock-gpt-3.5-turbo", "messages": [',
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    oas.validate(r.json(), "ErrorResponse")


def test_fault_429_rate_limit(client, oas):
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, extra_headers=fault("429"))
    assert exc.value.status_code == 429
    assert exc.value.response.headers.get("retry-after") == "1"
    oas.validate(exc.value.response.json(), "ErrorResponse")


def test_fault_429_is_retried_after_retry_after(client):
    start = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        client.with_options(max_retries=1).chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, extra_headers=fault("429")
        )
    elapsed = time.monotonic() - start
    assert elapsed >= 0.9, f"SDK should have waited retry-after (1 s) before its retry; took {elapsed:.2f}s"


@pytest.mark.parametrize("status", [500, 503])
def test_fault_5xx(client, oas, status):
    with pytest.raises(openai.InternalServerError) as exc:
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, extra_headers=fault(str(status)))
    assert exc.value.status_code == status
    oas.validate(exc.value.response.json(), "ErrorResponse")


def test_fault_429_on_stream_request(client):
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True, extra_headers=fault("429"))


def test_fault_timeout(client):
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=1.0, max_retries=0).chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, extra_headers=fault("timeout")
        )
    assert time.monotonic() - start < 5


def test_fault_disconnect_mid_stream(client):
    received = []
    with pytest.raises(openai.APIError):
        stream = client.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, extra_headers=fault("disconnect")
        )
        for chunk in stream:
            received.append(chunk)
    assert received, "the stream should be cut mid-way, after some chunks"
    assert not any(c.choices and c.choices[0].finish_reason for c in received), "stream finished normally"


def test_gateway_survives_faults(client):
    c = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
    assert c.choices[0].message.content
