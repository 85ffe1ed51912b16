// The page: hands each chosen photo to the cleaning engine (worker.js) and shows what came back.
// Nothing here judges a photo; every word about a photo comes from geoscrub's report module.
// Photos live only in memory: nothing is written to storage, and every blob URL is revoked
// when its photo leaves the list or the page closes.

import { setUpLooking, photoShown, forgetPhotos } from "./look.js";

const $ = (selector) => document.querySelector(selector);
const input = $("#photos");
const statusLine = $("#engine-status");
const resultsSection = $("#results-section");
const results = $("#results");
const summary = $("#summary");
const neutralNames = $("#neutral-names"); // on: copies get names that tell nothing (as clean --rename gives them)

const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
const queue = []; // photos waiting for the engine: {id, file, item}
const blobUrls = new Map(); // id -> blob URL of the clean copy
const copyNames = new Map(); // id -> {neutral, kept}: the two names the engine gave the copy
let busy = false;
let phrases = null; // sentences from geoscrub's report module, sent by the engine when it is ready
let nextId = 1;
setUpLooking(worker); // the "Look for faces and words too" switch (look.js)

worker.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type === "ready") {
    phrases = message.phrases;
    document.body.dataset.engine = "ready";
    document.body.dataset.readyMs = String(Math.round(performance.now())); // since the page was opened
    document.body.dataset.readyStages = JSON.stringify(message.stages); // within the worker
    statusLine.textContent = "Ready. Choose photos to clean them.";
    pump();
  } else if (message.type === "failed") {
    document.body.dataset.engine = "failed";
    statusLine.textContent = "This browser could not start the cleaner, so no photo can be cleaned here. "
      + "Try a recent Chrome, Firefox or Safari. (" + message.reason + ")";
    for (const waiting of queue.splice(0)) showFailure(waiting.item, "the cleaner could not start in this browser");
  } else if (message.type === "result") {
    busy = false;
    showResult(message);
    pump();
  }
});
worker.addEventListener("error", (event) => {
  document.body.dataset.engine = "failed";
  statusLine.textContent = "The cleaner stopped working. Reload the page to try again.";
  event.preventDefault();
});

input.addEventListener("change", () => {
  addFiles(Array.from(input.files));
  input.value = ""; // choosing the same photo again works, and the list holds no File
});

function addFiles(files) {
  if (!files.length) return;
  const first = resultsSection.hidden;
  resultsSection.hidden = false;
  let firstItem = null;
  for (const file of files) {
    const id = nextId++;
    const item = makeItem(id, file.name);
    results.append(item);
    queue.push({ id, file, item });
    firstItem = firstItem || item;
  }
  updateSummary();
  // the new photos (and so their Save buttons) come into view, on a phone too
  (first ? resultsSection : firstItem).scrollIntoView({ block: "start" });
  pump();
}

async function pump() {
  if (busy || document.body.dataset.engine !== "ready" || !queue.length) return;
  busy = true;
  const { id, file, item } = queue.shift();
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (error) {
    busy = false;
    showFailure(item, "the photo could not be read from your device");
    pump();
    return;
  }
  item.dataset.started = String(performance.now());
  worker.postMessage({ type: "clean", id, name: file.name, bytes, neutral: neutralNames.checked }, [bytes]);
}

function makeItem(id, name) {
  const item = document.createElement("li");
  item.className = "photo";
  item.id = `photo-${id}`;
  item.dataset.file = name;
  item.dataset.status = "working";
  const title = document.createElement("h3");
  title.textContent = name;
  const verdict = document.createElement("p");
  verdict.className = "verdict";
  verdict.textContent = "Cleaning…";
  item.append(title, verdict);
  item.setAttribute("aria-busy", "true");
  return item;
}

