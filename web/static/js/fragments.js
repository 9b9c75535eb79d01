/* Lazy sections: an element with data-fragment-src is replaced by the server-rendered HTML
 * at that URL once the page has loaded. The element keeps its link if anything fails, so
 * the page reads the same without JavaScript. */
(function () {
  "use strict";

  function load(el) {
    var src = el.getAttribute("data-fragment-src");
    el.setAttribute("aria-busy", "true");
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Loading…";
    el.insertBefore(note, el.firstChild);
    fetch(src, { headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        el.textContent = "";
        Array.prototype.forEach.call(doc.body.childNodes, function (n) {
          el.appendChild(document.importNode(n, true));
        });
        el.setAttribute("data-loaded", "true");
      })
      .catch(function () { if (note.parentNode) note.remove(); })
      .then(function () { el.removeAttribute("aria-busy"); });
  }

  function init() { document.querySelectorAll("[data-fragment-src]").forEach(load); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
