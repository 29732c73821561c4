// Laminate public verification page. Text only: nothing from the network
// is inserted as markup.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const words = { valid: "GENUINE", expired: "GENUINE, EXPIRED", not_yet_valid: "GENUINE, NOT YET VALID",
    revoked: "GENUINE, REVOKED", superseded: "GENUINE, BUT REPLACED", wrong_event: "GENUINE", forged: "FORGED", unknown_key: "NOT OURS",
    malformed: "NOT A PASS" };

  async function check(code) {
    code = code.trim();
    if (!code) return;
    const r = await fetch("/v1/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: code }) });
    const v = await r.json();
    $("verdict").hidden = false;
    if (!r.ok) { $("v-status").textContent = "ERROR"; $("v-status").className = "status refused"; $("v-message").textContent = (v.error && v.error.message) || ""; $("v-next").hidden = true; return; }
    $("verdict").dataset.status = v.status;
    $("v-status").textContent = words[v.status] || v.status;
    $("v-status").className = "status " + (v.authentic ? "genuine" : "refused");
    $("v-message").textContent = v.message || "";
    $("v-next").textContent = v.next_step ? "Next step: " + v.next_step : "";
    $("v-next").hidden = !v.next_step;
    $("v-name").textContent = v.name || "";
    $("v-type").textContent = v.type ? "· " + v.type + (v.event ? " · " + v.event : "") : "";
    $("v-detail").textContent = v.serial ? "Serial " + v.serial.slice(0, 4) + "-" + v.serial.slice(4) +
      (v.issued_shown ? " · issued " + v.issued_shown : "") +
      (v.expires_shown ? " · valid until " + v.expires_shown : "") +
      // The photo is personal data: only door staff see it, on /scan.
      (v.photo ? " · carries a holder photo, shown to door staff only" : "") : "";
    const img = $("v-art");
    img.hidden = true;
    if (v.authentic) {
      const a = await fetch("/v1/artwork", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: code }) });
      if (a.ok) { const url = URL.createObjectURL(await a.blob()); img.onload = () => URL.revokeObjectURL(url); img.src = url; img.hidden = false; }
    }
  }
  $("check").onclick = () => check($("code").value);

  // Camera: static/decoder.js (zxing-wasm) on frames drawn to a canvas,
  // until one holds a code.
  const D = window.LaminateDecoder;
  $("camera-btn").onclick = async () => {
    try { await D.load(); } catch (e) { $("camera-msg").textContent = "Camera decoding is not built into this server."; return; }
    try {
      const stream = await D.openCamera();
      const v = $("video"); v.srcObject = stream; v.style.display = "block"; await v.play();
      const read = D.frameReader(v);
      const tick = async () => {
        let text = "";
        if (v.readyState >= 2) { try { text = await read(); } catch (e) { /* the next frame */ } }
        if (text) { $("code").value = text; stream.getTracks().forEach((t) => t.stop()); v.style.display = "none"; check(text); return; }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    } catch (e) { $("camera-msg").textContent = "No camera: " + e.name; }
  };
})();
