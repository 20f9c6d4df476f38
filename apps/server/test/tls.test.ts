/**
 * MQTT over TLS, HTTPS and MQTT over secure WebSocket with certificates this test makes with
 * openssl: a CA, a server certificate for 127.0.0.1 and a client certificate naming a user.
 * The plain MQTT port is off; a renewed certificate is picked up without a restart.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, startTestServer, type TestServer } from "./helper.js";

const pki = mkdtempSync(join(tmpdir(), "uns-pki-"));
const f = (n: string) => join(pki, n);
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "pipe" });

function makeCert(name: string, cn: string, ext: string) {
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f(`${name}.key`),
    "-subj",
    `/CN=${cn}`,
    "-out",
    f(`${name}.csr`),
  );
  writeFileSync(f(`${name}.ext`), ext);
  ssl(
    "x509",
    "-req",
    "-in",
    f(`${name}.csr`),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f(`${name}.ext`),
    "-out",
    f(`${name}.crt`),
  );
}

let t: TestServer;
beforeAll(async () => {
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-subj",
    "/CN=uns-test-ca",
    "-days",
    "2",
    "-out",
    f("ca.crt"),
  );
  makeCert("server", "uns-server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  makeCert("client", "device", "extendedKeyUsage=clientAuth\n");
  t = await startTestServer({
    "tls.certFile": f("server.crt"),
    "tls.keyFile": f("server.key"),
    "tls.caFile": f("ca.crt"),
    "mqtt.tlsPort": 0,
    "mqtt.plain": false,
  });
}, 180_000);
afterAll(async () => {
  await t?.close();
  rmSync(pki, { recursive: true, force: true });
});

const ca = () => readFileSync(f("ca.crt"));
const mqtts = (o: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(`mqtts://127.0.0.1:${t.mqttTlsPort}`, {
    ca: ca(),
    reconnectPeriod: 0,
    protocolVersion: 4,
    connectTimeout: 5000,
    ...o,
  });

function peerSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, ca: ca() }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on("error", reject);
  });
}

describe("TLS", () => {
  it("serves MQTT over TLS with a password login and with a client certificate naming the user", async () => {
    expect(t.mqttTlsPort).toBeGreaterThan(0);
    const c = await mqtts({ username: "viewer", password: PASSWORD });
    await c.endAsync();
    const byCert = await mqtts({ key: readFileSync(f("client.key")), cert: readFileSync(f("client.crt")) });
    // The certificate's CN is "device": it may publish what the device role allows.
    await byCert.publishAsync("acme/sandbox/x", "1", { qos: 1 });
    await byCert.endAsync();
    const refused = await mqtts({}).then(
      () => "connected",
      (e: { code?: number }) => `refused ${e.code}`,
    );
    expect(refused).toBe("refused 5");
  });

  it("has no plain MQTT listener when mqtt.plain is off", () => {
    expect(t.mqttUrl).toBe("mqtt://127.0.0.1:null");
  });

  it("serves the API over HTTPS with a Secure session cookie, and MQTT over WSS", async () => {
    const res = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const req = request(
        `${t.httpUrl}/api/v1/auth/login`,
        { method: "POST", ca: ca(), headers: { "content-type": "application/json" } },
        (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, cookie: String(r.headers["set-cookie"] ?? "") });
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ username: "admin", password: PASSWORD }));
    });
    expect(res.status).toBe(200);
    expect(res.cookie).toMatch(/; Secure/);
    const ws = await mqtt.connectAsync(`${t.httpUrl.replace("https", "wss")}/mqtt`, {
      ca: ca(),
      username: "viewer",
      password: PASSWORD,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    await ws.endAsync();
  });

  it("picks up a renewed certificate without a restart", async () => {
    const port = t.mqttTlsPort!;
    const before = await peerSerial(port);
    makeCert("server", "uns-server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    const deadline = Date.now() + 15_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      after = await peerSerial(port);
    }
    expect(after).not.toBe(before);
  });
});
