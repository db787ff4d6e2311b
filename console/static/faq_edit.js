// FAQ edit form: refreshes the LINE / web / phone previews as the answer fields change.
(function () {
  "use strict";
  var form = document.getElementById("faq-form");
  if (!form || !window.staff) return;
  var timer = null;
  var counter = document.getElementById("short-count");

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  function bubbles(container, texts, bubbleClass, buttonsClass) {
    container.textContent = "";
    texts.forEach(function (text) {
      var div = document.createElement("div");
      div.className = bubbleClass;
      div.textContent = text;
      container.appendChild(div);
    });
    if (texts.length) {
      var buttons = document.createElement("div");
      buttons.className = buttonsClass;
      ["はい", "いいえ"].forEach(function (label) {
        var span = document.createElement("span");
        span.textContent = label;
        buttons.appendChild(span);
      });
      container.appendChild(buttons);
    }
  }

  function show(p) {
    bubbles(document.getElementById("preview-line"), p.line, "line-bubble", "line-quick");
    bubbles(document.getElementById("preview-web"), p.web, "web-bubble", "web-buttons");
    document.getElementById("preview-phone").textContent = p.phone;
    var source = p.phone_source === "short_answer" ? "短い回答 " + p.short_length + " 文字" : "短い回答なし（回答から）";
    document.getElementById("preview-phone-meta").textContent =
      source + "・読み上げ " + p.spoken_length + " 文字（上限 " + p.spoken_limit + "）・約 " + p.phone_seconds + " 秒";
    var warning = document.getElementById("preview-phone-warning");
    warning.textContent = p.phone_warning;
    warning.hidden = !p.phone_warning;
  }

  function countShort() {
    if (counter) counter.textContent = "（" + value("short_answer").trim().length + " 文字）";
  }

  function refresh() {
    window.staff.fetch("/api/faq/preview", {
      method: "POST",
      json: {
        answer: value("answer"), short_answer: value("short_answer"),
        department: value("department"), phone: value("phone"), url: value("url")
      }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) { if (p) show(p); })
      .catch(function () { /* the preview is a help; saving still works */ });
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "short_answer") countShort();
    if (!event.target.hasAttribute("data-preview")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  countShort();
})();
