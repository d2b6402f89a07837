/* The idle session, on every signed-in page (base.html sets the data-session-*
   attributes of <body>). Plain JS, no library.

   - A few minutes before the idle session ends (SESSION_WARN_SECONDS) the page
     asks the server how long it really has left (GET /session/status/, which
     does not extend the session: other tabs may have been active) and, when
     the time is short, shows the warning 您的登录将在 X 分钟后因长时间未操作而失效
     with the button 保持登录 (POST /session/keepalive/, which does).
   - When the session has ended the page says so and keeps what is typed; the
     link 重新登录 comes back to this page, where the autosaved content is
     restored (autosave.js).
   - Browser copies of unsaved work (sessionStorage "wip:<user id>:<form>",
     written by autosave.js) of anyone but the signed-in user are dropped, as
     are those of forms saved for real since the last page (data-wip-clear),
     and all of them when signing out.
   - Forms post the current CSRF token (signing in again in another tab rotates it).

   Events on document for autosave.js: session:warning, session:ending (a few
   seconds left), session:expired, session:restored (signed in again),
   session:extended; it sends session:check when a request found the session gone. */
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.hasAttribute("data-session-guard")) { return; }
  var userId = body.getAttribute("data-user-id") || "";
  var age = parseInt(body.getAttribute("data-session-age"), 10) || 1800;
  var warn = parseInt(body.getAttribute("data-session-warn"), 10);
  if (isNaN(warn)) { warn = 180; }
  var statusUrl = body.getAttribute("data-session-status-url");
  var keepaliveUrl = body.getAttribute("data-session-keepalive-url");
  var loginUrl = body.getAttribute("data-login-url") || "/login/";
  var csrfCookieName = body.getAttribute("data-csrf-cookie") || "csrftoken";
  var PREFIX = "wip:";

  // ------------------------------------------------------------ browser copies of unsaved work
  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function dropCopies(doomed) {
    var store = storage();
    if (!store) { return; }
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (k && k.indexOf(PREFIX) === 0 && doomed(k)) { keys.push(k); }
    }
    keys.forEach(function (k) { store.removeItem(k); });
  }
  var mine = PREFIX + userId + ":";
  dropCopies(function (k) { return k.indexOf(mine) !== 0; });
  (body.getAttribute("data-wip-clear") || "").split(/\s+/).forEach(function (form) {
    if (form) { dropCopies(function (k) { return k === mine + form; }); }
  });
  document.querySelectorAll("form[data-logout-form]").forEach(function (form) {
    form.addEventListener("submit", function () { dropCopies(function () { return true; }); });
  });

  // ------------------------------------------------------------ CSRF token of posted forms
  function csrfCookie() {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + csrfCookieName + "=([^;]+)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("submit", function (event) {
    var token = csrfCookie();
    if (!token || !event.target || !event.target.querySelectorAll) { return; }
    event.target.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) { input.value = token; });
  }, true);

  if (!window.fetch || !statusUrl) { return; }

  // ------------------------------------------------------------ the warning
  var box = document.getElementById("session-warning");
  var announcer = document.querySelector("[data-session-announce]");
  var title = box && box.querySelector("[data-session-title]");
  var text = box && box.querySelector("[data-session-text]");
  var keepButton = box && box.querySelector("[data-session-keepalive]");
  var loginLink = box && box.querySelector("[data-session-login]");
  var expiresAt = Date.now() + age * 1000;
  var state = "ok";          // ok | warning | expired
  var timer = null;
  var ticker = null;
  var endingSent = false;
  var focusBefore = null;

  function emit(name) {
    var event;
    try { event = new CustomEvent(name); } catch (e) { event = document.createEvent("Event"); event.initEvent(name, false, false); }
    document.dispatchEvent(event);
  }
  function secondsLeft() { return Math.max(0, Math.round((expiresAt - Date.now()) / 1000)); }
  function remainingText(seconds) { return seconds >= 60 ? Math.ceil(seconds / 60) + " 分钟" : seconds + " 秒"; }
  function announce(message) { if (announcer) { announcer.textContent = message; } }
  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1000, ms));
  }
  function stopTicker() { if (ticker) { window.clearInterval(ticker); ticker = null; } }

  function isEditable(el) {
    if (!el) { return false; }
    var tag = (el.tagName || "").toLowerCase();
    return tag === "textarea" || tag === "select" || el.isContentEditable ||
      (tag === "input" && !/^(button|submit|checkbox|radio|reset)$/i.test(el.type || ""));
  }

  function warningText() {
    return "您的登录将在 " + remainingText(secondsLeft()) + "后因长时间未操作而失效。";
  }

  function renderWarning() {
    if (!text) { return; }
    text.textContent = "";
    text.appendChild(document.createTextNode("您的登录将在 "));
    var span = document.createElement("span");
    span.setAttribute("data-session-remaining", "");
    span.textContent = remainingText(secondsLeft());
    text.appendChild(span);
    text.appendChild(document.createTextNode("后因长时间未操作而失效。请点击“保持登录”继续工作。"));
  }

  function tick() {
    var left = secondsLeft();
    var span = text && text.querySelector("[data-session-remaining]");
    if (span) { span.textContent = remainingText(left); }
    if (left <= 5 && !endingSent) { endingSent = true; emit("session:ending"); }
    if (left <= 0) { stopTicker(); check(); }
  }

  function showWarning() {
    if (!box || state === "warning") { if (state === "warning") { tick(); } return; }
    state = "warning";
    endingSent = false;
    box.setAttribute("data-state", "warning");
    if (title) { title.textContent = "登录即将失效"; }
    renderWarning();
    if (keepButton) { keepButton.hidden = false; keepButton.disabled = false; }
    if (loginLink) { loginLink.hidden = true; }
    box.hidden = false;
    announce(warningText() + "如需继续，请选择“保持登录”。");
    stopTicker();
    ticker = window.setInterval(tick, 1000);
    // Take the focus to the button, unless the user is typing in a field.
    focusBefore = document.activeElement;
    if (keepButton && !isEditable(focusBefore)) { keepButton.focus(); }
    emit("session:warning");
  }

  function hideBox() {
    stopTicker();
    if (!box || box.hidden) { state = "ok"; return; }
    var hadFocus = box.contains(document.activeElement);
    box.hidden = true;
    box.setAttribute("data-state", "");
    state = "ok";
    if (hadFocus && focusBefore && focusBefore.focus && document.contains(focusBefore)) { focusBefore.focus(); }
  }

  function showExpired(otherUser) {
    stopTicker();
    var wasExpired = state === "expired";
    state = "expired";
    if (box) {
      box.setAttribute("data-state", "expired");
      if (title) { title.textContent = "登录已失效"; }
      if (text) {
        text.textContent = otherUser ?
          "当前浏览器已登录其他用户，本页内容不会再自动保存。本页已填写的内容仍保留在浏览器中；请以原用户重新登录。" :
          "您的登录已因长时间未操作而失效。本页已填写的内容仍保留在浏览器中；" +
          "请重新登录，登录后将回到本页并恢复自动保存的内容。";
      }
      if (keepButton) { keepButton.hidden = true; }
      if (loginLink) {
        loginLink.href = loginUrl + "?expired=1&next=" + encodeURIComponent(window.location.pathname + window.location.search);
        loginLink.hidden = false;
      }
      box.hidden = false;
    }
    if (!wasExpired) {
      announce("您的登录已因长时间未操作而失效，本页内容仍保留在浏览器中，请重新登录。");
      emit("session:expired");
    }
    schedule(30000);  // signed in again in another tab? then this page carries on
  }

  function apply(status) {
    if (!status || !status.authenticated) { showExpired(false); return; }
    if (String(status.user_id) !== userId) { showExpired(true); return; }
    var left = Math.max(0, parseInt(status.expires_in, 10) || 0);
    expiresAt = Date.now() + left * 1000;
    if (state === "expired") { hideBox(); emit("session:restored"); }
    if (left > warn) {
      hideBox();
      schedule((left - warn) * 1000);
    } else {
      showWarning();
      schedule(Math.min(left * 1000 + 1500, 15000));  // another tab may extend it meanwhile
    }
  }

  function check() {
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store",
                       headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(apply)
      .catch(function () { schedule(state === "warning" ? 5000 : 30000); });
  }

  function keepAlive() {
    if (keepButton) { keepButton.disabled = true; }
    fetch(keepaliveUrl, { method: "POST", credentials: "same-origin", cache: "no-store",
                          headers: { "Accept": "application/json", "X-Requested-With": "fetch",
                                     "X-CSRFToken": csrfCookie() } })
      .then(function (response) {
        if (response.status === 401) { return { authenticated: false }; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (status) {
        if (keepButton) { keepButton.disabled = false; }
        apply(status);
        if (state === "ok") {
          announce("已保持登录。");
          emit("session:extended");
        }
      })
      .catch(function () {
        if (keepButton) { keepButton.disabled = false; }
        check();
      });
  }

  if (keepButton) { keepButton.addEventListener("click", keepAlive); }
  document.addEventListener("session:check", check);
  document.addEventListener("visibilitychange", function () {
    // Timers sleep with the tab or the laptop: look again when the page is back.
    if (document.visibilityState === "visible" && Date.now() > expiresAt - (warn + 5) * 1000) { check(); }
  });
  schedule((age - warn) * 1000);
}());
