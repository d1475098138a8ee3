import { joined, splitBody, escaped } from "./keys.js";

const defined = process.env.QRCP_KEY;

export function qr(text) {
  return fetch("https://api.qrcodepro.example/v1/qr?text=" + encodeURIComponent(text), {
    headers: { "X-Api-Key": defined },
  });
}

window.qrApp = { qr, keys: [defined, joined, splitBody, escaped] };
