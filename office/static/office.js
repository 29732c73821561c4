// Laminate office: the one script. Without JavaScript every form works as
// a plain form.
//
// Forms marked data-confirm ask first (disabling an account, signing out
// everywhere, revoking a pass): a slip of the finger on a phone should not
// end a colleague's sessions.
"use strict";
document.addEventListener("submit", (ev) => {
  const msg = ev.target instanceof HTMLFormElement && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});

// Search as you type (the passes page): a form marked data-live-search
// fetches its own page with the typed query, 250 ms after the last key,
// and swaps in the #results section; the address bar follows, so Back and
// a reload show the same search. A reply to an older query is dropped.
(() => {
  const form = document.querySelector("form[data-live-search]");
  const results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.DOMParser) {
    return;
  }
  let timer = 0;
  let seq = 0;
  const run = async () => {
    const params = new URLSearchParams(new FormData(form));
    if (!params.get("event")) {
      return;
    }
    const url = form.action + "?" + params.toString();
    const mine = ++seq;
    try {
      const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      const text = await resp.text();
      if (mine !== seq) {
        return;
      }
      const doc = new DOMParser().parseFromString(text, "text/html");
      const fresh = doc.getElementById("results");
      const cur = document.getElementById("results");
      if (fresh && cur) {
        cur.replaceWith(document.importNode(fresh, true));
        history.replaceState(null, "", url);
      }
    } catch (_) {
      // Offline or the server gone: the Search button still works.
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
