// Headers on every answer of the hub, UI and API alike (the built UI loads only its own files: Vite emits
// index.html with external module scripts and stylesheets, no inline script; static.int.test.ts checks it).
// - Content-Security-Policy: scripts, styles, images and connections from this origin only, no plugins, no
//   <base> rewriting, and never inside a frame (frame-ancestors; X-Frame-Options for older browsers).
// - nosniff: an uploaded YAML or a JSON answer is never run as a script or stylesheet.
// - no-referrer: UI URLs name clusters and profiles; they are not sent to other sites.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;
