"""Chat completions through the official python SDK: plain, n, stop, max_tokens, streaming (iteration,
raw SSE and the `.stream()` helper), include_usage."""

from __future__ import annotations

import json
import time

import pytest

import helpers
from conftest import CHAT_MODEL

MESSAGES = [{"role": "user", "content": "Tell me a short story about a lighthouse keeper and a storm."}]


def full_reply(client, messages=MESSAGES):
    c = client.chat.completions.create(model=CHAT_MODEL, messages=messages)
    return c


def assert_usage(usage):
    assert usage is not None, "usage missing"
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_plain(client, oas):
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    c = raw.parse()
    assert c.object == "chat.completion"
    assert c.model == CHAT_MODEL
    assert c.id
    assert abs(c.created - time.time()) < 3600, f"created must be unix seconds, got {c.created}"
    assert len(c.choices) == 1
    ch = c.choices[0]
    assert ch.index == 0
    assert ch.finish_reason == "stop"
    assert ch.message.role == "assistant"
    assert isinstance(ch.message.content, str) and ch.message.content.strip()
    assert ch.message.tool_calls in (None, [])
    assert_usage(c.usage)
    assert c.usage.completion_tokens >= 10, "mock replies should be tens of tokens"
    assert c._request_id, "x-request-id header missing (the SDK exposes it as _request_id)"


def test_content_parts_and_developer_role(client):
    c = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "Answer briefly."}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                ],
            },
        ],
    )
    assert c.choices[0].finish_reason == "stop"
    assert c.choices[0].message.content
    assert c.usage.prompt_tokens > 0


def test_chat_is_deterministic(client):
    a = full_reply(client).choices[0].message.content
    b = full_reply(client).choices[0].message.content
    assert a == b


def test_prompt_tokens_grow_with_prompt(client):
    short = full_reply(client, [{"role": "user", "content": "Hi"}]).usage.prompt_tokens
    long_msgs = [
        {"role": "system", "content": "You are a helpful assistant that answers in great detail."},
        {"role": "user", "content": "Explain how a lighthouse lens focuses light over many nautical miles."},
    ]
    long = full_reply(client, long_msgs).usage.prompt_tokens
    assert long > short + 10, f"prompt_tokens should follow the prompt length ({short} vs {long})"


def test_chat_n_choices(client, oas):
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES, n=3)
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    c = raw.parse()
    assert [ch.index for ch in c.choices] == [0, 1, 2]
    for ch in c.choices:
        assert ch.message.content and ch.finish_reason == "stop"
    assert_usage(c.usage)


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_token_limit_gives_length(client, oas, param):
    full = full_reply(client).choices[0].message.content
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES, **{param: 5})
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    c = raw.parse()
    ch = c.choices[0]
    assert ch.finish_reason == "length"
    assert c.usage.completion_tokens == 5
    assert ch.message.content and len(ch.message.content) < len(full)
    assert full.startswith(ch.message.content), f"truncated reply {ch.message.content!r} is not a prefix of {full!r}"


def test_stop_sequence(client, oas):
    full = full_reply(client).choices[0].message.content
    words = full.split()
    assert len(words) >= 6
    stop = words[len(words) // 2]
    cut = full.index(stop)
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES, stop=[stop])
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    ch = raw.parse().choices[0]
    assert ch.finish_reason == "stop"
    assert stop not in ch.message.content
    assert ch.message.content == full[:cut], f"stop={stop!r}: expected {full[:cut]!r}, got {ch.message.content!r}"


def test_stream_stop_matches_non_stream(client):
    full = full_reply(client).choices[0].message.content
    stop = full.split()[len(full.split()) // 2]
    ref = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stop=stop).choices[0].message.content
    chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stop=stop, stream=True))
    assert helpers.chat_chunk_text(chunks) == ref
    assert stop not in ref
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_unknown_fields_are_accepted(client):
    c = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=MESSAGES,
        extra_body={"top_k": 5, "vendor_extension": {"nested": [1, 2, 3]}},
        seed=7,
        user="switchboard-test",
    )
    assert c.choices[0].message.content


