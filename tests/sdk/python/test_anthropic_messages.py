"""The official `anthropic` SDK against `/v1/messages` (Claude Code's API): `messages.create`, the
`messages.stream` helper (text, tool use with streamed JSON input, thinking), `count_tokens`, the beta
namespace (`?beta=true`), and errors raised as the SDK's own exception classes.

Every test runs against the mock gateway and against the proxy gateway, where the Messages request is
translated to chat completions and forwarded to the mock gateway over HTTP.
"""

from __future__ import annotations

import asyncio

import anthropic
import pytest

import helpers
from conftest import CHAT_MODEL

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
WEATHER_TOOL = {"name": "get_weather", "description": "Get the current weather for a city", "input_schema": WEATHER_SCHEMA}


@pytest.fixture
def claude(gw) -> anthropic.Anthropic:
    """An Anthropic client whose base URL is the gateway's origin, as Claude Code's ANTHROPIC_BASE_URL."""
    if "anthropic" not in gw.clients:
        gw.clients["anthropic"] = anthropic.Anthropic(base_url=gw.root, api_key="dummy", max_retries=0, timeout=20.0)
    return gw.clients["anthropic"]


def test_create_answers_like_chat_completions(claude, client):
    msg = claude.messages.create(
        model=CHAT_MODEL, max_tokens=300, messages=[{"role": "user", "content": "Tell me about Switchboard"}]
    )
    assert isinstance(msg, anthropic.types.Message)
    assert msg.id.startswith("msg_") and msg.type == "message" and msg.role == "assistant"
    assert msg.model == CHAT_MODEL
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert [b.type for b in msg.content] == ["text"]
    # The mock is deterministic: the translated request gets the very answer the chat request gets.
    chat = client.chat.completions.create(
        model=CHAT_MODEL, max_tokens=300, messages=[{"role": "user", "content": "Tell me about Switchboard"}]
    )
    assert msg.content[0].text == chat.choices[0].message.content
    assert msg.usage.input_tokens == chat.usage.prompt_tokens
    assert msg.usage.output_tokens == chat.usage.completion_tokens


def test_system_blocks_and_multi_turn(claude):
    msg = claude.messages.create(
        model=CHAT_MODEL,
        max_tokens=200,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Hi, how can I help?"},
            {"role": "user", "content": [{"type": "text", "text": "second question"}]},
        ],
        extra_body={"temperature": 0.2},
        stop_sequences=["\n\n\n"],
    )
    assert "second question" in msg.content[0].text


def test_max_tokens_stops_with_max_tokens(claude):
    msg = claude.messages.create(model=CHAT_MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert msg.stop_reason == "max_tokens"
    assert msg.usage.output_tokens == 5


def test_stream_helper_text(claude):
    with claude.messages.stream(
        model=CHAT_MODEL, max_tokens=300, messages=[{"role": "user", "content": "stream to me"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 3, "text arrives in pieces"
    assert "".join(pieces) == final.content[0].text
    assert "stream to me" in final.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0


def test_stream_raw_events_in_order(claude):
    events = list(
        claude.messages.create(
            model=CHAT_MODEL, max_tokens=100, stream=True, messages=[{"role": "user", "content": "raw events"}]
        )
    )
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert types[-2] == "message_delta"
    assert types.count("content_block_start") == types.count("content_block_stop") == 1


def test_tool_use_and_tool_result_round_trip(claude):
    tools = [WEATHER_TOOL]
    first = claude.messages.create(
        model=CHAT_MODEL,
        max_tokens=300,
        tools=tools,
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    )
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "get_weather" and use.id
    assert isinstance(use.input, dict)
    helpers.validate_json_schema(use.input, WEATHER_SCHEMA)
    second = claude.messages.create(
        model=CHAT_MODEL,
        max_tokens=300,
        tools=tools,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "21 degrees"}]},
        ],
    )
    assert second.stop_reason == "end_turn"
    assert "get_weather" in second.content[0].text and "21 degrees" in second.content[0].text


def test_stream_helper_tool_use(claude):
    with claude.messages.stream(
        model=CHAT_MODEL,
        max_tokens=300,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Weather in Oslo please"}],
    ) as stream:
        partials = [e.partial_json for e in stream if e.type == "input_json"]
        final = stream.get_final_message()
    assert partials, "the input arrives as JSON fragments"
    use = next(b for b in final.content if b.type == "tool_use")
    helpers.validate_json_schema(use.input, WEATHER_SCHEMA)
    assert final.stop_reason == "tool_use"


def test_thinking_blocks_from_a_reasoning_model(claude):
    with claude.messages.stream(
        model="deepseek-reasoner", max_tokens=500, messages=[{"role": "user", "content": "9.11 or 9.8?"}]
    ) as stream:
        thinking = "".join(e.thinking for e in stream if e.type == "thinking")
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == thinking and thinking.strip()
    assert final.content[1].text.strip()


def test_count_tokens(claude):
    small = claude.messages.count_tokens(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}])
    big = claude.messages.count_tokens(
        model=CHAT_MODEL,
        system="You are a careful assistant.",
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "hi there, what is the weather like in Paris today?"}],
    )
    assert 0 < small.input_tokens < big.input_tokens


def test_beta_namespace_uses_the_beta_query(claude):
    msg = claude.beta.messages.create(
        model=CHAT_MODEL,
        max_tokens=50,
        betas=["interleaved-thinking-2025-05-14"],
        messages=[{"role": "user", "content": "beta"}],
    )
    assert msg.content[0].type == "text"


def test_images_are_accepted(claude):
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    msg = claude.messages.create(
        model=CHAT_MODEL,
        max_tokens=100,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                    {"type": "text", "text": "what is this image"},
                ],
            }
        ],
    )
    assert msg.content[0].text


def test_errors_raise_the_sdk_classes(claude):
    with pytest.raises(anthropic.NotFoundError) as e:
        claude.messages.create(model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.RateLimitError):
        claude.messages.create(
            model=CHAT_MODEL,
            max_tokens=5,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-mock-fault": "429"},
        )
    with pytest.raises(anthropic.BadRequestError) as e:
        claude.messages.create(model=CHAT_MODEL, max_tokens=5, messages=[{"role": "robot", "content": "x"}])
    assert "role" in str(e.value)


def test_async_stream(gw):
    async def run():
        async with anthropic.AsyncAnthropic(base_url=gw.root, api_key="dummy", max_retries=0, timeout=20.0) as claude:
            async with claude.messages.stream(
                model=CHAT_MODEL, max_tokens=100, messages=[{"role": "user", "content": "async please"}]
            ) as stream:
                text = "".join([t async for t in stream.text_stream])
                final = await stream.get_final_message()
        return text, final

    text, final = asyncio.run(run())
    assert text == final.content[0].text and text
