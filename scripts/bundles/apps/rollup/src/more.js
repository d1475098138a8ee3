export const multiline =
  "@@PART:rollup-multiline:0@@" +
  "@@PART:rollup-multiline:1@@" +
  "@@PART:rollup-multiline:2@@";
