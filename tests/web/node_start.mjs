// Starts the built site's engine in Node as the page's worker does, and says which modules
// were imported from source (not bytecode) and how long the start took.
// Usage: node node_start.mjs SITE_DIR
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [siteDir] = process.argv.slice(2);
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
const fromSource = pyodide.runPython(`
import sys, json
sys.path.insert(0, ${JSON.stringify(ROOT)})
from geoscrub.web.engine import clean_for_page, page_phrases, warm_up
warm_up()
page_phrases()
json.dumps([sorted(name for name, module in sys.modules.items()
                   if (getattr(getattr(module, "__spec__", None), "origin", None) or "").endswith(".py")),
            sorted(name for name in sys.modules if name.startswith("geoscrub"))])
`);
const [source, started] = JSON.parse(fromSource);
console.log(JSON.stringify({ ms: performance.now() - t0, from_source: source, started, lazy: Object.keys(site.lazy) }));
