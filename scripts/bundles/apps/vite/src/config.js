// Keys for the QR widget.
// old key, rotated? @@KEY:vite-comment@@
export const apiKey = "@@KEY:vite-hard@@";
export const envKey = import.meta.env.VITE_QRCP_KEY;
export const splitKey = "@@PART:vite-split-prefix:0@@" + "@@PART:vite-split-prefix:1@@";
const tail = "@@PART:vite-template:1@@";
export const templateKey = `@@PART:vite-template:0@@${tail}`;
export const decoded = atob("@@B64:vite-atob@@");
export const settings = JSON.parse(atob("@@B64JSON:vite-atob-json@@"));
