// HTTP status → openai-node exception class, the error envelope, and x-mock-fault injection.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';

import { CHAT_MODEL, MODES, startGateways } from '../gateway.mjs';

const gateways = await startGateways();
after(() => gateways.stop());

const MESSAGES = [{ role: 'user', content: 'Tell me a long story about rivers and mountains.' }];
const fault = (kind) => ({ headers: { 'x-mock-fault': kind } });

function assertEnvelope(err) {
  // openai-node reads error.message from the envelope; a flat body degrades to "400 status code (no body)".
  assert.equal(typeof err.error?.message, 'string', `no error.message in ${JSON.stringify(err.error)}`);
  assert.equal(typeof err.error.type, 'string');
  assert.ok('param' in err.error && 'code' in err.error, `param/code missing: ${JSON.stringify(err.error)}`);
  assert.ok(err.error.code === null || typeof err.error.code === 'string', 'code must be string or null');
  assert.ok(!/no body/.test(err.message), err.message);
}

for (const mode of MODES) {
  describe(`${mode} gateway`, () => {
    const client = new OpenAI({ baseURL: gateways[mode].baseURL, apiKey: 'sk-switchboard-test', maxRetries: 0, timeout: 20_000 });

    it('unknown model → NotFoundError', async () => {
      await assert.rejects(client.chat.completions.create({ model: 'no-such-model-xyz', messages: MESSAGES }), (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `got ${err.constructor.name}: ${err.message}`);
        assert.equal(err.status, 404);
        assertEnvelope(err);
        assert.match(err.error.message, /no-such-model-xyz/);
        return true;
      });
      await assert.rejects(client.models.retrieve('no-such-model-xyz'), OpenAI.NotFoundError);
    });

    it('missing messages → BadRequestError', async () => {
      await assert.rejects(client.post('/chat/completions', { body: { model: CHAT_MODEL } }), (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `got ${err.constructor.name}: ${err.message}`);
        assert.equal(err.status, 400);
        assertEnvelope(err);
        return true;
      });
    });

    it('429 fault → RateLimitError with retry-after', async () => {
      await assert.rejects(client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES }, { ...fault('429'), maxRetries: 0 }), (err) => {
        assert.ok(err instanceof OpenAI.RateLimitError, `got ${err.constructor.name}: ${err.message}`);
        assert.equal(err.status, 429);
        assert.equal(err.headers.get('retry-after'), '1');
        assertEnvelope(err);
        return true;
      });
    });

    for (const status of [500, 503]) {
      it(`${status} fault → InternalServerError`, async () => {
        await assert.rejects(client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES }, fault(String(status))), (err) => {
          assert.ok(err instanceof OpenAI.InternalServerError, `got ${err.constructor.name}: ${err.message}`);
          assert.equal(err.status, status);
          assertEnvelope(err);
          return true;
        });
      });
    }

    it('timeout fault → APIConnectionTimeoutError', async () => {
      const t0 = Date.now();
      await assert.rejects(
        client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES }, { ...fault('timeout'), timeout: 1000 }),
        OpenAI.APIConnectionTimeoutError,
      );
      assert.ok(Date.now() - t0 < 5000);
    });

    it('disconnect fault → the stream throws while iterating', async () => {
      const stream = await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES, stream: true }, fault('disconnect'));
      let received = 0;
      await assert.rejects(async () => {
        for await (const chunk of stream) {
          received += 1;
          assert.ok(!chunk.choices[0]?.finish_reason, 'stream finished normally');
        }
      }, (err) => {
        assert.ok(!(err instanceof assert.AssertionError), err.message);
        return true;
      });
      assert.ok(received > 0, 'the stream should be cut mid-way, after some chunks');
    });
  });
}
