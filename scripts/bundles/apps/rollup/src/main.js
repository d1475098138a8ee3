import { multiline } from "./more.js";

const replaced = __QRCP_KEY__;
const splitPrefix = "@@PART:rollup-split-prefix:0@@" + "@@PART:rollup-split-prefix:1@@";
const decoded = atob("@@B64:rollup-atob@@");

export function keys() {
  return [replaced, splitPrefix, decoded, multiline];
}
window.qrApp = { keys };
