#!/usr/bin/env node
// Builds WebAssembly modules that hold a key, with real toolchains (versions
// pinned in package.json), and writes
//   fixtures/wasm/<case>.wasm       the module, as a site ships it
//   fixtures/wasm/expected.json     the ground truth
// A module is code a page downloads and runs: its string constants sit in its
// data segments as bytes, UTF-16 as AssemblyScript lays them out, UTF-8 as C,
// Rust and Go do. The ground truth is checked, not assumed: each module is
// instantiated and run (or its memory read) and must give the key back. The
// decoy holds a placeholder only.
//
// Usage: cd scripts/wasm && npm ci && node generate.mjs
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import asc from "assemblyscript/asc";
import wabtInit from "wabt";
import { fixtureKey } from "../fixture-key.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, "../../fixtures/wasm");

// AssemblyScript: the key a constant, joined where it is used.
async function assemblyscript(key) {
  const src = `const API_KEY: string = "${key}";
export function auth(): string { return "Bearer " + API_KEY; }
`;
  const r = await asc.compileString(src, {
    optimizeLevel: 3,
    shrinkLevel: 1,
    runtime: "stub",
    bindings: ["raw"],
  });
  if (r.error) throw new Error(`asc: ${r.error}\n${r.stderr}`);
  // Run it through the compiler's own bindings (they lift its UTF-16 strings).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qrcp-wasm-"));
  const glue = path.join(dir, "binary.mjs");
  fs.writeFileSync(glue, r["binary.js"]);
  const { instantiate } = await import(pathToFileURL(glue).href);
  const exports = await instantiate(await WebAssembly.compile(r.binary), {});
  fs.rmSync(dir, { recursive: true });
  const got = exports.auth();
  return { bytes: Buffer.from(r.binary), got, want: `Bearer ${key}`, encoding: "utf-16" };
}

// wabt's assembler: a NUL-terminated constant in a data segment, read back
// from the instantiated module's memory.
async function wat(key) {
  const wabt = await wabtInit();
  const text = `(module
  (memory (export "memory") 1)
  (data (i32.const 1024) "${key}\\00")
  (func (export "key") (result i32) (i32.const 1024)))
`;
  const m = wabt.parseWat("key.wat", text);
  const { buffer } = m.toBinary({});
  m.destroy();
  const { instance } = await WebAssembly.instantiate(buffer, {});
  const mem = new Uint8Array(instance.exports.memory.buffer);
  const at = instance.exports.key();
  const end = mem.indexOf(0, at);
  const got = Buffer.from(mem.slice(at, end)).toString("utf8");
  return { bytes: Buffer.from(buffer), got, want: key, encoding: null };
}

// [case, key kind, builder, what it exercises]
const CASES = [
  ["assemblyscript", "live", assemblyscript, "AssemblyScript (asc -O3): a string constant, UTF-16 in the data segment"],
  ["data-segment", "test", wat, "a data segment holding a NUL-terminated UTF-8 constant (wabt's wat2wasm)"],
];

fs.mkdirSync(OUT, { recursive: true });
const expected = [];
for (const [id, kind, build, what] of CASES) {
  const key = fixtureKey("wasm", id, kind);
  const r = await build(key);
  if (r.got !== r.want) throw new Error(`${id}: the module gave ${JSON.stringify(r.got)}`);
  if (r.encoding === "utf-16" && r.bytes.includes(Buffer.from(key))) {
    throw new Error(`${id}: the key is in the module as UTF-8 too`);
  }
  fs.writeFileSync(path.join(OUT, `${id}.wasm`), r.bytes);
  // The key in halves, so that the ground truth is no finding itself.
  const body = key.slice(`qrcp_${kind}_`.length);
  expected.push({ case: id, file: `${id}.wasm`, kind, body, encoding: r.encoding, what });
}
// The decoy: the same AssemblyScript program around a placeholder.
const decoy = await assemblyscript("qrcp_live_YOUR_API_KEY_HERE_000000");
fs.writeFileSync(path.join(OUT, "decoy.wasm"), decoy.bytes);
fs.writeFileSync(
  path.join(OUT, "expected.json"),
  JSON.stringify({ cases: expected, decoy: "decoy.wasm" }, null, 2) + "\n",
);
console.log(`wrote ${expected.length} cases and a decoy to ${OUT}`);
