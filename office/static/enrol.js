// The enrolment page (office/devices.go): counts down to the code's
// expiry and asks the server every 2 s whether the code is still waiting;
// once it is used or expired the page reloads, and the server's page no
// longer shows the code. Without JavaScript the "Check now" link does it.
"use strict";
(() => {
  const box = document.getElementById("enrolment");
  if (!box || box.dataset.state !== "waiting") {
    return;
  }
  const until = Date.parse(box.dataset.until);
  const out = document.getElementById("countdown");
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    if (out) {
      out.textContent = " (" + Math.floor(left / 60) + " min " + String(left % 60).padStart(2, "0") + " s left)";
    }
    if (left === 0) {
      location.reload();
    }
  };
  const poll = async () => {
    try {
      const r = await fetch(box.dataset.poll, { credentials: "same-origin", cache: "no-store" });
      const j = r.ok ? await r.json() : { state: "gone" };
      if (j.state !== "waiting") {
        location.reload();
        return;
      }
    } catch (_) {
      // The server is out of reach: try again.
    }
    setTimeout(poll, 2000);
  };
  tick();
  setInterval(tick, 1000);
  setTimeout(poll, 2000);
})();
