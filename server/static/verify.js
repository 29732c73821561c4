// Laminate public verification page. Text only: nothing from the network
// is inserted as markup.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const I = window.LaminateI18n, t = I.t; // static/i18n.js: the verdict words are "status.<status>"
  let last = null; // the last verdict, shown again when the language changes
  window.addEventListener("laminate:lang", () => { if (last) paint(last.r, last.v); });

  async function check(code) {
    code = code.trim();
    if (!code) return;
    const r = await fetch("/v1/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: code }) });
    const v = await r.json();
    last = { r: { ok: r.ok }, v };
    paint(r, v);
    const img = $("v-art");
    img.hidden = true;
    if (r.ok && v.authentic) {
      const a = await fetch("/v1/artwork", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: code }) });
      if (a.ok) { const url = URL.createObjectURL(await a.blob()); img.onload = () => URL.revokeObjectURL(url); img.src = url; img.hidden = false; }
    }
  }
  // paint shows a verdict in the page's language: the server's English
  // message in English; elsewhere the catalogue's text for its message key
  // with its parameters (an older server's verdict: the text for the
  // status, with the server's words below it).
  function paint(r, v) {
    $("verdict").hidden = false;
    const en = I.lang() === "en";
    $("v-server").hidden = true;
    if (!r.ok) { $("v-status").textContent = t("status.error"); $("v-status").className = "status refused"; $("v-message").textContent = (v.error && v.error.message) || ""; $("v-next").hidden = true; return; }
    $("verdict").dataset.status = v.status;
    $("v-status").textContent = I.has("status." + v.status) ? t("status." + v.status) : v.status;
    $("v-status").className = "status " + (v.authentic ? "genuine" : "refused");
    // The message by its key and parameters (times in full, on the
    // clock the server gives them): then no English line is needed.
    const worded = !en && v.message_key ? I.text("verdict." + v.message_key, v.message_params || {}, true, 0) : null;
    const mine = worded !== null || (!en && I.has("verdict." + v.status) && !/\{[a-z_]+\}/.test(t("verdict." + v.status, { event: v.event || "" })));
    $("v-message").textContent = worded !== null ? worded : mine ? t("verdict." + v.status, { event: v.event || "" }) : v.message || "";
    $("v-server").textContent = mine && worded === null ? v.message || "" : "";
    $("v-server").hidden = !$("v-server").textContent;
    const nextKey = v.next_key || v.status, worded2 = !en && v.next_step ? I.text("next." + nextKey, v.next_params || {}, false, 0) : null;
    const next = worded2 !== null ? worded2 : v.next_step;
    $("v-next").textContent = v.next_step ? t("verify.next_step", { step: next }) : "";
    $("v-next").hidden = !v.next_step;
    $("v-name").textContent = v.name || "";
    $("v-type").textContent = v.type ? "· " + v.type + (v.event ? " · " + v.event : "") : "";
    $("v-detail").textContent = v.serial ? t("verify.serial", { serial: v.serial.slice(0, 4) + "-" + v.serial.slice(4) }) +
      (v.issued_shown ? " · " + t("verify.issued", { time: v.issued_shown }) : "") +
      (v.expires_shown ? " · " + t("verify.valid_until", { time: v.expires_shown }) : "") +
      // The photo is personal data: only door staff see it, on /scan.
      (v.photo ? " · " + t("verify.photo") : "") : "";
  }
  $("check").onclick = () => check($("code").value);

  // Camera: static/decoder.js (zxing-wasm) on frames drawn to a canvas,
  // until one holds a code.
  const D = window.LaminateDecoder;
  $("camera-btn").onclick = async () => {
    try { await D.load(); } catch (e) { $("camera-msg").textContent = t("verify.no_decoder"); return; }
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
    } catch (e) { $("camera-msg").textContent = t("page.no_camera", { error: e.name }); }
  };
})();
