// "Look for faces and words too": the switch, what was found, and the covered copy.
// The models run in look-worker.js; what they found is put into words by geoscrub in the cleaning
// worker (worker.js), which also makes the covered copy metadata-clean.  The boxes on each preview,
// and changing them, are look-boxes.js.  This file only draws.
// Photos stay in memory, as everywhere on the page.

import { showBoxes, COVER_COLOUR } from "./look-boxes.js";

let engine = null; // the cleaning worker (geoscrub in Pyodide)
let site = null; // geoscrub-site.json
let manifest = null; // look/look.json, when this copy of the page has the models
let params = null; // the models' settings: the command line's, written into look/look.json by the build
let lookWorker = null;
let loading = null; // Promise while the models download
const photos = new Map(); // id -> {item, blob, name, seen, boxes, link, url}
let nextRequest = 1;
const pending = new Map(); // request id -> resolve, for answers from the cleaning worker

const toggle = document.createElement("input");
const note = document.createElement("span");

/** Set up the switch under the picker; `worker` is the cleaning worker. */
export function setUpLooking(worker) {
  engine = worker;
  engine.addEventListener("message", (event) => {
    const message = event.data;
    if (message.request && pending.has(message.request)) {
      pending.get(message.request)(message);
      pending.delete(message.request);
    }
  });
  // a switch like the page's others: the label holds the box, the words, and what it downloads
  const label = document.createElement("label");
  label.className = "switch look-switch";
  label.htmlFor = "look";
  toggle.type = "checkbox";
  toggle.id = "look";
  toggle.setAttribute("role", "switch");
  toggle.disabled = true;
  const words = document.createElement("span");
  words.textContent = "Look for faces and words too ";
  note.id = "look-note";
  note.className = "why look-note";
  note.textContent = "Checking whether this copy of the page can look at pictures…";
  toggle.setAttribute("aria-describedby", "look-note");
  words.append(note);
  label.append(toggle, words);
  const options = document.getElementById("options");
  if (options) options.append(label);
  else document.querySelector(".picker").append(label);
  toggle.addEventListener("change", () => {
    document.body.dataset.look = toggle.checked ? "on" : "off";
    if (toggle.checked) for (const id of photos.keys()) lookAgain(id);
  });
  document.body.dataset.look = "off";
  describe().catch(() => { note.textContent = "Looking at pictures is not available in this copy of the page."; });
}

async function describe() {
  site = await (await fetch("geoscrub-site.json")).json();
  if (!site.look) {
    note.textContent = "Looking at pictures is not available in this copy of the page.";
    document.body.dataset.lookAvailable = "no";
    return;
  }
  manifest = await (await fetch(site.look)).json();
  params = manifest.params;
  const kept = "caches" in self && await caches.match(manifest.models.faces);
  const size = `${Math.round(manifest.download_bytes / 1_000_000)} MB`;
  note.textContent = kept
    ? "Finds faces and words in your photos, on this device. Its models are kept here, so it works offline."
    : `Finds faces and words in your photos, on this device. The first time, it downloads ${size} `
      + "from this site (nothing is uploaded); after that it works offline.";
  toggle.disabled = false;
  document.body.dataset.lookAvailable = "yes";
}

/** The page's hook: a photo was cleaned and previewed (`name`: its clean copy's); look at it when the switch is on. */
export function photoShown(id, item, blob, name) {
  const video = !blob.type.startsWith("image/");
  photos.set(id, { item, blob, name, video, seen: null, boxes: [], link: null, url: null });
  if (toggle.checked) lookAgain(id);
}

/** The page's hook: the list was cleared. */
export function forgetPhotos() {
  for (const photo of photos.values()) if (photo.url) URL.revokeObjectURL(photo.url);
  photos.clear();
}

function ask(message, transfer) {
  const request = nextRequest++;
  return new Promise((resolve) => {
    pending.set(request, resolve);
    engine.postMessage({ ...message, request }, transfer || []);
  });
}

function startModels() {
  if (loading) return loading;
  lookWorker = new Worker(new URL("look-worker.js", import.meta.url), { type: "module" });
  loading = new Promise((resolve, reject) => {
    lookWorker.addEventListener("message", function loaded(event) {
      const message = event.data;
      if (message.type === "progress") {
        const percent = Math.min(100, Math.round((100 * message.done) / message.total));
        note.textContent = `Downloading the face and word finder from this site: ${percent}%`;
      } else if (message.type === "loaded") {
        lookWorker.removeEventListener("message", loaded);
        document.body.dataset.lookReadyMs = String(performance.now()); // for bench/web_bench.py
        note.textContent = "Finds faces and words in your photos, on this device. Tap a box to cover or "
          + "uncover it. To cover something it missed, tap “Cover an area”, then drag across the photo.";
        resolve(lookWorker);
      } else if (message.type === "look-failed") {
        lookWorker.removeEventListener("message", loaded);
        reject(new Error(message.reason));
      }
    });
  });
  lookWorker.postMessage({ type: "load", manifest: site.look, params });
  loading.catch((error) => {
    loading = null;
    note.textContent = `The face and word finder could not start in this browser (${error.message}).`;
  });
  return loading;
}

