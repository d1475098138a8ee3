import * as cfg from "./config.js";

async function qr(text, key) {
  const r = await fetch(import.meta.env.VITE_QRCP_BASE_URL + "/v1/qr?text=" + encodeURIComponent(text), {
    headers: { Authorization: "Bearer " + key },
  });
  return r.blob();
}

document.querySelector("#app").textContent = "QR demo";
window.qrApp = {
  qr,
  keys: [cfg.apiKey, cfg.envKey, cfg.splitKey, cfg.templateKey, cfg.decoded, cfg.settings.apiKey],
};
