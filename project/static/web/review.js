/* The review page: show or hide the pre-check marks of each dimension (in the
   formatted content and in the plain text alike), and a shortcut that marks
   all five dimensions "pass". Plain JS. */
(function () {
  "use strict";
  var content = document.getElementById("content-views");
  var toggles = document.querySelectorAll("[data-dim-toggle]");
  function applyToggles() {
    var shown = {};
    toggles.forEach(function (box) { if (box.checked) { shown[box.getAttribute("data-dim-toggle")] = true; } });
    content.querySelectorAll("mark[data-dimensions]").forEach(function (mark) {
      var dims = (mark.getAttribute("data-dimensions") || "").split(" ");
      var visible = dims.some(function (d) { return shown[d]; });
      mark.classList.toggle("precheck-hidden", !visible);
    });
  }
  if (content && toggles.length) {
    toggles.forEach(function (box) { box.addEventListener("change", applyToggles); });
  }
  var allPass = document.getElementById("all-pass");
  if (allPass) {
    allPass.addEventListener("click", function () {
      document.querySelectorAll('#decision-form input[type="radio"][value="pass"]').forEach(function (radio) {
        radio.checked = true;
      });
    });
  }
}());
