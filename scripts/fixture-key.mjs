// The obviously fake keys the fixture generators plant (bundles/, obfuscated/).
import { createHash } from "node:crypto";

// A key body: "FIXTURE" (obviously fake) then 25 characters derived from the
// set and the case id, from an alphabet without vowels or `x` so that no
// placeholder word can appear ("fake", "your", "xxxx"… would make it a
// placeholder, see src/detect/placeholder.rs). Deterministic: rebuilding gives
// the same keys. `set` names the generator (`bundle`, `obfuscated`).
export function fixtureKey(set, id, kind) {
  const ALPHA = "bcdfghjkmnpqrstvwzBCDFGHJKLMNPQRSTVWZ23456789";
  const h = createHash("sha256").update(`qrcp-scan ${set} fixture ${id}`).digest();
  let body = "FIXTURE";
  for (let i = 0; i < 25; i++) body += ALPHA[h[i] % ALPHA.length];
  if (isPlaceholder(body)) throw new Error(`${id}: generated body judged a placeholder`);
  return `qrcp_${kind}_${body}`;
}

// The same judgement as src/detect/placeholder.rs, to refuse a generated body
// that the scanner would (rightly) ignore.
function isPlaceholder(body) {
  const words = ["xxxx", "example", "placeholder", "your", "redacted", "dummy", "sample",
    "changeme", "replace", "fake", "notreal", "insert", "secret", "apikey"];
  const lower = body.toLowerCase();
  if (words.some((w) => lower.includes(w))) return true;
  if (new Set(body).size < 6) return true;
  let steps = 0;
  for (let i = 1; i < body.length; i++) if (Math.abs(body.charCodeAt(i) - body.charCodeAt(i - 1)) === 1) steps++;
  if (steps * 10 >= (body.length - 1) * 6) return true;
  for (let p = 1; p <= 8; p++) {
    if (body.length >= 2 * p && [...body].every((c, i) => i < p || c === body[i - p])) return true;
  }
  const counts = {};
  for (const c of body) counts[c] = (counts[c] || 0) + 1;
  const n = body.length;
  const entropy = -Object.values(counts).reduce((s, c) => s + (c / n) * Math.log2(c / n), 0);
  return entropy < 3.0;
}
