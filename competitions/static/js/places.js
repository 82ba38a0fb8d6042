// Searchable place picker: progressive enhancement of <select multiple data-place-picker>.
// Without this file the native multi-select works (Ctrl/Cmd+click). With it: a search box
// (an ARIA combobox) filters the options by name or code, Enter or a click chooses one, the
// chosen places are listed as chips with a Remove button, and the number of matches is
// announced. The hidden <select> stays the form's value, so what is sent is the same.
(function () {
  "use strict";

  var MAX_SHOWN = 60;  // options listed at once; typing narrows the rest
  var counter = 0;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function msg(select, name, n) {
    return (select.getAttribute("data-msg-" + name) || "").replace("{n}", n);
  }

  function enhance(select) {
    var id = select.id, n = ++counter;
    var options = Array.prototype.slice.call(select.options).map(function (o) {
      return { option: o, key: fold(o.textContent + " " + o.value) };
    });
    var wrap = document.createElement("div");
    wrap.className = "place-picker";
    var chips = document.createElement("ul");
    chips.className = "place-chips list-unstyled d-flex flex-wrap gap-2 mb-2";
    chips.setAttribute("aria-label", msg(select, "chosen"));
    var input = document.createElement("input");
    input.type = "text";
    input.id = id + "-search";
    input.className = "form-control";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "place-list-" + n);
    input.setAttribute("placeholder", msg(select, "search"));
    if (select.hasAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    }
    if (select.hasAttribute("aria-invalid")) { input.setAttribute("aria-invalid", "true"); }
    var list = document.createElement("ul");
    list.id = "place-list-" + n;
    list.className = "place-list list-unstyled border rounded mt-1";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    list.setAttribute("aria-label", document.querySelector("label[for='" + id + "']").textContent);
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    wrap.append(chips, input, list, status);
    select.after(wrap);
    select.hidden = true;
    document.querySelector("label[for='" + id + "']").setAttribute("for", input.id);

    var shown = [], active = -1;

    function drawChips() {
      chips.textContent = "";
      options.forEach(function (item) {
        if (!item.option.selected) { return; }
        var li = document.createElement("li");
        li.className = "badge text-bg-light border d-inline-flex align-items-center gap-1";
        var name = document.createElement("span");
        name.textContent = item.option.textContent;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn-close";
        remove.setAttribute("aria-label", msg(select, "remove").replace("{name}", item.option.textContent));
        remove.addEventListener("click", function () {
          item.option.selected = false;
          drawChips();
          drawList();
          input.focus();
        });
        li.append(name, remove);
        chips.append(li);
      });
      if (!chips.children.length) {
        var none = document.createElement("li");
        none.className = "text-body-secondary small";
        none.textContent = msg(select, "none-chosen");
        chips.append(none);
      }
    }

    function setActive(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.classList.toggle("active", i === active);
      });
      if (active >= 0 && list.children[active]) {
        input.setAttribute("aria-activedescendant", list.children[active].id);
        list.children[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function drawList() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var matches = options.filter(function (item) {
        return words.every(function (w) { return item.key.indexOf(w) >= 0; });
      });
      shown = matches.slice(0, MAX_SHOWN);
      list.textContent = "";
      shown.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", item.option.selected ? "true" : "false");
        li.className = "px-2 py-1";
        li.textContent = item.option.textContent;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { toggle(i); });
        list.append(li);
      });
      var open = input.value.trim() !== "" || document.activeElement === input;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      status.textContent = matches.length === 0 ? msg(select, "no-match")
        : matches.length === 1 ? msg(select, "one-match") : msg(select, "matches", matches.length);
      setActive(Math.min(active, shown.length - 1));
    }

    function toggle(index) {
      var item = shown[index];
      if (!item) { return; }
      item.option.selected = !item.option.selected;
      drawChips();
      drawList();
      setActive(index);
    }

    input.addEventListener("input", function () { active = 0; drawList(); });
    input.addEventListener("focus", drawList);
    input.addEventListener("blur", function () {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { drawList(); }
        setActive(Math.min(active + 1, shown.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        event.preventDefault();  // choosing a place never submits the form
        if (!list.hidden && active >= 0) { toggle(active); }
      } else if (event.key === "Escape") {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
      }
    });
    drawChips();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[multiple][data-place-picker]").forEach(enhance);
  });
})();
