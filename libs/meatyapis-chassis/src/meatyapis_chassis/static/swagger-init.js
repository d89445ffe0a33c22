// Starts Swagger UI on #swagger-ui. Kept out of the page so that a CSP without inline scripts
// holds; the page says where the OpenAPI document is (data-openapi-url).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // no call to the public validator: nothing leaves the service
  });
})();
