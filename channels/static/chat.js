/* madoguchi web chat: plain JS, no dependencies. */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var banner = document.getElementById("handoff-banner");
  var sizeButton = document.getElementById("text-size");
  var staffButton = document.getElementById("talk-to-staff");
  var city = root.getAttribute("data-city") || "";
  var maxChars = parseInt(root.getAttribute("data-max-chars"), 10) || 1000;
  var topics = [];
  try { topics = JSON.parse(root.getAttribute("data-topics") || "[]"); } catch (e) { topics = []; }

  var SESSION_KEY = "madoguchi.session";
  var session = null;
  var busy = false;
  var events = null;
  var URL_RE = /(https?:\/\/[^\s<>"'「」『』（）()、。]+)/g;

  var WHO = { bot: "AI案内", user: "あなた", staff: "職員" };
  var embedded = /[?&]embed=1/.test(location.search) && window.parent !== window;
  if (embedded) {
    document.documentElement.classList.add("embedded");
    // Esc inside the panel closes it (the page that embeds us listens; see embed.js).
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ madoguchi: "close" }, "*");
    });
  }

  function storageGet(store, key) { try { return window[store].getItem(key); } catch (e) { return null; } }
  function storageSet(store, key, value) { try { window[store].setItem(key, value); } catch (e) { /* private mode */ } }

  /* Text with links: built from text nodes, never innerHTML. */
  function fillText(element, text) {
    var last = 0;
    text.replace(URL_RE, function (url, _g, offset) {
      if (offset > last) element.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      element.appendChild(link);
      last = offset + url.length;
      return url;
    });
    if (last < text.length) element.appendChild(document.createTextNode(text.slice(last)));
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    if (window.requestAnimationFrame) window.requestAnimationFrame(function () { log.scrollTop = log.scrollHeight; });
  }

  function addMessage(role, text, buttons, note) {
    var item = document.createElement("div");
    item.className = "msg msg-" + role;
    var who = document.createElement("p");
    who.className = "who";
    who.textContent = WHO[role] || "";
    if (role === "user") who.className += " visually-hidden";
    item.appendChild(who);
    if (text) {
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      fillText(bubble, text);
      item.appendChild(bubble);
    }
    if (buttons && buttons.length) item.appendChild(buttonGroup(buttons, text));
    if (note) {
      var small = document.createElement("p");
      small.className = "note";
      small.textContent = note;
      item.appendChild(small);
    }
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function buttonGroup(buttons, label) {
    var group = document.createElement("div");
    var yesno = buttons.every(function (b) { return b.payload === "/affirm" || b.payload === "/deny"; });
    group.className = "choices" + (yesno ? " yesno" : "");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", label ? label.slice(0, 60) : "選択肢");
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = b.title;
      if (b.hint) {
        var hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = b.hint;
        button.appendChild(hint);
      }
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (busy) return;
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) { other.disabled = true; });
        button.setAttribute("aria-pressed", "true");
        send(b.payload, b.title);
      });
      group.appendChild(button);
    });
    return group;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    statusLine.textContent = value ? "回答を準備しています…" : "";
  }

  function showHandoff(on, kind) {
    if (kind === "after_hours") banner.textContent = "ただいま受付時間外です。お送りいただいた内容は、職員が確認してからご連絡します。";
    else if (kind === "handoff") banner.textContent = "職員対応中です。職員からの返信をこの画面でお待ちください。";
    banner.hidden = !on;
  }

  function request(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin"
    });
  }

  function ensureSession() {
    if (session) return Promise.resolve(session);
    var saved = storageGet("sessionStorage", SESSION_KEY);
    if (saved && /^[0-9a-f]{32}$/.test(saved)) {
      session = saved;
      listen();
      return Promise.resolve(session);
    }
    return request("api/session").then(function (response) {
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    }).then(function (data) {
      session = data.session;
      storageSet("sessionStorage", SESSION_KEY, session);
      listen();
      return session;
    });
  }

  function listen() {
    if (events || !window.EventSource || !session) return;
    events = new EventSource("api/events?session=" + encodeURIComponent(session));
    events.addEventListener("staff", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      showHandoff(true);
      addMessage("staff", data.text || "");
    });
  }

  function send(text, shown) {
    text = (text || "").trim();
    if (!text || busy) return;
    if (text.length > maxChars) {
      statusLine.textContent = "メッセージが長すぎます。" + maxChars + "文字以内でお送りください。";
      return;
    }
    var mine = addMessage("user", shown || text);
    setBusy(true);
    ensureSession().then(function () {
      return request("api/message", { session: session, text: text });
    }).then(function (response) {
      if (response.status === 413) return { messages: [{ role: "bot", text: "メッセージが長すぎます。短くまとめて、もう一度お送りください。" }] };
      if (!response.ok) throw new Error("message " + response.status);
      return response.json();
    }).then(function (data) {
      var messages = data.messages || [];
      messages.forEach(function (m) { addMessage(m.role || "bot", m.text || "", m.buttons || []); });
      if (data.handoff) showHandoff(true, data.kind);
      if (data.kind === "empty" && !messages.length) {
        var note = document.createElement("p");
        note.className = "note";
        note.textContent = "職員にお送りしました";
        mine.appendChild(note);
      }
    }).catch(function () {
      addMessage("bot", "申し訳ありません。通信できませんでした。インターネットへの接続を確かめて、もう一度お試しください。");
    }).then(function () {
      setBusy(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { statusLine.textContent = "ご質問を入力してください。"; input.focus(); return; }
    input.value = "";
    autosize();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; never while the IME is converting Japanese.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 160) + "px";
  }
  input.addEventListener("input", autosize);

  function applySize(large) {
    document.documentElement.classList.toggle("large", large);
    sizeButton.setAttribute("aria-pressed", large ? "true" : "false");
    sizeButton.textContent = large ? "文字を標準に" : "文字を大きく";
  }
  sizeButton.addEventListener("click", function () {
    var large = !document.documentElement.classList.contains("large");
    applySize(large);
    storageSet("localStorage", "madoguchi.large", large ? "1" : "0");
  });
  applySize(storageGet("localStorage", "madoguchi.large") === "1");

  staffButton.addEventListener("click", function () { send("/request_human", "職員と話したい"); });

  addMessage(
    "bot",
    "こんにちは。" + city + "のAI案内窓口です。ごみの出し方や各種手続きなど、市役所へのご質問をどうぞ。",
    topics.slice(0, 6).map(function (t) { return { title: t, payload: t }; })
  );
})();
