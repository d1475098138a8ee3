// Builds fixtures/minified: what real minifiers keep of keys hidden the ways the
// decoding layers undo and that fixtures/bundles does not cover. A constant used
// more than once stays a name (`var t="qrcp_live_";…t+"…"`, `` `${t}…` ``), hex digits and
// character codes stay as written. Each case leaks its own fake key, generated
// here; expected.json is the ground truth, found by searching the built files: a
// key the minifier turned into plain text (esbuild evaluates
// `String.fromCharCode` of constants) is expected plain, `encoding` null.
//
//   cd scripts/minified && npm ci && node generate.mjs
//
// Exact versions (package.json, the same as scripts/bundles pins): the
// committed output must be reproducible from this script.

import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../../fixtures/minified");
const bin = (name) => path.join(here, "node_modules/.bin", name);

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function makeKey() {
  let body = "";
  while (body.length < 26) body += ALPHABET[randomInt(ALPHABET.length)];
  return `qrcp_live_${body}`;
}

const hex = (s) => Buffer.from(s).toString("hex");
const codes = (s) => [...Buffer.from(s)].join(", ");

// Each form: its name, the source (given its keys), the keys' count and the
// encoding each key's finding must name unless the minifier decoded it. Every
// form is built by both minifiers.
const FORMS = [
  {
    name: "shared-prefix",
    keys: 2,
    encoding: "concatenation",
    source: ([a, b]) => `const PREFIX = "qrcp_live_";
export function primary() { return PREFIX + "${a.slice(10)}"; }
export function fallback() { return PREFIX + "${b.slice(10)}"; }
export function other(x) { return PREFIX + x; }
`,
  },
  {
    name: "template-prefix",
    keys: 1,
    encoding: "concatenation",
    source: ([a]) => `const PREFIX = "qrcp_live_";
export const primary = () => \`\${PREFIX}${a.slice(10)}\`;
export const other = (x) => \`\${PREFIX}\${x}\`;
`,
  },
  {
    name: "hex",
    keys: 1,
    encoding: "hex",
    source: ([a]) => `export const key = () => Buffer.from("${hex(a)}", "hex").toString();\n`,
  },
  {
    name: "char-codes",
    keys: 1,
    encoding: "char-codes",
    source: ([a]) => `export const key = () => String.fromCharCode(${codes(a)});\n`,
  },
];
const CASES = FORMS.flatMap((f) =>
  ["esbuild", "terser"].map((tool) => ({ ...f, id: `${tool}-${f.name}`, tool })),
);

function build(tool, src, dest) {
  if (tool === "esbuild") {
    execFileSync(bin("esbuild"), [src, "--bundle", "--minify", "--format=esm", `--outfile=${dest}`], {
      stdio: "inherit",
    });
  } else {
    execFileSync(bin("terser"), [src, "--module", "-c", "-m", "-o", dest], { stdio: "inherit" });
  }
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qrcp-minified-"));
const expected = { generator: "scripts/minified/generate.mjs", cases: [] };
for (const c of CASES) {
  const keys = Array.from({ length: c.keys }, makeKey);
  const src = path.join(tmp, `${c.id}.js`);
  fs.writeFileSync(src, c.source(keys));
  const file = `${c.id}.min.js`;
  build(c.tool, src, path.join(out, file));
  const text = fs.readFileSync(path.join(out, file), "utf8");
  for (const key of keys) {
    const encoding = text.includes(key) ? null : c.encoding;
    expected.cases.push({ id: c.id, tool: c.tool, file, key, encoding });
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
fs.writeFileSync(path.join(out, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
// As in fixtures/bundles: an empty configuration stops the search for one here,
// so that the repository's own (which allowlists fixtures/) hides nothing.
fs.writeFileSync(
  path.join(out, ".qrcp-scan.toml"),
  "# The minified fixtures are scanned on their own by tests/bundles_real.rs: this\n" +
    "# empty configuration stops the search for one at this folder, so that the\n" +
    "# repository's own (which allowlists fixtures/) does not hide their findings.\n",
);
console.log(`fixtures/minified: ${expected.cases.length} keys in ${CASES.length} files`);
