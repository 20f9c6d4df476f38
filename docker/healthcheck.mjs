// The image's health check: GET /healthz on the configured HTTP port (HTTPS when a certificate
// is configured; the local call does not verify it, as the name may not be 127.0.0.1).
import { get as getHttp } from "node:http";
import { get as getHttps } from "node:https";

const port = process.env.UNS_HTTP_PORT || "8080";
const tls = Boolean(process.env.UNS_TLS_CERT_FILE);
const get = tls ? getHttps : getHttp;
const req = get(
  `${tls ? "https" : "http"}://127.0.0.1:${port}/healthz`,
  { rejectUnauthorized: false, timeout: 4000 },
  (res) => process.exit(res.statusCode === 200 ? 0 : 1),
);
req.on("error", () => process.exit(1));
req.on("timeout", () => process.exit(1));
