"""Shared helpers for the SDK end-to-end tests: OpenAPI schema validation and raw SSE parsing.

The OpenAPI document is OpenAPI 3.1 (JSON Schema 2020-12), but a few schemas still carry the
OpenAPI 3.0 keyword `nullable: true` (for example the stream chunk's `finish_reason` and `usage`).
JSON Schema 2020-12 ignores that keyword, which would reject the `null` values the real API sends,
so the loader rewrites every `nullable: true` schema into `anyOf: [schema, {type: null}]` — the
meaning the spec's authors intended.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[3]
SPEC_URI = "urn:switchboard:openai-openapi"


def spec_path() -> Path:
    env = os.environ.get("SWITCHBOARD_OPENAPI")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "specs" / "openai-openapi.yaml"


def _nullable_to_anyof(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _nullable_to_anyof(v) for k, v in node.items() if not (k == "nullable" and v is True)}
        if node.get("nullable") is True:
            return {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_nullable_to_anyof(v) for v in node]
    return node


@lru_cache(maxsize=1)
def _registry() -> Registry:
    path = spec_path()
    if not path.is_file():
        raise FileNotFoundError(f"OpenAPI spec not found at {path}: set SWITCHBOARD_OPENAPI")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as fh:
        doc = yaml.load(fh, Loader=loader)
    doc = _nullable_to_anyof(doc)
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    registry = _registry()
    # Fail loudly if the schema name is wrong rather than validating against nothing.
    registry.resolver(SPEC_URI).lookup(f"{SPEC_URI}#/components/schemas/{name}")
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/{name}"}, registry=registry)


def validate(instance: Any, schema_name: str) -> None:
    """Raise AssertionError with every violation if `instance` does not match the OAS component schema."""
    errors = sorted(_validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in errors[:10]]
        raise AssertionError(
            f"response does not validate against {schema_name}:\n  "
            + "\n  ".join(lines)
            + f"\ninstance: {json.dumps(instance)[:1500]}"
        )


def validate_json_schema(instance: Any, schema: dict) -> None:
    """Validate against an arbitrary JSON schema (tool parameters, response_format schemas)."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    errors = list(cls(schema).iter_errors(instance))
    assert not errors, f"{json.dumps(instance)} does not validate: {[e.message for e in errors]}"


def sse_data(lines: Iterable[str]) -> list[str]:
    """Parse SSE text lines strictly: only `data:` fields and `:` comments are allowed.

    Returns the data payloads in order (including the final "[DONE]").
    """
    payloads: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "" or line.startswith(":"):
            continue
        assert line.startswith("data:"), f"unexpected SSE line (only data: and comments allowed): {line!r}"
        data = line[len("data:") :]
        if data.startswith(" "):
            data = data[1:]
        assert data != "", "empty data: event (breaks json.loads in the python SDK)"
        payloads.append(data)
    return payloads


def sse_json(lines: Iterable[str]) -> list[dict]:
    """Parse a whole stream, assert it ends with exactly one `data: [DONE]`, return the JSON chunks."""
    payloads = sse_data(lines)
    assert payloads, "stream carried no events"
    assert payloads[-1] == "[DONE]", f"stream must end with data: [DONE], got {payloads[-1][:200]!r}"
    assert payloads.count("[DONE]") == 1, "[DONE] sent more than once"
    return [json.loads(p) for p in payloads[:-1]]


def chat_chunk_text(chunks: Iterator[Any]) -> str:
    return "".join((c.choices[0].delta.content or "") for c in chunks if c.choices)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def norm(a: list[float]) -> float:
    return math.sqrt(sum(x * x for x in a))
