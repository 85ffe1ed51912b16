// The look worker: runs the text (boxes, angle, reading) and face models of `geoscrub check --look` on onnxruntime-web.
// It starts only when the "Look for faces and words too" switch is turned on, downloads the
// models from this site (never another origin; the service worker then keeps them for offline use),
// and answers each photo with the boxes and characters the models found.  What they mean and how
// they are said is decided by geoscrub in the cleaning worker, not here.
import {
  ocrInput, faceInput, modelSize, faceFrame, textBoxes, corners, readingInput, angleInput, upsideDown, turnedRound,
  ctcDecode, faceBoxes,
} from "./look-models.js";

let runtime = null; // {ort, sessions, characters} once loaded

self.addEventListener("message", async (event) => {
  const message = event.data;
  try {
    if (message.type === "load") {
      await load(message.manifest, message.params);
      postMessage({ type: "loaded" });
    } else if (message.type === "look") {
      const t0 = performance.now();
      const seen = await look(message.photo, message.params);
      postMessage({ type: "seen", id: message.id, ...seen, ms: Math.round(performance.now() - t0) });
    }
  } catch (error) {
    postMessage({ type: "look-failed", id: message.id, reason: String((error && error.message) || error) });
  }
});

async function load(manifestUrl, params) {
  if (runtime) return;
  const base = new URL("./", import.meta.url);
  const manifest = await (await fetchOk(new URL(manifestUrl, base))).json();
  const folder = new URL(manifest.runtime.module, base);
  const files = [
    ...Object.entries(manifest.models).map(([role, path]) => ({ role, url: new URL(path, base) })),
    { role: "wasm", url: new URL("ort-wasm-simd-threaded.wasm", folder) },
    { role: "characters", url: new URL(manifest.characters, base) },
  ];
  const total = manifest.download_bytes;
  let done = 0;
  const report = () => postMessage({ type: "progress", done, total });
  const blobs = await Promise.all(files.map(async (file) => {
    const response = await fetchOk(file.url);
    const reader = response.body.getReader();
    const parts = [];
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      parts.push(value);
      done += value.byteLength;
      report();
    }
    return [file.role, await new Blob(parts).arrayBuffer()];
  }));
  const got = Object.fromEntries(blobs);
  const ort = await import(folder.href);
  ort.env.wasm.wasmPaths = new URL("./", folder).href;
  ort.env.logLevel = "error"; // the face model's harmless graph warnings would fill the console
  ort.env.wasm.wasmBinary = got.wasm;
  // threads need a cross-origin-isolated page; without it the runtime uses one
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all", logSeverityLevel: 3 };
  const sessions = {};
  for (const role of Object.keys(manifest.models)) {
    sessions[role] = await ort.InferenceSession.create(new Uint8Array(got[role]), options);
  }
  const characters = new TextDecoder().decode(got.characters).split("\n");
  if (characters[characters.length - 1] === "") characters.pop();
  runtime = { ort, sessions, characters, params };
}

async function look(photo, params) {
  if (!runtime) throw new Error("the models are not loaded");
  const { ort, sessions, characters } = runtime;
  const bitmap = await createImageBitmap(photo, { imageOrientation: "from-image" });
  const shown = { width: bitmap.width, height: bitmap.height }; // the picture as shown (orientation applied)
  const size = modelSize(shown.width, shown.height, params.max_side);
  const rgba = pixels(bitmap, size.width, size.height, size.width, size.height);
  const toShown = (x, y) => [x * shown.width / size.width, y * shown.height / size.height];
  const ms = {};
  let t = performance.now();
  const lap = (name) => { const now = performance.now(); ms[name] = Math.round(now - t); t = now; };

  // text: where the lines are, then what each says
  const tensor = (data, dims) => new ort.Tensor("float32", data, dims);
  const det = await sessions.text_boxes.run({
    [sessions.text_boxes.inputNames[0]]: tensor(ocrInput(rgba, size.width, size.height), [1, 3, size.height, size.width]),
  });
  const map = det[sessions.text_boxes.outputNames[0]];
  const boxes = textBoxes(map.data, map.dims[3], map.dims[2], params.text_boxes);
  lap("text_boxes");
  // the angle check: a line the classifier says is upside down is cut out turned round (as rapidocr does)
  const angle = params.text_angle || {};
  const turned = [];
  for (const rect of boxes) {
    const input = angleInput(rgba, size.width, size.height, rect, angle);
    const out = await sessions.text_angle.run({
      [sessions.text_angle.inputNames[0]]: tensor(input.data, [1, 3, input.data.length / 3 / input.width, input.width]),
    });
    turned.push(upsideDown(out[sessions.text_angle.outputNames[0]].data, angle.threshold ?? 0.9));
  }
  lap("text_angle");
  const words = [];
  for (const [n, rect] of boxes.entries()) {
    const input = readingInput(rgba, size.width, size.height, turned[n] ? turnedRound(rect) : rect);
    const out = await sessions.text_reading.run({
      [sessions.text_reading.inputNames[0]]: tensor(input.data, [1, 3, 48, input.width]),
    });
    const probs = out[sessions.text_reading.outputNames[0]];
    const { text, score } = ctcDecode(probs.data, probs.dims[1], probs.dims[2], characters);
    if (!text.trim()) continue;
    const quad = corners(rect).map(([x, y]) => toShown(x, y));
    words.push({ text, score, box: bounds(quad, shown), quad, turned: turned[n] });
  }
  lap("text_reading");

  // faces: the photo keeps its shape, padded with black (a stretched face is found less well)
  const frame = faceFrame(shown.width, shown.height, params.max_side);
  const faceRgba = pixels(bitmap, frame.width, frame.height, frame.paddedWidth, frame.paddedHeight);
  bitmap.close();
  const faceOut = await sessions.faces.run({
    [sessions.faces.inputNames[0]]: tensor(faceInput(faceRgba, frame.paddedWidth, frame.paddedHeight),
      [1, 3, frame.paddedHeight, frame.paddedWidth]),
  });
  const [heat, scale, offset] = sessions.faces.outputNames.map((name) => faceOut[name]);
  const back = (x, y) => [x * shown.width / frame.width, y * shown.height / frame.height];
  const faces = faceBoxes(heat.data, scale.data, offset.data, heat.dims[3], heat.dims[2], frame.width, frame.height,
    params.faces).map(({ box, score }) => {
    const [left, top] = back(box[0], box[1]);
    const [right, bottom] = back(box[2], box[3]);
    return { box: [left, top, right, bottom].map(Math.round), score };
  });
  lap("faces");
  return { width: shown.width, height: shown.height, words, faces, stages: ms,
    faceInput: { drawn: [frame.width, frame.height], padded: [frame.paddedWidth, frame.paddedHeight] } };
}

/** The bitmap drawn at width x height on a canvas of canvasWidth x canvasHeight (the rest black): its RGBA. */
function pixels(bitmap, width, height, canvasWidth, canvasHeight) {
  const canvas = new OffscreenCanvas(canvasWidth, canvasHeight);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#000000";
  context.fillRect(0, 0, canvasWidth, canvasHeight);
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  return context.getImageData(0, 0, canvasWidth, canvasHeight).data;
}

function bounds(quad, shown) {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const clamp = (v, max) => Math.round(Math.min(Math.max(v, 0), max));
  return [clamp(Math.min(...xs), shown.width), clamp(Math.min(...ys), shown.height),
    clamp(Math.max(...xs), shown.width), clamp(Math.max(...ys), shown.height)];
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response;
}
