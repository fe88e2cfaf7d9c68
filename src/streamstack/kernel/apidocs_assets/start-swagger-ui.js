// Starts Swagger UI on /api/docs. A file of its own, not an inline <script>, so the page
// runs under the app's self-only Content-Security-Policy; the page says where the
// OpenAPI document is in data-spec-url.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
