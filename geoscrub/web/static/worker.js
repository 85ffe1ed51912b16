// The cleaning engine: geoscrub itself, running in Pyodide inside this module worker.
// Photos arrive as bytes and leave as bytes; nothing is written anywhere but memory.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const ROOT = "/home/pyodide/site-packages-geoscrub";
const started = performance.now();
const engine = start();

async function start() {
  const stages = {}; // how long each step took, for bench/web_bench.py
  const mark = (name) => { stages[name] = Math.round(performance.now() - started); };
  // the runtime starts loading at once; what the site holds is read meanwhile
  const siteRead = fetchOk("geoscrub-site.json").then((response) => response.json());
  const [pyodide, site, archive] = await Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", import.meta.url).href, packages: [] }).then((py) => {
      mark("runtime");
      return py;
    }),
    siteRead,
    siteRead.then((info) => fetchOk(info.archive)).then((response) => response.arrayBuffer()),
  ]);
  pyodide.unpackArchive(archive, "zip", { extractDir: ROOT });
  mark("unpacked");
  // big data files (the place-name index) are read from the site only when first opened
  for (const [name, url] of Object.entries(site.lazy)) {
    const path = `${ROOT}/${name}`;
    const folder = path.slice(0, path.lastIndexOf("/"));
    pyodide.FS.mkdirTree(folder);
    pyodide.FS.createLazyFile(folder, path.slice(folder.length + 1), new URL(url, import.meta.url).href, true, false);
  }
  const cleanPhoto = pyodide.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(ROOT)})
from geoscrub.web.engine import clean_for_page, page_phrases, warm_up
from geoscrub.web import look_page

def clean_photo(data, name, neutral=True):
    return clean_for_page(data.to_bytes(), name, neutral=bool(neutral))

warm_up()  # loads every format module before the first photo
clean_photo`);
  mark("imported");
  const phrases = pyodide.runPython("page_phrases()").toJs({ dict_converter: Object.fromEntries });
  lookHelpers = pyodide.runPython("look_page");
  postMessage({ type: "ready", ms: Math.round(performance.now() - started), version: site.version, stages, phrases });
  return cleanPhoto;
}

async function fetchOk(url) {
  const response = await fetch(new URL(url, import.meta.url));
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response;
}

engine.catch((error) => postMessage({ type: "failed", reason: String(error && error.message || error) }));

let lookHelpers = null; // geoscrub.web.look_page: words for what the look worker found, the covered copy

function toJs(proxy) {
  const value = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  if (proxy.destroy) proxy.destroy();
  return value;
}

self.addEventListener("message", async (event) => {
  const { type, id, name, bytes, neutral } = event.data;
  if (type === "seen" || type === "cover") {
    await engine;
    const message = event.data;
    let answer;
    try {
      if (type === "seen") {
        answer = toJs(lookHelpers.seen_for_page(JSON.stringify(message.seen)));
        postMessage({ type: "look-answer", request: message.request, ...answer });
      } else {
        answer = toJs(lookHelpers.covered_for_page(new Uint8Array(message.encoded), new Uint8Array(message.photo),
          message.name, message.covered));
        const cleaned = answer.cleaned ? ownBuffer(answer.cleaned) : null;
        postMessage({ type: "look-answer", request: message.request, ...answer, cleaned }, cleaned ? [cleaned] : []);
      }
    } catch (error) {
      postMessage({ type: "look-answer", request: message.request, status: "refused", boxes: [], lines: [],
                    words: [], faces: 0, detail: String(error && error.message || error) });
    }
    return;
  }
  if (type !== "clean") return;
  const cleanPhoto = await engine;
  const t0 = performance.now();
  let result;
  try {
    result = cleanPhoto(new Uint8Array(bytes), name, neutral !== false);
    const answer = result.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    const cleaned = answer.cleaned ? ownBuffer(answer.cleaned) : null;
    postMessage({ type: "result", id, ...answer, cleaned, ms: performance.now() - t0 }, cleaned ? [cleaned] : []);
  } catch (error) {
    // the engine never raises for a bad photo; this is a bug or the tab ran out of memory
    postMessage({ type: "result", id, status: "refused", word: "refused", bullets: [], more_bullets: [],
                  detail: `the cleaner failed on this photo (${error && error.message || error})` });
  } finally {
    if (result) result.destroy();
  }
});

function ownBuffer(view) {
  // a buffer holding exactly the copy, so it can be handed to the page without another copy
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return whole ? view.buffer : view.slice().buffer;
}
