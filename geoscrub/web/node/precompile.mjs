// Compiles the page's Python to bytecode with the pinned Pyodide itself: the page's own CPython.
// It starts the engine as the page's worker does, then compiles every module that start imported.
// Usage: node precompile.mjs DIR
//   DIR/pyodide/  the runtime files (python_stdlib.zip already trimmed), DIR/geoscrub.zip the packed packages,
//   DIR/lazy/ the data files kept beside it.
//   Writes DIR/compiled.zip: stdlib/NAME.pyc and package/NAME.pyc (unchecked-hash .pyc files).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir] = process.argv.slice(2);
const ROOT = "/home/pyodide/site-packages-geoscrub"; // where worker.js unpacks the packages
const { loadPyodide } = await import(pathToFileURL(path.join(dir, "pyodide", "pyodide.mjs")).href);
// no column positions in the bytecode: smaller, and only tracebacks' ^^^ marks use them
const pyodide = await loadPyodide({ indexURL: path.join(dir, "pyodide") + path.sep, packages: [],
                                    args: ["-X", "no_debug_ranges"] });
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(path.join(dir, "geoscrub.zip"))), "zip", { extractDir: ROOT });
const lazy = path.join(dir, "lazy"); // data files the worker reads from the site on first use
for (const name of fs.existsSync(lazy) ? fs.readdirSync(lazy, { recursive: true }) : []) {
  const file = path.join(lazy, name);
  if (!fs.statSync(file).isFile()) continue;
  const target = `${ROOT}/${name.split(path.sep).join("/")}`;
  pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
  pyodide.FS.writeFile(target, new Uint8Array(fs.readFileSync(file)));
}
const count = pyodide.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(ROOT)})
from geoscrub.web.engine import clean_for_page, page_phrases, warm_up
warm_up()  # as the worker does: every format module is loaded
page_phrases()

import importlib.util, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

STDLIB = "/lib/python%d%d.zip/" % sys.version_info[:2]
ROOT = ${JSON.stringify(ROOT + "/")}
stdlib = zipfile.ZipFile(STDLIB.rstrip("/"))
compiled = 0
with zipfile.ZipFile("/tmp/compiled.zip", "w", zipfile.ZIP_STORED) as out:
    for name in sorted(sys.modules):
        origin = getattr(getattr(sys.modules[name], "__spec__", None), "origin", None) or ""
        if not origin.endswith(".py"):
            continue
        if origin.startswith(STDLIB):
            inside, source = "stdlib/" + origin[len(STDLIB):], stdlib.read(origin[len(STDLIB):])
        elif origin.startswith(ROOT):
            inside = "package/" + origin[len(ROOT):]
            with open(origin, "rb") as handle:
                source = handle.read()
        else:
            continue
        # the standard library without docstrings and asserts (as python -OO runs it); geoscrub exactly as written
        code = compile(source, origin, "exec", dont_inherit=True, optimize=2 if inside.startswith("stdlib/") else 0)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
        out.writestr(zipfile.ZipInfo(inside + "c", (2020, 1, 1, 0, 0, 0)), bytes(pyc))
        compiled += 1
compiled
`);
fs.writeFileSync(path.join(dir, "compiled.zip"), pyodide.FS.readFile("/tmp/compiled.zip"));
console.log(JSON.stringify({ compiled: count }));