def test_stream_iteration(client):
    full = full_reply(client).choices[0].message.content
    chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True))
    assert len(chunks) >= 3
    ids = {c.id for c in chunks}
    assert len(ids) == 1, f"chunk ids differ: {ids}"
    assert len({c.created for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert all(c.model == CHAT_MODEL for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in chunks[1:]), "delta.role repeated after the first chunk"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert not last.choices[0].delta.content
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert all(c.usage is None for c in chunks)
    assert helpers.chat_chunk_text(chunks) == full


def _raw_stream(client, **kw):
    with client.chat.completions.with_streaming_response.create(stream=True, **kw) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        return helpers.sse_json(resp.iter_lines())


def test_stream_raw_chunks_match_schema(client, oas):
    chunks = _raw_stream(client, model=CHAT_MODEL, messages=MESSAGES)
    for c in chunks:
        oas.validate(c, "CreateChatCompletionStreamResponse")
        assert c.get("usage") is None
    assert "role" in chunks[0]["choices"][0]["delta"]
    for c in chunks[1:]:
        assert "role" not in c["choices"][0]["delta"], f"role repeated: {c}"
    final = chunks[-1]["choices"][0]
    assert final["finish_reason"] == "stop"
    assert {k: v for k, v in final["delta"].items() if v not in (None, "")} == {}, f"finish delta not empty: {final}"


def test_stream_include_usage(client, oas):
    ref = full_reply(client).usage
    chunks = _raw_stream(client, model=CHAT_MODEL, messages=MESSAGES, stream_options={"include_usage": True})
    for c in chunks:
        oas.validate(c, "CreateChatCompletionStreamResponse")
    *body, usage_chunk = chunks
    assert usage_chunk["choices"] == []
    u = usage_chunk["usage"]
    assert u["prompt_tokens"] == ref.prompt_tokens
    assert u["completion_tokens"] == ref.completion_tokens
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    for c in body:
        assert "usage" in c and c["usage"] is None, f"non-final chunk must carry usage: null, got {c}"
        assert len(c["choices"]) == 1
    assert body[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_without_include_usage_has_no_usage_chunk(client):
    chunks = _raw_stream(client, model=CHAT_MODEL, messages=MESSAGES)
    assert all(c["choices"] for c in chunks), "empty-choices chunk sent without include_usage"


def test_stream_max_tokens_length_with_usage(client):
    chunks = list(
        client.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, max_tokens=4, stream_options={"include_usage": True}
        )
    )
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4


def test_stream_n_choices(client):
    chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True, n=2))
    assert len({c.id for c in chunks}) == 1
    for idx in (0, 1):
        mine = [ch for c in chunks for ch in c.choices if ch.index == idx]
        assert mine, f"no chunks for choice {idx}"
        roles = [ch.delta.role for ch in mine if ch.delta.role]
        assert roles == ["assistant"], f"choice {idx}: role must appear exactly once, got {roles}"
        assert "".join(ch.delta.content or "" for ch in mine).strip()
        assert [ch.finish_reason for ch in mine if ch.finish_reason] == ["stop"]


def test_stream_helper_final_completion(client):
    full = full_reply(client).choices[0].message.content
    deltas, done = [], None
    with client.chat.completions.stream(
        model=CHAT_MODEL, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        for event in stream:
            if event.type == "content.delta":
                deltas.append(event.delta)
            elif event.type == "content.done":
                done = event.content
        final = stream.get_final_completion()
    ch = final.choices[0]
    assert ch.message.role == "assistant"
    assert ch.finish_reason == "stop"
    assert ch.message.content == full
    assert "".join(deltas) == full
    assert done == full
    assert final.usage is not None and final.usage.completion_tokens > 0
    assert final.usage.total_tokens == final.usage.prompt_tokens + final.usage.completion_tokens
