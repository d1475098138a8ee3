#!/usr/bin/env node
// Writes hex dumps of files that hold a key, made by the real tools (xxd,
// hexdump and od, as Debian ships them: packages xxd, bsdextrautils,
// coreutils), and the ground truth:
//   fixtures/dumps/<case>.txt       the dump, as someone pastes or commits it
//   fixtures/dumps/expected.json    each case's key and the dump line its
//                                   first byte is on
// A dump cuts the key over lines (and its text column too) and groups its hex
// as the tool does: bytes, pairs, little-endian words. The ground truth is
// checked, not assumed: each xxd dump is reversed with `xxd -r` and must give
// the dumped bytes back, and each dump's line for the key holds the hex of
// its first byte. The decoy dumps a placeholder only.
//
// Usage: node scripts/dumps/generate.mjs   (no npm packages needed)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureKey } from "../fixture-key.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, "../../fixtures/dumps");

// Each case: the tool's arguments, the bytes a line holds, how the hex of one
// byte is spelled in it (to check the line), and the file dumped.
const CASES = [
  {
    id: "xxd",
    args: ["xxd"],
    width: 16,
    what: "xxd: an offset, pairs of bytes, the text column",
    file: (k) => `API_URL=https://api.qrcodepro.example/v2\nQRCP_API_KEY=${k}\nDEBUG=0\n`,
  },
  {
    id: "xxd-bytes-wide",
    args: ["xxd", "-g1", "-c32"],
    width: 32,
    what: "xxd -g1 -c32: one byte a group, 32 a line",
    file: (k) => JSON.stringify({ service: "qr", auth: { key: k }, retries: 3 }, null, 2) + "\n",
  },
  {
    id: "xxd-upper",
    args: ["xxd", "-u", "-g4"],
    width: 16,
    upper: true,
    what: "xxd -u -g4: upper-case hex, four bytes a group",
    file: (k) => `export const config = {\n  apiKey: '${k}',\n};\n`,
  },
  {
    id: "xxd-plain",
    args: ["xxd", "-p"],
    width: 30,
    plain: true,
    what: "xxd -p: plain hex, 60 digits a line",
    file: (k) => `const client = new QRCodePro({ key: "${k}" });\n`,
  },
  {
    id: "hexdump-canonical",
    args: ["hexdump", "-C"],
    width: 16,
    what: "hexdump -C of a binary blob: bytes in two halves, |text|, runs of zeros as *",
    file: (k) =>
      Buffer.concat([
        Buffer.from("\x7fELF\x02\x01\x01", "latin1"),
        Buffer.alloc(57),
        Buffer.from(`QRCP_KEY=${k}\0`),
        Buffer.alloc(40),
      ]),
  },
  {
    id: "hexdump-words",
    args: ["hexdump"],
    width: 16,
    little: true,
    what: "hexdump: little-endian 16-bit words, no text column",
    file: (k) => `[qrcodepro]\nendpoint = "https://api.qrcodepro.example"\nkey = "${k}"\n`,
  },
  {
    id: "od-bytes",
    args: ["od", "-t", "x1"],
    width: 16,
    what: "od -t x1: octal offsets, one byte a group",
    file: (k) => `#!/bin/sh\nexport QRCP_KEY=${k}\nexec ./server\n`,
  },
  {
    id: "od-bytes-text",
    args: ["od", "-A", "x", "-t", "x1z"],
    width: 16,
    what: "od -A x -t x1z: hex offsets, bytes, >text<",
    file: (k) => `qrcp:\n  key: ${k}\n  timeout: 30\n`,
  },
  {
    id: "od-words",
    args: ["od", "-x"],
    width: 16,
    little: true,
    what: "od -x: octal offsets, little-endian 16-bit words",
    file: (k) => `QRCodePro.init({key:'${k}'});\n`,
  },
];

function dump(args, bytes) {
  return execFileSync(args[0], args.slice(1), { input: bytes }).toString("latin1");
}

// The dump line (1-based) that holds byte `at` of the dumped file, checked:
// the line holds that byte's hex as the case spells it.
function lineOf(c, text, at, byte) {
  const lines = text.split("\n");
  let n = Math.floor(at / c.width);
  // hexdump's `*` stands for lines it left out: find the line by its offset.
  if (!c.plain) {
    const radix = c.args[0] === "od" && !c.args.includes("x") ? 8 : 16;
    const want = at - (at % c.width);
    n = lines.findIndex((l) => parseInt(l.trim().split(/[ :]/)[0], radix) === want);
  }
  let hex = byte.toString(16).padStart(2, "0");
  if (c.upper) hex = hex.toUpperCase();
  const line = lines[n];
  if (n < 0 || !line.toLowerCase().includes(hex.toLowerCase())) {
    throw new Error(`${c.id}: line ${n + 1} does not hold ${hex}: ${line}`);
  }
  return n + 1;
}

fs.mkdirSync(OUT, { recursive: true });
const cases = [];
for (const c of CASES) {
  const key = fixtureKey("dumps", c.id, "live");
  const bytes = Buffer.from(c.file(key));
  const text = dump(c.args, bytes);
  if (c.args[0] === "xxd") {
    // `xxd -r` reads as many bytes a line as it was told the dump has.
    const cols = c.args.filter((a) => a.startsWith("-c"));
    const back = execFileSync("xxd", ["-r", ...(c.plain ? ["-p"] : cols)], { input: text });
    if (!back.equals(bytes)) throw new Error(`${c.id}: xxd -r does not give the file back`);
  }
  const at = bytes.indexOf(key);
  if (at < 0 || text.includes(key)) throw new Error(`${c.id}: key placement`);
  fs.writeFileSync(path.join(OUT, `${c.id}.txt`), text);
  cases.push({
    case: c.id,
    file: `${c.id}.txt`,
    kind: "live",
    body: key.slice("qrcp_live_".length),
    line: lineOf(c, text, at, bytes[at]),
    tool: c.args.join(" "),
    what: c.what,
  });
}
const decoy = dump(["xxd"], Buffer.from(`QRCP_API_KEY=qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n`));
fs.writeFileSync(path.join(OUT, "decoy.txt"), decoy);
fs.writeFileSync(
  path.join(OUT, "expected.json"),
  JSON.stringify({ cases, decoy: "decoy.txt" }, null, 2) + "\n",
);
console.log(`${cases.length} dumps and a decoy in ${path.relative(process.cwd(), OUT)}`);
