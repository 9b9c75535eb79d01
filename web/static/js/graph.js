/* Research-graph views drawn with cytoscape (vendored by scripts/build-assets).
 * An element with data-graph-src gets the slice at that URL (JSON from /api/graph/...);
 * a click (or tap) on a node selects it and merges its own slice (its `expand` URL), so the
 * graph grows where the reader looks. The selected node is described, with a link to its
 * page, in [data-graph-panel] or in a line under the graph. Lists of the same neighbours are
 * rendered by the server for readers without JavaScript. */
(function () {
  "use strict";
  var COLORS = { researcher: "#0b5cad", work: "#c2410c", topic: "#177245", institution: "#6b3fa0" };
  var SHAPES = { researcher: "ellipse", work: "round-rectangle", topic: "diamond", institution: "hexagon" };
  var KIND_NAMES = { researcher: "Researcher", work: "Paper", topic: "Topic", institution: "Institution" };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function short(text, n) { text = text || ""; return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  function toElements(data) {
    var els = [];
    (data.nodes || []).forEach(function (n) {
      els.push({ group: "nodes", data: { id: n.id, kind: n.kind, label: short(n.label, n.kind === "work" ? 26 : 34), full: n.label,
                                         url: n.url, expand: n.expand, year: n.year } });
    });
    (data.edges || []).forEach(function (e) {
      els.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, kind: e.kind,
                                         weight: e.weight || 1 } });
    });
    return els;
  }

  function style() {
    return [
      { selector: "node", style: {
        "background-color": function (n) { return COLORS[n.data("kind")] || "#555"; },
        "shape": function (n) { return SHAPES[n.data("kind")] || "ellipse"; },
        "label": "data(label)", "font-size": 11, "min-zoomed-font-size": 6, "color": "#1b1f24", "text-wrap": "wrap",
        "text-max-width": 120, "text-valign": "bottom", "text-margin-y": 4,
        "text-background-color": "#ffffff", "text-background-opacity": 0.8, "text-background-padding": 1,
        "width": 18, "height": 18, "border-width": 0 } },
      // where labels of two rings meet, people's names stay readable above topics and places
      { selector: "node[kind = 'researcher']", style: { "z-index": 5 } },
      { selector: "node[kind = 'topic'], node[kind = 'institution']", style: { "text-max-width": 96, "z-index": 1 } },
      // paper titles are long: shown for the centre, the selected, hovered or opened paper only
      { selector: "node[kind = 'work']", style: { "width": 14, "height": 14, "label": "" } },
      { selector: "node[kind = 'work'].center, node[kind = 'work'].expanded, node[kind = 'work'].hover, node[kind = 'work']:selected",
        style: { "label": "data(label)", "z-index": 10 } },
      { selector: "node.center", style: { "width": 30, "height": 30, "font-size": 12, "font-weight": "bold" } },
      { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1b1f24" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f59e0b" } },
      { selector: "edge", style: { "width": function (e) { return Math.min(1 + (e.data("weight") || 1), 5); },
        "line-color": "#b8c0c8", "curve-style": "haystack", "opacity": 0.8 } },
      { selector: "edge[kind = 'similar']", style: { "line-style": "dashed", "line-color": "#e0a07a" } }
    ];
  }

  var RING = { work: 7, researcher: 5, topic: 3, institution: 3 };
  // labels are up to 120 px wide, centred under their node: room for half of one at the edges
  var LABEL_ROOM = 64;

  // First view: the centre node in the middle, its papers, people, then topics and
  // institutions on rings around it (readable, with no overlapping nodes).
  function ringLayout(cy, centerId) {
    cy.layout({ name: "concentric", animate: false, fit: true, padding: LABEL_ROOM, avoidOverlap: true,
                minNodeSpacing: 24, spacingFactor: 1,
                concentric: function (n) { return n.id() === centerId ? 10 : RING[n.data("kind")] || 1; },
                levelWidth: function () { return 1; } }).run();
  }

  // After an expansion the opened node becomes the middle: everything else sits on rings by
  // its distance from that node (papers before people on the same ring), animated into place.
  function refocus(cy, node) {
    var dist = cy.elements().dijkstra({ root: node });
    cy.layout({ name: "concentric", animate: !reduceMotion, animationDuration: 350, fit: true,
                padding: LABEL_ROOM, avoidOverlap: true, minNodeSpacing: 24,
                concentric: function (n) {
                  var d = dist.distanceTo(n);
                  return isFinite(d) ? 100 - 10 * d + (RING[n.data("kind")] || 0) / 10 : 0;
                },
                levelWidth: function () { return 1; } }).run();
  }

  function describe(panel, node, busy) {
    if (!panel) return;
    panel.textContent = "";
    var p = document.createElement("p");
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = KIND_NAMES[node.data("kind")] || node.data("kind");
    var a = document.createElement("a");
    a.href = node.data("url");
    a.textContent = node.data("full");
    p.appendChild(kind);
    p.appendChild(document.createTextNode(" "));
    p.appendChild(a);
    if (node.data("year")) p.appendChild(document.createTextNode(" (" + node.data("year") + ")"));
    panel.appendChild(p);
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = busy ? "Adding its neighbours…" :
      node.connectedEdges().length + " connections shown. Click another node to grow the graph.";
    panel.appendChild(note);
  }

  function setup(el) {
    if (typeof window.cytoscape !== "function") return; // the fallback text stays
    var src = el.getAttribute("data-graph-src");
    var center = el.getAttribute("data-graph-center");
    var panel = document.querySelector("[data-graph-panel]");
    if (!panel || !el.hasAttribute("data-graph-explorer")) {
      panel = document.createElement("div");
      panel.className = "graph-selected";
      panel.setAttribute("aria-live", "polite");
      el.parentNode.insertBefore(panel, el.nextSibling);
    }
    fetch(src, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        el.textContent = "";
        el.setAttribute("role", "img");
        el.setAttribute("aria-label", "Research graph around " +
          ((data.nodes || []).filter(function (n) { return n.id === data.center; })[0] || {}).label +
          ". The same neighbours are listed as links on the explorer page.");
        var cy = window.cytoscape({ container: el, elements: toElements(data), style: style(),
                                    minZoom: 0.2, maxZoom: 3 });
        el.cy = cy;
        var centerId = center || data.center;
        cy.getElementById(centerId).addClass("center expanded");
        ringLayout(cy, centerId);
        var expanding = {};

        function expand(node) {
          var url = node.data("expand");
          if (!url || node.hasClass("expanded") || expanding[node.id()]) return;
          expanding[node.id()] = true;
          describe(panel, node, true);
          fetch(url, { headers: { Accept: "application/json" } })
            .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
            .then(function (more) {
              var fresh = toElements(more).filter(function (e) { return cy.getElementById(e.data.id).empty(); });
              var added = cy.add(fresh.filter(function (e) { return e.group === "nodes"; }));
              cy.add(fresh.filter(function (e) { return e.group === "edges" &&
                !cy.getElementById(e.data.source).empty() && !cy.getElementById(e.data.target).empty(); }));
              if (added.length) refocus(cy, node);
              node.addClass("expanded");
              el.setAttribute("data-graph-nodes", String(cy.nodes().length));
              describe(panel, node, false);
            })
            .catch(function () { describe(panel, node, false); })
            .then(function () { delete expanding[node.id()]; });
        }

        cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); });
        cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); });
        cy.on("tap", "node", function (evt) {
          var node = evt.target;
          cy.nodes().unselect();
          node.select();
          describe(panel, node, false);
          expand(node);
        });
        el.setAttribute("data-graph-nodes", String(cy.nodes().length));
        el.setAttribute("data-graph-ready", "true");
      })
      .catch(function () {
        var p = el.querySelector(".graph-fallback");
        if (p) p.textContent = "The graph could not be loaded right now.";
      });
  }

  function init() { document.querySelectorAll("[data-graph-src]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
