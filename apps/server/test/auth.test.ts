/**
 * HTTP login and roles against a real server: every route refuses without a login and obeys the
 * role; sessions, CSRF, Basic, API tokens; users managed through the API; audit entries; password
 * guessing slowed down and counted, over HTTP and MQTT.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, startTestServer, type TestServer } from "./helper.js";

/** One MQTT CONNECT: "connected" (then disconnected), or "refused <CONNACK code or error>". */
function mqttLogin(url: string, username: string, password: string): Promise<string> {
  return mqtt
    .connectAsync(url, { username, password, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 })
    .then(
      async (c) => {
        await c.endAsync();
        return "connected";
      },
      (err: Error & { code?: number }) => `refused ${err.code ?? err.message}`,
    );
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "auth.freeAttempts": 3, "auth.freeAttemptsPerAddress": 1000 });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const basic = (user: string, pw = PASSWORD) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(t.httpUrl + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json as Record<string, unknown> & { error?: { code: string } }, res };
}
async function login(username: string, password = PASSWORD) {
  const r = await call("POST", "/api/v1/auth/login", {}, { username, password });
  return {
    ...r,
    cookie: (r.res.headers.get("set-cookie") ?? "").split(";")[0]!,
    setCookie: r.res.headers.get("set-cookie") ?? "",
    csrf: r.body.csrfToken as string,
  };
}

describe("every route needs a login and obeys its role", () => {
  it("refuses each route in the OpenAPI document, the stream, metrics and OpenAPI itself without a login", async () => {
    const doc = await t.api<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    }>("/api/v1/openapi.json");
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(["basic", "session", "token"]);
    const open: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.body.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{[^}]+\}/g, "1");
        const r = await call(method.toUpperCase(), url, {}, method === "get" ? undefined : {});
        if (op.security?.length === 0) {
          open.push(`${method.toUpperCase()} ${path}`);
          continue;
        }
        checked++;
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.body.error?.code, `${method} ${path}`).toBe("UNS_ERR_AUTH_REQUIRED");
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The only doors open without a login.
    expect(open.sort()).toEqual([
      "GET /api/v1/auth/me",
      "GET /healthz",
      "GET /readyz",
      "POST /api/v1/auth/login",
    ]);
    expect((await call("GET", "/api/v1/auth/me")).body).toMatchObject({ username: null, api: null });
    for (const p of ["/api/v1/openapi.json", "/metrics", "/api/v1/stream"]) {
      expect((await call("GET", p)).status, p).toBe(401);
    }
  });

  it("lets read see and refuses it changes; admin changes; a user without API access cannot log in", async () => {
    const viewer = basic("viewer");
    expect((await call("GET", "/api/v1/compliance/totals", { authorization: viewer })).status).toBe(200);
    const refused = await call("POST", "/api/v1/tokens", { authorization: viewer }, { name: "x" });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("UNS_ERR_AUTH_FORBIDDEN");
    // The user list is admin-only (a route without a declared role needs admin).
    expect((await call("GET", "/api/v1/users", { authorization: viewer })).status).toBe(403);
    expect((await call("GET", "/api/v1/users", { authorization: basic("admin") })).status).toBe(200);
    const device = await login("device");
    expect(device.status).toBe(403);
    expect(device.setCookie).toBe("");
  });

  it("answers health checks without a login and reveals only yes or no; an unknown API path is a JSON 404", async () => {
    const live = await call("GET", "/healthz");
    expect(live).toMatchObject({ status: 200, body: { status: "alive" } });
    const ready = await call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: "ready",
      checks: { database: true, contracts: true, workers: true, broker: true },
    });
    const nf = await call("GET", "/api/v1/no-such-thing", { authorization: basic("viewer") });
    expect(nf.status).toBe(404);
    expect(nf.res.headers.get("content-type")).toMatch(/json/);
    expect(nf.body.error?.code).toBe("UNS_ERR_API_NOT_FOUND");
  });
});

