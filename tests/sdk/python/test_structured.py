"""response_format: json_object, json_schema, and the SDK's `parse()` / `stream(response_format=Model)` helpers."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel

import helpers
from conftest import CHAT_MODEL


class Location(BaseModel):
    city: str
    country: str


class WeatherReport(BaseModel):
    location: Location
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rain", "snow"]
    humidity_percent: int
    alerts: list[str]


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "verified": {"type": "boolean"},
        "emails": {"type": "array", "items": {"type": "string"}},
        "role": {"type": "string", "enum": ["admin", "editor", "viewer"]},
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["street", "zip"],
            "additionalProperties": False,
        },
    },
    "required": ["name", "age", "verified", "emails", "role", "address"],
    "additionalProperties": False,
}

ASK = [{"role": "user", "content": "Give me the weather report for Lisbon."}]


def test_json_object(client, oas):
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Describe a cat as JSON."}],
        response_format={"type": "json_object"},
    )
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    content = raw.parse().choices[0].message.content
    value = json.loads(content)
    assert isinstance(value, dict) and value, f"json_object reply is not a non-empty JSON object: {content!r}"


def test_json_schema_raw(client, oas):
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Invent a user profile."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": PERSON_SCHEMA, "strict": True},
        },
    )
    oas.validate(json.loads(raw.text), "CreateChatCompletionResponse")
    c = raw.parse().choices[0]
    assert c.finish_reason == "stop"
    helpers.validate_json_schema(json.loads(c.message.content), PERSON_SCHEMA)


CONSTRAINED_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 5, "maximum": 9},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "kind": {"type": "string", "const": "fixed"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1},
    },
    "required": ["score", "ratio", "tags", "code", "note", "kind", "items"],
    "additionalProperties": False,
    "$defs": {
        "item": {
            "type": "object",
            "properties": {"name": {"type": "string", "minLength": 3}, "qty": {"type": "integer", "minimum": 1}},
            "required": ["name", "qty"],
            "additionalProperties": False,
        }
    },
}


def test_json_schema_constraints_and_refs(client):
    c = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Fill the form."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "form", "schema": CONSTRAINED_SCHEMA, "strict": True},
        },
    )
    helpers.validate_json_schema(json.loads(c.choices[0].message.content), CONSTRAINED_SCHEMA)


def test_parse_with_pydantic_model(client):
    completion = client.chat.completions.parse(model=CHAT_MODEL, messages=ASK, response_format=WeatherReport)
    msg = completion.choices[0].message
    assert isinstance(msg.parsed, WeatherReport), f"parsed={msg.parsed!r} content={msg.content!r}"
    assert msg.parsed.conditions in ("sunny", "cloudy", "rain", "snow")
    assert isinstance(msg.parsed.location, Location)
    # The parsed object must be exactly what the content says.
    assert WeatherReport.model_validate_json(msg.content) == msg.parsed


def test_stream_helper_with_response_format(client):
    with client.chat.completions.stream(model=CHAT_MODEL, messages=ASK, response_format=WeatherReport) as stream:
        done_events = [e for e in stream if e.type == "content.done"]
        final = stream.get_final_completion()
    assert len(done_events) == 1
    assert isinstance(done_events[0].parsed, WeatherReport)
    parsed = final.choices[0].message.parsed
    assert isinstance(parsed, WeatherReport)
    assert parsed == done_events[0].parsed
    assert final.choices[0].finish_reason == "stop"
