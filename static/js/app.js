// Small behaviours the pages share. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // After a form comes back with errors, move focus to the summary so keyboard
  // and screen-reader users hear what to fix; a confirmation step takes the focus the same way.
  // The summaries that take the focus when a page or a swapped region shows one, in order of precedence.
  var SUMMARIES = ["#form-errors", "#household-error", "#confirm-panel", "#public-status"];
  function summaryIn(root) {
    for (var i = 0; i < SUMMARIES.length; i++) { var found = root.querySelector(SUMMARIES[i]); if (found) { return found; } }
    return null;
  }
  function focusErrors(root) {
    var summary = summaryIn(root || document);
    if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus({preventScroll: true}); reveal(summary); }
  }
  // Brought into view at once (Bootstrap's smooth scrolling would leave it off screen for a moment, and a
  // phone's slow layout can move it after the focus), and again once the page has finished loading.
  function reveal(el) {
    var top = el.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 48) { el.scrollIntoView({block: "start", behavior: "instant"}); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); scrollables(document); });
  // after the browser's own jump to the #fragment, which clears the focus
  window.addEventListener("load", function () {
    var summary = summaryIn(document);
    if (summary && document.activeElement === summary) { reveal(summary); }
    setTimeout(flashHere, 0);
  });
  // After an action the page comes back at the part that was acted on (/cases/19#contacts); its message
  // (「已記錄訪視。」) would be at the top, out of view on a phone. It is moved to that part instead, and
  // takes the focus, so it is seen and read where the person is.
  function flashHere() {
    var flash = document.getElementById("flash");
    if (!flash || !flash.children.length || document.getElementById("form-errors") ||
        document.querySelector("[autofocus]")) { return; }
    var target = null;
    try { target = location.hash ? document.querySelector(decodeURIComponent(location.hash)) : null; } catch (e) { target = null; }
    flash.setAttribute("tabindex", "-1");
    if (!target || target.id === "main" || target.contains(flash)) { flash.focus({preventScroll: true}); return; }  // read where it is
    var inTable = target.closest("table");
    var host = inTable ? (inTable.closest(".table-responsive") || inTable) : target;
    if (host === target && !inTable) {
      var heading = target.querySelector("h1, h2, h3");
      if (heading && heading.parentNode === target) { heading.insertAdjacentElement("afterend", flash); }
      else { target.insertBefore(flash, target.firstChild); }
    } else {
      host.parentNode.insertBefore(flash, host);
    }
    flash.classList.add("flash-here");
    flash.focus({preventScroll: true});
    requestAnimationFrame(function () { flash.scrollIntoView({block: "center"}); });
  }
  // A table wider than its box scrolls sideways inside it: the box takes the keyboard focus (arrow keys
  // scroll it) and is named after its table, so that keyboard users can reach what is past the edge.
  function scrollables(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(".table-responsive"), function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
        if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
        if (!box.hasAttribute("aria-label")) {
          var caption = box.querySelector("caption");
          box.setAttribute("aria-label", (caption ? caption.textContent.trim() + "，" : "") + "表格可左右捲動");
        }
      }
    });
  }
  window.addEventListener("resize", function () { scrollables(document); });
  // An entry of the error summary takes the keyboard to its field: to the control itself, or to the
  // first control of a group (a fieldset of checkboxes or radios, a person's card).
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("#form-errors a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    var control = target.matches("input, select, textarea, button") ? target :
      target.querySelector("input:not([type=hidden]), select, textarea");
    if (control) {
      evt.preventDefault();
      control.focus();
      control.scrollIntoView({block: "center"});
    }
  });
  // Job progress said once per change: polled regions carry data-live (a short sentence, progress in
  // steps of 10 %), and the page's one polite live region says it when it differs from the last said.
  var lastSaid = null;
  function liveText() {
    return Array.prototype.map.call(document.querySelectorAll("[data-live]"), function (e) {
      return e.getAttribute("data-live");
    }).join("；");
  }
  document.addEventListener("DOMContentLoaded", function () { lastSaid = liveText(); });
  document.body && document.body.addEventListener("htmx:afterSettle", function () {
    var text = liveText(), announcer = document.getElementById("live-announcer");
    if (announcer && text && text !== lastSaid) { announcer.textContent = text; }
    lastSaid = text;
  });
  // A polled count (the notifications) is a polite live region: it is swapped only when it changed,
  // so that a screen reader hears a new count, not the same one every 30 seconds.
  document.body && document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (target && target.id === "notification-count" && evt.detail.xhr &&
        target.innerHTML.trim() === (evt.detail.xhr.responseText || "").trim()) {
      evt.detail.shouldSwap = false;
    }
  });
  document.body && document.body.addEventListener("htmx:afterSwap", function (evt) {
    // An outerHTML swap replaces the target: look in what took its place (same id), not in the old element.
    var target = (evt.detail && evt.detail.target) || evt.target;
    var region = target && target.isConnected ? target : (target && target.id ? document.getElementById(target.id) : null);
    focusErrors(region || document);
    scrollables(region ? (region.parentNode || document) : document);
    // A swap that replaced the focused control (a form answered in place) leaves the focus on <body>, at the
    // top of a long page: put it on the heading of the region that was swapped in, where the answer is.
    var sent = evt.detail && evt.detail.requestConfig && evt.detail.requestConfig.verb !== "get";  // never a poll
    if (sent && region && (document.activeElement === document.body || document.activeElement === null)) {
      var heading = region.querySelector("h1, h2, h3");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
  });
  // A file field with data-max-bytes (case documents): an empty file or one over the limit is refused
  // here, before it is sent, with the server's own message beside the field (the server checks again,
  // and checks what the file is from its content).
  function fileProblem(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    if (!file) { return ""; }
    if (file.size === 0) { return "檔案是空的（0 位元組），未儲存。請確認選對檔案。"; }
    if (max && file.size > max) {
      return "檔案超過上限 " + input.getAttribute("data-max-label") + "，未儲存。請壓縮或分成幾個檔案後再上傳。";
    }
    return "";
  }
  function showFileProblem(input, message) {
    var id = input.id + "-client-error";
    var box = document.getElementById(id);
    if (!message) {
      if (box) { box.parentNode.removeChild(box); }
      input.classList.remove("is-invalid"); input.removeAttribute("aria-invalid");
      return;
    }
    if (!box) {
      box = document.createElement("div"); box.id = id; box.className = "invalid-feedback d-block";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    box.textContent = message;
    input.classList.add("is-invalid"); input.setAttribute("aria-invalid", "true");
  }
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches("input[type=file][data-max-bytes]")) {
      var old = document.getElementById(t.id + "-error");  // the server's refusal of the file chosen before
      if (old) { old.parentNode.removeChild(old); }
      showFileProblem(t, fileProblem(t));
    }
  });
  document.addEventListener("submit", function (evt) {
    var inputs = evt.target.querySelectorAll ? evt.target.querySelectorAll("input[type=file][data-max-bytes]") : [];
    for (var i = 0; i < inputs.length; i++) {
      var message = fileProblem(inputs[i]);
      if (message) {
        showFileProblem(inputs[i], message); inputs[i].focus();
        evt.preventDefault(); evt.stopImmediatePropagation(); return;
      }
    }
  }, true);
  // Every form that sends something (method=post) is sent once: a second click, or Enter, while
  // the first request is on its way does nothing, so a double click never files a report, a
  // service or a referral twice. htmx forms get their buttons back when their answer arrives;
  // a page restored by the back button gets them back too; and after 10 s they come back in any
  // case (a form whose answer is a download leaves the page where it is). data-submit-many opts out.
  function buttonsOf(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"));
    if (form.id) {
      inside = inside.concat(Array.prototype.slice.call(document.querySelectorAll('button[form="' + form.id + '"]')));
    }
    return inside;
  }
  function release(form) {
    if (!form || !form.removeAttribute) { return; }
    form.removeAttribute("data-sent");
    buttonsOf(form).forEach(function (b) {
      if (b.getAttribute("data-disabled-by-send") === "1") {
        b.disabled = false; b.removeAttribute("aria-disabled"); b.removeAttribute("data-disabled-by-send");
      }
    });
  }
  function sendsOnce(form) {
    if (!form || !form.getAttribute || form.hasAttribute("data-submit-many")) { return false; }
    var method = (form.getAttribute("hx-post") || form.getAttribute("hx-put") || form.getAttribute("hx-patch") ||
                  form.getAttribute("hx-delete")) ? "post" : (form.getAttribute("method") || "get");
    return method.toLowerCase() === "post" || form.hasAttribute("data-submit-once");
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!sendsOnce(form)) { return; }
    if (form.getAttribute("data-sent") === "1") {
      evt.preventDefault(); evt.stopImmediatePropagation(); return;
    }
    form.setAttribute("data-sent", "1");
    setTimeout(function () {  // after the browser has taken the form data (the clicked button's name/value)
      if (form.getAttribute("data-sent") !== "1") { return; }
      buttonsOf(form).forEach(function (b) {
        if (!b.disabled) { b.disabled = true; b.setAttribute("aria-disabled", "true"); b.setAttribute("data-disabled-by-send", "1"); }
      });
    }, 0);
    setTimeout(function () { release(form); }, 10000);
  }, true);
  document.body && document.body.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (form) { release(form); }
  });
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), release);
  });
})();
