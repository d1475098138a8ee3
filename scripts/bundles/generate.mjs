#!/usr/bin/env node
// Builds the apps of apps/ with real bundlers (versions pinned in package.json),
// each leaking its own deterministic, obviously fake key per case, and writes
//   fixtures/bundles/<app>/…            the production output, as deployed
//   fixtures/bundles/expected.json       the ground truth, found by searching it
// The ground truth is never assumed from the sources: after the builds every
// output file is read (gzip and brotli copies decompressed, source maps parsed,
// inline data: maps decoded) and each case's key is looked for in every form it
// was planted in. A case whose key cannot be found anywhere fails the run.
//
// Usage: cd scripts/bundles && npm ci && node generate.mjs [app…]
// (KEEP_WORK=1 keeps the build folders, work/, for a look.)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { fixtureKey } from "../fixture-key.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
const OUT = path.join(REPO, "fixtures/bundles");
// Apps are built here (inside this folder, so that they resolve node_modules), and
// the folder is removed afterwards: it holds the keys in clear, and a folder named
// like build output would be scanned by `qrcp-scan dir .` on the repository.
const BUILD = path.join(HERE, "work");
const BIN = path.join(HERE, "node_modules/.bin");

// ---------------------------------------------------------------------------
// Cases: one key each. `parts` is how a split case cuts its key in the source.

const CASES = [
  ["vite-env", "vite", "live", "env: .env VITE_QRCP_KEY read as import.meta.env"],
  ["vite-hard", "vite", "live", "hard-coded string literal"],
  ["vite-comment", "vite", "live", "in a source comment only: stripped from the bundle, kept in the map"],
  ["vite-split-prefix", "vite", "live", "\"qrcp_\" + \"live_…\"", (k) => [k.slice(0, 5), k.slice(5)]],
  ["vite-template", "vite", "live", "template literal `qrcp_live_${tail}`", (k) => [k.slice(0, 10), k.slice(10)]],
  ["vite-atob", "vite", "live", "atob() of the base64 key"],
  ["vite-atob-json", "vite", "live", "atob() of base64 JSON holding the key"],
  ["webpack-define", "webpack", "live", "env: DefinePlugin process.env.QRCP_KEY"],
  ["webpack-join", "webpack", "live", "[…].join('')", (k) => [k.slice(0, 10), k.slice(10, 22), k.slice(22)]],
  ["webpack-split-body", "webpack", "live", "\"qrcp_live_\" + body across two lines", (k) => [k.slice(0, 10), k.slice(10)]],
  ["webpack-escaped", "webpack", "live", "\\u005f escapes in the source string"],
  ["esbuild-define", "esbuild", "live", "env: esbuild define process.env.QRCP_KEY"],
  ["esbuild-test-hard", "esbuild", "test", "hard-coded test key"],
  ["esbuild-comment", "esbuild", "live", "in a source comment only: kept in the inline map"],
  ["esbuild-join", "esbuild", "live", "[literal, call()].join(\"\") across modules", (k) => [k.slice(0, 10), k.slice(10)]],
  ["esbuild-template", "esbuild", "live", "template literal with an imported constant", (k) => [k.slice(0, 10), k.slice(10)]],
  ["rollup-replace", "rollup", "live", "env: @rollup/plugin-replace"],
  ["rollup-split-prefix", "rollup", "live", "\"qrcp_\" + \"live_…\"", (k) => [k.slice(0, 5), k.slice(5)]],
  ["rollup-atob", "rollup", "live", "atob() of the base64 key"],
  ["rollup-multiline", "rollup", "live", "three literals joined by + over three lines", (k) => [k.slice(0, 10), k.slice(10, 20), k.slice(20)]],
  ["next-public-env", "next", "live", "env: .env.production NEXT_PUBLIC_QRCP_KEY in a client component"],
  ["next-hard", "next", "live", "hard-coded in a client component"],
  ["next-atob-json", "next", "live", "atob() of base64 JSON in a client component"],
  ["next-server-html", "next", "live", "server component renders the key into the exported HTML"],
  ["parcel-env", "parcel", "live", "env: QRCP_KEY in the build's environment, inlined from process.env"],
  ["parcel-hard", "parcel", "live", "hard-coded string literal"],
  ["parcel-atob", "parcel", "live", "atob() of the base64 key"],
  ["parcel-split-body", "parcel", "live", "\"qrcp_live_\" + body", (k) => [k.slice(0, 10), k.slice(10)]],
].map(([id, app, kind, how, split]) => {
  const key = fixtureKey("bundle", id, kind);
  return { id, app, kind, how, key, parts: split ? split(key) : null };
});

