import { connect, type Socket } from "node:net";
import { CONNACK, connectPacket } from "./mqtt-wire.js";
import { memory } from "./proc-stats.js";

/**
 * What idle MQTT connections cost a broker: resident memory before and after `count` clients
 * have connected (CONNECT, CONNACK, then nothing: keep-alive 0, no subscriptions). Connections
 * are opened `parallel` at a time so the broker's accept queue and login path are not the thing
 * measured.
 */
export interface IdleResult {
  count: number;
  connected: number;
  failed: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  deltaMb: number;
  /** Bytes of resident memory per connection. */
  perConnectionBytes: number;
  connectSeconds: number;
  firstError?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openOne(port: number, clientId: string, username: string, password: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${clientId}: no CONNACK within 60 s`));
    }, 60_000);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      clearTimeout(timer);
      sock.off("data", onData);
      if (buf[0]! >> 4 !== CONNACK || buf[3] !== 0) {
        sock.destroy();
        reject(new Error(`${clientId}: CONNACK return code ${buf[3]}`));
      } else resolve(sock);
    };
    sock.on("data", onData);
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.write(connectPacket({ clientId, username, password, keepalive: 0 }));
  });
}

export async function measureIdle(o: {
  pid: number;
  port: number;
  count: number;
  username: string;
  password: string;
  parallel?: number;
  /** Time to let the broker settle before each reading (ms). */
  settleMs?: number;
}): Promise<IdleResult> {
  const settle = o.settleMs ?? 2000;
  await sleep(settle);
  const before = memory(o.pid).rss;
  const sockets: Socket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const parallel = o.parallel ?? 200;
  for (let i = 0; i < o.count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, o.count - i) }, (_, k) =>
      openOne(o.port, `idle-${String(i + k).padStart(5, "0")}`, o.username, o.password),
    );
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === "fulfilled") sockets.push(r.value);
      else {
        failed++;
        firstError ??= (r.reason as Error).message;
      }
    }
    // Many refusals mean something is wrong (limits, login): stop instead of waiting for all.
    if (failed > 100) break;
  }
  const connectSeconds = (performance.now() - started) / 1000;
  await sleep(settle);
  const after = memory(o.pid).rss;
  for (const s of sockets) s.destroy();
  const mb = (b: number) => b / 2 ** 20;
  return {
    count: o.count,
    connected: sockets.length,
    failed,
    rssBeforeMb: mb(before),
    rssAfterMb: mb(after),
    deltaMb: mb(after - before),
    perConnectionBytes: sockets.length > 0 ? (after - before) / sockets.length : Number.NaN,
    connectSeconds,
    ...(firstError ? { firstError } : {}),
  };
}
