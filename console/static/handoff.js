// 有人対応: the queue refreshes itself; the ticket page shows new messages live (server-sent
// events) and sends replies without reloading.
(function () {
  "use strict";

  // ---- the queue -------------------------------------------------------------------------
  var rows = document.getElementById("queue-rows");
  if (rows && rows.getAttribute("data-refresh")) {
    var counts = document.getElementById("queue-counts");
    setInterval(function () {
      window.staff.fetch(rows.getAttribute("data-refresh")).then(function (response) {
        if (!response.ok) return null;
        return response.json();
      }).then(function (data) {
        if (!data) return;
        rows.innerHTML = data.rows;
        if (counts) counts.textContent = "未対応 " + data.counts.open + " 件・対応中 " + data.counts.taken + " 件";
      }).catch(function () {});
    }, 10000);
  }

  // ---- a ticket ----------------------------------------------------------------------------
  var chat = document.getElementById("chat");
  if (!chat) return;
  var form = document.getElementById("reply-form");
  var box = document.getElementById("reply-text");
  var error = document.getElementById("reply-error");
  var statusBadge = document.getElementById("ticket-status");

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function append(message) {
    if (!message || chat.querySelector('[data-id="' + message.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "chat-line from-" + message.role + " fresh";
    li.setAttribute("data-id", message.id);
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.who + (message.author && message.role !== "resident" ? "（" + message.author + "）" : "");
    var bubble = document.createElement("span");
    bubble.className = "bubble";
    bubble.textContent = message.text;
    var at = document.createElement("span");
    at.className = "at";
    at.textContent = message.at + (message.role === "staff" && message.delivered === false ? " 未送達" : "");
    li.appendChild(who); li.appendChild(bubble); li.appendChild(at);
    chat.appendChild(li);
    scrollDown();
  }

  scrollDown();
  if (chat.getAttribute("data-live") === "1" && window.EventSource) {
    var source = new EventSource(chat.getAttribute("data-events"));
    source.addEventListener("message", function (event) { append(JSON.parse(event.data)); });
    source.addEventListener("status", function (event) {
      var data = JSON.parse(event.data);
      if (statusBadge) {
        statusBadge.textContent = data.label + (data.status === "taken" && data.taken_by ? "（" + data.taken_by + "）" : "");
        statusBadge.className = "badge " + (data.status === "open" ? "badge-warn" : data.status === "taken" ? "badge-ok" : "badge-muted");
      }
      if (data.status === "closed") {
        source.close();
        if (form) {
          form.querySelectorAll("textarea, button").forEach(function (el) { el.disabled = true; });
          if (error) error.textContent = "この受付は対応が終了しました";
        }
      }
    });
  }

  if (form && box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = box.value.trim();
      if (!text) return;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      if (error) error.textContent = "";
      window.staff.fetch(form.getAttribute("data-api"), { method: "POST", json: { text: text } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.message) append(data.message);
          if (data.ok) { box.value = ""; }
          else if (error) { error.textContent = data.error || data.message || "送信できませんでした"; }
        })
        .catch(function () { if (error) error.textContent = "送信できませんでした。接続を確認してください"; })
        .then(function () { button.disabled = false; box.focus(); });
    });
  }
})();