function showResult(message) {
  const item = document.getElementById(`photo-${message.id}`);
  if (!item) return; // the list was cleared meanwhile
  item.removeAttribute("aria-busy");
  item.dataset.ms = String(Math.round(performance.now() - Number(item.dataset.started)));
  item.dataset.engineMs = String(Math.round(message.ms || 0));
  item.querySelector(".verdict").replaceChildren(word(message.word), detail(message.detail));
  if (message.status === "refused") {
    item.dataset.status = "refused";
    item.append(paragraph("Nothing was saved for this photo; it stays exactly as it was on your device."));
    updateSummary();
    return;
  }
  const blob = new Blob([message.cleaned], { type: message.mime });
  message.cleaned = null; // the blob holds the copy now; closures below must not keep a second one
  const { id, mime } = message;
  const url = URL.createObjectURL(blob);
  blobUrls.set(message.id, url);
  copyNames.set(message.id, { neutral: message.neutral_name, kept: message.kept_name });

  // a clip is previewed as a video (with controls, never autoplayed), a photo as an image
  const isVideo = String(message.mime).startsWith("video/");
  const preview = document.createElement(isVideo ? "video" : "img");
  preview.className = "preview";
  if (isVideo) {
    preview.controls = true;
    preview.preload = "metadata";
    preview.setAttribute("aria-label", `The clean copy of ${item.dataset.file}`);
  } else {
    preview.alt = `The clean copy of ${item.dataset.file}`;
    preview.decoding = "async";
    preview.loading = "lazy";
  }
  preview.addEventListener("error", () => {
    const kind = isVideo ? "video" : "photo";
    preview.replaceWith(paragraph(`This browser cannot show this kind of ${kind}, but the clean copy is ready.`, "no-preview"));
  });
  preview.src = url;

  const actions = document.createElement("div");
  actions.className = "actions";
  const save = document.createElement("a");
  save.className = "button primary";
  save.href = url;
  save.dataset.id = String(message.id);
  save.download = copyName(message.id);
  save.textContent = "Save clean copy";
  save.setAttribute("aria-label", `Save clean copy of ${item.dataset.file}`);
  actions.append(save);
  const shareable = () => new File([blob], copyName(id), { type: mime });
  if (navigator.canShare && navigator.canShare({ files: [shareable()] })) {
    const share = document.createElement("button");
    share.type = "button";
    share.className = "button";
    share.textContent = "Share";
    share.setAttribute("aria-label", `Share the clean copy of ${item.dataset.file}`);
    share.addEventListener("click", () => {
      navigator.share({ files: [shareable()] }).catch(() => {}); // closing the share sheet is not an error
    });
    actions.append(share);
  }
  // the verdict and the Save button first, so both are in view on a phone; the picture below them
  item.append(actions, preview);
  photoShown(message.id, item, blob, message.download_name); // looked at when the switch is on (look.js)
  if (message.bullets.length) {
    item.append(paragraph("Taken out of the copy:", "found-heading"), bulletList(message.bullets));
  }
  const more = message.more_bullets || [];
  if (more.length) {
    const details = document.createElement("details");
    details.className = "more";
    const button = document.createElement("summary");
    button.textContent = phrases ? phrases.more.replace("{n}", String(more.length)) : `+${more.length}`;
    details.append(button, bulletList(more));
    item.append(details);
  }
  if (message.note) item.append(paragraph(`Note: ${message.note}.`));

  item.dataset.status = message.status;
  updateSummary();
}

function showFailure(item, reason) {
  item.removeAttribute("aria-busy");
  item.dataset.status = "refused";
  item.querySelector(".verdict").replaceChildren(word("refused"), detail(reason));
}

function copyName(id) {
  const names = copyNames.get(id);
  return neutralNames.checked ? names.neutral : names.kept;
}

// the switch renames every copy in the list at once: the engine gave each copy both names
neutralNames.addEventListener("change", () => {
  for (const link of results.querySelectorAll("a[download][data-id]")) link.download = copyName(Number(link.dataset.id));
});

function bulletList(lines) {
  const list = document.createElement("ul");
  list.className = "found";
  for (const text of lines) {
    const line = document.createElement("li");
    line.textContent = text;
    list.append(line);
  }
  return list;
}

function word(text) {
  const span = document.createElement("span");
  span.className = "word";
  span.textContent = text.charAt(0).toUpperCase() + text.slice(1);
  return span;
}

function detail(text) {
  const span = document.createElement("span");
  span.className = "detail";
  span.textContent = text;
  return span;
}

function paragraph(text, className) {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

function updateSummary() {
  const items = Array.from(results.children);
  const count = (status) => items.filter((item) => item.dataset.status === status).length;
  const working = count("working");
  let counts = "";
  if (phrases) {
    // as report.page_counts_text says it: the outcomes that happened, "2 photos cleaned, 1 could not be cleaned."
    const parts = ["cleaned", "already_clean", "refused"].map((status) => [phrases.counts[status], count(status)])
      .filter(([, n]) => n > 0).map(([[one, several], n]) => (n === 1 ? one : several.replace("{n}", String(n))));
    counts = parts.length ? parts.join(", ") + "." : "";
  }
  summary.textContent = [counts, working ? `Still working on ${working}.` : ""].filter(Boolean).join(" ");
  $("#save-all").disabled = !items.some((item) => item.querySelector("a[download]"));
}

$("#save-all").addEventListener("click", async () => {
  for (const link of results.querySelectorAll("a[download]")) {
    link.click();
    await new Promise((resolve) => setTimeout(resolve, 250)); // browsers drop downloads started all at once
  }
});

$("#clear").addEventListener("click", () => {
  queue.length = 0;
  for (const url of blobUrls.values()) URL.revokeObjectURL(url);
  blobUrls.clear();
  forgetPhotos();
  copyNames.clear();
  results.replaceChildren();
  resultsSection.hidden = true;
  input.focus();
});

window.addEventListener("pagehide", () => {
  for (const url of blobUrls.values()) URL.revokeObjectURL(url);
});

// Offline use and the Android share sheet both come from the service worker.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", { type: "classic" }).catch(() => {
    $("#offline-note").textContent = "This browser will not keep the page for offline use here.";
  });
  navigator.serviceWorker.ready.then(() => { document.body.dataset.offline = "ready"; });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "shared-files") addFiles(event.data.files);
  });
  const shareId = new URLSearchParams(location.search).get("share");
  if (shareId) {
    history.replaceState(null, "", location.pathname);
    navigator.serviceWorker.ready.then((registration) => {
      (navigator.serviceWorker.controller || registration.active).postMessage({ type: "take-share", id: shareId });
    });
  }
}
