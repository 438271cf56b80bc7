/* Character counters for text fields with a maximum (data-maxlength): the count is shown as the
   person types, and turns red past the maximum. The browser never cuts what was typed or pasted
   (no maxlength attribute); the server refuses over-long text with a message and keeps it. */
(function () {
  "use strict";

  function counterFor(input) {
    var id = input.id ? input.id + "-count" : null;
    var existing = id && document.getElementById(id);
    if (existing) return existing;
    var counter = document.createElement("div");
    counter.className = "form-text char-counter";
    if (id) counter.id = id;
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
    return counter;
  }

  function update(input) {
    var max = parseInt(input.getAttribute("data-maxlength"), 10);
    if (!max) return;
    var length = Array.from(input.value || "").length;
    var counter = counterFor(input);
    var long = input.tagName === "TEXTAREA";  /* one-line fields: shown near the maximum */
    counter.hidden = !long && length < max * 0.8;
    var over = length - max;
    counter.textContent = over > 0 ? length + " / " + max + " 字，超過 " + over + " 字，請刪減後再送出"
                                   : length + " / " + max + " 字";
    counter.classList.toggle("text-danger", over > 0);
    counter.classList.toggle("fw-semibold", over > 0);
  }

  function install(root) {
    (root || document).querySelectorAll("[data-maxlength]").forEach(function (input) {
      if (input.dataset.counterInstalled) return;
      input.dataset.counterInstalled = "1";
      input.addEventListener("input", function () { update(input); });
      update(input);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { install(document); });
  document.addEventListener("htmx:afterSettle", function (event) { install(event.target); });
})();
