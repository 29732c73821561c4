// Laminate pages' theme: dark by default (doors work in dark venues),
// light when the page's switch (#theme, role=switch) says so, remembered in
// localStorage. Loaded in <head> so the first paint has the right colours.
(function () {
  "use strict";
  const KEY = "laminate.theme", root = document.documentElement;
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch (e) { /* storage off: dark */ }
  root.dataset.theme = saved === "light" ? "light" : "dark";
  function wire() {
    const b = document.getElementById("theme");
    if (!b) return;
    const paint = () => b.setAttribute("aria-checked", String(root.dataset.theme === "light"));
    b.onclick = () => {
      root.dataset.theme = root.dataset.theme === "light" ? "dark" : "light";
      try { localStorage.setItem(KEY, root.dataset.theme); } catch (e) { /* for this page only */ }
      paint();
    };
    paint();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
