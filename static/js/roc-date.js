// The one ROC (民國) date picker. Progressive enhancement over a text input marked data-roc-date:
// the input stays the source of truth (type 115/12/06 and it is read as typed); a 「日曆」 button beside it
// opens a month grid in 民國 years. Keyboard: Alt+↓ in the input, or Enter/Space on the button, opens it; arrows move a
// day/week, PageUp/PageDown a month (Shift: a year), Home/End the week's ends, Enter picks, Esc closes.
// No inline script and no outside resources (the CSP forbids both).
(function () {
  "use strict";
  var OFFSET = 1911;
  var WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function rocText(d) { return (d.getFullYear() - OFFSET) + "/" + pad(d.getMonth() + 1) + "/" + pad(d.getDate()); }
  function sameDay(a, b) { return a && b && a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate(); }

  // The server's reading, in short: ROC y/m/d (1–3 digit year) or a 4-digit Gregorian year.
  function parse(text) {
    text = (text || "").replace(/[\uFF01-\uFF5E]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); }).trim();
    var m = /^(?:民國)?\s*(\d{1,4})\s*[\/.\-年]\s*(\d{1,2})\s*[\/.\-月]\s*(\d{1,2})/.exec(text);
    if (!m) { return null; }
    var y = parseInt(m[1], 10), mo = parseInt(m[2], 10) - 1, d = parseInt(m[3], 10);
    if (m[1].length < 4) { y += OFFSET; }
    var out = new Date(y, mo, d);
    return (out.getMonth() === mo && out.getDate() === d) ? out : null;
  }

  var uid = 0;

  function enhance(input) {
    if (input.dataset.rocDateReady) { return; }
    input.dataset.rocDateReady = "1";
    uid += 1;
    var id = "roc-cal-" + uid;
    var wrap = document.createElement("div");
    wrap.className = "roc-date";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var label = input.labels && input.labels.length ? input.labels[0].textContent.trim() : "日期";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary roc-date-button";
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", id);
    button.setAttribute("aria-label", "開啟民國日曆");  // no field words: a label lookup of the field finds the field alone
    button.textContent = "日曆";
    button.title = "開啟民國日曆（在日期欄按 Alt+↓ 也可以開啟）";
    wrap.appendChild(button);
    // What the field holds, said in words: on the button (heard when it takes focus) and, when a day is
    // picked, in a polite live region.
    var said = document.createElement("span");
    said.className = "visually-hidden";
    said.setAttribute("aria-live", "polite");
    wrap.appendChild(said);
    function spoken(d) { return "民國 " + (d.getFullYear() - OFFSET) + " 年 " + (d.getMonth() + 1) + " 月 " + d.getDate() + " 日"; }
    function describe() {
      var d = parse(input.value);
      button.setAttribute("aria-label", d ? "開啟民國日曆，目前是 " + spoken(d) : "開啟民國日曆");
    }
    describe();
    input.addEventListener("change", describe);

    var dialog = document.createElement("div");
    dialog.className = "roc-calendar shadow";
    dialog.id = id;
    dialog.hidden = true;
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "false");
    dialog.setAttribute("aria-label", "民國日曆");
    wrap.appendChild(dialog);

    var shown = null;  // the first day of the month shown
    var focus = null;  // the day with the roving focus

    function close(returnFocus) {
      dialog.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (returnFocus) { input.focus(); }
    }

    function pick(d) {
      input.value = rocText(d);
      said.textContent = "已選擇 " + spoken(d);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(true);
    }

    function render(moveFocus) {
      var year = shown.getFullYear(), month = shown.getMonth();
      var selected = parse(input.value), today = new Date();
      var html = '<div class="roc-calendar-head">' +
        '<button type="button" class="btn btn-sm btn-light" data-step="-12" aria-label="上一年">«</button>' +
        '<button type="button" class="btn btn-sm btn-light" data-step="-1" aria-label="上個月">‹</button>' +
        '<label class="visually-hidden" for="' + id + '-y">民國年</label>' +
        '<select class="form-select form-select-sm" id="' + id + '-y">';
      var roc = year - OFFSET;
      for (var y = roc - 100; y <= roc + 10; y++) {
        if (y < 1) { continue; }
        html += '<option value="' + y + '"' + (y === roc ? " selected" : "") + ">民國 " + y + " 年</option>";
      }
      html += '</select><label class="visually-hidden" for="' + id + '-m">月</label><select class="form-select form-select-sm" id="' + id + '-m">';
      for (var mo = 0; mo < 12; mo++) {
        html += '<option value="' + mo + '"' + (mo === month ? " selected" : "") + ">" + (mo + 1) + " 月</option>";
      }
      html += '</select><button type="button" class="btn btn-sm btn-light" data-step="1" aria-label="下個月">›</button>' +
        '<button type="button" class="btn btn-sm btn-light" data-step="12" aria-label="下一年">»</button></div>' +
        '<table class="roc-calendar-grid" role="grid" aria-label="民國 ' + roc + " 年 " + (month + 1) + ' 月"><thead><tr>';
      WEEKDAYS.forEach(function (w) { html += '<th scope="col" abbr="星期' + w + '">' + w + "</th>"; });
      html += "</tr></thead><tbody>";
      var first = new Date(year, month, 1);
      var day = new Date(year, month, 1 - first.getDay());
      for (var row = 0; row < 6; row++) {
        html += "<tr>";
        for (var col = 0; col < 7; col++) {
          var inMonth = day.getMonth() === month;
          var classes = ["roc-day"];
          if (!inMonth) { classes.push("roc-day-outside"); }
          if (sameDay(day, today)) { classes.push("roc-day-today"); }
          if (sameDay(day, selected)) { classes.push("roc-day-selected"); }
          html += '<td role="gridcell"' + (sameDay(day, selected) ? ' aria-selected="true"' : "") + '><button type="button" class="' + classes.join(" ") +
            '" tabindex="' + (sameDay(day, focus) ? "0" : "-1") + '" data-date="' + rocText(day) + '" aria-label="民國 ' +
            (day.getFullYear() - OFFSET) + " 年 " + (day.getMonth() + 1) + " 月 " + day.getDate() + " 日（星期" + WEEKDAYS[day.getDay()] + "）" +
            (sameDay(day, today) ? "，今天" : "") + '">' + day.getDate() + "</button></td>";
          day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
        }
        html += "</tr>";
      }
      html += '</tbody></table><div class="roc-calendar-foot"><button type="button" class="btn btn-sm btn-link" data-today>今天（' + rocText(today) +
        '）</button><button type="button" class="btn btn-sm btn-outline-secondary" data-close>關閉</button></div>';
      dialog.innerHTML = html;
      if (moveFocus) {
        var target = dialog.querySelector('.roc-day[tabindex="0"]');
        if (target) { target.focus(); }
      }
    }

    function show(d, moveFocus) {
      focus = d;
      shown = new Date(d.getFullYear(), d.getMonth(), 1);
      render(moveFocus);
    }

    function open() {
      var start = parse(input.value) || new Date();
      dialog.hidden = false;
      button.setAttribute("aria-expanded", "true");
      show(start, true);
    }

    button.addEventListener("click", function () { if (dialog.hidden) { open(); } else { close(true); } });
    input.addEventListener("keydown", function (e) {
      if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); open(); }
    });
    dialog.addEventListener("click", function (e) {
      var t = e.target.closest("button");
      if (!t) { return; }
      if (t.dataset.date) { pick(parse(t.dataset.date)); }
      else if (t.dataset.step) {
        var n = parseInt(t.dataset.step, 10);
        show(new Date(shown.getFullYear(), shown.getMonth() + n, Math.min(focus.getDate(), 28)), false);
        t = dialog.querySelector('[data-step="' + n + '"]');
        if (t) { t.focus(); }
      } else if (t.hasAttribute("data-today")) { pick(new Date()); }
      else if (t.hasAttribute("data-close")) { close(true); }
    });
    dialog.addEventListener("change", function (e) {
      var y = dialog.querySelector("#" + id + "-y"), m = dialog.querySelector("#" + id + "-m");
      var which = e.target.id;
      show(new Date(parseInt(y.value, 10) + OFFSET, parseInt(m.value, 10), Math.min(focus.getDate(), 28)), false);
      var again = dialog.querySelector("#" + which);
      if (again) { again.focus(); }
    });
    dialog.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(true); return; }
      var t = e.target;
      if (!t.classList || !t.classList.contains("roc-day")) { return; }
      var d = parse(t.dataset.date), next = null;
      switch (e.key) {
        case "ArrowLeft": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1); break;
        case "ArrowRight": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1); break;
        case "ArrowUp": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() - 7); break;
        case "ArrowDown": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 7); break;
        case "Home": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() - d.getDay()); break;
        case "End": next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 6 - d.getDay()); break;
        case "PageUp": next = new Date(d.getFullYear() - (e.shiftKey ? 1 : 0), d.getMonth() - (e.shiftKey ? 0 : 1), Math.min(d.getDate(), 28)); break;
        case "PageDown": next = new Date(d.getFullYear() + (e.shiftKey ? 1 : 0), d.getMonth() + (e.shiftKey ? 0 : 1), Math.min(d.getDate(), 28)); break;
        default: return;
      }
      e.preventDefault();
      show(next, true);
    });
    document.addEventListener("mousedown", function (e) {
      if (!dialog.hidden && !wrap.contains(e.target)) { close(false); }
    });
    wrap.addEventListener("focusout", function (e) {
      if (!dialog.hidden && e.relatedTarget && !wrap.contains(e.relatedTarget)) { close(false); }
    });
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("input[data-roc-date]").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:afterSwap", function (evt) { enhanceAll(evt.target); });
  window.rocDate = { parse: parse, format: rocText, enhance: enhanceAll };
})();