async function lookAgain(id) {
  const photo = photos.get(id);
  if (!photo || photo.seen || photo.item.dataset.look) return;
  const { item } = photo;
  item.dataset.look = "looking";
  const status = paragraph("Looking for faces and words…", "look-status");
  (item.querySelector(".preview, .no-preview") || item.querySelector(".actions")).after(status);
  let worker;
  try {
    worker = await startModels();
  } catch (error) {
    status.textContent = "Faces and words were not looked for: the finder could not start.";
    item.dataset.look = "failed";
    return;
  }
  if (photo.video) { // clips are not looked at; geoscrub says so in its own words
    notLooked(photo, status, { video: true });
    return;
  }
  const answer = await new Promise((resolve) => {
    const listen = (event) => {
      if (event.data.id !== id || !["seen", "look-failed"].includes(event.data.type)) return;
      worker.removeEventListener("message", listen);
      resolve(event.data);
    };
    worker.addEventListener("message", listen);
    worker.postMessage({ type: "look", id, photo: photo.blob, params });
  });
  if (answer.type === "look-failed") { // e.g. a HEIC photo this browser cannot show
    notLooked(photo, status, { looked: false, why: "this browser cannot open this kind of photo" });
    return;
  }
  item.dataset.lookMs = String(answer.ms);
  item.dataset.lookStages = JSON.stringify(answer.stages);
  // what the models found before padding, and the face model's input: for the tests and bench/web_bench.py
  item.dataset.faceBoxes = JSON.stringify(answer.faces.map((face) => face.box));
  item.dataset.faceInput = JSON.stringify(answer.faceInput);
  item.dataset.turnedWords = String(answer.words.filter((word) => word.turned).length);
  const said = await ask({ type: "seen", seen: { width: answer.width, height: answer.height, params,
    words: answer.words.map(({ text, score, box }) => ({ text, score, box })),
    faces: answer.faces } });
  photo.seen = said;
  photo.size = [answer.width, answer.height];
  photo.boxes = said.boxes.map((box) => ({ ...box, covered: true }));
  item.dataset.faces = String(said.faces);
  item.dataset.words = said.words.join(" ");
  item.dataset.look = "done";
  item.dataset.lookShownMs = String(performance.now());
  photo.seenBox = seenList(said);
  status.replaceWith(photo.seenBox);
  showBoxes(photo, () => coveredLink(id));
  coveredLink(id);
}

async function notLooked(photo, status, seen) {
  const said = await ask({ type: "seen", seen });
  status.replaceWith(seenList(said));
  photo.item.dataset.look = "not-looked";
}

function seenList(said) {
  const box = document.createElement("div");
  box.className = "seen";
  const list = document.createElement("ul");
  list.className = "found";
  for (const text of said.lines) {
    const line = document.createElement("li");
    line.textContent = text;
    list.append(line);
  }
  if (said.lines.length) box.append(list);
  if (said.note) box.append(paragraph(said.note, "look-status"));
  return box;
}

// ---------------------------------------------------------------- the covered copy

const rebuilds = new Map(); // id -> timer: the copy is made again shortly after the last change

function coveredLink(id) {
  const photo = photos.get(id);
  if (!photo.link) {
    photo.link = document.createElement("a");
    photo.link.className = "button covered-copy";
    photo.link.textContent = "Save covered copy";
    photo.link.setAttribute("aria-label", `Save covered copy of ${photo.item.dataset.file}`);
    photo.item.querySelector(".actions").append(photo.link);
    // said below the picture, so its words changing never moves the boxes under a finger
    photo.words = paragraph("Making the covered copy…", "look-status covered-note");
    photo.seenBox.prepend(photo.words);
  }
  photo.link.removeAttribute("href");
  photo.link.removeAttribute("download");
  photo.link.setAttribute("aria-disabled", "true");
  photo.item.dataset.coveredCopy = "making";
  clearTimeout(rebuilds.get(id));
  rebuilds.set(id, setTimeout(() => makeCovered(id).catch((error) => {
    photo.words.textContent = `The covered copy could not be made (${error.message}).`;
    photo.item.dataset.coveredCopy = "failed";
  }), 300));
}

async function makeCovered(id) {
  const photo = photos.get(id);
  const boxes = photo.boxes.filter((box) => box.covered);
  const version = (photo.version = (photo.version || 0) + 1);
  const bitmap = await createImageBitmap(photo.blob, { imageOrientation: "from-image" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  context.fillStyle = COVER_COLOUR;
  const sx = canvas.width / photo.size[0];
  const sy = canvas.height / photo.size[1];
  for (const { box } of boxes) {
    const left = Math.floor(box[0] * sx), top = Math.floor(box[1] * sy);
    context.fillRect(left, top, Math.ceil(box[2] * sx) - left, Math.ceil(box[3] * sy) - top);
  }
  const encoded = await (await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 })).arrayBuffer();
  const photoBytes = await photo.blob.arrayBuffer();
  const covered = JSON.stringify({
    faces: boxes.filter((box) => box.kind === "face").length,
    words: boxes.filter((box) => box.kind === "word").map((box) => box.text),
    drawn: boxes.filter((box) => box.kind === "drawn").length,
  });
  const answer = await ask({ type: "cover", name: photo.name, encoded, photo: photoBytes, covered },
    [encoded, photoBytes]);
  if (version !== photo.version || !photos.has(id)) return; // changed again meanwhile
  if (answer.status !== "covered") {
    photo.words.textContent = answer.detail;
    photo.item.dataset.coveredCopy = "refused";
    return;
  }
  if (photo.url) URL.revokeObjectURL(photo.url);
  photo.url = URL.createObjectURL(new Blob([answer.cleaned], { type: answer.mime }));
  photo.link.href = photo.url;
  photo.link.download = answer.download_name;
  photo.link.removeAttribute("aria-disabled");
  photo.words.textContent = `Covered copy: ${answer.detail}; ${answer.profile}.`;
  photo.item.dataset.coveredCopy = "ready";
}

function paragraph(text, className) {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  return p;
}
