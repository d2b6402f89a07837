/* Behaviour shared by every page. No inline handlers anywhere: pages mark
   elements with data attributes and this file binds them. */
(function () {
  "use strict";
  // The header's unread-notification badge: one more unread notification.
  // Used by the live sockets (notify.js on every page, queue.js on the queue).
  function bumpNotificationBadge() {
    var bell = document.querySelector(".site-header .bell");
    if (!bell) { return; }
    var badge = bell.querySelector(".badge");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("data-unread-count", "");
      badge.textContent = "0";
      bell.appendChild(badge);
    }
    var count = (parseInt(badge.textContent, 10) || 0) + 1;
    badge.textContent = String(count);
    bell.setAttribute("aria-label", "通知，未读 " + count + " 条");
  }
  window.webApp = { bumpNotificationBadge: bumpNotificationBadge };

  // <button data-print> prints the page (e.g. the 附件3 filing form).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