const byId = Object.fromEntries(CASES.map((c) => [c.id, c]));
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const jsonFor = (c) => JSON.stringify({ apiKey: c.key, endpoint: "https://api.qrcodepro.example/v1" });
// What the generator plants in base64, per case.
const planted64 = (c) => [b64(c.key), b64(jsonFor(c))];
const escaped = (k) => k.replaceAll("_", "\\u005f");

// ---------------------------------------------------------------------------
// Templates: apps/<app> is copied to build/<app> with its markers replaced.

function fill(text) {
  return text.replace(/@@(KEY|B64|B64JSON|ESC|PART):([a-z0-9-]+)(?::(\d+))?@@/g, (_, what, id, n) => {
    const c = byId[id];
    if (!c) throw new Error(`unknown case ${id}`);
    switch (what) {
      case "KEY": return c.key;
      case "B64": return b64(c.key);
      case "B64JSON": return b64(jsonFor(c));
      case "ESC": return escaped(c.key);
      case "PART": return c.parts[Number(n)];
    }
  });
}

function copyApp(app) {
  const src = path.join(HERE, "apps", app);
  const dst = path.join(BUILD, app);
  fs.rmSync(dst, { recursive: true, force: true });
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        fs.mkdirSync(path.join(dst, r), { recursive: true });
        walk(r);
      } else {
        // `env` becomes the dotenv file the bundler reads (kept out of the
        // repository under that name: the repository must not hold dotenv files).
        const name = e.name === "env" ? (app === "next" ? ".env.production" : ".env") : e.name;
        fs.mkdirSync(path.join(dst, rel), { recursive: true });
        fs.writeFileSync(path.join(dst, rel, name), fill(fs.readFileSync(path.join(src, r), "utf8")));
      }
    }
  };
  walk("");
  return dst;
}

function run(cwd, cmd, args, env = {}) {
  console.error(`==> (${path.relative(HERE, cwd)}) ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PARCEL_WORKERS: "1", ...env },
  });
}

// ---------------------------------------------------------------------------
// Builds: each returns the folder of its production output.

const builds = {
  vite(dir) {
    run(dir, path.join(BIN, "vite"), ["build", "--logLevel", "warn"]);
    return "dist";
  },
  decoy(dir) {
    run(dir, path.join(BIN, "vite"), ["build", "--logLevel", "warn"]);
    return "dist";
  },
  async webpack(dir) {
    const { default: webpack } = await import("webpack");
    const stats = await new Promise((resolve, reject) =>
      webpack({
        mode: "production",
        context: dir,
        entry: "./src/index.js",
        devtool: "hidden-source-map",
        output: { path: path.join(dir, "dist"), filename: "app.[contenthash:8].js", clean: true },
        plugins: [new webpack.DefinePlugin({ "process.env.QRCP_KEY": JSON.stringify(byId["webpack-define"].key) })],
      }, (err, s) => (err ? reject(err) : resolve(s))));
    if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
    const js = stats.toJson({ assets: true }).assets.map((a) => a.name).find((n) => n.endsWith(".js"));
    page(dir, "dist", "webpack", js);
    return "dist";
  },
  async esbuild(dir) {
    const esbuild = await import("esbuild");
    await esbuild.build({
      absWorkingDir: dir,
      entryPoints: ["src/main.js"],
      bundle: true,
      minify: true,
      format: "iife",
      sourcemap: "inline",
      outfile: "dist/app.js",
      define: { "process.env.QRCP_KEY": JSON.stringify(byId["esbuild-define"].key) },
      logLevel: "warning",
    });
    page(dir, "dist", "esbuild", "app.js");
    return "dist";
  },
  rollup(dir) {
    run(dir, path.join(BIN, "rollup"), ["-c", "--silent"], { QRCP_KEY: JSON.stringify(byId["rollup-replace"].key) });
    const js = fs.readdirSync(path.join(dir, "dist")).find((n) => n.endsWith(".js"));
    page(dir, "dist", "rollup", js, "module");
    return "dist";
  },
  next(dir) {
    run(dir, path.join(BIN, "next"), ["build"]);
    return "out";
  },
  parcel(dir) {
    run(dir, path.join(BIN, "parcel"), ["build", "index.html", "--no-cache", "--dist-dir", "dist", "--log-level", "warn"],
      { QRCP_KEY: byId["parcel-env"].key });
    return "dist";
  },
};

// webpack, esbuild and Rollup emit scripts only: the page a static host serves.
function page(dir, out, name, script, type) {
  const t = type ? ` type="${type}"` : "";
  fs.writeFileSync(path.join(dir, out, "index.html"),
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>QR demo (${name})</title>` +
    `<script${t} src="/${script}"></script></head><body><div id="app"></div></body></html>\n`);
}

