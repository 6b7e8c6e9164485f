/* Screen-share fraud guard on the loan pages (seed 004). Active only where the page marks
   itself data-fraud-guard="on" (a guarded customer's loan flow). Amounts, accounts and
   headroom (.sensitive) are covered whenever the page is hidden, the window loses focus,
   before printing, and after a PrintScreen key; they come back only when the customer
   confirms they are alone (#fraud-uncover). A watermark carries the masked customer
   number and the current time. */
(function () {
  "use strict";
  function guarded() { return document.querySelector('[data-fraud-guard="on"]') !== null; }
  function cover() { if (guarded()) { document.body.classList.add("guard-covered"); } }
  document.addEventListener("visibilitychange", function () { if (document.hidden) { cover(); } });
  window.addEventListener("blur", cover);
  window.addEventListener("beforeprint", cover);
  function printScreen(event) { if (event.key === "PrintScreen" || event.code === "PrintScreen") { cover(); } }
  document.addEventListener("keydown", printScreen, true);
  document.addEventListener("keyup", printScreen, true);
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("#fraud-uncover") : null;
    if (target) { document.body.classList.remove("guard-covered"); }
  }, true);
  function stamp() {
    var mark = document.getElementById("fraud-watermark");
    if (!mark) { return; }
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = (mark.getAttribute("data-who") || "") + "  " + now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" +
      pad(now.getDate()) + " " + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    text = text.replace(/[<>&"']/g, "");
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="180">' +
      '<text x="20" y="100" font-family="sans-serif" font-size="18" fill="#1a1a1a" transform="rotate(-20 180 90)">' +
      text + "</text></svg>";
    mark.style.backgroundImage = 'url("data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg) + '")';
  }
  stamp();
  setInterval(stamp, 1000);
})();