describe("console sessions", () => {
  it("logs in with an HttpOnly SameSite=Strict cookie, needs the CSRF header to change things, logs out", async () => {
    const s = await login("admin");
    expect(s.status).toBe(200);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Strict/);
    expect(s.setCookie).toMatch(/Max-Age=\d+/);
    expect(s.body).toMatchObject({ username: "admin", api: "admin" });
    expect(JSON.stringify(s.body)).not.toContain(PASSWORD);

    const me = await call("GET", "/api/v1/auth/me", { cookie: s.cookie });
    expect(me.body).toMatchObject({ username: "admin", via: "session", csrfToken: s.csrf });

    const noCsrf = await call("POST", "/api/v1/tokens", { cookie: s.cookie }, { name: "t" });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error?.code).toBe("UNS_ERR_AUTH_CSRF");
    const wrongCsrf = await call(
      "POST",
      "/api/v1/tokens",
      { cookie: s.cookie, "x-csrf-token": "x" },
      { name: "t" },
    );
    expect(wrongCsrf.body.error?.code).toBe("UNS_ERR_AUTH_CSRF");
    const ok = await call(
      "POST",
      "/api/v1/tokens",
      { cookie: s.cookie, "x-csrf-token": s.csrf },
      { name: "t" },
    );
    expect(ok.status).toBe(201);

    const out = await call("POST", "/api/v1/auth/logout", { cookie: s.cookie, "x-csrf-token": s.csrf });
    expect(out.status).toBe(200);
    expect((await call("GET", "/api/v1/auth/me", { cookie: s.cookie })).body.username).toBeNull();
    expect((await call("GET", "/api/v1/compliance/totals", { cookie: s.cookie })).status).toBe(401);
  });

  it("refuses a wrong password with the same answer as an unknown user", async () => {
    const wrong = await login("viewer", "not-the-password");
    const unknown = await login("nobody-here", "not-the-password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });
});

describe("API tokens", () => {
  it("are shown once, work as Bearer, are stored hashed and stop working when revoked", async () => {
    const made = await t.request<{ id: number; token: string }>("POST", "/api/v1/tokens", {
      name: "nightly export",
      username: "viewer",
    });
    expect(made.status).toBe(201);
    const token = made.body.token;
    expect(token).toMatch(/^uns_/);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await call("GET", "/api/v1/compliance/totals", bearer)).status).toBe(200);
    // The token carries viewer's roles: read, not admin.
    expect((await call("GET", "/api/v1/users", bearer)).status).toBe(403);
    const list = await t.api<{ tokens: { id: number; lastUsedAt: string | null }[] }>("/api/v1/tokens");
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.tokens.find((x) => x.id === made.body.id)?.lastUsedAt).not.toBeNull();

    expect((await t.request("DELETE", `/api/v1/tokens/${made.body.id}`)).status).toBe(200);
    const after = await call("GET", "/api/v1/compliance/totals", bearer);
    expect(after.status).toBe(401);
    expect(after.body.error?.code).toBe("UNS_ERR_AUTH_FAILED");
    expect(
      (await call("GET", "/api/v1/compliance/totals", { authorization: "Bearer uns_forged" })).status,
    ).toBe(401);
  });
});

describe("users through the API", () => {
  it("adds (never replacing), changes roles, resets the password, removes; each is audited", async () => {
    const weak = await t.request("POST", "/api/v1/users", {
      username: "erin",
      roles: ["viewer"],
      password: "short",
    });
    expect(weak.status).toBe(400);
    expect((weak.body as { error: { code: string } }).error.code).toBe("UNS_ERR_USER_PASSWORD_WEAK");

    const added = await t.request<{ password: string }>("POST", "/api/v1/users", {
      username: "erin",
      roles: ["viewer"],
    });
    expect(added.status).toBe(201);
    const generated = added.body.password;
    expect(generated.length).toBeGreaterThanOrEqual(12);
    expect((await login("erin", generated)).status).toBe(200);

    const again = await t.request("POST", "/api/v1/users", {
      username: "erin",
      roles: ["admin"],
      password: "long-enough-password",
    });
    expect(again.status).toBe(409);

    const erin = await login("erin", generated);
    expect((await t.request("PUT", "/api/v1/users/erin/roles", { roles: ["admin"] })).status).toBe(200);
    // Changing roles ends the user's sessions.
    expect((await call("GET", "/api/v1/auth/me", { cookie: erin.cookie })).body.username).toBeNull();
    expect((await call("GET", "/api/v1/users", { authorization: basic("erin", generated) })).status).toBe(
      200,
    );

    expect(
      (await t.request("PUT", "/api/v1/users/erin/password", { password: "a-new-long-password" })).status,
    ).toBe(200);
    expect((await login("erin", generated)).status).toBe(401);
    expect((await login("erin", "a-new-long-password")).status).toBe(200);

    const users = await t.api<{ users: { username: string; roles: string[] }[] }>("/api/v1/users");
    expect(users.body.users.find((u) => u.username === "erin")?.roles).toEqual(["admin"]);
    expect(JSON.stringify(users.body)).not.toMatch(/scrypt|password-1/);

    expect((await t.request("DELETE", "/api/v1/users/erin")).status).toBe(200);
    expect((await login("erin", "a-new-long-password")).status).toBe(401);
    expect((await t.request("DELETE", "/api/v1/users/erin")).status).toBe(404);

    const audit = await t.api<{
      entries: { actor: string; action: string; target: string; address: string }[];
    }>("/api/v1/audit?action=user.");
    expect(audit.body.entries.map((e) => e.action)).toEqual([
      "user.remove",
      "user.password",
      "user.roles",
      "user.add",
    ]);
    expect(audit.body.entries[0]).toMatchObject({ actor: "admin", target: "erin", address: "127.0.0.1" });
    // The edits of users.yaml reloaded the topics folder: audited as file changes.
    const reloads = await t.api<{ entries: { actor: string }[] }>("/api/v1/audit?action=topics.reload");
    expect(reloads.body.entries.length).toBeGreaterThan(0);
    expect(reloads.body.entries[0]!.actor).toBe("files");
    const tokenAudit = await t.api<{ entries: { action: string }[] }>("/api/v1/audit?action=token.");
    expect(tokenAudit.body.entries.map((e) => e.action)).toContain("token.revoke");
  });

  it("refuses to remove or demote the last admin", async () => {
    const r = await t.request("DELETE", "/api/v1/users/admin");
    expect(r.status).toBe(409);
    expect((r.body as { error: { code: string } }).error.code).toBe("UNS_ERR_USER_LAST_ADMIN");
    expect((await t.request("PUT", "/api/v1/users/admin/roles", { roles: ["viewer"] })).status).toBe(409);
  });
});