// ---------------------------------------------------------------------------
// Output: copied to fixtures/bundles/<app>, with the .gz and .br copies that
// static hosts serve (what vite-plugin-compression or `next build` + a CDN do).

const TEXT = /\.(js|mjs|css|html|txt|json|map)$/;
// Every text file gets both copies, maps included: hosts that precompress do it
// for every compressible type, and a forced Content-Encoding needs one for each.
const COMPRESS = TEXT;

// Framework source maps that hold no case (Next.js ships >2 MB of them for React
// alone) are left out to keep the fixtures small, and so is the comment that
// names them, so that nothing refers to a missing file: the chunk reads as one
// built without a map.
const MAX_KEYLESS_MAP = 50_000;

function keyless(text) {
  return !CASES.some((c) => [c.key, escaped(c.key), ...planted64(c), ...(c.parts ? [c.parts.at(-1)] : [])]
    .some((s) => text.includes(s)));
}

function collect(app, outDir) {
  const dst = path.join(OUT, app);
  fs.rmSync(dst, { recursive: true, force: true });
  const outName = path.basename(outDir);
  const dropped = new Set();
  const all = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(outDir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (TEXT.test(e.name)) all.push(r);
    }
  };
  walk("");
  for (const r of all) {
    if (!r.endsWith(".map")) continue;
    const text = fs.readFileSync(path.join(outDir, r), "utf8");
    if (text.length > MAX_KEYLESS_MAP && keyless(text)) dropped.add(r);
  }
  for (const r of all) {
    if (dropped.has(r)) continue;
    let data = fs.readFileSync(path.join(outDir, r));
    if (dropped.has(`${r}.map`)) {
      const text = data.toString("utf8");
      const cut = text.lastIndexOf("//# sourceMappingURL=");
      if (cut >= 0) data = Buffer.from(text.slice(0, cut).trimEnd() + "\n");
    }
    const to = path.join(dst, outName, r);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, data);
    if (COMPRESS.test(r)) {
      fs.writeFileSync(`${to}.gz`, zlib.gzipSync(data, { level: 9 }));
      fs.writeFileSync(`${to}.br`, zlib.brotliCompressSync(data, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      }));
    }
  }
  if (dropped.size) console.error(`${app}: left out ${dropped.size} keyless source maps over ${MAX_KEYLESS_MAP} bytes`);
}

// ---------------------------------------------------------------------------
// Ground truth: search what was built.

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

const lineOf = (text, at) => text.slice(0, at).split("\n").length;
const colOf = (text, at) => at - text.lastIndexOf("\n", at - 1);

// Where case `c` is in `text`: plain, escaped, base64 or split. One entry per
// form found (the first occurrence of each).
function forms(c, text) {
  const found = [];
  const at = text.indexOf(c.key);
  if (at >= 0) found.push({ form: "plain", at });
  const e = text.indexOf(escaped(c.key));
  if (e >= 0) found.push({ form: "escape", at: e, text: "\\u005f for each _" });
  for (const s of planted64(c)) {
    const i = text.indexOf(s);
    if (i >= 0) found.push({ form: "base64", at: i, encoded: s.length > 60 ? "JSON holding the key" : "the key" });
  }
  if (at < 0 && c.parts) {
    // Every part, in order, with only joining syntax between them (quotes,
    // blanks, `+`, `,`: `"qrcp_" + "live_…"`, `[…, …].join("")`): the split
    // survived the minifier. Anchored on the last part, the only one unique to
    // the key.
    const last = c.parts[c.parts.length - 1];
    for (let end = text.indexOf(last); end >= 0; end = text.indexOf(last, end + 1)) {
      let start = end;
      const starts = [end];
      let ok = true;
      for (const p of c.parts.slice(0, -1).reverse()) {
        const i = text.lastIndexOf(p, start - p.length);
        if (i < 0 || start - (i + p.length) > 200 || !/^[\s"'`+,]*$/.test(text.slice(i + p.length, start))) {
          ok = false;
          break;
        }
        start = i;
        starts.unshift(i);
      }
      if (ok) {
        found.push({ form: "split", at: start, parts_at: starts.map((i) => ({ line: lineOf(text, i), column: colOf(text, i) })) });
        break;
      }
    }
    // Every part in the file, near the last one, but joined through an
    // identifier or a call (`${e}`, `o()`), as minifiers leave what crosses a
    // module boundary. Each part is taken at its occurrence nearest the last.
    const anchor = text.indexOf(last);
    if (!found.some((f) => f.form === "split") && anchor >= 0) {
      const near = (p) => {
        let best = -1;
        for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) {
          if (best < 0 || Math.abs(i - anchor) < Math.abs(best - anchor)) best = i;
        }
        return best;
      };
      const at = c.parts.map(near);
      const lo = Math.min(...at);
      const hi = Math.max(...at);
      if (lo >= 0 && hi - lo < 2000) {
        found.push({
          form: "split-indirect",
          at: lo,
          parts_at: at.map((i) => ({ line: lineOf(text, i), column: colOf(text, i) })),
        });
      }
    }
  }
  return found;
}

