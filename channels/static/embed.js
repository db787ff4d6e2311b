/* One tag on the city's page: <script src="https://GATEWAY/web/embed.js" defer></script>
   adds a 「AIに質問する」 button that opens the chat in a panel (an iframe of /web/). */
(function () {
  "use strict";
  if (window.__madoguchiEmbed) return;
  window.__madoguchiEmbed = true;
  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href).href;
  var title = "{{CITY}} AI案内窓口";

  function style(element, rules) { for (var key in rules) element.style[key] = rules[key]; }

  var open = document.createElement("button");
  open.type = "button";
  open.textContent = "AIに質問する";
  open.setAttribute("aria-expanded", "false");
  open.setAttribute("aria-controls", "madoguchi-panel");
  style(open, {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000", padding: "12px 18px",
    borderRadius: "999px", border: "none", background: "#0b5cad", color: "#fff", fontSize: "16px",
    fontWeight: "700", boxShadow: "0 2px 8px rgba(0,0,0,.3)", cursor: "pointer"
  });

  var panel = document.createElement("div");
  panel.id = "madoguchi-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.hidden = true;
  var small = window.matchMedia && window.matchMedia("(max-width: 480px)").matches;
  style(panel, small ? {
    position: "fixed", inset: "0", zIndex: "2147483001", background: "#fff"
  } : {
    position: "fixed", right: "16px", bottom: "16px", width: "380px", height: "600px", maxHeight: "calc(100vh - 32px)",
    zIndex: "2147483001", background: "#fff", borderRadius: "12px", overflow: "hidden",
    boxShadow: "0 4px 24px rgba(0,0,0,.35)"
  });

  var close = document.createElement("button");
  close.type = "button";
  close.textContent = "閉じる";
  close.setAttribute("aria-label", "チャットを閉じる");
  style(close, {
    position: "absolute", top: "8px", right: "8px", zIndex: "1", padding: "4px 10px", borderRadius: "999px",
    border: "2px solid #fff", background: "#084684", color: "#fff", fontSize: "14px", cursor: "pointer"
  });

  var frame = document.createElement("iframe");
  frame.title = title;
  frame.src = base + "?embed=1";
  style(frame, { width: "100%", height: "100%", border: "0", display: "block" });

  panel.appendChild(frame);
  panel.appendChild(close);

  function show(on) {
    panel.hidden = !on;
    open.hidden = on;
    open.setAttribute("aria-expanded", on ? "true" : "false");
    if (on) frame.focus(); else open.focus();
  }
  open.addEventListener("click", function () { show(true); });
  close.addEventListener("click", function () { show(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) show(false);
  });
  window.addEventListener("message", function (event) {
    if (event.source === frame.contentWindow && event.data && event.data.madoguchi === "close") show(false);
  });

  function mount() { document.body.appendChild(open); document.body.appendChild(panel); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
