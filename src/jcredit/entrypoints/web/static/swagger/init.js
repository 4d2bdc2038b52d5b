// Starts Swagger UI on /api/docs from the vendored bundle (swagger-ui-dist 5.35.0, Apache-2.0):
// a file, not an inline script, so the page runs under the same CSP as every other page.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,  // never ask validator.swagger.io (no request leaves the site)
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
