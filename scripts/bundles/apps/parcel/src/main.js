const envKey = process.env.QRCP_KEY;
const hard = "@@KEY:parcel-hard@@";
const decoded = atob("@@B64:parcel-atob@@");
const split = "@@PART:parcel-split-body:0@@" + "@@PART:parcel-split-body:1@@";

document.getElementById("app").textContent = "QR demo";
window.qrApp = { keys: [envKey, hard, decoded, split] };
