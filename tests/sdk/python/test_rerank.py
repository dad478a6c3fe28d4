"""POST /v1/rerank (not in the SDK): called through the SDK's low-level `client.post`, and /rerank over plain HTTP."""

import httpx

MODEL = "mock-rerank-v1"
QUERY = "What is the capital of France?"
DOCS = [
    "Bananas are rich in potassium and fibre.",
    "Paris is the capital and largest city of France.",
    "Rust is a systems programming language.",
    "France borders Spain, Italy and Germany.",
]


def rerank(client, **extra):
    return client.post("/rerank", cast_to=dict, body={"model": MODEL, "query": QUERY, "documents": DOCS, **extra})


def test_rerank_sorted_with_documents(client):
    res = rerank(client, return_documents=True)
    assert isinstance(res["id"], str) and res["id"]
    assert res["model"] == MODEL
    assert res["usage"]["total_tokens"] > 0
    results = res["results"]
    assert sorted(r["index"] for r in results) == list(range(len(DOCS)))
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True), f"results not sorted by relevance: {scores}"
    assert len(set(scores)) > 1, "all documents scored the same"
    for r in results:
        assert r["document"]["text"] == DOCS[r["index"]]
    assert results[0]["index"] == 1, f"the Paris document should rank first: {results}"
    banana = next(r for r in results if r["index"] == 0)
    assert banana["relevance_score"] < results[0]["relevance_score"]


def test_rerank_top_n(client):
    full = rerank(client)["results"]
    top = rerank(client, top_n=2)["results"]
    assert len(top) == 2
    assert [r["index"] for r in top] == [r["index"] for r in full[:2]]


def test_rerank_without_documents(client):
    res = rerank(client, return_documents=False)
    assert all(not r.get("document") for r in res["results"])


def test_rerank_unversioned_path(gw):
    r = httpx.post(f"{gw.root}/rerank", json={"model": MODEL, "query": QUERY, "documents": DOCS}, timeout=10)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == len(DOCS)
