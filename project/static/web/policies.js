/* The review-policy form: move tier rows up and down and add rows beyond the
   blank ones. Without this script the form still works: blank rows add
   tiers, "删除" removes one, the order numbers reorder them. */
(function () {
  "use strict";
  var table = document.querySelector("[data-tier-table]");
  if (!table) { return; }
  var body = table.querySelector("[data-tier-body]");
  var template = document.querySelector("[data-tier-template]");
  var total = document.getElementById("id_tiers-TOTAL_FORMS");
  var max = document.getElementById("id_tiers-MAX_NUM_FORMS");

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("[data-tier-row]")); }

  // Number the rows that have a name 1, 2, 3 … in the order shown; blank rows keep no number.
  function renumber() {
    var n = 0;
    rows().forEach(function (row) {
      var name = row.querySelector("[data-tier-name]");
      var order = row.querySelector("[data-tier-order]");
      if (name && order) { order.value = name.value.trim() ? String(++n) : ""; }
    });
  }

  function bind(row) {
    var move = row.querySelector("[data-tier-move]");
    if (move) { move.hidden = false; }
    var up = row.querySelector("[data-tier-up]");
    var down = row.querySelector("[data-tier-down]");
    if (up) {
      up.addEventListener("click", function () {
        var prev = row.previousElementSibling;
        if (prev) { body.insertBefore(row, prev); renumber(); up.focus(); }
      });
    }
    if (down) {
      down.addEventListener("click", function () {
        var next = row.nextElementSibling;
        if (next) { body.insertBefore(next, row); renumber(); down.focus(); }
      });
    }
    var name = row.querySelector("[data-tier-name]");
    if (name) { name.addEventListener("change", renumber); }
    var del = row.querySelector("input[type=checkbox]");
    if (del) {
      del.addEventListener("change", function () { row.classList.toggle("deleted", del.checked); });
    }
  }

  rows().forEach(bind);

  if (template && total) {
    var add = document.createElement("button");
    add.type = "button";
    add.textContent = "添加一级";
    add.setAttribute("data-testid", "tier-add");
    add.addEventListener("click", function () {
      var count = parseInt(total.value, 10) || 0;
      var limit = max ? parseInt(max.value, 10) : 9;
      if (count >= limit) { add.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(count));
      var holder = document.createElement("tbody");
      holder.innerHTML = html;
      var row = holder.querySelector("[data-tier-row]");
      body.appendChild(row);
      total.value = String(count + 1);
      bind(row);
      var input = row.querySelector("[data-tier-name]");
      if (input) { input.focus(); }
      if (count + 1 >= limit) { add.disabled = true; }
    });
    var wrap = document.createElement("p");
    wrap.className = "actions";
    wrap.appendChild(add);
    table.parentNode.parentNode.insertBefore(wrap, table.parentNode.nextSibling);
  }
}());
