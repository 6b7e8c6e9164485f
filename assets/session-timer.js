/* The session-timeout warning (WCAG 2.2.1). On a signed-in page (#timeout-warning) it
   asks the server how long the session has left (GET /auth/session, on the server's
   clock), shows the warning data-lead seconds before the end (120 s; 180 s in large-text
   mode) with a countdown, and "stay signed in" (POST /auth/refresh) extends the same
   session. When the time is up the page goes to the login page. */
(function () {
  "use strict";
  var timer = null;
  var deadline = 0;
  function byId(id) { return document.getElementById(id); }
  function lead() {
    var box = byId("timeout-warning");
    return box ? parseInt(box.getAttribute("data-lead") || "120", 10) : 120;
  }
  function close() { document.body.classList.remove("timeout-open"); }
  function check() {
    if (!byId("timeout-warning")) { return; }
    fetch("/auth/session", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        deadline = Date.now() + body.remaining * 1000;
        tick();
      })
      .catch(function () { /* offline for a moment: the next check will tell */ });
  }
  function tick() {
    clearTimeout(timer);
    if (!deadline) { return; }
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      close();
      window.location.assign("/login?notice=auth.expired");
      return;
    }
    if (left <= lead()) {
      if (!document.body.classList.contains("timeout-open")) {
        document.body.classList.add("timeout-open");
        var button = byId("stay-signed-in");
        if (button) { button.focus(); }
      }
      var seconds = byId("timeout-seconds");
      if (seconds) { seconds.textContent = String(left); }
      timer = setTimeout(tick, 1000);
    } else {
      timer = setTimeout(check, Math.min((left - lead()) * 1000, 5 * 60 * 1000));
    }
  }
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("#stay-signed-in") : null;
    if (!target) { return; }
    fetch("/auth/refresh", { method: "POST", credentials: "same-origin" }).then(function (response) {
      close();
      if (response.ok) { check(); } else { window.location.assign("/login?notice=auth.expired"); }
    });
  }, true);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { check(); } });
  // The warning is part of signed-in pages only, which render it once the page's state
  // has arrived: wait for it.
  (function boot() { if (byId("timeout-warning")) { check(); } else { setTimeout(boot, 1000); } })();
})();
