/* One websocket per page for everything live (the header's notification badge,
   the reviewer queue), with one reconnect policy. Plain JS, no library.

   Scripts subscribe while the page loads (they are deferred and run before
   DOMContentLoaded, when this module connects):
     webLive.subscribe("queue")          a server topic (joins the queue groups)
     webLive.on("queue", fn)             a message type: "hello", "queue", "notification", "pong"
     webLive.on("state", fn)             "connecting", "open", "reconnecting", "paused", "offline", "closed"
     webLive.on("open", fn)              fn({reconnected: true|false}); after a reconnect, re-read what may
                                         have been missed
   The socket is /ws/live/?topics=<sorted topics> (project/web/consumers.py).

   Reconnecting: exponential back-off from 1 s, doubled per failed attempt up
   to a cap of 30 s, with jitter (a delay is half fixed, half random, so that
   a restarted server is not hit by every page at once). A page in the
   background or a browser offline does not retry at all; it resumes at once
   (back-off reset) when the page becomes visible again or the network comes
   back. A ping every 25 s keeps proxies from closing the idle socket; a
   socket that has heard nothing for 60 s is taken as dead and replaced. A
   refusal for a signed-out user (4401) is not retried. */
(function () {
  "use strict";
  var PATH = "/ws/live/";
  var POLICY = { base: 1000, cap: 30000, ping: 25000, silence: 60000 };
  var CLOSE_UNAUTHENTICATED = 4401;

  var topics = {};
  var listeners = {};
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var pingTimer = null;
  var lastHeard = 0;
  var started = false;
  var everOpen = false;
  var state = "idle";
  var connects = 0;

  function delayFor(attempt) {
    var ceiling = Math.min(POLICY.cap, POLICY.base * Math.pow(2, attempt));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }

  function emit(type, payload) {
    (listeners[type] || []).slice().forEach(function (fn) {
      try { fn(payload); } catch (e) { window.setTimeout(function () { throw e; }, 0); }
    });
  }

  function setState(next) {
    if (state === next) { return; }
    state = next;
    emit("state", next);
  }

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var names = Object.keys(topics).sort();
    return scheme + window.location.host + PATH + (names.length ? "?topics=" + encodeURIComponent(names.join(",")) : "");
  }

  function isLive(ws) {
    return ws && (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN);
  }

  function stopTimers() {
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    if (pingTimer) { window.clearInterval(pingTimer); pingTimer = null; }
  }

  function connect() {
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    if (isLive(socket)) { return; }
    if (navigator.onLine === false) { setState("offline"); return; }
    setState(everOpen ? "reconnecting" : "connecting");
    var ws;
    try {
      ws = new WebSocket(url());
    } catch (e) {
      retry();
      return;
    }
    socket = ws;
    connects += 1;
    ws.onopen = function () {
      if (socket !== ws) { return; }
      var reconnected = everOpen;
      attempts = 0;
      everOpen = true;
      lastHeard = Date.now();
      setState("open");
      emit("open", { reconnected: reconnected });
      pingTimer = window.setInterval(function () {
        if (socket !== ws || ws.readyState !== WebSocket.OPEN) { return; }
        if (Date.now() - lastHeard > POLICY.silence) { ws.close(4000, "silent"); return; }
        ws.send(JSON.stringify({ type: "ping" }));
      }, POLICY.ping);
    };
    ws.onmessage = function (event) {
      if (socket !== ws) { return; }
      lastHeard = Date.now();
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && typeof message.type === "string") { emit(message.type, message); }
    };
    ws.onclose = function (event) {
      if (socket !== ws) { return; }
      socket = null;
      stopTimers();
      if (event.code === CLOSE_UNAUTHENTICATED) { setState("closed"); return; }
      retry();
    };
  }

  function retry() {
    if (document.visibilityState === "hidden") { setState("paused"); return; }
    if (navigator.onLine === false) { setState("offline"); return; }
    setState("reconnecting");
    var delay = delayFor(attempts);
    attempts += 1;
    retryTimer = window.setTimeout(connect, delay);
  }

  function resume() {
    if (!started || state === "closed" || isLive(socket)) { return; }
    attempts = 0;
    connect();
  }

  function reopen() {
    // The topics changed after the socket opened: replace it at once with one that has them all.
    if (!started) { return; }
    var old = socket;
    socket = null;
    stopTimers();
    if (old && isLive(old)) { old.close(1000, "topics"); }
    attempts = 0;
    connect();
  }

  function start() {
    if (started || !window.WebSocket) { return; }
    started = true;
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { resume(); }
    });
    window.addEventListener("online", resume);
    window.addEventListener("offline", function () { if (!isLive(socket)) { stopTimers(); setState("offline"); } });
    connect();
  }

  window.webLive = {
    subscribe: function (topic) {
      if (topics[topic]) { return; }
      topics[topic] = true;
      if (started) { reopen(); }
    },
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    state: function () { return state; },
    connects: function () { return connects; },
    delayFor: delayFor,
    policy: POLICY
  };

  if (!document.body || !document.body.hasAttribute("data-live")) { return; }  // signed-out pages have no socket
  if (document.readyState === "complete") {
    window.setTimeout(start, 0);
  } else {
    // The deferred scripts that subscribe have all run when DOMContentLoaded fires (load: a fallback).
    document.addEventListener("DOMContentLoaded", start);
    window.addEventListener("load", start);
  }
}());
