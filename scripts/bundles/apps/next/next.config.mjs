export default {
  output: "export",
  productionBrowserSourceMaps: true,
  // A fixed build id: rebuilding gives the same files.
  generateBuildId: async () => "qrcp-scan-fixture",
};