function parseMap(text) {
  try {
    const m = JSON.parse(text);
    return Array.isArray(m.sources) ? m : null;
  } catch {
    return null;
  }
}

// Locations of `c` in a source map: one per sourcesContent entry holding it.
function inMap(c, map) {
  const out = [];
  (map.sourcesContent || []).forEach((content, i) => {
    if (typeof content !== "string") return;
    for (const f of forms(c, content)) {
      out.push({ form: f.form, source: map.sources[i], source_line: lineOf(content, f.at) });
    }
  });
  return out;
}

const INLINE_MAP = /sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)/;
const MAP_URL = /[#@] sourceMappingURL=(\S+)\s*$/;

function groundTruth() {
  const cases = [];
  const all = files(OUT).filter((f) => !f.endsWith("expected.json"));
  // Decompressed views of every file.
  const views = all.map((f) => {
    const rel = path.relative(OUT, f);
    const raw = fs.readFileSync(f);
    if (f.endsWith(".gz")) return { rel, base: rel.slice(0, -3), layers: ["gzip"], text: zlib.gunzipSync(raw).toString("utf8") };
    if (f.endsWith(".br")) return { rel, base: rel.slice(0, -3), layers: ["br"], text: zlib.brotliDecompressSync(raw).toString("utf8") };
    return { rel, base: rel, layers: [], text: raw.toString("utf8") };
  });
  const maps = new Map();
  for (const v of views) if (!v.layers.length && v.rel.endsWith(".map")) maps.set(v.rel, parseMap(v.text));

  // The map of a script: inline, named by its comment, or beside it (hidden).
  const mapOf = (v) => {
    const inline = INLINE_MAP.exec(v.text);
    if (inline) return { kind: "inline", map: parseMap(Buffer.from(inline[1], "base64").toString("utf8")) };
    const named = MAP_URL.exec(v.text);
    if (named && !named[1].startsWith("data:")) {
      const p = path.join(path.dirname(v.base), named[1]);
      if (maps.get(p)) return { kind: "external", path: p, map: maps.get(p) };
    }
    if (maps.get(`${v.base}.map`)) return { kind: "hidden", path: `${v.base}.map`, map: maps.get(`${v.base}.map`) };
    return null;
  };

  for (const c of CASES.filter((c) => fs.existsSync(path.join(OUT, c.app)))) {
    const locations = [];
    for (const v of views) {
      if (!v.rel.startsWith(`${c.app}/`)) continue;
      const base = { file: v.rel, layers: v.layers };
      if (v.base.endsWith(".map")) {
        const m = parseMap(v.text);
        if (m) for (const l of inMap(c, m)) locations.push({ ...base, container: "sourcemap", ...l });
        continue;
      }
      const sm = v.base.endsWith(".js") ? mapOf(v) : null;
      const original = sm?.map ? inMap(c, sm.map)[0] : null;
      // The inline map's data: URI is searched as a map below, not as text (its
      // base64 can hold the base64 of a key by chance of alignment).
      const own = v.text.replace(INLINE_MAP, (m) => " ".repeat(m.length));
      for (const f of forms(c, own)) {
        const loc = { ...base, form: f.form, line: lineOf(v.text, f.at), column: colOf(v.text, f.at) };
        if (f.parts_at) loc.parts_at = f.parts_at;
        if (f.encoded) loc.encoded = f.encoded;
        if (sm) loc.map = sm.kind === "inline" ? "inline" : `${sm.kind} ${sm.path}`;
        if (original) loc.original = { source: original.source, line: original.source_line };
        locations.push(loc);
      }
      if (sm?.kind === "inline" && sm.map) {
        for (const l of inMap(c, sm.map)) locations.push({ ...base, container: "inline-sourcemap", ...l });
      }
    }
    if (!locations.length) throw new Error(`${c.id}: its key is nowhere in the output`);
    cases.push({
      id: c.id,
      app: c.app,
      how: c.how,
      // The key is `qrcp_<kind>_<body>`, never written whole here: this file sits
      // in the scanned folder and must not be a finding itself.
      kind: c.kind,
      body: c.key.slice(`qrcp_${c.kind}_`.length),
      fingerprint: createHash("sha256").update(c.key).digest("hex"),
      rule: c.kind === "live" ? "qrcp-live-key" : "qrcp-test-key",
      // Where the source cuts the key (offsets into it), for split cases.
      ...(c.parts ? { cuts: c.parts.slice(0, -1).map((_, i) => c.parts.slice(0, i + 1).join("").length) } : {}),
      locations,
      url: urlReachable(c, locations),
    });
  }
  // The decoy must hold no case key, in any form, anywhere.
  for (const v of views.filter((v) => v.rel.startsWith("decoy/"))) {
    for (const c of CASES) if (forms(c, v.text).length) throw new Error(`decoy ${v.rel} holds ${c.id}`);
  }
  return cases;
}

// The files `qrcp-scan url <app>/` reaches from the app's index.html: the page,
// the scripts it loads (script src, modulepreload) and the maps they name.
function urlReachable(c, locations) {
  const root = `${c.app}/${c.app === "next" ? "out" : "dist"}`;
  const html = fs.readFileSync(path.join(OUT, root, "index.html"), "utf8");
  const reach = new Set([`${root}/index.html`]);
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)=(?:"([^"]+)"|'([^']+)'|([^\s>"']+))[^>]*>/g)]
    .filter((m) => m[0].startsWith("<script") || /rel="?(modulepreload|preload)/.test(m[0]))
    .map((m) => m[1] ?? m[2] ?? m[3]);
  for (const r of refs) {
    if (!r.endsWith(".js") && !r.includes(".js?")) continue;
    const p = r.startsWith("/") ? `${root}${r.split("?")[0]}` : path.join(root, r.split("?")[0]);
    if (!fs.existsSync(path.join(OUT, p))) continue;
    reach.add(p);
    const named = MAP_URL.exec(fs.readFileSync(path.join(OUT, p), "utf8"));
    if (named && !named[1].startsWith("data:")) reach.add(path.join(path.dirname(p), named[1]));
  }
  return locations
    .filter((l) => !l.layers.length && reach.has(l.file))
    .map((l) => ({
      // The page is scanned as `<site>/`, and that is the URL it is reported at.
      path: l.file === `${root}/index.html` ? "/" : l.file.slice(root.length),
      form: l.form,
      ...(l.container ? { container: l.container } : {}),
      ...(l.line ? { line: l.line } : {}),
      ...(l.source ? { source: l.source, source_line: l.source_line } : {}),
    }));
}

