// docs.js — Swagger UI over this server's own API document. The page is
// /docs, so "openapi.yaml" is /openapi.yaml of the same origin, and the
// document's server ("/") sends "Try it out" to this server too. A token
// given to "Authorize" lives in the page only (not in localStorage), and
// nothing is fetched from elsewhere (no validator badge).
window.ui = SwaggerUIBundle({
  url: new URL('openapi.yaml', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
  displayOperationId: true,
});
