import { startPostgres } from "@uns/testkit";
import { createStore } from "./dist/index.js";
import pg from "pg";
import { mkdtempSync, rmSync } from "node:fs";
const server = await startPostgres();
const dir = mkdtempSync("/tmp/uns-perf-");
try {
  const store = await createStore({ dataDir: dir, databaseUrl: server.url, logger: { info() {}, warn: console.warn, error: console.error } });
  const c = new pg.Client(server.url); await c.connect();
  let t = Date.now();
  await c.query(`insert into violations (time, client_id, topic, channel, kind, policy, errors, payload, payload_size)
    select now() - (g * interval '1 second'), 'dev-' || (g % 500), 'acme/neckarsulm/body-shop/line-' || lpad((g % 20)::text, 2, '0') || '/cell-' || lpad((g % 7)::text, 2, '0') || '/weld-spot',
      case when g % 3 = 0 then 'weldSpot' else 'imageEvent' end, 'schema', 'enforce',
      jsonb_build_array(jsonb_build_object('instancePath', '/p' || (g % 13), 'keyword', 'type', 'message', 'm')),
      '\\x7b7d'::bytea, 2
    from generate_series(1, 2000000) g`);
  await c.query("analyze violations");
  console.log("insert 2M", Date.now() - t);
  const time = async (name, fn) => { const t0 = performance.now(); const r = await fn(); console.log(name, (performance.now() - t0).toFixed(1), "ms"); return r; };
  let p = await time("page1", () => store.listViolations({ limit: 100 }));
  for (let i = 0; i < 50; i++) p = await store.listViolations({ limit: 100, cursor: p.nextCursor });
  await time("page52", () => store.listViolations({ limit: 100, cursor: p.nextCursor }));
  await time("channel", () => store.listViolations({ limit: 100, channel: "weldSpot" }));
  await time("client", () => store.listViolations({ limit: 100, clientId: "dev-7" }));
  const pc = await time("prefix", () => store.listViolations({ limit: 100, topicPrefix: "acme/neckarsulm/body-shop/line-03/" }));
  await time("prefix page2", () => store.listViolations({ limit: 100, topicPrefix: "acme/neckarsulm/body-shop/line-03/", cursor: pc.nextCursor }));
  await time("prefix rare", () => store.listViolations({ limit: 100, topicPrefix: "acme/neckarsulm/body-shop/line-03/cell-04" }));
  await time("kind", () => store.listViolations({ limit: 100, kind: "schema" }));
  await time("window old", () => store.listViolations({ limit: 100, from: new Date(Date.now() - 1900000e3), to: new Date(Date.now() - 1800000e3) }));
  await time("similar", () => store.similarViolations(p.items[0].id, 20));
  await time("getViolation", () => store.getViolation(p.items[0].id));
  // record throughput
  t = performance.now();
  const payload = new Uint8Array(100);
  for (let i = 0; i < 1_000_000; i++) store.record({ time: Date.now(), clientId: "c" + (i % 50), username: "u", topic: "acme/t" + (i % 1000), channel: "weldSpot", contract: null, outcome: i % 10 ? "valid" : "invalid", kind: "schema", errors: [], payload, payloadSize: 100, policy: "monitor" });
  console.log("record 1M (10% invalid)", (performance.now() - t).toFixed(0), "ms");
  t = performance.now(); await store.flush(); console.log("flush", (performance.now() - t).toFixed(0));
  console.log(store.health());
  await c.end(); await store.close();
} finally { await server.destroy(); rmSync(dir, { recursive: true, force: true }); }