// ---------------------------------------------------------------------------

const only = process.argv.slice(2);
const apps = ["vite", "webpack", "esbuild", "rollup", "next", "parcel", "decoy"].filter((a) => !only.length || only.includes(a));
fs.mkdirSync(BUILD, { recursive: true });
for (const app of apps) {
  const dir = copyApp(app);
  const out = await builds[app](dir);
  collect(app, path.join(dir, out));
}
const cases = groundTruth();
const versions = JSON.parse(fs.readFileSync(path.join(HERE, "package.json"), "utf8")).devDependencies;
fs.writeFileSync(path.join(OUT, "expected.json"), `${JSON.stringify({
  generator: "scripts/bundles/generate.mjs",
  versions,
  roots: { vite: "vite/dist", webpack: "webpack/dist", esbuild: "esbuild/dist", rollup: "rollup/dist", next: "next/out", parcel: "parcel/dist", decoy: "decoy/dist" },
  decoy: "decoy",
  cases,
}, null, 2)}\n`);
if (!process.env.KEEP_WORK) {
  fs.rmSync(BUILD, { recursive: true, force: true });
  fs.rmSync(path.join(HERE, ".parcel-cache"), { recursive: true, force: true });
}
console.error(`wrote ${cases.length} cases, ${cases.reduce((n, c) => n + c.locations.length, 0)} locations`);
