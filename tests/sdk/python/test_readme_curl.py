"""The OpenAI-mocker README's curl examples, verbatim except for the port, run with the real curl.

They send `Authorization: Bearer sk-mock-xxxx`, which must be accepted while the gateway has no keys.
(The `/admin/...` examples belong to a later issue and are not run here.)
"""

from __future__ import annotations

import json
import subprocess

import pytest

import helpers

EXAMPLES = {
    "models": (
        "list",
        r"""curl http://localhost:8080/v1/models \
  -H "Authorization: Bearer sk-mock-xxxx"
""",
    ),
    "chat": (
        "chat.completion",
        r"""curl -X POST http://localhost:8080/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "mock-gpt-3.5-turbo",
    "messages": [{"role": "user", "content": "你好"}]
  }'
""",
    ),
    "completions": (
        "text_completion",
        r"""curl -X POST http://localhost:8080/v1/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "mock-davinci-002",
    "prompt": "你好"
  }'
""",
    ),
    "embeddings": (
        "list",
        r"""curl -X POST http://localhost:8080/v1/embeddings \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "mock-embedding-ada-002",
    "input": "你好"
  }'
""",
    ),
    "rerank": (
        None,
        r"""curl -X POST http://localhost:8080/v1/rerank \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "mock-rerank-v1",
    "query": "搜索查询",
    "documents": ["文档1", "文档2", "文档3"]
  }'
""",
    ),
    "reasoning": (
        "chat.completion",
        r"""curl -X POST http://localhost:8080/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "deepseek-reasoner",
    "messages": [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]
  }'
""",
    ),
    "reasoning-stream": (
        "chat.completion.chunk",
        r"""curl -X POST http://localhost:8080/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-mock-xxxx" \
  -d '{
    "model": "deepseek-reasoner",
    "messages": [{"role": "user", "content": "9.11 and 9.8, which is greater?"}],
    "stream": true
  }'
""",
    ),
}

STATUS_MARK = "__HTTP_STATUS__="


@pytest.fixture(scope="module")
def curl_home(tmp_path_factory):
    # A .curlrc adds the status line and quiets progress, so the commands themselves stay verbatim.
    home = tmp_path_factory.mktemp("curl")
    (home / ".curlrc").write_text(
        f'silent\nshow-error\nmax-time = 20\nwrite-out = "\\n{STATUS_MARK}%{{http_code}}\\n"\n'
    )
    return home


def run_example(command: str, port: int, curl_home) -> tuple[int, str]:
    command = command.replace("http://localhost:8080", f"http://localhost:{port}")
    proc = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "CURL_HOME": str(curl_home), "LANG": "C.UTF-8"},
    )
    assert proc.returncode == 0, f"curl failed ({proc.returncode}): {proc.stderr}"
    body, _, status = proc.stdout.rpartition(STATUS_MARK)
    return int(status.strip()), body.strip()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_readme_curl_example(gw, curl_home, name):
    want_object, command = EXAMPLES[name]
    status, body = run_example(command, gw.port, curl_home)
    assert status == 200, f"{name}: HTTP {status}: {body[:500]}"
    if name == "reasoning-stream":
        chunks = helpers.sse_json(body.splitlines())
        assert chunks and all(c["object"] == want_object for c in chunks)
        assert any(ch["delta"].get("reasoning_content") for c in chunks for ch in c["choices"])
        return
    doc = json.loads(body)
    if want_object:
        assert doc["object"] == want_object, f"{name}: {doc}"
    if name == "embeddings":
        vec = doc["data"][0]["embedding"]
        assert isinstance(vec, list) and len(vec) == 1536, "encoding_format defaults to float"
    if name == "rerank":
        assert sorted(r["index"] for r in doc["results"]) == [0, 1, 2]
    if name == "reasoning":
        assert doc["choices"][0]["message"]["reasoning_content"]
    if name == "chat":
        assert doc["choices"][0]["message"]["content"]
