// "Look for faces and words too": the switch, the boxes on each preview, and the covered copy.
// The models run in look-worker.js; what they found is put into words by geoscrub in the cleaning
// worker (worker.js), which also makes the covered copy metadata-clean.  This file only draws.
// Photos stay in memory, as everywhere on the page.

const SVG = "http://www.w3.org/2000/svg";
const COVER_COLOUR = "#000000"; // one solid colour: never a blur, which can be undone
const MIN_DRAG = 8; // px on screen: a shorter drag is a tap

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
          + "uncover it; drag across the photo to cover something it missed.";
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
  drawBoxes(id);
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

// ---------------------------------------------------------------- boxes on the preview

function drawBoxes(id) {
  const photo = photos.get(id);
  const preview = photo.item.querySelector("img.preview");
  if (!preview) return;
  let frame = preview.parentElement;
  if (!frame.classList.contains("look-frame")) {
    frame = document.createElement("div");
    frame.className = "look-frame";
    preview.replaceWith(frame);
    frame.append(preview);
  }
  let svg = frame.querySelector("svg");
  if (!svg) {
    svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "look-boxes");
    svg.setAttribute("viewBox", `0 0 ${photo.size[0]} ${photo.size[1]}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet"); // lines up with the preview's object-fit: contain
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "Found faces and words: tap a box to cover or uncover it, drag to cover more");
    frame.append(svg);
    dragToCover(svg, id);
  }
  svg.replaceChildren();
  photo.boxes.forEach((box, index) => {
    const rect = document.createElementNS(SVG, "rect");
    const [left, top, right, bottom] = box.box;
    rect.setAttribute("x", left);
    rect.setAttribute("y", top);
    rect.setAttribute("width", Math.max(1, right - left));
    rect.setAttribute("height", Math.max(1, bottom - top));
    rect.setAttribute("class", `look-box ${box.kind} ${box.covered ? "covered" : "open"}`);
    rect.setAttribute("fill", box.covered ? COVER_COLOUR : "transparent");
    rect.setAttribute("tabindex", "0");
    rect.setAttribute("role", "button");
    rect.setAttribute("aria-pressed", box.covered ? "true" : "false");
    rect.setAttribute("aria-label", `${box.label}: ${box.covered ? "covered" : "not covered"}`);
    rect.dataset.index = String(index);
    const flip = (event) => {
      event.stopPropagation();
      box.covered = !box.covered;
      drawBoxes(id);
      coveredLink(id);
    };
    rect.addEventListener("click", flip);
    rect.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); flip(event); } });
    rect.addEventListener("pointerdown", (event) => event.stopPropagation());
    svg.append(rect);
  });
  photo.item.dataset.covered = String(photo.boxes.filter((box) => box.covered).length);
}

function dragToCover(svg, id) {
  let start = null;
  let ghost = null;
  const at = (event) => {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const [width, height] = photos.get(id).size;
    return [Math.min(Math.max(point.x, 0), width), Math.min(Math.max(point.y, 0), height)];
  };
  svg.addEventListener("pointerdown", (event) => {
    start = { point: at(event), x: event.clientX, y: event.clientY };
    svg.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!start) return;
    const [x, y] = at(event);
    if (!ghost) {
      ghost = document.createElementNS(SVG, "rect");
      ghost.setAttribute("class", "look-box drawn covered");
      ghost.setAttribute("fill", COVER_COLOUR);
      svg.append(ghost);
    }
    ghost.setAttribute("x", Math.min(x, start.point[0]));
    ghost.setAttribute("y", Math.min(y, start.point[1]));
    ghost.setAttribute("width", Math.abs(x - start.point[0]));
    ghost.setAttribute("height", Math.abs(y - start.point[1]));
  });
  const finish = (event) => {
    if (!start) return;
    const moved = Math.hypot(event.clientX - start.x, event.clientY - start.y);
    const [x, y] = at(event);
    const from = start.point;
    start = null;
    if (ghost) ghost.remove();
    ghost = null;
    if (event.type !== "pointerup" || moved < MIN_DRAG) return;
    const box = [Math.min(x, from[0]), Math.min(y, from[1]), Math.max(x, from[0]), Math.max(y, from[1])].map(Math.round);
    photos.get(id).boxes.push({ kind: "drawn", box, label: "An area you covered", covered: true });
    drawBoxes(id);
    coveredLink(id);
  };
  svg.addEventListener("pointerup", finish);
  svg.addEventListener("pointercancel", finish);
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
