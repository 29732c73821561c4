// Laminate door scanner. Everything shown goes through textContent: no
// markup from the network is ever inserted.
//
// Online, the server decides every scan (POST /v1/scans). When the network
// fails, the page decides by itself from the event's signed offline bundle
// (offline.js), queues every scan in IndexedDB under its scan_id, and
// uploads the queue when the network returns (POST /v1/scans/offline;
// a queue sent twice is stored once). README: "Offline doors".
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const L = window.LaminateOffline;
  const I = window.LaminateI18n; // static/i18n.js: the page's language (I.t: a local t is often a time or a token here)
  const defaultZones = ["stage", "dressing-rooms", "green-room", "backstage", "photo-pit", "foh",
    "hospitality", "meet-greet", "catering", "press", "merch", "loading-dock"];
  const PROBE_EVERY = 5000, BUNDLE_EVERY = 60000;
  const CHUNK = 1000, CHUNK_BYTES = 1800 << 10; // the server takes 1,000 scans and 2 MiB a request
  // A token typed in lasts the browser session; one a device got by
  // enrolment (issue 14) is this device's own and lasts until revoked.
  let token = sessionStorage.getItem("laminate.scanner") || localStorage.getItem("laminate.device") || "";
  const APP = "scan 2026.12"; // reported to the server (X-Laminate-App) with the scans queued here
  let muted = localStorage.getItem("laminate.muted") === "1";
  let busy = false, painting = false, lastCode = "", lastCodeAt = 0, hideTimer = 0, audio = null;
  let netDown = !navigator.onLine; // the last request failed for network reasons
  let trusted = null;  // the JWKS pinned while online: Map kid -> key
  let bundle = null;   // the selected event's opened offline bundle
  let bundleNote = null; // why there is none: {key, params} of the catalogue
  const noteText = () => (bundleNote ? I.t(bundleNote.key, bundleNote.params) : "");
  let bundleAt = 0;    // when it was last fetched
  let inside = new Map(); // serial -> this door's last admitted scan {gate, zone, direction, at}
  let queued = 0, refused = 0, lastSync = null, current = null;
  let pending = null, resolving = false; // a CHECK waiting for the door's decision
  const timings = [];

  function fillZones(list) {
    const want = localStorage.getItem("laminate.zone") || $("zone").value;
    $("zone").replaceChildren();
    for (const z of list) { const o = document.createElement("option"); o.value = z; o.textContent = z; $("zone").append(o); }
    if (list.includes(want)) $("zone").value = want;
    summary();
  }
  fillZones(defaultZones);
  for (const k of ["event", "gate", "zone", "direction"]) {
    const v = localStorage.getItem("laminate." + k); if (v) $(k).value = v;
    $(k).addEventListener("change", () => { localStorage.setItem("laminate." + k, $(k).value.trim()); summary(); });
  }

  // The settings fold into one line once the door has set gate, zone and
  // direction (Done); tapping the line opens them again.
  function summary() {
    const ev = $("event").value.trim();
    $("summary-text").textContent = I.t("scan.gate") + " " + ($("gate").value.trim() || "?") + " · " + $("zone").value + " · " + I.t("scan." + $("direction").value) +
      (ev ? " · " + ev : "");
  }
  function foldSettings(fold) {
    $("settings").hidden = fold; $("settings-summary").hidden = !fold;
    summary();
  }
  $("settings-done").onclick = () => {
    for (const k of ["event", "gate", "zone", "direction"]) localStorage.setItem("laminate." + k, $(k).value.trim());
    foldSettings(true);
    focusWedge();
  };
  $("settings-summary").onclick = () => { foldSettings(false); $("gate").focus(); };
  foldSettings(["gate", "zone", "direction"].every((k) => localStorage.getItem("laminate." + k)));
  $("event").addEventListener("change", () => { loadStored().then(() => isOnline() && refreshOffline()); });
  $("gate").addEventListener("change", () => { alerts.clear(); paintAlerts(); pollAlerts(); });
  const gateValue = () => $("gate").value.trim().toLowerCase();
  const eventValue = () => $("event").value.trim();
  const muteText = () => { $("mute").textContent = I.t(muted ? "scan.sound_off" : "scan.sound_on"); };
  muteText();
  $("mute").onclick = () => { muted = !muted; localStorage.setItem("laminate.muted", muted ? "1" : "0"); muteText(); };
  // Another language from the switch: the page's own words now, the next answer in it.
  window.addEventListener("laminate:lang", () => { muteText(); summary(); paint(); freshWords(); if (current && $("result").className) words(current); });

  // The audio context is made at sign-in (a person's gesture, and making
  // one takes long enough to delay the first answer).
  function audioContext() {
    try { audio = audio || new AudioContext(); } catch (e) { /* no audio */ }
  }
  function beep(kind) {
    if (muted) return;
    try {
      audioContext();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = kind === "admit" ? 880 : kind === "attention" ? 600 : 220;
      o.type = kind === "deny" ? "square" : "sine";
      g.gain.value = 0.15; o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (kind === "admit" ? 0.15 : 0.5));
    } catch (e) { /* no audio: the screen still says it */ }
  }

  async function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ "Authorization": "Bearer " + token, "X-Laminate-App": APP, "X-Laminate-Queued": String(queued) }, opts.headers || {});
    return fetch(path, opts);
  }
  const timeout = (ms) => (AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined);

  // ---- online or not ------------------------------------------------------

  function isOnline() { return navigator.onLine && !netDown; }
  function markDown() { if (!netDown) { netDown = true; paint(); } }
  function markUp() {
    if (!netDown) return;
    netDown = false; paint();
    if (queued > 0) sync();
    sendResolves();
    if (!bundle || L.bundleState(bundle, Date.now()) !== "fresh" || Date.now() - bundleAt > BUNDLE_EVERY / 2) refreshOffline();
    pollAlerts();
  }
  window.addEventListener("offline", markDown);
  window.addEventListener("online", () => freshness());

  // ---- IndexedDB: the pinned JWKS, bundles, the queue, who is inside -------

  let dbp = null;
  function openDB() {
    dbp = dbp || new Promise((ok, fail) => {
      const r = indexedDB.open("laminate-door", 1);
      r.onupgradeneeded = () => {
        const d = r.result;
        d.createObjectStore("kv");
        d.createObjectStore("queue", { keyPath: "n", autoIncrement: true }).createIndex("scan_id", "scan_id", { unique: true });
        d.createObjectStore("refused", { keyPath: "scan_id" });
        d.createObjectStore("inside");
      };
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    return dbp;
  }
  // tx runs fn over the named stores in one transaction and resolves once
  // it has committed, with what fn returned: a request's result, or what a
  // returned function gives then. Writes are "strict" (on disk when the
  // transaction completes) unless mode says "relaxed": losing a removal
  // from the queue only sends a scan twice, which stores it once.
  async function tx(names, mode, fn) {
    const d = await openDB();
    return new Promise((ok, fail) => {
      const durability = mode === "relaxed" ? "relaxed" : mode === "readwrite" ? "strict" : "default";
      const t = d.transaction(names, mode === "relaxed" ? "readwrite" : mode, { durability });
      const out = fn(...[].concat(names).map((n) => t.objectStore(n)));
      t.oncomplete = () => ok(typeof out === "function" ? out() : out instanceof IDBRequest ? out.result : out);
      t.onerror = t.onabort = () => fail(t.error || new Error("IndexedDB transaction aborted"));
    });
  }
  const kvGet = (k) => tx("kv", "readonly", (s) => s.get(k));
  const kvPut = (k, v) => tx("kv", "readwrite", (s) => s.put(v, k));

  async function recount() {
    [queued, refused] = await tx(["queue", "refused"], "readonly", (q, r) => {
      const a = q.count(), b = r.count();
      return () => [a.result, b.result];
    });
    paint();
  }

  async function enqueue(entries) {
    await tx("queue", "readwrite", (q) => { for (const e of entries) q.add(e); });
    await recount();
    if (isOnline()) sync();
  }

  // ---- the offline bundle ---------------------------------------------------

  // loadStored opens what this device kept for the selected event: the
  // pinned JWKS and the bundle (checked again: storage is not trusted more
  // than the network), and who it let in.
  async function loadStored() {
    const ev = eventValue();
    bundle = null; bundleNote = ev ? null : { key: "offline.set_event" };
    inside = new Map();
    try {
      const set = await kvGet("jwks");
      if (set) trusted = await L.importJWKS(set);
      const saved = ev ? await kvGet("bundle:" + ev) : null;
      if (saved && trusted) install(await L.openBundle(saved.jws, trusted));
      const range = IDBKeyRange.bound(ev + "/", ev + "/\uffff");
      const [keys, vals] = await tx("inside", "readonly", (s) => {
        const k = s.getAllKeys(range), v = s.getAll(range);
        return () => [k.result, v.result];
      });
      keys.forEach((k, i) => inside.set(k.slice(ev.length + 1), vals[i]));
    } catch (e) {
      bundleNote = { key: "offline.unusable", params: { error: e.message } };
    }
    paint();
  }

  // refreshOffline pins the JWKS and fetches a fresh bundle for the event,
  // verified against the pin before it replaces the stored one.
  async function refreshOffline() {
    const ev = eventValue();
    if (!token || !ev) return;
    bundleAt = Date.now();
    try {
      const jr = await fetch("/.well-known/jwks.json", { cache: "no-store", signal: timeout(5000) });
      if (jr.ok) {
        const set = await jr.json();
        trusted = await L.importJWKS(set);
        await kvPut("jwks", set);
      }
      const br = await api("/v1/events/" + encodeURIComponent(ev) + "/bundle", { signal: timeout(10000) });
      if (br.status === 404) { bundleNote = { key: "offline.no_event", params: { event: ev } }; paint(); return; }
      if (!br.ok) { bundleNote = { key: "offline.http", params: { status: br.status } }; paint(); return; }
      const jws = await br.text();
      const b = await L.openBundle(jws, trusted);
      if (b.event.id !== ev) throw new Error("bundle for another event");
      if (eventValue() !== ev) return; // changed meanwhile
      await kvPut("bundle:" + ev, { jws, fetched: Date.now() });
      install(b);
    } catch (e) {
      if (e instanceof TypeError || e.name === "TimeoutError" || e.name === "AbortError") markDown();
      else { bundleNote = { key: "offline.refused", params: { error: e.message } }; paint(); }
    }
  }

  function install(b) {
    bundle = b; bundleNote = null;
    fillZones(b.event.policy.zones);
    paint();
  }

  function remember(serial, rec) {
    inside.set(serial, rec);
    const ev = eventValue();
    tx("inside", "relaxed", (s) => s.put(rec, ev + "/" + serial)).catch(() => { /* kept in memory */ });
  }

  // ---- the banner -----------------------------------------------------------

  // hhmm is a time as every Laminate screen shows it (pass.TimeLayout):
  // the event's local time with its offset, "2027-03-05 23:00 +01:00";
  // the device's offset until an event's offline data is open.
  function hhmm(ms) {
    const off = bundle && bundle.event ? bundle.event.offset : -new Date(ms).getTimezoneOffset();
    const d = new Date(ms + off * 60000).toISOString(), a = Math.abs(off);
    return d.slice(0, 10) + " " + d.slice(11, 16) + " " + (off < 0 ? "-" : "+") +
      String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0");
  }
  const age = (ms) => { const m = Math.max(0, Math.floor(ms / 60000)); return m < 180 ? m + " min" : Math.floor(m / 60) + " h"; };
  function paint() {
    const el = $("offline");
    const now = Date.now();
    let text = "", cls = "";
    if (token && !isOnline()) {
      cls = "bad";
      if (!bundle) text = I.t("offline.no_data") + (bundleNote ? " (" + noteText() + ")" : "") + I.t("offline.no_data_end");
      else {
        const old = age(now - bundle.iat), st = L.bundleState(bundle, now);
        if (st === "expired") text = I.t("offline.expired", { age: old, time: hhmm(bundle.exp) });
        else if (st === "future") text = I.t("offline.clock");
        else { cls = "warn"; text = I.t("offline.fresh", { age: old, seq: bundle.seq, time: hhmm(bundle.exp) }); }
      }
      if (queued) text += " · " + I.t(queued === 1 ? "offline.to_upload_one" : "offline.to_upload", { n: queued });
      $("stale").style.display = "none";
    } else if (token && queued) {
      cls = "info"; text = I.t(queued === 1 ? "offline.pending_one" : "offline.pending", { n: queued }) +
        (lastSync && lastSync.error ? " (" + I.t("offline.last_try", { error: lastSync.error === "nothing acknowledged" ? I.t("offline.nothing_acknowledged") : lastSync.error }) + ")" : "…");
    }
    el.textContent = text; el.className = "offline " + cls; el.style.display = text ? "block" : "none";
    document.body.dataset.online = isOnline() ? "1" : "0";
    let d = bundle ? I.t("offline.data", { name: bundle.event.name, id: bundle.event.id, made: hhmm(bundle.iat), until: hhmm(bundle.exp),
      seq: bundle.seq, revoked: bundle.revoked.size }) : noteText();
    if (refused) d += " · " + I.t(refused === 1 ? "offline.refused_scans_one" : "offline.refused_scans", { n: refused });
    $("offline-data").textContent = d;
  }

  // ---- sign in ----------------------------------------------------------------

  async function sha256(s) {
    const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
    return Array.from(h, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // ---- enrolment: the production office's one-time code makes this device
  // a scanner for one event and gate; nobody types a token.
  function enrolCode(s) {
    const m = /(?:^|#enrol=)(lde_[a-km-np-z2-9]{32})$/.exec(String(s || "").trim());
    return m ? m[1] : "";
  }
  async function enrol(code) {
    $("signin-msg").textContent = I.t("signin.enrolling");
    let r = null, a = {};
    try {
      r = await fetch("/v1/devices/enroll", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code }), cache: "no-store", signal: timeout(10000) });
      a = await r.json();
    } catch (e) {
      if (!r) { $("signin-msg").textContent = I.t("signin.enrol_no_network"); return; }
    }
    if (!r.ok || !a.token) { $("signin-msg").textContent = (a.error && a.error.message) || I.t("signin.enrol_refused"); return; }
    for (const k of ["event", "gate", "zone"]) if (a[k]) { $(k).value = a[k]; localStorage.setItem("laminate." + k, a[k]); }
    $("direction").value = "in"; localStorage.setItem("laminate.direction", "in");
    localStorage.setItem("laminate.device", a.token);
    foldSettings(true);
    await signIn(a.token);
    if (token) $("freshness").textContent = I.t("signin.enrolled", { name: a.name, event: a.event, gate: a.gate });
  }
  let enrolCam = null;
  $("enrol-camera").onclick = async () => {
    if (enrolCam) { enrolCam.getTracks().forEach((t) => t.stop()); enrolCam = null; $("enrol-video").style.display = "none"; return; }
    try { await D.load(); enrolCam = await D.openCamera(); } catch (e) {
      $("signin-msg").textContent = I.t("signin.no_camera_here", { error: e.name }); return;
    }
    const v = $("enrol-video"), stream = enrolCam; v.srcObject = stream; v.style.display = "block"; await v.play();
    const read = D.frameReader(v);
    $("signin-msg").textContent = I.t("signin.point_enrol");
    const tick = async () => {
      if (enrolCam !== stream) return;
      let text = "";
      if (v.readyState >= 2) { try { text = await read(); } catch (e) { /* the next frame */ } }
      const code = enrolCode(text);
      if (code) { stream.getTracks().forEach((t) => t.stop()); enrolCam = null; v.style.display = "none"; enrol(code); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };

  async function signIn(t) {
    const code = enrolCode(t);
    if (code) { $("token").value = ""; return enrol(code); }
    token = String(t || "").trim();
    if (!token) return;
    // A harmless authenticated call checks the token before the door opens.
    let r = null;
    try { r = await api("/v1/passes/2222-2222/artwork.svg", { signal: timeout(5000) }); } // scanner-only: 404 for a scanner token
    catch (e) { markDown(); }
    if (r && (r.status === 401 || r.status === 403)) {
      $("signin-msg").textContent = I.t(r.status === 401 ? "signin.not_valid" : "signin.not_scanner");
      if (localStorage.getItem("laminate.device") === token) localStorage.removeItem("laminate.device"); // revoked: enrol again
      token = ""; $("signin").hidden = false; $("scanner").hidden = true; return;
    }
    if (!r) { // no network: only the token this device last signed in with
      if (localStorage.getItem("laminate.tokenhash") !== await sha256(token)) {
        $("signin-msg").textContent = I.t("signin.no_network");
        token = ""; return;
      }
    } else {
      localStorage.setItem("laminate.tokenhash", await sha256(token));
      netDown = false;
    }
    sessionStorage.setItem("laminate.scanner", token);
    if (!muted) audioContext();
    $("signin").hidden = true; $("scanner").hidden = false; $("last").hidden = false;
    focusWedge();
    await loadStored();
    await recount();
    freshness();
    if (isOnline()) { refreshOffline(); pollAlerts(); }
  }
  $("signin-btn").onclick = () => signIn($("token").value);
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn($("token").value); });

  // The wedge box keeps the focus, except from a field a person is using.
  let editing = 0;
  document.addEventListener("input", (e) => { if (e.target !== $("wedge")) editing = Date.now(); }, true);
  function focusWedge() {
    const a = document.activeElement;
    if ($("scanner").hidden || a === $("wedge")) return;
    if (a && /^(INPUT|SELECT)$/.test(a.tagName) && (a === $("override-reason") || a === $("token") || Date.now() - editing < 10000)) return;
    $("wedge").focus();
  }
  document.addEventListener("click", (e) => { if (e.target.tagName !== "SELECT" && e.target.tagName !== "INPUT") setTimeout(focusWedge, 0); });
  setInterval(focusWedge, 1000);

  // Keyboard-wedge scanners type the code then Enter; some send no Enter,
  // so a pause ends a code: 120 ms once it looks whole (a JWS, or its
  // compact or numeric form, with a full signature), 1 s otherwise, so a scanner that
  // stalls mid-code is not read as a broken pass.
  let pause = 0, firstKey = 0;
  $("wedge").addEventListener("keydown", (e) => {
    if (!firstKey) firstKey = performance.now();
    if (e.key === "Enter") { e.preventDefault(); const t = firstKey; firstKey = 0; submit($("wedge").value, t); }
  });
  $("wedge").addEventListener("input", () => {
    clearTimeout(pause);
    const v = $("wedge").value;
    pause = setTimeout(() => { if (v.length > 40) { const t = firstKey; firstKey = 0; submit(v, t); } }, looksWhole(v) ? 120 : 1000);
  });
  function looksWhole(v) {
    let s = L.normalize(v);
    s = L.fromTransport(s) || "";
    const p = s.split(".");
    return p.length === 3 && p[2].length === 86; // EdDSA and ES256 signatures: 64 bytes
  }

  function newScanID() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // ---- one scan -----------------------------------------------------------------

  // submit decides one code: by the server when it answers, else on this
  // device at once. t0 is when its frame or first key arrived.
  async function submit(raw, t0, camera) {
    clearTimeout(pause);
    if (!camera) $("wedge").value = "";
    const code = raw.trim();
    if (!code || busy) return;
    if (pending) { // a CHECK is on screen: it waits for Let in or Turn away
      $("resolve-msg").textContent = I.t("scan.decide_first");
      return;
    }
    // Some scanners repeat a code within 2 s: one scan, not two.
    const now = Date.now();
    if (code === lastCode && now - lastCodeAt < 2000) return;
    lastCode = code; lastCodeAt = now;
    busy = true;
    const started = performance.now(); // the scanned text is complete
    const scan = { scan_id: newScanID(), token: code, gate: gateValue(), zone: $("zone").value, direction: $("direction").value };
    let answer = null;
    try {
      if (isOnline()) answer = await decideOnline(scan);
      if (!answer) answer = await decideOffline(scan, now);
    } catch (e) {
      answer = { decision: "deny", code: "error", reason: "This device could not decide (" + e.message + ")", next_step: "Do not admit; call the production office" };
    }
    show(answer, t0 || started, started);
    busy = false;
  }

  // decideOnline returns the server's answer, or null when the network
  // (or a server that cannot decide) failed: then the door decides itself.
  async function decideOnline(scan) {
    let r;
    try {
      r = await api("/v1/scans", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(scan), signal: timeout(3000) });
    } catch (e) { markDown(); return null; }
    if (r.status === 502 || r.status === 503 || r.status === 504) { markDown(); return null; } // it stored nothing
    let a;
    try { a = await r.json(); } catch (e) { markDown(); return null; }
    markUp();
    if (!r.ok) return { decision: "deny", code: (a.error && a.error.code) || "error", reason: (a.error && a.error.message) || "The server refused the scan." };
    if (a.decision === "admit" && a.pass) {
      remember(a.pass.serial, { gate: scan.gate, zone: scan.zone, direction: scan.direction, at: Date.parse(a.at) || Date.now() });
      if (!eventValue() && a.pass.event) { $("event").value = a.pass.event; localStorage.setItem("laminate.event", a.pass.event); loadStored().then(refreshOffline); }
    }
    return a;
  }

  // decideOffline decides from the bundle and queues the scan. Past the
  // bundle's freshness limit it refuses what it would admit (fail closed)
  // and offers a supervisor override.
  async function decideOffline(scan, at) {
    let a;
    const req = Object.assign({ at }, scan);
    if (!bundle) {
      a = { decision: "deny", code: "no_offline_data", reason: "No network and no offline data on this device", next_step: "Do not admit; call the production office",
        reason_key: "no_offline_data", next_key: "no_offline_data" };
    } else {
      const vd = await L.verifyToken(bundle, scan.token, at);
      a = L.doorDecision(bundle, vd, req, vd.pass ? inside.get(vd.pass.serial) || null : null);
      const st = L.bundleState(bundle, at);
      if (st !== "fresh" && a.decision !== "deny") {
        a.stale = { decision: a.decision, code: a.code, reason: a.reason, next_step: a.next_step,
          reason_key: a.reason_key, reason_params: a.reason_params, next_key: a.next_key, next_params: a.next_params };
        a.decision = "deny";
        if (st === "expired") {
          a.code = "bundle_expired"; a.overridable = true;
          a.reason = "Offline data expired at " + hhmm(bundle.exp) + " (revocations " + age(at - bundle.iat) + " old)";
          a.next_step = "Do not admit; a supervisor may override with a reason";
          a.reason_key = "bundle_expired"; a.next_key = "bundle_expired"; a.next_params = {};
          a.reason_params = { at: L.paramTime(bundle.exp, bundle.event.offset), minutes: String(Math.max(0, Math.floor((at - bundle.iat) / 60000))) };
        } else {
          a.code = "clock_wrong";
          a.reason = "This device's clock is behind its offline data";
          a.next_step = "Do not admit; fix this device's clock";
          a.reason_key = "clock_wrong"; a.reason_params = {}; a.next_key = "clock_wrong"; a.next_params = {};
        }
      }
      if (a.decision === "admit") remember(a.pass.serial, { gate: req.gate, zone: req.zone, direction: req.direction, at });
    }
    let tok = L.normalize(scan.token);
    tok = L.fromTransport(tok) || tok; // the JWS a QR's transport form carries: what the server stores
    a.offline = true; a.scan_id = scan.scan_id; a.at = new Date(at).toISOString();
    a.entry = {
      scan_id: scan.scan_id, token: tok.slice(0, 4096), gate: scan.gate, zone: scan.zone, direction: scan.direction,
      at: a.at, decision: a.decision, code: a.code, event: bundle ? bundle.event.id : eventValue(),
    };
    a.queued = enqueue([a.entry]); // the answer does not wait for the disk
    a.queued.catch((e) => { $("offline-data").textContent = I.t("offline.cannot_queue", { error: e.message }); });
    return a;
  }

  // override records a supervisor's reason on a scan refused for old
  // offline data, and admits as the old data would have.
  async function override(a, reason) {
    await a.queued.catch(() => {});
    const upd = { decision: a.stale.decision, code: a.stale.code, override: reason };
    await queueLock(() => tx("queue", "readwrite", (q) => {
      const g = q.index("scan_id").get(a.scan_id);
      g.onsuccess = () => {
        if (g.result) q.put(Object.assign(g.result, upd));
        else q.add(Object.assign({}, a.entry, upd, { scan_id: newScanID() })); // the refusal was uploaded already
      };
    }));
    if (a.stale.decision === "admit" && a.pass) remember(a.pass.serial, { gate: a.entry.gate, zone: a.entry.zone, direction: a.entry.direction, at: Date.parse(a.at) });
    await recount();
    const s = performance.now();
    show(Object.assign({}, a, upd, { overridable: false, next_step: a.stale.next_step, reason: "Supervisor override (" + reason + "). " + a.stale.reason,
      reason_key: a.stale.reason_key, reason_params: a.stale.reason_params, next_key: a.stale.next_key, next_params: a.stale.next_params }), s, s);
  }

  function addHistory(cls, text) {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = hhmm(Date.now()) + " — " + text;
    $("history").prepend(li);
    while ($("history").children.length > 10) $("history").lastChild.remove();
  }

  // words writes an answer's word, reason and next step in the page's
  // language (again when the language changes while it is on screen).
  function words(a) {
    $("r-word").textContent = I.t(a.decision === "admit" ? "word.admit" : a.decision === "attention" ? "word.check" : "word.deny");
    const said = I.door(a, { zone: $("zone").value, gate: gateValue(), direction: $("direction").value }); // by key, in the page's language
    $("r-reason").textContent = said.reason;
    $("r-detail").textContent = said.detail; $("r-detail").hidden = !said.detail || said.detail === said.reason;
    $("r-next").textContent = a.decision === "admit" ? "" : said.next;
    $("r-next").hidden = !$("r-next").textContent;
    return said;
  }

  function show(a, t0, started) {
    const res = $("result");
    current = a;
    res.className = a.decision === "admit" ? "admit" : a.decision === "attention" ? "attention" : "deny";
    res.dataset.code = a.code || "";
    res.dataset.offline = a.offline ? "1" : "";
    res.dataset.scanId = a.scan_id || "";
    res.dataset.elapsed = Math.round(performance.now() - t0);
    const decideMs = performance.now() - started;
    const said = words(a);
    $("r-name").textContent = a.pass ? a.pass.name : "";
    $("r-type").textContent = a.pass ? a.pass.label + (a.pass.role ? " · " + a.pass.role : "") + (a.pass.org ? " · " + a.pass.org : "") : "";
    $("r-serial").textContent = a.pass ? serialText(a.pass.serial) : "";
    $("r-note").textContent = a.offline ? I.t("scan.decided_offline") : "";
    // A CHECK waits for the door: Let in or Turn away, nothing else ends it.
    pending = a.decision === "attention" && !a.overridable ? a : null;
    $("r-resolve").hidden = !pending;
    $("resolve-msg").textContent = "";
    res.dataset.resolution = a.resolution || "";
    $("r-override").hidden = !a.overridable;
    $("override-reason").value = "";
    showPhoto(a.photo);
    const img = $("r-art");
    img.hidden = true;
    if (a.artwork_url) { // after the colour is up: the answer must not wait for the picture
      api(a.artwork_url).then((r) => r.ok ? r.blob() : null).then((b) => {
        if (!b) return;
        const url = URL.createObjectURL(b);
        img.onload = () => URL.revokeObjectURL(url); img.src = url; img.hidden = false;
      }).catch(() => { /* the answer stands without the artwork */ });
    }
    // The time from the scanned text to the answer on screen: the frame
    // after this one has been painted when a task queued in it runs. The
    // camera skips frames until then, and the sound follows the colour.
    painting = true;
    requestAnimationFrame(() => setTimeout(() => {
      const painted = performance.now() - started;
      painting = false;
      res.dataset.paintMs = painted.toFixed(1);
      timings.push({ code: a.code, offline: !!a.offline, decide_ms: decideMs, paint_ms: painted });
      beep(res.className);
    }, 0));
    addHistory(res.className, $("r-word").textContent + " — " + ($("r-name").textContent || a.code) +
      (said.reason ? ": " + said.reason : "") + (a.offline ? " " + I.t("scan.offline_mark") : ""));
    clearTimeout(hideTimer);
    const photoBad = a.photo && a.photo.status !== "match"; // the warning stays up longer than an admit
    if (!a.overridable && !pending) hideTimer = setTimeout(() => { res.className = ""; focusWedge(); }, a.decision === "admit" && !photoBad ? 2500 : photoBad ? 8000 : 5000);
  }

  // showPhoto shows the holder's photo the server vouches for ("photo
  // matches the signed pass"), or the server's red warning and no photo.
  // Fetched with the scanner's token, never cached.
  function showPhoto(p) {
    const fig = $("r-photo"), img = $("r-photo-img");
    fig.hidden = !p; img.hidden = true;
    fig.className = p && p.status === "match" ? "photo-ok" : "photo-bad";
    fig.dataset.status = p ? p.status : "";
    $("r-photo-msg").textContent = p ? p.message : "";
    if (!p || p.status !== "match" || !p.url) return;
    api(p.url, { cache: "no-store" }).then((r) => r.ok ? r.blob() : null).then((b) => {
      if (!b) { fig.className = "photo-bad"; $("r-photo-msg").textContent = I.t("scan.photo_failed"); return; }
      const url = URL.createObjectURL(b);
      img.onload = () => URL.revokeObjectURL(url); img.src = url; img.hidden = false;
    }).catch(() => { $("r-photo-msg").textContent = I.t("scan.photo_failed"); fig.className = "photo-bad"; });
  }
  $("result").onclick = () => { if (pending) return; $("result").className = ""; focusWedge(); };
  $("r-override").onclick = (e) => e.stopPropagation();
  $("r-resolve").onclick = (e) => e.stopPropagation();
  $("resolve-admit").onclick = () => resolve("admit");
  $("resolve-deny").onclick = () => resolve("deny");

  // ---- a CHECK's decision ------------------------------------------------------------

  // resolve stores the door's decision on a CHECK: online with
  // POST /v1/scans/{scan_id}/resolve, or on the queued scan when it was
  // decided offline (uploaded with it). With no network it is kept on this
  // device and sent when the network returns.
  async function resolve(choice) {
    const a = pending;
    if (!a || resolving) return;
    resolving = true;
    $("resolve-msg").textContent = I.t("scan.saving");
    try {
      if (a.offline && await resolveQueued(a, choice)) return resolved(a, choice, null, "");
      const r = await postResolve(a.scan_id, choice);
      if (!r || r.status >= 500) { // no network or no store: kept here, sent later
        keepResolve(a.scan_id, choice);
        return resolved(a, choice, null, I.t("scan.resolve_saved_here"));
      }
      if (r.ok) return resolved(Object.assign({}, a, r.body), choice, r.body.resolution, "");
      const err = (r.body && r.body.error) || {};
      if (err.code === "scanned_since") {
        pending = null;
        return show({ decision: "deny", code: "scanned_since", pass: a.pass, scan_id: a.scan_id, reason_key: "scanned_since", next_key: "scanned_since",
          reason: err.message || "The pass was scanned again since this check.", next_step: "Scan the pass again" }, performance.now(), performance.now());
      }
      if (err.code === "already_resolved") { // decided the other way, at another screen
        const other = choice === "admit" ? "deny" : "admit";
        return resolved(a, other, null, I.t(other === "admit" ? "scan.resolve_other_admit" : "scan.resolve_other_deny"));
      }
      // Nothing the server will take later (no such scan, not a check):
      // the door's decision stands on this screen.
      return resolved(a, choice, null, I.t("scan.resolve_not_recorded", { error: err.message || "HTTP " + r.status }));
    } catch (e) {
      $("resolve-msg").textContent = I.t("scan.resolve_not_saved", { error: e.message });
    } finally {
      resolving = false;
    }
  }

  // postResolve sends one decision; null when the network failed.
  async function postResolve(scanID, choice) {
    let r;
    try {
      r = await api("/v1/scans/" + encodeURIComponent(scanID) + "/resolve", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ decision: choice }), signal: timeout(5000) });
    } catch (e) { markDown(); return null; }
    let body = null;
    try { body = await r.json(); } catch (e) { /* no JSON */ }
    if (r.status >= 500 && !(body && body.error)) { markDown(); return null; } // a proxy with no server behind it
    markUp();
    return { ok: r.ok, status: r.status, body: body || {} };
  }

  // resolveQueued writes the decision on the queued scan (false when it
  // was uploaded already: then it goes to the server like an online one).
  async function resolveQueued(a, choice) {
    await (a.queued || Promise.resolve()).catch(() => {});
    const found = await queueLock(() => tx("queue", "readwrite", (q) => {
      const g = q.index("scan_id").get(a.scan_id);
      g.onsuccess = () => { if (g.result) q.put(Object.assign(g.result, { resolution: choice })); };
      return () => !!g.result;
    }));
    return found;
  }

  // Decisions the server has not had yet (no network when they were made).
  const keptResolves = () => { try { return JSON.parse(localStorage.getItem("laminate.resolves") || "[]"); } catch (e) { return []; } };
  function keepResolve(scanID, choice) {
    const list = keptResolves().filter((x) => x.scan_id !== scanID);
    list.push({ scan_id: scanID, decision: choice });
    localStorage.setItem("laminate.resolves", JSON.stringify(list.slice(-200)));
  }
  let sendingResolves = false;
  async function sendResolves() {
    if (sendingResolves || !token) return;
    sendingResolves = true;
    try {
      for (const x of keptResolves()) {
        const r = await postResolve(x.scan_id, x.decision);
        if (!r || r.status >= 500) break; // later
        if (!r.ok) addHistory("attention", I.t("scan.check_not_recorded", { scan: x.scan_id.slice(0, 8), decision: I.t(x.decision === "admit" ? "scan.let_in" : "scan.turn_away"), error: (r.body.error && r.body.error.message) || "HTTP " + r.status }));
        localStorage.setItem("laminate.resolves", JSON.stringify(keptResolves().filter((y) => y.scan_id !== x.scan_id)));
      }
    } finally { sendingResolves = false; }
  }

  // resolved shows the door's decision on a CHECK as the final screen.
  function resolved(a, choice, resolution, note) {
    pending = null;
    if (choice === "admit" && a.pass) {
      remember(a.pass.serial, { gate: gateValue(), zone: $("zone").value, direction: $("direction").value, at: Date.parse(a.at) || Date.now() });
    }
    const by = resolution && resolution.by ? " by " + resolution.by : "";
    const t = performance.now();
    show(Object.assign({}, a, {
      decision: choice, resolution: choice, overridable: false,
      reason: (choice === "admit" ? "Let in after a check" : "Turned away after a check") + by + ". " + (a.reason || ""),
      next_step: choice === "deny" ? "Keep the pass and call the production office" : "",
    }), t, t);
    if (note) $("r-note").textContent = note;
  }
  $("override-btn").onclick = () => {
    const reason = $("override-reason").value.trim();
    if (!reason) { $("override-reason").placeholder = I.t("scan.reason_needed"); $("override-reason").focus(); return; }
    if (current && current.overridable) override(current, reason);
  };

  // ---- upload ---------------------------------------------------------------------

  // sync uploads the queue in chunks and removes what the server
  // acknowledged, stored now or before (the same scan_id is stored once,
  // so a chunk sent twice does no harm). One upload at a time, across tabs;
  // an override changes a queued scan under the same lock.
  let syncing = null;
  const queueLock = (fn) => (navigator.locks ? navigator.locks.request("laminate-queue", fn) : fn());
  function sync() {
    if (!syncing) syncing = queueLock(upload).finally(() => { syncing = null; });
    return syncing;
  }
  const wire = (e) => {
    const w = { scan_id: e.scan_id, token: e.token, gate: e.gate, zone: e.zone, direction: e.direction, at: e.at, decision: e.decision, code: e.code };
    if (e.override) w.override = e.override;
    if (e.resolution) w.resolution = e.resolution; // the door's decision on a CHECK
    return w;
  };
  async function upload() {
    const st = { sent: 0, stored: 0, duplicates: 0, refused: 0, requests: 0, ms: 0, server_ms: 0, error: "" };
    const t0 = performance.now();
    let limit = CHUNK;
    while (token) {
      const batch = await tx("queue", "readonly", (q) => q.getAll(null, limit));
      if (!batch.length) break;
      const bodies = [];
      let size = 0;
      for (const e of batch) {
        const b = JSON.stringify(wire(e));
        if (bodies.length && size + b.length > CHUNK_BYTES) break;
        bodies.push(b); size += b.length + 1;
      }
      const chunk = batch.slice(0, bodies.length);
      let r, j;
      const asked = performance.now();
      try {
        r = await api("/v1/scans/offline", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"scans":[' + bodies.join(",") + "]}", signal: timeout(60000) });
        st.requests++;
        // Too big, or refused as a whole (one damaged entry makes the body
        // invalid): halve the chunk until the entry that does it is alone,
        // then set that one aside, so it cannot hold up the queue.
        if ((r.status === 413 || r.status === 400) && chunk.length > 1) { limit = Math.ceil(chunk.length / 2); continue; }
        if (r.status === 400 || r.status === 413) {
          const e = chunk[0];
          await tx(["queue", "refused"], "relaxed", (q, rf) => { q.delete(e.n); rf.put(Object.assign({}, e, { error: "refused by the server: HTTP " + r.status })); });
          st.refused++; await recount(); continue;
        }
        if (!r.ok) { st.error = "HTTP " + r.status; if (r.status >= 500) markDown(); break; }
        j = await r.json();
        st.server_ms += performance.now() - asked;
      } catch (e) { st.error = e.message; markDown(); break; }
      markUp();
      const byID = new Map((j.results || []).map((x) => [x.scan_id, x]));
      const done = [], bad = [];
      for (const e of chunk) {
        const x = byID.get(e.scan_id);
        if (!x) continue; // not acknowledged: stays queued
        if (x.error) bad.push(Object.assign({}, e, { error: String(x.error) })); else done.push(e.n);
      }
      await tx(["queue", "refused"], "relaxed", (q, rf) => {
        // The chunk is a run of keys (no other writer while the lock is
        // held): one range when all of it was acknowledged.
        if (done.length === chunk.length) q.delete(IDBKeyRange.bound(chunk[0].n, chunk[chunk.length - 1].n));
        else for (const n of done) q.delete(n);
        for (const e of bad) { q.delete(e.n); rf.put(e); }
      });
      st.sent += chunk.length; st.stored += j.stored || 0; st.duplicates += j.duplicates || 0; st.refused += bad.length;
      if (Array.isArray(j.alerts)) showAlerts(j.alerts);
      await recount();
      if (!done.length && !bad.length) { st.error = "nothing acknowledged"; break; } // worded by paint()
    }
    st.ms = performance.now() - t0;
    if (st.requests) lastSync = st; // an empty queue changes nothing
    await recount();
    return st;
  }

  // ---- alerts for this gate -----------------------------------------------------------

  const alerts = new Map(); // id -> alert, for this gate
  const seen = new Set(JSON.parse(localStorage.getItem("laminate.alerts.seen") || "[]"));
  async function pollAlerts() {
    const gate = gateValue();
    if (!token || !gate || !isOnline()) return;
    try {
      const r = await api("/v1/alerts?gate=" + encodeURIComponent(gate), { signal: timeout(5000) });
      if (r.ok) showAlerts((await r.json()).alerts || []);
    } catch (e) { /* the next poll */ }
  }
  function showAlerts(list) {
    const gate = gateValue();
    let fresh = false;
    for (const a of list) {
      if (!a || a.id === undefined || !Array.isArray(a.gates) || !a.gates.includes(gate)) continue;
      const id = String(a.id);
      if (alerts.has(id)) continue;
      alerts.set(id, a);
      if (!seen.has(id)) fresh = true;
    }
    paintAlerts();
    if (fresh) beep("deny");
  }
  const serialText = (s) => (typeof s === "string" && s.length === 8 ? s.slice(0, 4) + "-" + s.slice(4) : String(s || ""));
  function paintAlerts() {
    const ul = $("alert-list");
    ul.replaceChildren();
    for (const [id, a] of alerts) {
      if (seen.has(id)) continue;
      const li = document.createElement("li");
      li.dataset.id = id; li.dataset.serial = a.serial || ""; li.dataset.kind = a.kind || "";
      const what = I.has("scan.alert_" + a.kind) ? I.t("scan.alert_" + a.kind) : (a.kind || "alert");
      const when = Date.parse(a.at);
      const t = document.createElement("span");
      t.textContent = I.t("scan.alert", { serial: serialText(a.serial), what }) + " (" + (a.gates || []).filter(Boolean).join(" " + I.t("scan.alert_gates_and") + " ") + (when ? ", " + hhmm(when) : "") + ")" +
        (a.reason ? ": " + a.reason : "");
      const b = document.createElement("button");
      b.type = "button"; b.textContent = I.t("scan.seen");
      b.onclick = () => { seen.add(id); localStorage.setItem("laminate.alerts.seen", JSON.stringify([...seen].slice(-500))); paintAlerts(); };
      li.append(t, " ", b);
      ul.append(li);
    }
    $("alerts").hidden = ul.children.length === 0;
  }

  // ---- the server's freshness, the network, the timers ----------------------------------

  // How old is the server's revocation data? Shown always, loudly when
  // stale. Also the probe that notices the network is back.
  async function freshness() {
    if (!token) return;
    try {
      const r = await fetch("/readyz", { cache: "no-store", signal: timeout(3000) }); const j = await r.json();
      if (!r.ok) throw new Error("not ready");
      markUp();
      const age = j.revocations_age_seconds; revAge = age;
      fresh = { key: age < 2 ? "scan.rev_live" : "scan.rev_age", params: { age, seq: j.revocation_seq } };
      $("stale").style.display = age > 60 ? "block" : "none";
    } catch (e) {
      markDown();
      fresh = { key: "scan.no_server" };
    }
    freshWords();
    paint();
  }
  // The freshness line in the page's language (again at a switch).
  let fresh = null;
  function freshWords() {
    if (!fresh) return;
    $("freshness").textContent = I.t(fresh.key, fresh.params);
    if (fresh.params) $("stale").textContent = I.t("scan.stale", { age: fresh.params.age });
  }
  setInterval(() => {
    freshness();
    if (isOnline()) { if (queued > 0) sync(); sendResolves(); pollAlerts(); showControl(); }
  }, PROBE_EVERY);

  // ---- show control (issue 14): this door's heartbeat, its zone's clear list ----
  let revAge = 0; // the server's revocation data age, from freshness()
  const clearPhotos = new Map();
  async function showControl() {
    const ev = eventValue(), gate = gateValue(), zone = $("zone").value, path = "/v1/events/" + encodeURIComponent(ev);
    if (!token || !ev || !gate || !zone) return;
    api(path + "/heartbeat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ gate, revocation_age_s: revAge }) }).catch(() => {});
    try {
      const r = await api(path + "/clear?zone=" + encodeURIComponent(zone), { signal: timeout(5000) });
      if (!r.ok) return;
      const ul = $("clear-list"), list = (await r.json()).passes || [];
      ul.replaceChildren();
      for (const p of list) {
        const li = document.createElement("li"); li.dataset.serial = p.serial;
        if (p.photo_url) {
          const img = document.createElement("img"); img.alt = ""; img.className = "clear-photo"; li.append(img);
          if (!clearPhotos.has(p.serial)) clearPhotos.set(p.serial, api(p.photo_url).then((x) => x.ok ? x.blob() : null).then((b) => b && URL.createObjectURL(b)).catch(() => null));
          clearPhotos.get(p.serial).then((u) => { if (u) img.src = u; });
        }
        li.append(p.name + (p.org ? " — " + p.org : "") + " (" + p.label + ")" + (p.overdue ? ": " + I.t("scan.overdue") : ""));
        ul.append(li);
      }
      $("clear").hidden = list.length === 0;
    } catch (e) { /* the next probe */ }
  }
  setInterval(() => { if (token && isOnline()) refreshOffline(); }, BUNDLE_EVERY);

  // Camera: static/decoder.js (zxing-wasm) on frames drawn to a canvas. It
  // reads the whole frame. A pass held in front of it is one scan: the same
  // code is read again only after it has been out of sight for 3 s.
  const D = window.LaminateDecoder;
  let camera = null;
  $("camera-btn").onclick = async () => {
    if (camera) { camera.getTracks().forEach((t) => t.stop()); camera = null; $("video").style.display = "none"; $("camera-btn").textContent = I.t("page.use_camera"); return; }
    try { await D.load(); } catch (e) { $("camera-msg").textContent = I.t("scan.no_decoder"); return; }
    try {
      const stream = await D.openCamera();
      camera = stream;
      const v = $("video"); v.srcObject = stream; v.style.display = "block"; await v.play();
      const read = D.frameReader(v);
      let seenCode = "", seenAt = 0;
      const tick = async () => {
        if (camera !== stream) return;
        if (v.readyState >= 2 && !busy && !painting) {
          const t0 = performance.now();
          let text = "";
          try { text = await read(); } catch (e) { /* a frame the decoder could not take: the next one */ }
          if (text && camera === stream) {
            const again = text === seenCode && Date.now() - seenAt < 3000;
            seenCode = text; seenAt = Date.now();
            if (!again) submit(text, t0, true);
          }
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      $("camera-btn").textContent = I.t("scan.stop_camera");
      $("camera-msg").textContent = I.t("scan.point_camera");
    } catch (e) {
      $("camera-msg").textContent = I.t("scan.no_camera", { error: e.name });
    }
  };

  // The page itself is kept by a service worker, so it reloads with no network.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/scan-sw.js", { scope: "/scan" }).catch(() => { /* online only */ });

  // For the supervisor's console and the browser tests: the door's state,
  // and the queue by hand.
  window.laminateDoor = Object.freeze({
    status: () => ({
      online: isOnline(), signed_in: !!token && !$("scanner").hidden, event: eventValue(), gate: gateValue(),
      bundle: bundle ? bundle.event.id : "", bundle_seq: bundle ? bundle.seq : -1,
      bundle_iat: bundle ? bundle.iat : 0, bundle_exp: bundle ? bundle.exp : 0, note: noteText(),
      queue: queued, refused, syncing: !!syncing, last_sync: lastSync, alerts: [...alerts.keys()],
    }),
    queued: () => tx("queue", "readonly", (q) => q.getAll()),
    refusedScans: () => tx("refused", "readonly", (q) => q.getAll()),
    enqueue: (entries) => enqueue(entries.map((e) => Object.assign({}, e))),
    sync, refresh: refreshOffline, timings,
  });

  paint();
  // Opened from the enrolment QR code (…/scan#enrol=CODE): the code leaves
  // the address bar and history at once, then is redeemed.
  const fromAddress = location.hash.includes("enrol=") ? enrolCode(decodeURIComponent(location.hash)) : "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (fromAddress) enrol(fromAddress);
  else if (token) signIn(token);
})();
