// Laminate door page service worker: keeps /scan and its files so the page
// reloads with no network. Network first (an online door always gets the
// current page), the kept copy when the network fails. The API is never
// touched: scans, bundles and uploads go to the network or fail, and the
// page decides offline from what it keeps in IndexedDB.
"use strict";
const CACHE = "laminate-scan-4";
const PAGE = ["/scan", "/static/app.css", "/static/theme.js", "/static/offline.js", "/static/i18n.js",
  "/static/i18n/en.json", "/static/i18n/de.json", "/static/i18n/fr.json", "/static/i18n/es.json", "/static/i18n/nl.json", "/static/scan.js", "/static/decoder.js",
  "/static/vendor/zxing-reader.js", "/static/vendor/zxing_reader.wasm", "/static/vendor/jsQR.js"];

self.addEventListener("install", (e) => {
  // One file missing (the decoder without "make web") must not stop the others.
  e.waitUntil(caches.open(CACHE).then((c) => Promise.all(PAGE.map((u) => c.add(u).catch(() => {})))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("laminate-scan-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const u = new URL(e.request.url);
  if (e.request.method !== "GET" || u.origin !== self.location.origin || !PAGE.includes(u.pathname)) return;
  // A network that hangs is no better than none: 4 s, then the kept copy.
  const late = new Promise((ok, fail) => setTimeout(() => fail(new Error("network too slow")), 4000));
  e.respondWith(Promise.race([fetch(e.request), late]).then((r) => {
    if (r.ok) {
      const copy = r.clone();
      e.waitUntil(caches.open(CACHE).then((c) => c.put(u.pathname, copy)));
    }
    return r;
  }).catch(() => caches.match(u.pathname).then((r) => r || Response.error())));
});
