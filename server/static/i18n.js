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
// Door answers are translated by their code (LaminateI18n.door). In
// English the server's own words are shown, as before: they carry detail
// (times, gates, the event's own next steps) a code cannot. In another
// language the page shows the catalogue's text for the code, with the
// parameters the page has, and the server's English words below it, smaller.
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
    const p = Object.assign({ name: a.pass ? a.pass.name : "", label: a.pass ? a.pass.label : "" }, ctx || {});
    const att = a.decision === "attention" || (a.stale && a.stale.decision === "attention") ? ".attention" : "";
    const leaving = a.code === "ok" && ctx && ctx.direction === "out" ? ".out" : "";
    const rk = "reason." + a.code + (has("reason." + a.code + att) ? att : "") + leaving;
    if (has(rk)) {
      let r = t(rk, p);
      if (a.override) r = t("door.override", { reason: a.override }) + " " + r;
      if (a.resolution) r = t(a.resolution === "admit" ? "door.let_in_after_check" : "door.turned_away_after_check") + " " + r;
      out.reason = r;
      out.detail = a.reason || "";
    }
    const nk = "next." + a.code + (has("next." + a.code + att) ? att : "");
    if (a.resolution === "deny") out.next = t("next.turned_away");
    else if (a.resolution === "admit") out.next = "";
    else if (a.next_step && has(nk)) out.next = t(nk, p);
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

  global.LaminateI18n = Object.freeze({ t, has, set, door, apply, lang: () => lang, langs: Object.keys(LANGS) });
})(window);
