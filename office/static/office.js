// Laminate office: the one script. Forms marked data-confirm ask first
// (disabling an account, signing out everywhere): a slip of the finger on
// a phone should not end a colleague's sessions. Without JavaScript the
// forms work as plain forms.
"use strict";
document.addEventListener("submit", (ev) => {
  const msg = ev.target instanceof HTMLFormElement && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});
