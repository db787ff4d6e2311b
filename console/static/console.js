// madoguchi staff console: small helpers shared by every page (no inline scripts: CSP).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var base = document.body.getAttribute("data-base") || "";

  // fetch with the session's CSRF token; url is console-relative ("/api/…") or absolute.
  function staffFetch(url, options) {
    options = options || {};
    var headers = new Headers(options.headers || {});
    headers.set("X-CSRF-Token", meta ? meta.content : "");
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    options.headers = headers;
    options.credentials = "same-origin";
    if (url.charAt(0) === "/" && url.indexOf(base + "/") !== 0) url = base + url;
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { window.location.href = base + "/login"; }
      return response;
    });
  }
  window.staff = { fetch: staffFetch, base: base, csrf: meta ? meta.content : "" };

  // <form data-confirm="…">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
