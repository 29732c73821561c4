// Laminate door scanner. Everything shown goes through textContent: no
// markup from the network is ever inserted.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const zones = ["stage", "dressing-rooms", "green-room", "backstage", "photo-pit", "foh",
    "hospitality", "meet-greet", "catering", "press", "merch", "loading-dock"];
  let token = sessionStorage.getItem("laminate.scanner") || "";
  let muted = localStorage.getItem("laminate.muted") === "1";
  let busy = false, lastCode = "", lastCodeAt = 0, hideTimer = 0, audio = null;

  for (const z of zones) { const o = document.createElement("option"); o.value = z; o.textContent = z; $("zone").append(o); }
  for (const k of ["gate", "zone", "direction"]) {
    const v = localStorage.getItem("laminate." + k); if (v) $(k).value = v;
    $(k).addEventListener("change", () => localStorage.setItem("laminate." + k, $(k).value));
  }
  $("mute").textContent = muted ? "Sound off" : "Sound on";
  $("mute").onclick = () => { muted = !muted; localStorage.setItem("laminate.muted", muted ? "1" : "0"); $("mute").textContent = muted ? "Sound off" : "Sound on"; };

  function beep(kind) {
    if (muted) return;
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = kind === "admit" ? 880 : kind === "attention" ? 600 : 220;
      o.type = kind === "deny" ? "square" : "sine";
      g.gain.value = 0.15; o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (kind === "admit" ? 0.15 : 0.5));
    } catch (e) { /* no audio: the screen still says it */ }
  }

  async function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ "Authorization": "Bearer " + token }, opts.headers || {});
    return fetch(path, opts);
  }

  async function signIn(t) {
    token = t.trim();
    // A harmless authenticated call checks the token before the door opens.
    const r = await api("/v1/passes/2222-2222/artwork.svg"); // scanner-only: 404 for a scanner token
    if (r.status === 401 || r.status === 403) {
      $("signin-msg").textContent = r.status === 401 ? "That token is not valid." : "That token is not a scanner token.";
      token = ""; return;
    }
    sessionStorage.setItem("laminate.scanner", token);
    $("signin").hidden = true; $("scanner").hidden = false; $("last").hidden = false;
    focusWedge(); freshness();
  }
  $("signin-btn").onclick = () => signIn($("token").value);
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn($("token").value); });

  function focusWedge() { if (!$("scanner").hidden && document.activeElement !== $("token")) $("wedge").focus(); }
  document.addEventListener("click", (e) => { if (e.target.tagName !== "SELECT" && e.target.tagName !== "INPUT") setTimeout(focusWedge, 0); });
  setInterval(focusWedge, 1000);

  // Keyboard-wedge scanners type the code then Enter; some send no Enter,
  // so a pause of 120 ms after the last key also ends a code.
  let pause = 0, firstKey = 0;
  $("wedge").addEventListener("keydown", (e) => {
    if (!firstKey) firstKey = performance.now();
    if (e.key === "Enter") { e.preventDefault(); const t = firstKey; firstKey = 0; submit($("wedge").value, t); }
  });
  $("wedge").addEventListener("input", () => { clearTimeout(pause); pause = setTimeout(() => {
    if ($("wedge").value.length > 40) { const t = firstKey; firstKey = 0; submit($("wedge").value, t); }
  }, 120); });

  function newScanID() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // submit sends one code; t0 is when its frame or first key arrived, so
  // the time to the answer screen is measured from there.
  async function submit(raw, t0) {
    clearTimeout(pause);
    $("wedge").value = "";
    const code = raw.trim();
    if (!code || busy) return;
    // Some scanners repeat a code within 2 s: one scan, not two.
    const now = Date.now();
    if (code === lastCode && now - lastCodeAt < 2000) return;
    lastCode = code; lastCodeAt = now;
    busy = true;
    const started = t0 || performance.now();
    const body = { token: code, gate: $("gate").value.trim().toLowerCase(), zone: $("zone").value, direction: $("direction").value, scan_id: newScanID() };
    let answer;
    try {
      let r;
      for (let attempt = 0; attempt < 3; attempt++) { // retries reuse the scan_id: stored once
        try { r = await api("/v1/scans", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); break; }
        catch (e) { if (attempt === 2) throw e; await new Promise((ok) => setTimeout(ok, 300)); }
      }
      answer = await r.json();
      if (!r.ok) answer = { decision: "deny", code: (answer.error && answer.error.code) || "error", reason: (answer.error && answer.error.message) || "The server refused the scan." };
    } catch (e) {
      answer = { decision: "deny", code: "offline", reason: "No answer from the server: do not admit; call the production office." };
    }
    show(answer, started);
    busy = false;
  }

  function show(a, started) {
    const res = $("result");
    res.className = a.decision === "admit" ? "admit" : a.decision === "attention" ? "attention" : "deny";
    res.dataset.code = a.code || "";
    res.dataset.elapsed = Math.round(performance.now() - started);
    $("r-word").textContent = a.decision === "admit" ? "ADMIT" : a.decision === "attention" ? "CHECK" : "DENY";
    $("r-name").textContent = a.pass ? a.pass.name : "";
    $("r-type").textContent = a.pass ? a.pass.label + (a.pass.role ? " · " + a.pass.role : "") + (a.pass.org ? " · " + a.pass.org : "") : "";
    $("r-reason").textContent = a.reason || "";
    $("r-serial").textContent = a.pass ? a.pass.serial.slice(0, 4) + "-" + a.pass.serial.slice(4) : "";
    const img = $("r-art");
    img.hidden = true;
    if (a.artwork_url) { // after the colour is up: the answer must not wait for the picture
      api(a.artwork_url).then((r) => r.ok ? r.blob() : null).then((b) => {
        if (!b) return;
        const url = URL.createObjectURL(b);
        img.onload = () => URL.revokeObjectURL(url); img.src = url; img.hidden = false;
      }).catch(() => { /* the answer stands without the artwork */ });
    }
    beep(res.className);
    const li = document.createElement("li");
    li.className = res.className;
    li.textContent = new Date().toLocaleTimeString() + " — " + $("r-word").textContent + " — " + ($("r-name").textContent || a.code) + (a.reason ? ": " + a.reason : "");
    $("history").prepend(li);
    while ($("history").children.length > 10) $("history").lastChild.remove();
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { res.className = ""; focusWedge(); }, a.decision === "admit" ? 2500 : 5000);
  }
  $("result").onclick = () => { $("result").className = ""; focusWedge(); };

  // How old is the server's revocation data? Shown always, loudly when stale.
  async function freshness() {
    try {
      const r = await fetch("/readyz"); const j = await r.json();
      const age = j.revocations_age_seconds;
      $("freshness").textContent = r.ok ? "Revocation data: " + (age < 2 ? "live" : age + " s old") + " (list #" + j.revocation_seq + ")" : "Server not ready";
      $("stale").style.display = !r.ok || age > 60 ? "block" : "none";
      $("stale").textContent = !r.ok ? "SERVER NOT READY: do not admit on this device" : "REVOCATION DATA " + age + " s OLD: call the production office";
    } catch (e) {
      $("stale").style.display = "block"; $("stale").textContent = "NO CONNECTION: do not admit on this device";
    }
  }
  setInterval(freshness, 5000);

  // Camera: jsQR on frames drawn to a canvas. It reads the whole frame.
  $("camera-btn").onclick = async () => {
    if (typeof jsQR !== "function") { $("camera-msg").textContent = "Camera decoding is not built into this server (use a scanner gun)."; return; }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const v = $("video"); v.srcObject = stream; v.style.display = "block"; await v.play();
      const c = document.createElement("canvas"), ctx = c.getContext("2d", { willReadFrequently: true });
      const tick = () => {
        if (v.readyState >= 2 && !busy) {
          const t0 = performance.now();
          c.width = v.videoWidth; c.height = v.videoHeight;
          ctx.drawImage(v, 0, 0);
          const img = ctx.getImageData(0, 0, c.width, c.height);
          const qr = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (qr && qr.data) submit(qr.data, t0);
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      $("camera-msg").textContent = "Point the camera at the pass.";
    } catch (e) {
      $("camera-msg").textContent = "No camera: " + e.name + ". Phones need HTTPS (laminate serve --tls-cert).";
    }
  };

  if (token) signIn(token);
})();
