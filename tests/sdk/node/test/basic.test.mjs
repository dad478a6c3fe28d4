// Models, chat (plain, for-await streaming, include_usage), completions streaming, embeddings and rerank
// through the official openai Node SDK, against the mock gateway and the proxy gateway.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';

import { CHAT_MODEL, MODES, PRESET_MODELS, startGateways } from '../gateway.mjs';

const gateways = await startGateways();
after(() => gateways.stop());

const MESSAGES = [{ role: 'user', content: 'Tell me a short story about a lighthouse keeper and a storm.' }];
const EMBED_MODEL = 'mock-embedding-ada-002';
const DIM = 1536;

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

for (const mode of MODES) {
  describe(`${mode} gateway`, () => {
    const client = new OpenAI({ baseURL: gateways[mode].baseURL, apiKey: 'sk-switchboard-test', maxRetries: 0, timeout: 20_000 });

    it('lists the preset models and retrieves one', async () => {
      const ids = [];
      for await (const m of client.models.list()) {
        assert.equal(m.object, 'model');
        assert.equal(typeof m.created, 'number');
        ids.push(m.id);
      }
      for (const want of PRESET_MODELS) assert.ok(ids.includes(want), `${want} missing from ${ids}`);
      const m = await client.models.retrieve('deepseek-reasoner');
      assert.equal(m.id, 'deepseek-reasoner');
      assert.equal(m.object, 'model');
    });

    it('answers a plain chat completion', async () => {
      const c = await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES });
      assert.equal(c.object, 'chat.completion');
      assert.equal(c.model, CHAT_MODEL);
      assert.equal(c.choices.length, 1);
      assert.equal(c.choices[0].finish_reason, 'stop');
      assert.equal(c.choices[0].message.role, 'assistant');
      assert.ok(c.choices[0].message.content.trim().length > 0);
      assert.ok(c.usage.prompt_tokens > 0 && c.usage.completion_tokens > 0);
      assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
    });

    it('honours max_tokens with finish_reason length', async () => {
      const c = await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES, max_tokens: 6 });
      assert.equal(c.choices[0].finish_reason, 'length');
      assert.equal(c.usage.completion_tokens, 6);
    });

    it('streams chat chunks with for await', async () => {
      const ref = await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES });
      const stream = await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES, stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.ok(chunks.length >= 3);
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'chunk ids differ');
      assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.ok(chunks.slice(1).every((c) => c.choices[0].delta.role === undefined), 'role repeated');
      const last = chunks.at(-1).choices[0];
      assert.equal(last.finish_reason, 'stop');
      assert.ok(!last.delta.content);
      const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
      assert.equal(text, ref.choices[0].message.content);
    });

    it('sends a usage chunk with include_usage', async () => {
      const stream = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.ok(last.usage.prompt_tokens > 0 && last.usage.completion_tokens > 0);
      assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
      assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'other chunks must carry usage: null');
    });

    it('streams text completions', async () => {
      const ref = await client.completions.create({ model: 'mock-davinci-002', prompt: 'Once upon a time' });
      assert.equal(ref.object, 'text_completion');
      const stream = await client.completions.create({ model: 'mock-davinci-002', prompt: 'Once upon a time', stream: true });
      let text = '';
      const finishes = [];
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'text_completion');
        for (const ch of chunk.choices) {
          text += ch.text;
          if (ch.finish_reason) finishes.push(ch.finish_reason);
        }
      }
      assert.equal(text, ref.choices[0].text);
      assert.deepEqual(finishes, ['stop']);
    });

    it('decodes the default base64 embeddings to full-length vectors', async () => {
      const res = await client.embeddings.create({ model: EMBED_MODEL, input: 'The quick brown fox' });
      const vec = res.data[0].embedding;
      assert.equal(vec.length, DIM, `decoded length ${vec.length}: base64 not honoured (the N/4 bug)?`);
      assert.ok(vec.some((x) => x !== 0), 'all zeros');
      assert.ok(Math.abs(norm(vec) - 1) < 1e-3, `not L2-normalised: ${norm(vec)}`);
      // The wire format really is base64 (the SDK would silently accept floats too).
      const raw = await client.embeddings.create({ model: EMBED_MODEL, input: 'The quick brown fox', encoding_format: 'base64' }).asResponse();
      const body = await raw.json();
      assert.equal(typeof body.data[0].embedding, 'string');
      assert.equal(Buffer.from(body.data[0].embedding, 'base64').length, DIM * 4);
    });

    it('returns float embeddings with dimensions and orders similarity', async () => {
      const res = await client.embeddings.create({
        model: EMBED_MODEL,
        input: ['The cat sat on the mat by the door', 'A cat was sitting on the mat near the door', 'Quarterly revenue grew thanks to semiconductor sales'],
        encoding_format: 'float',
        dimensions: 256,
      });
      assert.deepEqual(res.data.map((d) => d.index), [0, 1, 2]);
      const [a, b, c] = res.data.map((d) => d.embedding);
      assert.ok([a, b, c].every((v) => v.length === 256));
      assert.ok(cosine(a, b) > cosine(a, c) + 0.1, `similar ${cosine(a, b)} vs unrelated ${cosine(a, c)}`);
    });

    it('reranks with client.post', async () => {
      const docs = ['Bananas are rich in potassium.', 'Paris is the capital and largest city of France.', 'Rust is a systems language.'];
      const res = await client.post('/rerank', {
        body: { model: 'mock-rerank-v1', query: 'What is the capital of France?', documents: docs, return_documents: true },
      });
      assert.equal(res.model, 'mock-rerank-v1');
      assert.ok(res.usage.total_tokens > 0);
      const scores = res.results.map((r) => r.relevance_score);
      assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
      assert.equal(res.results[0].index, 1);
      for (const r of res.results) assert.equal(r.document.text, docs[r.index]);
      const top = await client.post('/rerank', { body: { model: 'mock-rerank-v1', query: 'capital of France', documents: docs, top_n: 1 } });
      assert.equal(top.results.length, 1);
    });
  });
}
