/* Behaviour shared by every page. No inline handlers anywhere: pages mark
   elements with data attributes and this file binds them. */
(function () {
  "use strict";
  // <button data-print> prints the page (e.g. the 附件3 filing form).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
