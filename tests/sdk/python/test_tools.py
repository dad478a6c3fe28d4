"""Function tools: forced and automatic tool choice, the full tool round-trip, streamed tool-call deltas
(raw and through the `.stream()` helper), and strict `pydantic_function_tool` parsing."""

from __future__ import annotations

import json
from typing import Literal

import openai
from pydantic import BaseModel

import helpers
from conftest import CHAT_MODEL

WEATHER_PARAMS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
STOCK_PARAMS = {
    "type": "object",
    "properties": {"ticker": {"type": "string"}, "exchange": {"type": "string", "enum": ["NYSE", "NASDAQ"]}},
    "required": ["ticker", "exchange"],
    "additionalProperties": False,
}
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Get the current weather for a city", "parameters": WEATHER_PARAMS},
}
STOCK_TOOL = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "description": "Look up the latest stock price for a ticker symbol",
        "parameters": STOCK_PARAMS,
    },
}
TOOLS = [WEATHER_TOOL, STOCK_TOOL]
PARAMS_BY_NAME = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}


def assert_valid_call(call, expected_name=None):
    assert call.id, "tool call without id"
    assert call.type == "function"
    if expected_name:
        assert call.function.name == expected_name
    assert call.function.name in PARAMS_BY_NAME
    assert isinstance(call.function.arguments, str), "arguments must be a JSON string"
    helpers.validate_json_schema(json.loads(call.function.arguments), PARAMS_BY_NAME[call.function.name])


def test_tool_choice_required(client, oas):
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Please help me."}],
        tools=TOOLS,
        tool_choice="required",
    )
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    ch = raw.parse().choices[0]
    assert ch.finish_reason == "tool_calls"
    assert ch.message.tool_calls, "no tool_calls with tool_choice=required"
    for call in ch.message.tool_calls:
        assert_valid_call(call)
    assert not ch.message.content


def test_tool_choice_named(client):
    c = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_stock_price"}},
    )
    ch = c.choices[0]
    assert ch.finish_reason == "tool_calls"
    assert [t.function.name for t in ch.message.tool_calls] == ["get_stock_price"]
    assert_valid_call(ch.message.tool_calls[0], "get_stock_price")


def test_tool_choice_auto_picks_matching_tool(client):
    # Each prompt shares words with exactly one tool's name/description.
    for prompt, want in [
        ("Weather in Paris now?", "get_weather"),
        ("Stock price of ACME please?", "get_stock_price"),
    ]:
        ch = client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": prompt}], tools=TOOLS, tool_choice="auto"
        ).choices[0]
        assert ch.finish_reason == "tool_calls", f"{prompt!r}: expected a call to {want}"
        assert ch.message.tool_calls[0].function.name == want
        assert_valid_call(ch.message.tool_calls[0], want)


def test_tool_choice_auto_unrelated_answers_text(client):
    ch = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Compose haiku praising autumn leaves"}],
        tools=TOOLS,
        tool_choice="auto",
    ).choices[0]
    assert ch.finish_reason == "stop"
    assert not ch.message.tool_calls
    assert ch.message.content


def test_tool_choice_none_answers_text(client):
    ch = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What's the weather in Paris right now?"}],
        tools=TOOLS,
        tool_choice="none",
    ).choices[0]
    assert ch.finish_reason == "stop"
    assert not ch.message.tool_calls
    assert ch.message.content


def get_weather(city: str, unit: str, days: int) -> dict:
    return {"city": city, "unit": unit, "forecast": ["sunny"] * days}


def test_tool_round_trip(client, oas):
    messages = [{"role": "user", "content": "Weather forecast in Reykjavik this week?"}]
    first = client.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=TOOLS, tool_choice="auto")
    msg = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    messages.append(msg.model_dump(exclude_none=True))
    for call in msg.tool_calls:
        assert call.function.name == "get_weather"
        result = get_weather(**json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=messages, tools=TOOLS, tool_choice="auto"
    )
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    ch = raw.parse().choices[0]
    assert ch.finish_reason == "stop"
    assert not ch.message.tool_calls
    assert ch.message.content and ch.message.content.strip()


def test_stream_tool_call_deltas_raw(client, oas):
    with client.chat.completions.with_streaming_response.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    ) as resp:
        chunks = helpers.sse_json(resp.iter_lines())
    for c in chunks:
        oas.validate(c, "CreateChatCompletionStreamResponse")
    fragments = [tc for c in chunks for ch in c["choices"] for tc in (ch["delta"].get("tool_calls") or [])]
    assert len(fragments) >= 2, f"tool call should be streamed in several fragments, got {fragments}"
    first, rest = fragments[0], fragments[1:]
    assert first["index"] == 0
    assert first["id"] and first["type"] == "function"
    assert first["function"]["name"] == "get_weather"
    assert first["function"].get("arguments") == ""
    for f in rest:
        assert f["index"] == 0
        assert set(f) <= {"index", "function"}, f"later fragments must carry only index+arguments: {f}"
        assert set(f["function"]) == {"arguments"}, f"later fragments must carry only arguments: {f}"
    args = "".join(f["function"].get("arguments", "") for f in fragments)
    helpers.validate_json_schema(json.loads(args), WEATHER_PARAMS)
    finishes = [ch["finish_reason"] for c in chunks for ch in c["choices"] if ch["finish_reason"]]
    assert finishes == ["tool_calls"]


class GetWeather(BaseModel):
    """Get the current weather for a city"""

    city: str
    unit: Literal["celsius", "fahrenheit"]
    days: int


def test_stream_helper_accumulates_tool_calls(client):
    tool = openai.pydantic_function_tool(GetWeather)
    arg_deltas, done, fragment_ids = [], [], []
    with client.chat.completions.stream(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[tool],
        tool_choice="required",
    ) as stream:
        for event in stream:
            if event.type == "chunk":
                for ch in event.chunk.choices:
                    fragment_ids += [tc.id for tc in ch.delta.tool_calls or [] if tc.id]
            elif event.type == "tool_calls.function.arguments.delta":
                arg_deltas.append(event.arguments_delta)
            elif event.type == "tool_calls.function.arguments.done":
                done.append(event)
        final = stream.get_final_completion()
    assert len(done) == 1
    assert done[0].name == "GetWeather"
    assert isinstance(done[0].parsed_arguments, GetWeather)
    assert "".join(arg_deltas) == done[0].arguments
    ch = final.choices[0]
    assert ch.finish_reason == "tool_calls"
    assert ch.message.role == "assistant"
    (call,) = ch.message.tool_calls
    assert call.type == "function"
    assert call.function.name == "GetWeather", f"name duplicated by repeated fragments? {call.function.name!r}"
    assert len(fragment_ids) == 1, f"id must appear only in the first fragment: {fragment_ids}"
    assert call.id == fragment_ids[0]
    assert call.function.parsed_arguments == done[0].parsed_arguments


def test_parse_with_pydantic_function_tool(client):
    c = client.chat.completions.parse(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Weather in Rome for three days, please."}],
        tools=[openai.pydantic_function_tool(GetWeather)],
        tool_choice="required",
    )
    call = c.choices[0].message.tool_calls[0]
    assert isinstance(call.function.parsed_arguments, GetWeather)
