// calcvision batch report: sort and filter the results table; no network, no libraries.
(function () {
  "use strict";
  var table = document.getElementById("results");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var pattern = document.getElementById("filter-pattern");
  var status = document.getElementById("filter-status");
  var shown = document.getElementById("shown-count");

  function applyFilter() {
    var q = text.value.toLowerCase(), p = pattern.value, s = status.value, n = 0;
    rows.forEach(function (tr) {
      var ok = (!q || tr.textContent.toLowerCase().indexOf(q) >= 0) &&
               (!p || tr.getAttribute("data-pattern") === p) &&
               (!s || tr.getAttribute("data-status") === s);
      tr.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }

  function sortBy(th, col) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute("data-value"), y = b.cells[col].getAttribute("data-value");
      var nx = parseFloat(x), ny = parseFloat(y), r;
      if (!isNaN(nx) && !isNaN(ny)) { r = nx - ny; } else { r = String(x).localeCompare(String(y)); }
      return asc ? r : -r;
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener("click", function () { sortBy(th, col); });
  });
  [text, pattern, status].forEach(function (el) { el.addEventListener("input", applyFilter); });
  applyFilter();
  document.body.setAttribute("data-ready", "1");
}());
