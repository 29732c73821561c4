// The live dashboard: reads GET /v1/events/{id}/live (server-sent events)
// with fetch, since EventSource cannot send the bearer token, and paints
// each snapshot. The token stays in this tab (sessionStorage), as /scan
// keeps its own. A person signed in to the office with a role that may
// watch (the page says so: main[data-session]) needs no token: the
// requests carry the office's session cookie, same-origin.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const session = $("main").dataset.session === "1";
  let token = session ? "" : sessionStorage.getItem("laminate.dashboard") || "";
  const auth = () => (token ? { Authorization: "Bearer " + token } : {});
  let event = $("event").value.trim() || localStorage.getItem("laminate.dashboard.event") || "";
  $("event").value = event;
  let abort = null, lastSnap = null;
  const seenAlerts = new Set();
  const photos = new Map(); // serial -> blob URL
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  // hhmm is the clock of an RFC 3339 time as the server wrote it, in the
  // event's time zone (24-hour, as everywhere in Laminate), never the
  // device's: "2027-03-05T21:04:05.12+01:00" shows 21:04:05.
  const hhmm = (s) => { const m = /T(\d\d:\d\d:\d\d)/.exec(s || ""); return m && Date.parse(s) ? m[1] : "—"; };
  const ago = (s, now) => { const t = Date.parse(s); if (!t) return "never"; const d = Math.max(0, Math.round((now - t) / 1000)); return d < 90 ? d + " s ago" : Math.round(d / 60) + " min ago"; };

  function conn(text, down) { $("conn").textContent = text; $("conn").className = "conn" + (down ? " down" : ""); }

  async function watch() {
    if (abort) abort.abort();
    abort = new AbortController();
    const mine = abort;
    let wait = 1000;
    while (!mine.signal.aborted) {
      try {
        const r = await fetch("/v1/events/" + encodeURIComponent(event) + "/live", { headers: auth(), credentials: "same-origin", signal: mine.signal, cache: "no-store" });
        if (r.status === 401 || r.status === 403 || r.status === 404) {
          const j = await r.json().catch(() => ({}));
          signOut((j.error && j.error.message) || "HTTP " + r.status, r.status === 401);
          return;
        }
        if (!r.ok || !r.body) throw new Error("HTTP " + r.status);
        conn("live", false); wait = 1000;
        await read(r.body.getReader(), mine);
      } catch (e) {
        if (mine.signal.aborted) return;
      }
      conn("reconnecting…", true);
      await new Promise((ok) => setTimeout(ok, wait));
      wait = Math.min(wait * 2, 10000);
    }
  }

  // read parses the event stream: blocks separated by a blank line, "data:" lines joined.
  async function read(reader, mine) {
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || mine.signal.aborted) return;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i); buf = buf.slice(i + 2);
        let name = "message"; const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        // "snapshot" is whole; "update" is one without its doors (they follow at most once a second).
        if ((name === "snapshot" || name === "update") && data.length) {
          try {
            const s = JSON.parse(data.join("\n"));
            if (name === "update") s.doors = lastSnap ? lastSnap.doors : [];
            paint(s);
          } catch (e) { /* the next one */ }
        }
      }
    }
  }

  // zoneState is how full a zone is: "over", "full", "near" or "".
  function zoneState(z) {
    if (!z.capacity) return "";
    if (z.inside > z.capacity) return "over";
    if (z.full || z.inside >= z.capacity) return "full";
    return z.percent >= 90 ? "near" : "";
  }
  const rank = { over: 0, full: 1, near: 2, "": 3 };
  const words = { over: "over capacity", full: "full", near: "nearly full" };

  // lastScan is a door's last scan: how long ago, and (wide screens) when.
  function lastScan(d, now) {
    if (!d.last_scan) return el("td", "none in 15 min");
    const td = el("td", ago(d.last_scan, now));
    td.append(el("span", " (" + hhmm(d.last_scan) + ")", "wide"));
    return td;
  }

  function paint(s) {
    lastSnap = s;
    const now = Date.parse(s.at) || Date.now();
    $("title").textContent = s.name + " (" + s.event + ") — " + s.phase + ", " + hhmm(s.at);
    // Full zones first, then nearly full, then the rest in the policy's order.
    const zones = (s.zones || []).map((z, i) => ({ z, i, st: zoneState(z) })).sort((a, b) => rank[a.st] - rank[b.st] || a.i - b.i);
    const zb = $("zones").tBodies[0]; zb.replaceChildren();
    for (const { z, st } of zones) {
      const tr = el("tr", undefined, st); tr.dataset.zone = z.zone;
      const state = el("td");
      if (st) {
        state.append(el("span", words[st] + (st === "over" ? " +" + (z.inside - z.capacity) : ""), "badge " + st), " ");
      }
      if (z.capacity) state.append(el("span", z.percent + "%" + (z.when_full === "attention" ? " · soft" : ""), "pct"));
      else state.append(el("span", "no cap", "quiet"));
      tr.append(el("td", z.zone, "zone"), el("td", z.capacity ? z.inside + " / " + z.capacity : String(z.inside), "num"), state,
        el("td", z.in_5m + " / " + z.out_5m, "num"), el("td", z.in_15m + " / " + z.out_15m, "num wide"));
      zb.append(tr);
    }
    // Offline doors first.
    const doors = (s.doors || []).slice().sort((a, b) => (a.online === b.online ? 0 : a.online ? 1 : -1));
    const db = $("doors").tBodies[0]; db.replaceChildren();
    for (const d of doors) {
      const tr = el("tr", undefined, d.online ? "" : "door-off"); tr.dataset.gate = d.gate;
      const state = el("td"); state.append(d.online ? el("span", "online", "online-door") : el("span", "offline", "badge off"));
      tr.append(el("td", d.gate, "gate"), state,
        lastScan(d, now), el("td", String(d.scans_15m), "num"),
        el("td", d.revocation_age_s === undefined ? "unknown" : d.revocation_age_s + " s old"), el("td", d.credential || "—", "wide"));
      db.append(tr);
    }
    const ul = $("alerts"); ul.replaceChildren();
    for (const a of s.alerts || []) {
      const li = el("li", undefined, seenAlerts.has(a.id) ? "" : "new");
      li.append(el("span", a.kind.replace(/_/g, " "), "kind"), " ", el("span", hhmm(a.at), "when"),
        a.gates.length ? " · " + a.gates.join(", ") : "", ": " + a.reason);
      li.dataset.id = a.id; ul.append(li);
    }
    if (!(s.alerts || []).length) ul.append(el("li", "none", "quiet"));
    for (const a of s.alerts || []) seenAlerts.add(a.id);
    const cl = $("clear"); cl.replaceChildren();
    let toClear = 0;
    for (const z of s.clear || []) {
      toClear += z.passes.length;
      cl.append(el("h4", z.zone + ": " + z.passes.length + " to clear"));
      for (const p of z.passes) {
        const row = el("div", undefined, "clear-pass" + (p.overdue ? " overdue" : "")); row.dataset.serial = p.serial;
        if (p.photo_url) { const img = el("img"); img.alt = "photo of " + p.name; row.append(img); photo(p.serial, p.photo_url, img); }
        const text = el("span");
        text.append(el("span", p.name, "name"), el("span", (p.org ? p.org + " · " : "") + p.label + " · access ended " + hhmm(p.ended) + " · "),
          el("span", p.overdue ? "OVERDUE" : "alert at " + hhmm(p.alert_at), "state"));
        row.append(text);
        cl.append(row);
      }
    }
    $("clear-card").hidden = !(s.clear && s.clear.length);
    // The summary: what needs someone, in words.
    const sum = $("summary"); sum.replaceChildren();
    const full = zones.filter((x) => x.st === "over" || x.st === "full").length, near = zones.filter((x) => x.st === "near").length;
    const offline = doors.filter((d) => !d.online).length, alerts = (s.alerts || []).length;
    const parts = [[full, full === 1 ? "zone full" : "zones full"], [near, near === 1 ? "zone nearly full" : "zones nearly full"],
      [offline, offline === 1 ? "door offline" : "doors offline"], [alerts, alerts === 1 ? "alert" : "alerts"], [toClear, "to clear"]];
    parts.forEach(([n, what], i) => {
      if (i) sum.append(" · ");
      if (n) sum.append(el("strong", n + " " + what)); else sum.append(el("span", "0 " + what, "quiet"));
    });
  }

  // Photos need the token: fetched once each, shown from a blob: URL.
  async function photo(serial, url, img) {
    if (photos.has(serial)) { const u = photos.get(serial); if (u) img.src = u; return; }
    photos.set(serial, "");
    try {
      const r = await fetch(url, { headers: auth(), credentials: "same-origin" });
      if (r.ok) { const u = URL.createObjectURL(await r.blob()); photos.set(serial, u); img.src = u; }
    } catch (e) { photos.delete(serial); }
  }

  // signOut stops watching with msg; ended: the credential is gone (a
  // session that ended offers the token form and the office's sign-in).
  function signOut(msg, ended) {
    token = ""; sessionStorage.removeItem("laminate.dashboard");
    if (ended && session) { $("token-label").hidden = false; $("signin").querySelector("p").hidden = false; }
    $("signin").hidden = false; $("live").hidden = true; $("signin-msg").textContent = msg || "";
    conn("not connected", true);
  }
  function signIn() {
    token = $("token").value.trim() || token; event = $("event").value.trim();
    if (session && !event) { $("signin").hidden = false; $("signin-msg").textContent = "Give the event to watch."; return; }
    if (!session && (!token || !event)) { $("signin-msg").textContent = "Give the event and a token."; return; }
    if (token) sessionStorage.setItem("laminate.dashboard", token);
    localStorage.setItem("laminate.dashboard.event", event);
    $("signin").hidden = true; $("live").hidden = false; $("token").value = "";
    history.replaceState(null, "", "/dashboard?event=" + encodeURIComponent(event));
    watch();
  }
  $("signin-btn").onclick = signIn;
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn(); });

  // For the browser tests and the load runs.
  window.laminateDashboard = Object.freeze({ snapshot: () => lastSnap });
  if (session) { $("token-label").hidden = true; $("signin").querySelector("p").hidden = true; }
  if ((token || session) && event) signIn();
})();
