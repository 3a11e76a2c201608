// Every htmx request carries the page's CSRF token (the base layout's <meta name="csrf-token">).
(function () {
  "use strict";
  document.body.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
})();
