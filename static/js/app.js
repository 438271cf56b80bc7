// Small behaviours the pages share. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // After a form comes back with errors, move focus to the summary so keyboard
  // and screen-reader users hear what to fix; a confirmation step takes the focus the same way.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#form-errors") || (root || document).querySelector("#confirm-panel");
    if (summary) { summary.focus && summary.setAttribute("tabindex", "-1"); summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.body && document.body.addEventListener("htmx:afterSwap", function (evt) { focusErrors(evt.target); });
  // Irreversible actions (form[data-submit-once]) are sent once: a second click while the first
  // request is on its way does nothing. The buttons are disabled after the form data is taken.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-submit-once")) { return; }
    if (form.getAttribute("data-sent") === "1") { evt.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], input[type=submit]"), function (b) {
        b.disabled = true; b.setAttribute("aria-disabled", "true");
      });
    }, 0);
  }, true);
  // A page restored from the back/forward cache gets its buttons back.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once][data-sent]"), function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = false; b.removeAttribute("aria-disabled"); });
    });
  });
})();
