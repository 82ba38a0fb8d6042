// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function localTime(iso) {
    var when = new Date(iso);
    var lang = document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang;
    return new Intl.DateTimeFormat(lang || undefined, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short"
    }).format(when);
  }

  // The time left before ``iso`` as the server writes it (core/i18n.py format_duration): the two
  // largest units, seconds counted in the last hour; null once it has passed. Intl.NumberFormat's
  // units, not Intl.DurationFormat (missing in many browsers, and it throws on an empty duration).
  function remaining(iso) {
    var left = Math.floor((new Date(iso).getTime() - Date.now()) / 1000);
    if (left < 0) { return null; }
    var days = Math.floor(left / 86400), hours = Math.floor(left % 86400 / 3600);
    var amounts = [[days, "day"], [hours, "hour"], [Math.floor(left % 3600 / 60), "minute"],
                   [days || hours ? 0 : left % 60, "second"]];
    // The page's language, so Arabic pages count down in Arabic (digits of the locale's default
    // numbering system in CLDR, as the server's Babel writes them).
    var lang = document.documentElement.lang || undefined;
    var parts = amounts.filter(function (a) { return a[0] > 0; }).slice(0, 2).map(function (a) {
      return new Intl.NumberFormat(lang, { style: "unit", unit: a[1], unitDisplay: "long" })
        .format(a[0]);
    });
    return parts.length ? parts.join(listSeparator(lang)) :
      new Intl.NumberFormat(lang, { style: "unit", unit: "second", unitDisplay: "long" }).format(0);
  }

  // What stands between list items in CLDR (", "; Arabic " و"), as core/i18n.py joins them.
  function listSeparator(lang) {
    if (!window.Intl || !Intl.ListFormat) { return ", "; }
    var literal = new Intl.ListFormat(lang, { type: "conjunction" }).formatToParts(["a", "b", "c"])
      .filter(function (p) { return p.type === "literal"; })[0];
    return literal ? literal.value : ", ";
  }

  // When a deadline passes on an open page: say so, and stop the form that depends on it (the
  // server refuses anything sent after it anyway, and says when it closed).
  function close(el) {
    el.closest("p").textContent = el.getAttribute("data-closed");
    document.querySelectorAll("form[data-deadline='" + el.getAttribute("data-countdown") + "']")
      .forEach(function (form) {
        Array.prototype.forEach.call(form.elements, function (c) { c.disabled = true; });
      });
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

    // "Copy the link" buttons (hidden without this file): copy the named field's value.
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = button.getAttribute("data-copied");
        }, function () { field.select(); });
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
        if (!el.isConnected) { return; }
        var text = remaining(el.getAttribute("data-countdown"));
        if (text === null) { close(el); } else { el.textContent = text; }
      });
    }
    if (countdowns.length) { tick(); window.setInterval(tick, 1000); }

    document.querySelectorAll("form[data-autosave]").forEach(autosave);
    document.querySelectorAll("form[data-live-preview]").forEach(livePreview);
  });

  // Submission drafts: saved as you type; kept in this browser if the session has expired,
  // and put back in the form when you come back (until the server has them).
  // The form builder's field page: the server renders the field as entrants will see it from
  // what is typed (action=preview saves nothing); the preview region is swapped in place.
  function livePreview(form) {
    var region = document.getElementById(form.getAttribute("data-live-preview"));
    var button = form.querySelector("button[value=preview]");
    var timer;
    if (!region || !window.fetch || !window.DOMParser) { return; }
    if (button) { button.hidden = true; }
    function refresh() {
      var body = new FormData(form);
      body.set("action", "preview");
      // Not form.action: the buttons named "action" shadow that property.
      fetch(form.getAttribute("action") || window.location.href, { method: "POST", credentials: "same-origin", body: body })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (fresh) { region.replaceChildren.apply(region, Array.prototype.slice.call(fresh.childNodes)); }
        })
        .catch(function () { /* offline: the preview catches up on the next change */ });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  function autosave(form) {
    var key = form.getAttribute("data-draft-key");
    var status = document.querySelector(".autosave-status");
    var serverSavedAt = Date.parse(form.getAttribute("data-saved-at") || "") || 0;
    var token = (form.querySelector("input[name=csrf_token]") || {}).value;
    var timer = null;

    function collect() {
      var answers = {}, groups = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.type === "submit" || el.type === "hidden") { return; }
        groups[el.name] = (groups[el.name] || []).concat([el]);
      });
      Object.keys(groups).forEach(function (name) {
        var els = groups[name];
        if (els[0].type === "radio") {
          var chosen = els.filter(function (e) { return e.checked; })[0];
          answers[name] = chosen ? chosen.value : "";
        } else if (els[0].type === "checkbox") {
          answers[name] = els.length > 1
            ? els.filter(function (e) { return e.checked; }).map(function (e) { return e.value; })
            : els[0].checked;
        } else {
          answers[name] = els[0].value;
        }
      });
      return answers;
    }

    function restore(answers) {
      Object.keys(answers).forEach(function (name) {
        var value = answers[name];
        form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']").forEach(function (el) {
          if (el.type === "radio") { el.checked = el.value === value; }
          else if (el.type === "checkbox") {
            el.checked = Array.isArray(value) ? value.indexOf(el.value) >= 0 : value === true;
          } else if (el.type !== "file") { el.value = value; }
        });
      });
    }

    function say(text) { if (status) { status.textContent = text; } }

    // "Not saved: …" then each refused field's label and message.
    function refusal(body) {
      var parts = [body.message || ""];
      Object.keys(body.errors || {}).forEach(function (name) {
        var label = form.querySelector("label[for='" + name.replace(/'/g, "") + "']");
        var text = label ? label.textContent.trim() + ": " : "";
        parts.push(text + body.errors[name]);
      });
      return parts.join(" ");
    }

    function save() {
      var answers = collect();
      try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), answers: answers })); }
      catch (e) { /* storage full or disabled: the server copy still applies */ }
      fetch(form.getAttribute("data-autosave"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ answers: answers })
      }).then(function (response) {
        if (response.ok) {
          localStorage.removeItem(key);
          say(form.getAttribute("data-msg-saved"));
        } else if (response.status === 400 || response.status === 409) {
          // Answers the form would refuse (400, a message per field) or a closed form (409);
          // any other 400 (an expired session's token) is not JSON.
          response.json().then(function (body) { say(refusal(body)); })
            .catch(function () { say(form.getAttribute("data-msg-signed-out")); });
        } else if (response.status === 401) {
          say(form.getAttribute("data-msg-signed-out"));
        }
      }).catch(function () { say(form.getAttribute("data-msg-signed-out")); });
    }

    try {
      var kept = JSON.parse(localStorage.getItem(key) || "null");
      if (kept && kept.at > serverSavedAt) {
        restore(kept.answers);
        say(form.getAttribute("data-msg-restored"));
      } else if (kept) {
        localStorage.removeItem(key);  // the server has a newer draft
      }
    } catch (e) { /* nothing kept */ }

    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1500);
    });
    // Not cleared on submit: if the session has expired the post is lost, the kept text is not.
    form.addEventListener("submit", function () {
      try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), answers: collect() })); }
      catch (e) { /* ignore */ }
    });
  }
})();

// Delivery progress of an announcement: refreshed every few seconds while it is under way.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-progress-url]");
    if (!box || !window.fetch) { return; }
    var bar = box.querySelector("progress");
    var counts = box.querySelector("[data-progress-counts]");
    function refresh() {
      fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if (bar) { bar.value = data.sent; bar.max = data.recipients || 1; }
          if (counts) {
            counts.textContent = counts.getAttribute("data-template")
              .replace("{sent}", data.sent).replace("{total}", data.recipients || 0)
              .replace("{queued}", data.queued + data.sending)
              .replace("{retrying}", data.retrying).replace("{failed}", data.failed);
          }
          if (data.queued + data.sending + data.retrying > 0) { setTimeout(refresh, 3000); }
        })
        .catch(function () { setTimeout(refresh, 10000); });
    }
    setTimeout(refresh, 3000);
  });
})();
