"""Embeddings: the SDK's default base64 request and transparent decoding, floats, dimensions, token arrays,
and that similar texts are closer than unrelated ones."""

import base64
import json
import struct

import pytest

import helpers

MODEL = "mock-embedding-ada-002"
DIM = 1536


def test_default_request_is_base64_and_decoded(client):
    raw = client.embeddings.with_raw_response.create(model=MODEL, input="The quick brown fox jumps over the lazy dog")
    sent = json.loads(raw.http_response.request.content)
    assert sent["encoding_format"] == "base64", "precondition: the SDK asks for base64 by default"
    body = json.loads(raw.text)
    assert body["object"] == "list" and body["model"] == MODEL
    emb = body["data"][0]["embedding"]
    assert isinstance(emb, str), f"base64 requested but got {type(emb).__name__}"
    blob = base64.b64decode(emb, validate=True)
    assert len(blob) == DIM * 4, f"base64 payload is {len(blob)} bytes, want {DIM * 4} (little-endian float32)"
    expected = struct.unpack(f"<{DIM}f", blob)
    decoded = raw.parse().data[0].embedding
    assert len(decoded) == DIM
    assert decoded == pytest.approx(list(expected))
    assert helpers.norm(decoded) == pytest.approx(1.0, abs=1e-3)
    assert body["usage"]["prompt_tokens"] > 0


def test_sdk_default_call_returns_float_vectors(client):
    res = client.embeddings.create(model=MODEL, input="hello world")
    vec = res.data[0].embedding
    assert len(vec) == DIM and all(isinstance(x, float) for x in vec)
    assert any(x != 0.0 for x in vec)


def test_float_matches_base64_and_schema(client, oas):
    text = "Switchboard routes every request"
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=text, encoding_format="float")
    body = json.loads(raw.text)
    oas.validate(body, "CreateEmbeddingResponse")
    floats = body["data"][0]["embedding"]
    assert len(floats) == DIM
    b64 = client.embeddings.create(model=MODEL, input=text).data[0].embedding
    assert floats == pytest.approx(b64, abs=1e-6)
    assert helpers.norm(floats) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("fmt", ["float", "base64"])
def test_dimensions(client, fmt):
    raw = client.embeddings.with_raw_response.create(model=MODEL, input="size me", dimensions=256, encoding_format=fmt)
    emb = json.loads(raw.text)["data"][0]["embedding"]
    vec = emb if fmt == "float" else list(struct.unpack("<256f", base64.b64decode(emb)))
    assert len(vec) == 256
    assert helpers.norm(vec) == pytest.approx(1.0, abs=1e-3)


def test_batch_of_strings(client, oas):
    inputs = ["red apples", "green pears", "blue boats"]
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=inputs, encoding_format="float")
    body = json.loads(raw.text)
    oas.validate(body, "CreateEmbeddingResponse")
    assert [d["index"] for d in body["data"]] == [0, 1, 2]
    vecs = [d["embedding"] for d in body["data"]]
    assert vecs[0] != vecs[1] != vecs[2]
    single = client.embeddings.create(model=MODEL, input="green pears", encoding_format="float").data[0].embedding
    assert single == pytest.approx(vecs[1], abs=1e-6), "batch position must not change a vector"


@pytest.mark.parametrize(
    "tokens,count,n",
    [([9906, 1917, 374], 3, 1), ([[9906, 1917], [40, 1093, 10843]], 5, 2)],
    ids=["int-array", "int-array-array"],
)
def test_token_arrays(client, oas, tokens, count, n):
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=tokens, encoding_format="float")
    body = json.loads(raw.text)
    oas.validate(body, "CreateEmbeddingResponse")
    assert len(body["data"]) == n
    assert all(len(d["embedding"]) == DIM for d in body["data"])
    assert body["usage"]["prompt_tokens"] == count


def test_similarity_ordering(client):
    texts = [
        "The cat sat on the mat by the door",
        "A cat was sitting on the mat near the door",
        "Quarterly revenue grew thanks to semiconductor sales",
    ]
    a, b, c = (d.embedding for d in client.embeddings.create(model=MODEL, input=texts).data)
    assert helpers.cosine(a, b) > helpers.cosine(a, c) + 0.1


def test_embeddings_deterministic(client):
    one = client.embeddings.create(model=MODEL, input="same text").data[0].embedding
    two = client.embeddings.create(model=MODEL, input="same text").data[0].embedding
    assert one == two
