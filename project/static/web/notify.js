/* The header's unread-notification badge, live, on every page: a subscriber
   of the page's one socket (live.js). A notification for the user bumps the
   count; each (re)connection's greeting sets it to the server's count, so a
   page that was offline or in the background shows the right number again. */
(function () {
  "use strict";
  var bell = document.querySelector(".site-header .bell");
  if (!bell || !window.webLive) { return; }
  window.webLive.on("state", function (state) { bell.setAttribute("data-live", state === "open" ? "open" : "closed"); });
  window.webLive.on("hello", function (message) {
    if (typeof message.unread === "number") { window.webApp.setNotificationBadge(message.unread); }
  });
  window.webLive.on("notification", function () { window.webApp.bumpNotificationBadge(); });
}());
