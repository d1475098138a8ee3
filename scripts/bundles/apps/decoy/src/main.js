// Documentation widget: every key below is a placeholder, none is real.
const docs = {
  documented: "qrcp_live_xxxxxxxxxxxxxxxxxxxx",
  test: "qrcp_test_xxxxxxxxxxxxxxxxxxxx",
  template: "qrcp_live_${QRCP_KEY}",
  moustache: "qrcp_live_{{ qrcp_key }}",
  angle: "qrcp_live_<your-key>",
  words: "qrcp_live_YOUR_API_KEY_GOES_HERE",
  replace: "qrcp_live_REPLACEWITHYOURKEY1234",
  zeros: "qrcp_live_00000000000000000000000000",
  sequence: "qrcp_test_abcdefghijklmnopqrstuvwx",
  pattern: "qrcp_live_ab12ab12ab12ab12ab12ab12",
  id: "qrcp_live_key_id",
  short: "qrcp_live_k3Y9",
  joined: ["qrcp_live_", "xxxxxxxxxx", "xxxxxxxxxx"].join(""),
  decoded: atob("cXJjcF9saXZlX3h4eHh4eHh4eHh4eHh4eHh4eHh4"),
};
const shell = `export QRCP_KEY=${"<your-key>"}`;

document.querySelector("#app").textContent = JSON.stringify(docs, null, 2) + "\n" + shell;
window.qrDocs = docs;
