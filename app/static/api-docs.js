// Starts Swagger UI on the API docs page. A file, not an inline script, so the
// Content-Security-Policy can forbid inline script everywhere.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
