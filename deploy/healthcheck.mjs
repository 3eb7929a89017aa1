// Container health check: `node deploy/healthcheck.mjs [/health | /ready]` exits 0 when the
// server on PORT answers the path with a 2xx, 1 otherwise. The slim image has no curl.
const path = process.argv[2] ?? '/health';
const port = process.env.PORT || '4000';
const timeout = AbortSignal.timeout(3_000);
fetch(`http://127.0.0.1:${port}${path}`, { signal: timeout }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
