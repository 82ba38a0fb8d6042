// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function localTime(iso) {
    var when = new Date(iso);
    var lang = document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang;
    return new Intl.DateTimeFormat(lang || undefined, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short"
    }).format(when);
  }

  function remaining(iso) {
    var ms = new Date(iso).getTime() - Date.now();
    if (ms <= 0) { return null; }
    var minutes = Math.floor(ms / 60000);
    var parts = { days: Math.floor(minutes / 1440), hours: Math.floor(minutes % 1440 / 60),
                  minutes: minutes % 60 };
    var shown = {}, count = 0;
    ["days", "hours", "minutes"].forEach(function (unit) {
      if (count < 2 && (parts[unit] > 0 || count > 0)) { shown[unit] = parts[unit]; count++; }
    });
    if (typeof Intl.DurationFormat === "function") {
      return new Intl.DurationFormat(document.documentElement.lang, { style: "long" }).format(shown);
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader users hear what went wrong.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }

    // Ask before destructive actions marked with data-confirm.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    // Visitors who are not signed in: show "your time" in the browser's own zone.
    if (!document.body.hasAttribute("data-viewer-zone")) {
      document.querySelectorAll(".your-time[data-instant]").forEach(function (el) {
        el.textContent = " · " + localTime(el.getAttribute("data-instant")) + " " +
          el.getAttribute("data-label");
      });
      document.querySelectorAll(".local-time[data-instant]").forEach(function (el) {
        el.textContent = localTime(el.getAttribute("data-instant"));
      });
    }

    // Live countdowns to the next deadline.
    var countdowns = document.querySelectorAll("[data-countdown]");
    function tick() {
      countdowns.forEach(function (el) {
        var text = remaining(el.getAttribute("data-countdown"));
        if (text) { el.textContent = text; }
      });
    }
    if (countdowns.length) { tick(); window.setInterval(tick, 30000); }
  });
})();
