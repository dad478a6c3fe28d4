"""The openai SDK's Responses API (Codex CLI's API) against `/v1/responses`, translated to chat
completions: `responses.create`, the `responses.stream` helper, function tools and their outputs,
structured output through `responses.parse`, reasoning items, stateless refusals; bodies and raw stream
events are validated against the OpenAPI spec.

Every test runs against the mock gateway and the proxy gateway (translated, then forwarded over HTTP).
"""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel

import helpers
from conftest import CHAT_MODEL

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city", "days"],
        "additionalProperties": False,
    },
    "strict": True,
}


def named_events(lines) -> list[tuple[str, dict]]:
    """`(event, data)` pairs of a named-event stream; every event must carry both lines, agreeing."""
    out, name = [], None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
            assert name == data["type"], f"event {name!r} carries type {data['type']!r}"
            out.append((name, data))
            name = None
        else:
            assert line == "", f"unexpected line {line!r}"
    return out


def test_create_returns_a_valid_response(client, oas):
    raw = client.responses.with_raw_response.create(
        model=CHAT_MODEL, instructions="Be brief.", input="Tell me about responses", max_output_tokens=300
    )
    body = json.loads(raw.text)
    oas.validate(body, "Response")
    r = raw.parse()
    assert r.status == "completed" and r.object == "response"
    assert "Tell me about responses" in r.output_text
    assert r.instructions == "Be brief."
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    # Same conversation, same answer: the translation is faithful to the chat request.
    chat = client.chat.completions.create(
        model=CHAT_MODEL,
        max_tokens=300,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about responses"}],
    )
    assert r.output_text == chat.choices[0].message.content


def test_max_output_tokens_makes_it_incomplete(client):
    r = client.responses.create(model=CHAT_MODEL, input="hi", max_output_tokens=4)
    assert r.status == "incomplete"
    assert r.incomplete_details.reason == "max_output_tokens"
    assert r.usage.output_tokens == 4


def test_stream_helper_accumulates_text(client):
    with client.responses.stream(model=CHAT_MODEL, input=[{"role": "user", "content": "stream to me"}]) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) > 3
    assert "".join(deltas) == final.output_text
    assert final.status == "completed" and final.usage.output_tokens > 0


def test_raw_stream_events_validate_and_are_numbered(client, oas):
    with client.responses.with_streaming_response.create(model=CHAT_MODEL, input="numbered", stream=True) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = named_events(resp.iter_lines())
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    names = [n for n, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    for _, data in events:
        oas.validate(data, "ResponseStreamEvent")
    oas.validate(events[-1][1]["response"], "Response")


def test_function_call_and_its_output(client, oas):
    first = client.responses.create(model=CHAT_MODEL, input="weather in Rome?", tools=[WEATHER], tool_choice="required")
    calls = [o for o in first.output if o.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id
    helpers.validate_json_schema(json.loads(calls[0].arguments), WEATHER["parameters"])
    second = client.responses.with_raw_response.create(
        model=CHAT_MODEL,
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "weather in Rome?"},
            {"type": "function_call", "call_id": calls[0].call_id, "name": "get_weather", "arguments": calls[0].arguments},
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 25C"},
        ],
    )
    oas.validate(json.loads(second.text), "Response")
    text = second.parse().output_text
    assert "get_weather" in text and "sunny" in text


def test_stream_helper_function_call(client):
    with client.responses.stream(
        model=CHAT_MODEL,
        input="weather in Lima for 3 days",
        tools=[WEATHER],
        tool_choice={"type": "function", "name": "get_weather"},
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    call = next(o for o in final.output if o.type == "function_call")
    assert "".join(deltas) == call.arguments
    helpers.validate_json_schema(json.loads(call.arguments), WEATHER["parameters"])


class City(BaseModel):
    name: str
    population: int


def test_parse_with_a_json_schema_format(client):
    r = client.responses.parse(model=CHAT_MODEL, input="Name a city", text_format=City)
    assert isinstance(r.output_parsed, City)


def test_reasoning_items_from_a_reasoning_model(client):
    r = client.responses.create(model="deepseek-reasoner", input="9.11 or 9.8?", reasoning={"effort": "high"})
    kinds = [o.type for o in r.output]
    assert kinds == ["reasoning", "message"]
    assert r.output[0].content[0].text.strip()
    assert r.reasoning.effort == "high"


def test_state_is_refused_with_a_clear_400(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model=CHAT_MODEL, input="again", previous_response_id="resp_123")
    assert e.value.param == "previous_response_id"
    assert "whole conversation" in e.value.message


def test_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model", input="x")
