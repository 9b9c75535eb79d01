/* People typeahead for the search box: an ARIA 1.2 combobox over /api/researchers/autocomplete.
 * Without this script the box is a plain search form. Keys: ArrowDown/ArrowUp move through
 * the suggestions, Enter opens the highlighted profile (or submits the search), Escape closes
 * the list (a second Escape clears the box), Tab leaves. */
(function () {
  "use strict";
  var MIN_CHARS = 2, DELAY_MS = 120, SIZE = 8;

  function setup(combo) {
    var input = combo.querySelector("input");
    var list = combo.querySelector("[role=listbox]");
    if (!input || !list) return;
    var endpoint = combo.getAttribute("data-endpoint");
    var profileBase = combo.getAttribute("data-profile-base");
    var items = [], active = -1, timer = null, controller = null, lastQuery = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function profileUrl(id) { return profileBase.replace("__ID__", encodeURIComponent(id)); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = list.id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = p.name;
        var sub = document.createElement("span");
        sub.className = "sub";
        var works = (p.works_count || 0) + (p.works_count === 1 ? " work" : " works");
        sub.textContent = (p.current_affiliation ? p.current_affiliation + " · " : "") + works;
        li.appendChild(name);
        li.appendChild(sub);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep focus in the box
        li.addEventListener("click", function () { window.location.assign(profileUrl(p.id)); });
        list.appendChild(li);
      });
      active = -1;
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        input.removeAttribute("aria-activedescendant");
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) return;
      lastQuery = q;
      if (q.length < MIN_CHARS) { render([]); return; }
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = endpoint + "?size=" + SIZE + "&q=" + encodeURIComponent(q.slice(0, 100));
      fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === q) render(data.results || []); })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (e) {
      var open = !list.hidden && items.length > 0;
      switch (e.key) {
        case "ArrowDown":
          e.preventDefault();
          if (!open) { lastQuery = null; fetchSuggestions(); return; }
          highlight(active + 1 >= items.length ? 0 : active + 1);
          break;
        case "ArrowUp":
          if (!open) return;
          e.preventDefault();
          highlight(active <= 0 ? items.length - 1 : active - 1);
          break;
        case "Home":
        case "End":
          if (!open || active < 0) return;
          e.preventDefault();
          highlight(e.key === "Home" ? 0 : items.length - 1);
          break;
        case "Enter":
          if (open && active >= 0) {
            e.preventDefault();
            window.location.assign(profileUrl(items[active].id));
          }
          break;
        case "Escape":
          if (open) { e.preventDefault(); close(); }
          else if (input.value) { e.preventDefault(); input.value = ""; lastQuery = null; }
          break;
        case "Tab":
          close();
          break;
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("focus", function () { if (items.length && input.value.trim() === lastQuery) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } });
  }

  function init() { document.querySelectorAll("[data-typeahead]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
