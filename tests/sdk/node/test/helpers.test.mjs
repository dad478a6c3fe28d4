// The SDK's strictest consumers: the chat `.stream()` helper, `runTools`, and zod structured outputs.
// They throw on missing role / finish_reason / tool-call fields, so they judge the stream shape.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';

import { CHAT_MODEL, MODES, startGateways } from '../gateway.mjs';

const gateways = await startGateways();
after(() => gateways.stop());

const MESSAGES = [{ role: 'user', content: 'Tell me a short story about a lighthouse keeper and a storm.' }];
const WEATHER_PARAMS = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
};
const WEATHER_DESCRIPTION = 'Get the current weather for a city';

const WeatherReport = z.object({
  location: z.object({ city: z.string(), country: z.string() }),
  temperature_c: z.number(),
  conditions: z.enum(['sunny', 'cloudy', 'rain', 'snow']),
  alerts: z.array(z.string()),
});

for (const mode of MODES) {
  describe(`${mode} gateway`, () => {
    const client = new OpenAI({ baseURL: gateways[mode].baseURL, apiKey: 'sk-switchboard-test', maxRetries: 0, timeout: 20_000 });

    it('stream() helper builds the final completion', async () => {
      const ref = (await client.chat.completions.create({ model: CHAT_MODEL, messages: MESSAGES })).choices[0].message.content;
      let deltas = '';
      const stream = client.chat.completions.stream({
        model: CHAT_MODEL,
        messages: MESSAGES,
        stream_options: { include_usage: true },
      });
      stream.on('content', (delta) => {
        deltas += delta;
      });
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0];
      assert.equal(choice.message.role, 'assistant');
      assert.equal(choice.finish_reason, 'stop');
      assert.equal(choice.message.content, ref);
      assert.equal(deltas, ref);
      assert.equal(await stream.finalContent(), ref);
      assert.ok(final.usage && final.usage.completion_tokens > 0);
    });

    it('stream() helper accumulates a streamed tool call', async () => {
      const done = [];
      const stream = client.chat.completions.stream({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', description: WEATHER_DESCRIPTION, parameters: WEATHER_PARAMS } }],
        tool_choice: 'required',
      });
      stream.on('tool_calls.function.arguments.done', (e) => done.push(e));
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls.length, 1);
      const call = choice.message.tool_calls[0];
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.ok(call.id);
      const args = JSON.parse(call.function.arguments);
      assert.equal(typeof args.city, 'string');
      assert.ok(['celsius', 'fahrenheit'].includes(args.unit));
      assert.deepEqual(Object.keys(args).sort(), ['city', 'unit']);
      assert.equal(done.length, 1);
      assert.equal(done[0].arguments, call.function.arguments);
    });

    for (const stream of [false, true]) {
      it(`runTools (stream: ${stream}) calls the function, then answers`, async () => {
        const calls = [];
        const runner = client.chat.completions.runTools({
          model: CHAT_MODEL,
          stream,
          messages: [{ role: 'user', content: "What's the weather in Paris right now?" }],
          tools: [
            {
              type: 'function',
              function: {
                name: 'get_weather',
                description: WEATHER_DESCRIPTION,
                parameters: WEATHER_PARAMS,
                parse: JSON.parse,
                function: async (args) => {
                  calls.push(args);
                  return { temperature_c: 21, conditions: 'sunny' };
                },
              },
            },
          ],
        });
        const content = await runner.finalContent();
        assert.equal(calls.length, 1, `the mock should call get_weather exactly once, got ${calls.length}`);
        assert.equal(typeof calls[0].city, 'string');
        assert.ok(['celsius', 'fahrenheit'].includes(calls[0].unit));
        assert.ok(content && content.trim().length > 0, 'no final text answer');
        const final = await runner.finalChatCompletion();
        assert.equal(final.choices[0].finish_reason, 'stop');
        const toolMsg = runner.messages.find((m) => m.role === 'tool');
        const asked = runner.messages.find((m) => m.role === 'assistant' && m.tool_calls?.length);
        assert.ok(toolMsg && asked);
        assert.equal(toolMsg.tool_call_id, asked.tool_calls[0].id);
      });
    }

    it('parse() with zodResponseFormat', async () => {
      const c = await client.chat.completions.parse({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'Give me the weather report for Lisbon.' }],
        response_format: zodResponseFormat(WeatherReport, 'weather_report'),
      });
      const msg = c.choices[0].message;
      assert.ok(msg.parsed, `nothing parsed from ${msg.content}`);
      assert.deepEqual(WeatherReport.parse(msg.parsed), msg.parsed);
      assert.deepEqual(JSON.parse(msg.content), msg.parsed);
    });

    it('stream() helper with zodResponseFormat', async () => {
      const stream = client.chat.completions.stream({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'Give me the weather report for Lisbon.' }],
        response_format: zodResponseFormat(WeatherReport, 'weather_report'),
      });
      const final = await stream.finalChatCompletion();
      const parsed = final.choices[0].message.parsed;
      assert.ok(parsed);
      WeatherReport.parse(parsed);
    });

    it('streams deepseek-reasoner reasoning before content', async () => {
      const stream = await client.chat.completions.create({
        model: 'deepseek-reasoner',
        messages: [{ role: 'user', content: '9.11 and 9.8, which is greater?' }],
        stream: true,
      });
      let reasoning = '';
      let content = '';
      for await (const chunk of stream) {
        for (const ch of chunk.choices) {
          if (ch.delta.reasoning_content) {
            assert.equal(content, '', 'reasoning after content started');
            reasoning += ch.delta.reasoning_content;
          }
          if (ch.delta.content) content += ch.delta.content;
        }
      }
      assert.ok(reasoning.trim() && content.trim());
    });
  });
}
