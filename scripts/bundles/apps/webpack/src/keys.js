export const joined = ["@@PART:webpack-join:0@@", "@@PART:webpack-join:1@@", "@@PART:webpack-join:2@@"].join('');
export const splitBody = "@@PART:webpack-split-body:0@@" +
  "@@PART:webpack-split-body:1@@";
// Escaped so that a grep for the key finds nothing.
export const escaped = "@@ESC:webpack-escaped@@";
