// Drives a running server with the official OpenAI Node client and prints what it saw as one JSON object:
//   node client.mjs BASE_URL MODEL PROMPT SEED
// The test compares the texts with what the server returns to plain HTTP for the same request.
import OpenAI from "openai";

const [baseURL, model, prompt, seedText] = process.argv.slice(2);
const seed = Number(seedText);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0, timeout: 60_000 });
const request = { model, prompt, max_tokens: 24, temperature: 0.8, seed };

const models = await client.models.list();
const completion = await client.completions.create(request);

let streamed = "";
let streamedFinish = null;
let chunks = 0;
let usage = null;
const stream = await client.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.text;
    if (choice.finish_reason) streamedFinish = choice.finish_reason;
    chunks++;
  }
}

let error = null;
try {
  await client.completions.create({ ...request, temperature: -1 });
} catch (e) {
  error = { name: e.constructor.name, status: e.status, param: e.param ?? e.error?.param ?? null, code: e.code ?? e.error?.code ?? null, message: e.message };
}

console.log(JSON.stringify({
  models: models.data.map((m) => m.id),
  text: completion.choices[0].text,
  finish: completion.choices[0].finish_reason,
  usage: completion.usage,
  streamed,
  streamedFinish,
  chunks,
  streamUsage: usage,
  error,
}));
