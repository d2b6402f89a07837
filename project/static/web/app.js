/* Behaviour shared by every page. No inline handlers anywhere: pages mark
   elements with data attributes and this file binds them. */
(function () {
  "use strict";
  // The header's unread-notification badge (notify.js keeps it live).
  function setNotificationBadge(count) {
    var bell = document.querySelector(".site-header .bell");
    if (!bell) { return; }
    var badge = bell.querySelector(".badge");
    if (count > 0 && !badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("data-unread-count", "");
      bell.appendChild(badge);
    }
    if (badge) {
      if (count > 0) { badge.textContent = String(count); } else { badge.parentNode.removeChild(badge); }
    }
    bell.setAttribute("aria-label", "通知，未读 " + count + " 条");
  }

  function bumpNotificationBadge() {
    var badge = document.querySelector(".site-header .bell .badge");
    setNotificationBadge((badge ? parseInt(badge.textContent, 10) || 0 : 0) + 1);
  }
  window.webApp = { bumpNotificationBadge: bumpNotificationBadge, setNotificationBadge: setNotificationBadge };

  // <button data-print> prints the page (e.g. the 附件3 filing form).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
