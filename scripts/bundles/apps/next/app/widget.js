"use client";

import { useState } from "react";

const hard = "@@KEY:next-hard@@";
const settings = JSON.parse(atob("@@B64JSON:next-atob-json@@"));

export default function Widget() {
  const [text, setText] = useState("hello");
  const go = () =>
    fetch("https://api.qrcodepro.example/v1/qr?text=" + encodeURIComponent(text), {
      headers: {
        Authorization: "Bearer " + process.env.NEXT_PUBLIC_QRCP_KEY,
        "X-Backup": hard,
        "X-Settings": settings.apiKey,
      },
    });
  return (
    <div>
      <input value={text} onChange={(e) => setText(e.target.value)} />
      <button onClick={go}>QR</button>
    </div>
  );
}
