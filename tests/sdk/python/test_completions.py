"""Legacy text completions with `mock-davinci-002`, plain and streamed."""

import json

import helpers

MODEL = "mock-davinci-002"
PROMPT = "Once upon a time in a quiet harbour town,"


def test_completion_plain(client, oas):
    raw = client.completions.with_raw_response.create(model=MODEL, prompt=PROMPT)
    oas.validate(json.loads(raw.text), "CreateCompletionResponse")
    c = raw.parse()
    assert c.object == "text_completion"
    assert c.model == MODEL
    assert c.choices[0].index == 0
    assert c.choices[0].text.strip()
    assert c.choices[0].finish_reason == "stop"
    assert c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens


def test_completion_max_tokens(client, oas):
    raw = client.completions.with_raw_response.create(model=MODEL, prompt=PROMPT, max_tokens=3)
    oas.validate(json.loads(raw.text), "CreateCompletionResponse")
    c = raw.parse()
    assert c.choices[0].finish_reason == "length"
    assert c.usage.completion_tokens == 3


def test_completion_stream(client, oas):
    ref = client.completions.create(model=MODEL, prompt=PROMPT).choices[0].text
    chunks = list(client.completions.create(model=MODEL, prompt=PROMPT, stream=True))
    assert len(chunks) >= 2
    assert len({c.id for c in chunks}) == 1
    assert all(c.object == "text_completion" for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == ref
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]


def test_completion_stream_raw_schema(client, oas):
    with client.completions.with_streaming_response.create(model=MODEL, prompt=PROMPT, stream=True) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        chunks = helpers.sse_json(resp.iter_lines())
    # The spec gives stream chunks the non-stream shape, whose finish_reason is not nullable; the real API
    # sends null until the last chunk, so only chunks carrying a finish_reason are validated whole.
    for c in chunks:
        assert c["object"] == "text_completion" and isinstance(c["created"], int) and c["model"] == MODEL
        for ch in c["choices"]:
            assert isinstance(ch["index"], int) and isinstance(ch["text"], str)
            assert "finish_reason" in ch
            if ch["finish_reason"] is not None:
                oas.validate(c, "CreateCompletionResponse")
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_completion_prompt_list_gives_one_choice_per_prompt(client, oas):
    raw = client.completions.with_raw_response.create(model=MODEL, prompt=["The sea", "The mountain"])
    oas.validate(json.loads(raw.text), "CreateCompletionResponse")
    c = raw.parse()
    assert [ch.index for ch in c.choices] == [0, 1]
    assert all(ch.text.strip() for ch in c.choices)
