"""AsyncOpenAI: streaming by iteration and through the async `.stream()` helper, several streams at once."""

import asyncio

from conftest import CHAT_MODEL

MESSAGES = [{"role": "user", "content": "Describe the sea at dawn."}]


def test_async_stream_iteration(gw, client):
    ref = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES).choices[0].message.content

    async def run():
        async with gw.async_client() as ac:
            stream = await ac.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True)
            parts, finish = [], []
            async for chunk in stream:
                for ch in chunk.choices:
                    parts.append(ch.delta.content or "")
                    if ch.finish_reason:
                        finish.append(ch.finish_reason)
            return "".join(parts), finish

    text, finish = asyncio.run(run())
    assert text == ref
    assert finish == ["stop"]


def test_async_stream_helper_concurrent(gw, client):
    prompts = [f"Describe harbour number {i} in two sentences." for i in range(5)]
    refs = [
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": p}])
        .choices[0]
        .message.content
        for p in prompts
    ]

    async def one(ac, prompt):
        async with ac.chat.completions.stream(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": prompt}],
            stream_options={"include_usage": True},
        ) as stream:
            async for _ in stream:
                pass
            return await stream.get_final_completion()

    async def run():
        async with gw.async_client() as ac:
            return await asyncio.gather(*(one(ac, p) for p in prompts))

    finals = asyncio.run(run())
    for final, ref in zip(finals, refs):
        assert final.choices[0].message.content == ref
        assert final.choices[0].finish_reason == "stop"
        assert final.usage.completion_tokens > 0
