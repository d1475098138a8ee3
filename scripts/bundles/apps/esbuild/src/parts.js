export const body = "@@PART:esbuild-template:1@@";
export function second() {
  return "@@PART:esbuild-join:1@@";
}
