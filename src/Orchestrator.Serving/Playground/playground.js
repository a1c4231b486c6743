// The playground: reads the form, calls POST /v1/completions with stream=true and appends each Server-Sent Event's
// text as it arrives. Query parameters (?prompt=...&max_tokens=...&temperature=...&seed=...&autorun=1) fill the form
// and start a generation, so a page can be linked or captured headlessly.
"use strict";

const $ = (id) => document.getElementById(id);
const fields = ["prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop"];
let modelName = null;
let controller = null;

async function loadModel() {
  const response = await fetch("/v1/models");
  const body = await response.json();
  modelName = body.data[0].id;
  $("model").textContent = modelName;
}

function numberOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

function buildRequest() {
  const request = {
    model: modelName,
    prompt: $("prompt").value,
    max_tokens: numberOrNull("max_tokens"),
    temperature: numberOrNull("temperature"),
    top_p: numberOrNull("top_p"),
    stream: true,
  };
  const topK = numberOrNull("top_k");
  if (topK !== null) request.top_k = topK;
  const seed = numberOrNull("seed");
  if (seed !== null) request.seed = seed;
  const stop = $("stop").value;
  if (stop !== "") request.stop = stop.replace(/\\n/g, "\n");
  return request;
}

function setState(state, message) {
  $("output").dataset.state = state;
  $("status").textContent = message;
  $("generate").disabled = state === "streaming";
  $("cancel").disabled = state !== "streaming";
}

// Posts the request and hands each Server-Sent Event's `data:` payload to onData as it arrives. XMLHttpRequest rather
// than fetch: its progress events expose the growing body, and a headless browser counts it as a pending load until the
// stream ends, so `chromium --headless --virtual-time-budget` waits for the whole completion.
function streamCompletion(request, onData) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let consumed = 0;
    let buffer = "";
    const drain = () => {
      buffer += xhr.responseText.slice(consumed);
      consumed = xhr.responseText.length;
      let boundary;
      while ((boundary = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        for (const line of event.split("\n")) {
          if (line.startsWith("data: ")) onData(line.slice(6));
        }
      }
    };
    xhr.open("POST", "/v1/completions");
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onprogress = () => {
      if (xhr.status === 200) {
        try { drain(); } catch (error) { xhr.abort(); reject(error); }
      }
    };
    xhr.onload = () => {
      if (xhr.status !== 200) {
        let message = `HTTP ${xhr.status}`;
        try { message = JSON.parse(xhr.responseText).error.message; } catch { /* not an OpenAI error body */ }
        reject(new Error(message));
        return;
      }
      try { drain(); resolve(); } catch (error) { reject(error); }
    };
    xhr.onerror = () => reject(new Error("the connection to the server failed"));
    xhr.onabort = () => reject(new DOMException("stopped", "AbortError"));
    controller = { abort: () => xhr.abort() };
    xhr.send(JSON.stringify(request));
  });
}

async function generate() {
  if (modelName === null) await loadModel();
  const request = buildRequest();
  $("echo").textContent = request.prompt;
  $("completion").textContent = "";
  setState("streaming", "generating…");
  const started = performance.now();
  let finish = null;
  try {
    await streamCompletion(request, (data) => {
      if (data === "[DONE]") return;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      for (const choice of chunk.choices) {
        $("completion").textContent += choice.text;
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    });
    const seconds = (performance.now() - started) / 1000;
    setState("done", `finished (${finish ?? "?"}) in ${seconds.toFixed(2)} s`);
  } catch (error) {
    if (error.name === "AbortError") {
      setState("done", "stopped");
    } else {
      $("completion").textContent = error.message;
      setState("error", "error");
    }
  } finally {
    controller = null;
  }
}

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  generate();
});
$("cancel").addEventListener("click", () => controller?.abort());

const params = new URLSearchParams(window.location.search);
for (const id of fields) {
  if (params.has(id)) $(id).value = params.get(id);
}
loadModel().then(() => {
  if (params.get("autorun") === "1") generate();
}).catch((error) => {
  $("model").textContent = "unavailable";
  $("completion").textContent = `Could not reach the server: ${error.message}`;
  setState("error", "error");
});
