"""The `deepseek-reasoner` preset: `reasoning_content` next to `content`, and reasoning deltas before content deltas."""

import json

import helpers

MODEL = "deepseek-reasoner"
MESSAGES = [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]


def test_reasoning_non_stream(client, oas):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    body = json.loads(raw.text)
    oas.validate(body, "CreateChatCompletionResponse")
    msg = body["choices"][0]["message"]
    assert isinstance(msg.get("reasoning_content"), str) and msg["reasoning_content"].strip()
    assert isinstance(msg["content"], str) and msg["content"].strip()
    assert msg["reasoning_content"] != msg["content"]
    # The SDK keeps the vendor field on the parsed message.
    parsed = raw.parse().choices[0].message
    assert getattr(parsed, "reasoning_content", None) == msg["reasoning_content"]
    assert body["choices"][0]["finish_reason"] == "stop"
    u = body["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    reasoning_tokens = (u.get("completion_tokens_details") or {}).get("reasoning_tokens")
    assert reasoning_tokens and 0 < reasoning_tokens < u["completion_tokens"], f"reasoning_tokens in {u}"


def test_reasoning_stream_order(client, oas):
    ref = client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=MESSAGES, stream=True) as resp:
        chunks = helpers.sse_json(resp.iter_lines())
    kinds = []
    reasoning, content = [], []
    for c in chunks:
        oas.validate(c, "CreateChatCompletionStreamResponse")
        for ch in c["choices"]:
            d = ch["delta"]
            if d.get("reasoning_content"):
                kinds.append("r")
                reasoning.append(d["reasoning_content"])
            if d.get("content"):
                kinds.append("c")
                content.append(d["content"])
    assert "r" in kinds and "c" in kinds
    last_reasoning = max(i for i, k in enumerate(kinds) if k == "r")
    first_content = kinds.index("c")
    assert last_reasoning < first_content, f"reasoning deltas must all precede content deltas: {''.join(kinds)}"
    assert "".join(reasoning) == ref.reasoning_content
    assert "".join(content) == ref.content


def test_reasoning_stream_sdk_iteration(client):
    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert reasoning.strip()
    assert helpers.chat_chunk_text(chunks).strip()
    assert chunks[-1].choices[0].finish_reason == "stop"
