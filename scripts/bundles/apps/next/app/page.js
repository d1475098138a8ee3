import Widget from "./widget";

// Rendered on the server at build time: the key lands in the exported HTML.
const serverKey = "@@KEY:next-server-html@@";

export default function Page() {
  return (
    <main data-key={serverKey}>
      <h1>QR demo</h1>
      <Widget />
    </main>
  );
}
