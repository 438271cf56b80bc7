// Small behaviours the pages share. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // After a form comes back with errors, move focus to the summary so keyboard
  // and screen-reader users hear what to fix.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#form-errors");
    if (summary) { summary.focus && summary.setAttribute("tabindex", "-1"); summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.body && document.body.addEventListener("htmx:afterSwap", function (evt) { focusErrors(evt.target); });
})();
