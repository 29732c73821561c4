// Laminate door pages' languages (issue 14): /scan and /verify in English,
// German, French, Spanish and Dutch. One catalogue per language,
// static/i18n/LANG.json (flat key -> text, {name} placeholders); the
// language is the one chosen with the page's switch (#lang, remembered in
// localStorage), else the browser's first one we have, else English.
//
// The catalogues are read synchronously when this script runs (before the
// page's own script), so t() is ready at once; the door page's service
// worker keeps them for offline reloads.
//
// Door answers are translated by their text keys (LaminateI18n.door): the
// server and offline.js send each reason and next step as a key with
// parameters (reason_key/reason_params, next_key/next_params; the Go side
// lists them in verifier.TextKeys) beside the English words. In English
// the server's own words are shown, as before. In another language the
// page shows the catalogue's text for the key with every placeholder
// filled: times on the clock of the event's zone (the offset the
// parameter carries), phases and revocation categories in the catalogue's
// words. Only an answer without keys (an older server), or one whose text
// cannot be filled, falls back to the text for its code with the server's
// English words below it, smaller.
(function (global) {
  "use strict";
  const LANGS = { en: "English", de: "Deutsch", fr: "Français", es: "Español", nl: "Nederlands" };
  const KEY = "laminate.lang";
  const cats = {};
  let lang = "en";

  function load(l) {
    if (cats[l]) return cats[l];
    try {
      const x = new XMLHttpRequest();
      x.open("GET", "/static/i18n/" + l + ".json", false);
      x.send();
      cats[l] = x.status === 200 ? JSON.parse(x.responseText) : {};
    } catch (e) { cats[l] = {}; }
    return cats[l];
  }

  function pick() {
    let saved = "";
    try { saved = localStorage.getItem(KEY) || ""; } catch (e) { /* storage off */ }
    if (LANGS[saved]) return saved;
    for (const l of navigator.languages || [navigator.language || "en"]) {
      const base = String(l).toLowerCase().split("-")[0];
      if (LANGS[base]) return base;
    }
    return "en";
  }

  const own = (m, k) => Object.prototype.hasOwnProperty.call(m, k);
  function has(key) { return own(cats[lang] || {}, key) || own(cats.en || {}, key); }
  // t is the text of key in the page's language (English when the
  // catalogue lacks it, the key itself when English does too), with
  // {name} replaced by params.name.
  function t(key, params) {
    const c = cats[lang] || {};
    let s = own(c, key) ? c[key] : own(cats.en || {}, key) ? cats.en[key] : key;
    if (params) s = s.replace(/\{([a-z_]+)\}/g, (m, k) => (own(params, k) && params[k] !== undefined && params[k] !== null ? String(params[k]) : m));
    return s;
  }

  // A time parameter: RFC 3339 in the event's zone (pass.ParamTime).
  const ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::\d\d)?(Z|[+-]\d\d:\d\d)$/;
  // Reasons that give a time in full, as pass.FormatTime does
  // ("2027-03-06 05:00 +01:00"): the token's own dates and the revocation.
  // Other times are a door's clock (pass.clock): the time of day, with the
  // date when it is not the scan's day.
  const FULL = new Set(["expired", "not_yet_valid", "revoked", "revoked.offline"]);
  // when writes an RFC 3339 time on its own clock (never the device's
  // zone): full, or as a clock relative to ref (ms; 0: full).
  function when(v, full, ref) {
    const m = ISO.exec(v);
    if (!m) return v;
    const [, y, mo, d, h, mi, z] = m, hm = h + ":" + mi, zone = z === "Z" ? "+00:00" : z;
    if (full || !ref) return y + "-" + mo + "-" + d + " " + hm + " " + zone;
    const off = zone === "+00:00" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    const day = new Date(ref + off * 60000).toISOString().slice(0, 10);
    if (day === y + "-" + mo + "-" + d) return hm;
    let date;
    try {
      date = new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(Date.UTC(+y, +mo - 1, +d, 12));
    } catch (e) { date = y + "-" + mo + "-" + d; }
    return date + " " + hm;
  }
  // fill is the text of key with params, each placeholder filled (times by
  // when, phase and category by the catalogue); null when the catalogue
  // lacks the key or a placeholder has no value.
  function fill(key, params, full, ref) {
    if (!has(key)) return null;
    const c = cats[lang] || {}, en = cats.en || {};
    const tpl = own(c, key) ? c[key] : en[key];
    let missing = false;
    const out = tpl.replace(/\{([a-z_]+)\}/g, (m, k) => {
      const v = params && own(params, k) ? params[k] : undefined;
      if (v === undefined || v === null || v === "") { missing = true; return m; }
      if (k === "phase" && has("phase." + v)) return t("phase." + v);
      if (k === "category" && has("revoke." + v)) return t("revoke." + v);
      return when(String(v), full, ref);
    });
    return missing ? null : out;
  }

  // apply writes the catalogue's texts into the page: data-i18n (text),
  // data-i18n-placeholder, data-i18n-aria-label, data-i18n-alt.
  function apply() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const [attr, data] of [["placeholder", "i18nPlaceholder"], ["aria-label", "i18nAriaLabel"], ["alt", "i18nAlt"]]) {
      for (const el of document.querySelectorAll("[data-i18n-" + attr + "]")) el.setAttribute(attr, t(el.dataset[data]));
    }
    const sw = document.getElementById("lang");
    if (sw) sw.value = lang;
  }

  function set(l) {
    if (!LANGS[l]) return;
    lang = l; load(l);
    try { localStorage.setItem(KEY, l); } catch (e) { /* this page only */ }
    apply();
    global.dispatchEvent(new CustomEvent("laminate:lang", { detail: l }));
  }

  // door translates one door answer a ({decision, code, reason,
  // next_step, resolution, override, pass}) with ctx {zone, gate}:
  // {reason, next, detail}, detail being the server's English words.
  function door(a, ctx) {
    const out = { reason: a.reason || "", next: a.next_step || "", detail: "" };
    if (lang === "en" || !a.code) return out;
    const ref = Date.parse(a.at) || 0;
    const r = a.reason_key ? fill("reason." + a.reason_key, a.reason_params || {}, FULL.has(a.reason_key), ref) : null;
    if (r !== null) {
      out.reason = r;
      if (a.override) out.reason = t("door.override", { reason: a.override }) + " " + out.reason;
      if (a.resolution) out.reason = t(a.resolution === "admit" ? "door.let_in_after_check" : "door.turned_away_after_check") + " " + out.reason;
      const n = a.next_key ? fill("next." + a.next_key, a.next_params || {}, false, ref) : null;
      if (a.resolution === "deny") out.next = t("next.turned_away");
      else if (a.resolution === "admit") out.next = "";
      else if (a.next_step && n !== null) out.next = n;
      else if (a.next_step) out.detail = a.next_step; // a next step the catalogue cannot word: the server's, below
      return out;
    }
    const p = Object.assign({ name: a.pass ? a.pass.name : "", label: a.pass ? a.pass.label : "" }, ctx || {});
    const att = a.decision === "attention" || (a.stale && a.stale.decision === "attention") ? ".attention" : "";
    const leaving = a.code === "ok" && ctx && ctx.direction === "out" ? ".out" : "";
    const rk = "reason." + a.code + (has("reason." + a.code + att) ? att : "") + leaving;
    const open = (x) => /\{[a-z_]+\}/.test(x); // a placeholder the page cannot fill: the English words stand
    if (has(rk) && !open(t(rk, p))) {
      let r = t(rk, p);
      if (a.override) r = t("door.override", { reason: a.override }) + " " + r;
      if (a.resolution) r = t(a.resolution === "admit" ? "door.let_in_after_check" : "door.turned_away_after_check") + " " + r;
      out.reason = r;
      out.detail = a.reason || "";
    }
    const nk = "next." + a.code + (has("next." + a.code + att) ? att : "");
    if (a.resolution === "deny") out.next = t("next.turned_away");
    else if (a.resolution === "admit") out.next = "";
    else if (a.next_step && has(nk) && !open(t(nk, p))) out.next = t(nk, p);
    return out;
  }

  load("en");
  lang = pick();
  load(lang);
  function wire() {
    const sw = document.getElementById("lang");
    if (sw && !sw.options.length) {
      for (const [k, name] of Object.entries(LANGS)) {
        const o = document.createElement("option"); o.value = k; o.textContent = name; o.lang = k; sw.append(o);
      }
      sw.addEventListener("change", () => set(sw.value));
    }
    apply();
  }
  wire();

  // text is a verdict's or an answer's text in the page's language: key
  // with params (null when it cannot be filled; full: times in full).
  function text(key, params, full, ref) { return fill(key, params, full, ref); }

  global.LaminateI18n = Object.freeze({ t, has, set, door, text, when, apply, lang: () => lang, langs: Object.keys(LANGS) });
})(window);
