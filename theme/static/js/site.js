// Site-wide behaviour, all progressive enhancement (the pages work without it):
// "/" focuses the search box; copy buttons for references; sortable tables;
// the printed page shows its own address.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("site-search-q");
    if (box) { event.preventDefault(); box.focus(); }
  });

  // Copy a reference: the Clipboard API where allowed, else select the text for Ctrl+C.
  function copied(button) {
    button.setAttribute("data-copied", "");
    button.textContent = "Copied";
    setTimeout(function () { button.removeAttribute("data-copied"); button.textContent = "Copy"; }, 2000);
  }
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".copy-button[data-copy-text]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy-text");
      var source = button.parentNode.querySelector("p");
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { copied(button); }, function () { selectText(source); });
      } else {
        selectText(source);
      }
    });
  });

  // Sortable tables: each column heading becomes a button; aria-sort tells the current order.
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
    if (type === "number") return parseFloat(raw) || 0;
    return raw.toLocaleLowerCase();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var type = th.getAttribute("data-type") || "text";
        var current = th.getAttribute("aria-sort");
        var order = current === "ascending" ? "descending" : current === "descending" ? "ascending"
          : (type === "text" ? "ascending" : "descending");
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", order);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var sign = order === "ascending" ? 1 : -1;
        rows.sort(function (a, b) {
          var x = cellValue(a, index, type), y = cellValue(b, index, type);
          return x < y ? -sign : x > y ? sign : 0;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // Printed articles carry the address they were printed from.
  Array.prototype.forEach.call(document.querySelectorAll("[data-page-url]"), function (node) {
    if (!/^https?:/.test(node.textContent)) node.textContent = window.location.href.split("#")[0];
  });
})();
