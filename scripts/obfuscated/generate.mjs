#!/usr/bin/env node
// Obfuscates small programs that leak a key with the real javascript-obfuscator
// (obfuscator.io; version pinned in package.json), one set of its options per
// case, and writes
//   fixtures/obfuscated/<case>.js        the obfuscated program, as shipped
//   fixtures/obfuscated/expected.json    the ground truth
// The ground truth is checked, not assumed: each program is run in a `vm`
// sandbox and the key must be among the values it leaves on `window` (the
// obfuscated code really computes it), and must not appear in the file's text
// (the case tests the string array, not a plain literal). The decoy leaks a
// placeholder only.
//
// Usage: cd scripts/obfuscated && npm ci && node generate.mjs
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";
import JavaScriptObfuscator from "javascript-obfuscator";
import { fixtureKey } from "../fixture-key.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, "../../fixtures/obfuscated");

// How the program uses its key: each leaves it reachable from `window`.
const USES = {
  constant: (k) => `const API_KEY = "${k}";
function qr(text) {
  return fetch("https://api.qrcodepro.example/v1/qr?text=" + encodeURIComponent(text), { headers: { "X-Api-Key": API_KEY } });
}
window.app = { qr, key: API_KEY };
`,
  config: (k) => `const config = { apiKey: "${k}", base: "https://api.qrcodepro.example" };
window.app = { config };
`,
  bearer: (k) => `class Client {
  constructor() { this.key = "${k}"; }
  auth() { return "Bearer " + this.key; }
}
window.app = { auth: new Client().auth() };
`,
  template: (k) => `(function () {
  const headers = {};
  headers["Authorization"] = \`Bearer ${k}\`;
  window.app = { headers };
})();
`,
};

const base = { seed: 7, stringArray: true, stringArrayThreshold: 1 };
const high = JavaScriptObfuscator.getOptionsByPreset("high-obfuscation");
const medium = JavaScriptObfuscator.getOptionsByPreset("medium-obfuscation");
// [case, key kind, use, options, what it exercises]
const CASES = [
  ["base64", "live", "constant", { ...base, stringArrayEncoding: ["base64"] }, "base64 string array"],
  ["rc4", "live", "constant", { ...base, stringArrayEncoding: ["rc4"] }, "RC4 string array, keyed at each call"],
  ["split-base64", "test", "config", { ...base, stringArrayEncoding: ["base64"], splitStrings: true, splitStringsChunkLength: 5 }, "key split in five-character pieces, base64"],
  ["split-rc4-wrappers", "live", "bearer", { ...base, stringArrayEncoding: ["rc4"], splitStrings: true, splitStringsChunkLength: 3, stringArrayWrappersCount: 3, stringArrayWrappersType: "function", stringArrayWrappersChainedCalls: true, stringArrayIndexShift: true }, "RC4, three-character pieces, chained function wrappers"],
  ["calls-transform", "live", "template", { ...base, stringArrayEncoding: ["base64"], splitStrings: true, splitStringsChunkLength: 10, stringArrayCallsTransform: true, stringArrayCallsTransformThreshold: 1, stringArrayWrappersCount: 2 }, "call indexes moved into object literals"],
  ["mangled-variable", "live", "constant", { ...base, identifierNamesGenerator: "mangled", stringArrayEncoding: ["rc4"], splitStrings: true, splitStringsChunkLength: 4, stringArrayWrappersCount: 2, stringArrayWrappersType: "variable" }, "short names, variable wrappers"],
  ["pretty-unicode", "test", "bearer", { ...base, compact: false, unicodeEscapeSequence: true, stringArrayEncoding: ["base64"], splitStrings: true, splitStringsChunkLength: 8 }, "printed (not compact), every string \\x-escaped"],
  ["mixed-numeric-strings", "live", "config", { ...base, stringArrayEncoding: ["none", "base64", "rc4"], stringArrayIndexesType: ["hexadecimal-numeric-string"], splitStrings: true, splitStringsChunkLength: 6, stringArrayWrappersCount: 1 }, "three encodings, indexes as hex strings"],
  ["not-rotated", "live", "template", { ...base, stringArrayRotate: false, splitStrings: true, splitStringsChunkLength: 5 }, "array not rotated, unencoded five-character pieces"],
  ["preset-medium", "live", "constant", { ...medium, seed: 7 }, "the medium-obfuscation preset"],
  ["preset-high", "live", "bearer", { ...high, seed: 7, debugProtection: false, debugProtectionInterval: 0, disableConsoleOutput: false }, "the high-obfuscation preset (debug protection off, so that the check can run it)"],
];

function run(code) {
  const sandbox = { window: {}, fetch: () => null, encodeURIComponent, console: { log() {}, warn() {}, error() {}, info() {}, debug() {}, trace() {}, exception() {}, table() {} } };
  vm.runInNewContext(code, sandbox, { timeout: 5000 });
  return JSON.stringify(sandbox.window);
}

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
const expected = [];
for (const [id, kind, use, options, what] of CASES) {
  const key = fixtureKey("obfuscated", id, kind);
  const code = JavaScriptObfuscator.obfuscate(USES[use](key), options).getObfuscatedCode();
  if (!run(code).includes(key)) throw new Error(`${id}: the program does not compute its key`);
  if (code.includes(key) || code.includes(key.slice(10))) throw new Error(`${id}: the key is in the text`);
  fs.writeFileSync(path.join(OUT, `${id}.js`), code + "\n");
  const [, k, body] = key.split("_");
  expected.push({ file: `${id}.js`, kind: k, body, use, what });
}
// The decoy: a placeholder through the same obfuscation gives no key finding.
const decoy = JavaScriptObfuscator.obfuscate(USES.constant("qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), { ...base, stringArrayEncoding: ["rc4"], splitStrings: true, splitStringsChunkLength: 5 }).getObfuscatedCode();
fs.writeFileSync(path.join(OUT, "decoy.js"), decoy + "\n");
fs.writeFileSync(path.join(OUT, "expected.json"), JSON.stringify({ generator: "javascript-obfuscator 5.8.0", cases: expected, decoy: "decoy.js" }, null, 1) + "\n");
console.log(`wrote ${expected.length} cases and the decoy to ${OUT}`);
