import replace from "@rollup/plugin-replace";
import terser from "@rollup/plugin-terser";

export default {
  input: "src/main.js",
  output: { dir: "dist", format: "es", entryFileNames: "app-[hash].js", sourcemap: true },
  plugins: [
    replace({ preventAssignment: true, values: { __QRCP_KEY__: process.env.QRCP_KEY } }),
    terser(),
  ],
};
