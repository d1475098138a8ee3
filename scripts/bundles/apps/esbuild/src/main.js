import { body, second } from "./parts.js";

// TODO remove before release: @@KEY:esbuild-comment@@
const testKey = "@@KEY:esbuild-test-hard@@";
const defined = process.env.QRCP_KEY;
const joined = ["@@PART:esbuild-join:0@@", second()].join("");
const templated = `@@PART:esbuild-template:0@@${body}`;

window.qrApp = {
  keys: [testKey, defined, joined, templated],
  qr: (text) => fetch(`https://api.qrcodepro.example/v1/qr?text=${encodeURIComponent(text)}&key=${defined}`),
};
