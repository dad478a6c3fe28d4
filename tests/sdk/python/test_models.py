"""GET /v1/models and /v1/models/{id} through the SDK, with the raw bodies checked against the OpenAPI spec."""

import json

import openai
import pytest

from conftest import PRESET_MODELS


def test_list_models_contains_presets(client):
    ids = [m.id for m in client.models.list()]
    for want in PRESET_MODELS:
        assert want in ids, f"{want} missing from /v1/models: {ids}"
    assert len(ids) == len(set(ids)), f"duplicate model ids: {ids}"


def test_list_models_raw_matches_schema(client, oas):
    raw = client.models.with_raw_response.list()
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    body = json.loads(raw.text)
    oas.validate(body, "ListModelsResponse")
    assert body["object"] == "list"
    for m in body["data"]:
        oas.validate(m, "Model")
        assert isinstance(m["created"], int) and m["created"] > 0


@pytest.mark.parametrize("model_id", PRESET_MODELS)
def test_retrieve_model(client, oas, model_id):
    raw = client.models.with_raw_response.retrieve(model_id)
    body = json.loads(raw.text)
    oas.validate(body, "Model")
    assert body["id"] == model_id
    assert body["object"] == "model"
    assert raw.parse().id == model_id


def test_retrieve_unknown_model_is_404(client, oas):
    with pytest.raises(openai.NotFoundError) as exc:
        client.models.retrieve("no-such-model-xyz")
    assert exc.value.status_code == 404
    oas.validate(exc.value.response.json(), "ErrorResponse")