describe("password guessing is slowed down and counted", () => {
  it("makes an HTTP login wait after a few failures, even with the right password, and shows the lock to admins", async () => {
    for (let i = 0; i < 3; i++) expect((await login("restricted", "guess-guess-guess")).status).toBe(401);
    const locked = await login("restricted", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error?.code).toBe("UNS_ERR_AUTH_LOCKED");
    expect(Number(locked.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const users = await t.api<{ users: { username: string; locked: boolean }[] }>("/api/v1/users");
    expect(users.body.users.find((u) => u.username === "restricted")?.locked).toBe(true);
    expect((await t.request("DELETE", "/api/v1/users/restricted/lock")).status).toBe(200);
    const metrics = await t.api<string>("/metrics");
    expect(metrics.body).toMatch(/uns_auth_failures_total\{protocol="http",reason="wrong-password"\} [1-9]/);
    expect(metrics.body).toMatch(/uns_auth_failures_total\{protocol="http",reason="locked"\} [1-9]/);
  });

  it("refuses MQTT CONNECTs for a user after a few failures, even with the right password", async () => {
    const attempt = (password: string) => mqttLogin(t.mqttUrl, "device", password);
    for (let i = 0; i < 3; i++) expect(await attempt("wrong-wrong-wrong")).toBe("refused 4");
    expect(await attempt(PASSWORD)).toBe("refused 4");
    const metrics = await t.api<string>("/metrics");
    expect(metrics.body).toMatch(/uns_auth_failures_total\{protocol="mqtt",reason="locked"\} [1-9]/);
    // After the wait (1 s for the first lock), the right password works again.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await attempt(PASSWORD)).toBe("connected");
  });

  it("refuses an MQTT login with a changed password at once, though the old one succeeded just before", async () => {
    // auth.mqttLoginCacheSeconds (default 600): the first CONNECT's success is kept.
    const connectAs = (password: string) => mqttLogin(t.mqttUrl, "grace", password);
    const added = await t.request("POST", "/api/v1/users", {
      username: "grace",
      roles: ["device"],
      password: "graces-first-password",
    });
    expect(added.status).toBe(201);
    expect(await connectAs("graces-first-password")).toBe("connected");
    expect(await connectAs("graces-first-password")).toBe("connected");
    // A wrong password is refused even right after a success (only successes are kept).
    expect(await connectAs("graces-first-passwore")).toBe("refused 4");
    expect(
      (await t.request("PUT", "/api/v1/users/grace/password", { password: "graces-second-password" })).status,
    ).toBe(200);
    expect(await connectAs("graces-first-password")).toBe("refused 4");
    expect(await connectAs("graces-second-password")).toBe("connected");
    expect((await t.request("DELETE", "/api/v1/users/grace")).status).toBe(200);
    expect(await connectAs("graces-second-password")).toBe("refused 4");
  });

  it("refuses MQTT over WebSocket without credentials", async () => {
    const ws = t.httpUrl.replace("http", "ws");
    const r = await mqtt
      .connectAsync(`${ws}/mqtt`, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 })
      .then(
        async (c) => {
          await c.endAsync();
          return "connected";
        },
        (err: Error & { code?: number }) => `refused ${err.code}`,
      );
    expect(r).toBe("refused 5");
  });
});
