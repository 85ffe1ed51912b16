// Runs the built site's engine (Pyodide + the packed geoscrub) in Node, as the page's worker does,
// on photos named in a JSON list; writes each clean copy and one JSON line of results.
// Usage: node node_engine.mjs SITE_DIR INPUTS.json OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [siteDir, inputsFile, outDir] = process.argv.slice(2);
const site = JSON.parse(fs.readFileSync(path.join(siteDir, "geoscrub-site.json"), "utf8"));
const { loadPyodide } = await import(pathToFileURL(path.join(siteDir, "pyodide", "pyodide.mjs")).href);
const ROOT = "/home/pyodide/site-packages-geoscrub";

const t0 = performance.now();
const pyodide = await loadPyodide({ indexURL: path.join(siteDir, "pyodide") + path.sep, packages: [] });
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(path.join(siteDir, site.archive))), "zip", { extractDir: ROOT });
for (const [name, url] of Object.entries(site.lazy)) {
  const target = `${ROOT}/${name}`;
  pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
  pyodide.FS.writeFile(target, new Uint8Array(fs.readFileSync(path.join(siteDir, url))));
}
const cleanPhoto = pyodide.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(ROOT)})
from geoscrub.web.engine import clean_for_page

def clean_photo(data, name):
    return clean_for_page(data.to_bytes(), name)

clean_photo`);
const readyMs = performance.now() - t0;

const inputs = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
const lines = [];
inputs.forEach((input, index) => {
  const data = new Uint8Array(fs.readFileSync(input));
  const started = performance.now();
  const result = cleanPhoto(data, path.basename(input));
  const answer = result.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  result.destroy();
  const ms = performance.now() - started;
  if (answer.cleaned) fs.writeFileSync(path.join(outDir, `${index}.out`), answer.cleaned);
  delete answer.cleaned;
  lines.push(JSON.stringify({ index, input, ms, ...answer }));
});
fs.writeFileSync(path.join(outDir, "results.jsonl"), lines.join("\n") + "\n");
console.log(JSON.stringify({ ready_ms: readyMs, photos: inputs.length }));
