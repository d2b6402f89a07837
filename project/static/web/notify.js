/* The header's unread-notification badge, live: a websocket (/ws/notifications/)
   hears the user's own notifications and bumps the count. The queue page does
   this through its own socket (queue.js). Plain JS; reconnects with backoff. */
(function () {
  "use strict";
  if (!window.WebSocket || document.getElementById("queue-table")) { return; }
  var bell = document.querySelector(".site-header .bell");
  if (!bell) { return; }
  var attempts = 0;

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket.onopen = function () { attempts = 0; bell.setAttribute("data-live", "open"); };
    socket.onmessage = function (event) {
      try { if (JSON.parse(event.data).type === "notification") { window.webApp.bumpNotificationBadge(); } } catch (e) { /* ignore */ }
    };
    socket.onclose = function () {
      bell.setAttribute("data-live", "closed");
      var delay = Math.min(60000, 1000 * Math.pow(2, attempts)) + Math.floor(Math.random() * 500);
      attempts += 1;
      window.setTimeout(connect, delay);
    };
  }
  connect();
}());
