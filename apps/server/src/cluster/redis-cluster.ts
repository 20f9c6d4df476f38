import { createRequire } from "node:module";
import { hostname } from "node:os";
import { Readable } from "node:stream";
import { Redis } from "ioredis";

const require = createRequire(import.meta.url);

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ClusterOptions {
  redisUrl: string;
  /** Empty: `<hostname>-<pid>`. */
  nodeId: string;
  heartbeatMs: number;
  logger: Logger;
  /** What this node tells the others about itself on every heartbeat (health, counts). */
  status: () => Record<string, unknown>;
}

/** One node as the others see it: its last heartbeat's status. */
export interface ClusterMember {
  nodeId: string;
  at: string;
  [k: string]: unknown;
}

/** A message between nodes on the notice channel (not MQTT traffic, which goes through mqemitter-redis). */
export type Notice =
  | { type: "reload"; from: string; part: "contracts" | "topics" }
  | { type: "rebirth"; from: string; rebirth: unknown };

const KEY = {
  members: "uns:cluster:members",
  node: (id: string) => `uns:cluster:node:${id}`,
  lease: (name: string) => `uns:cluster:lease:${name}`,
  notices: "uns:cluster:notices",
};

// Take a free lease or renew this node's own (also after this node gave it up but it has not
// expired yet); never one another node holds, which may have taken it after it expired.
const HOLD = `local v = redis.call('get', KEYS[1])
if v == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * The Redis side of a clustered node. MQTT fan-out is mqemitter-redis (Redis pub/sub) and the
 * broker's state is aedes-persistence-redis: both are what aedes clusters on, so nothing here
 * speaks MQTT between nodes. This module adds what aedes does not have: membership (a key per
 * node that expires after 3 heartbeats), leases (SET NX PX, renewed by a script that checks the
 * holder), a notice channel, and one verdict on whether this node can reach Redis.
 */
export async function createRedisCluster(options: ClusterOptions) {
  const nodeId = options.nodeId || `${hostname()}-${process.pid}`;
  const hb = options.heartbeatMs;
  const ttl = 3 * hb;
  // Commands fail at once while disconnected (no offline queue): a lease or a heartbeat that
  // would be sent late is worse than one that fails.
  const cmd = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: hb,
    lazyConnect: true,
  });
  const sub = new Redis(options.redisUrl, { lazyConnect: true });
  const MQEmitterRedis = require("mqemitter-redis") as (opts: object) => {
    pubConn: Redis;
    subConn: Redis;
    state: NodeJS.EventEmitter;
    close(cb: () => void): void;
  };
  // aedes 1.x takes the promise API; the package's main export wraps it in callbacks.
  const AsyncRedisPersistence = require("aedes-persistence-redis/asyncPersistence.js") as new (opts: {
    conn: Redis;
  }) => { destroy(): Promise<void>; createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> };
  const persistenceConn = new Redis(options.redisUrl, { lazyConnect: true });

  const onError = (what: string) => (err: Error) => {
    if (!closing)
      options.logger.warn({ nodeId, err: err.message, connection: what }, "Redis connection error");
  };
  cmd.on("error", onError("commands"));
  sub.on("error", onError("notices"));
  persistenceConn.on("error", onError("persistence"));

  let closing = false;
  let lastPong = 0;
  try {
    await Promise.all([cmd.connect(), sub.connect(), persistenceConn.connect()]);
    await cmd.ping();
    lastPong = Date.now();
  } catch (cause) {
    cmd.disconnect();
    sub.disconnect();
    persistenceConn.disconnect();
    throw Object.assign(
      new Error(`cannot reach Redis at ${redact(options.redisUrl)}: ${(cause as Error).message}`),
      {
        code: "UNS_ERR_CLUSTER_REDIS",
        cause,
      },
    );
  }
  const mq = MQEmitterRedis({ connectionString: options.redisUrl });
  mq.state.on("error", (err: Error) => onError("fan-out")(err));
  const persistence = new AsyncRedisPersistence({ conn: persistenceConn });
  // aedes 1.2.0 pipes the retained messages of a SUBSCRIBE (`stream.pipe`); the redis package
  // returns an async generator there (aedes 2's API), which crashed the node on the first
  // subscription that matched. The other streams aedes 1.2.0 reads with pipeline / for await.
  const retainedOf = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(retainedOf(patterns));
  // mqemitter-redis connects on its own; wait for it so the node is not "unreachable" at birth.
  await Promise.all(
    [mq.pubConn, mq.subConn].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.status === "ready") resolve();
          else c.once("ready", () => resolve());
          setTimeout(resolve, 10_000).unref();
        }),
    ),
  );

  const conns = [cmd, sub, persistenceConn, mq.pubConn, mq.subConn];
  let wasUp = true;
  /** True while every connection is ready and Redis answered a PING within 2 heartbeats. */
  function up(): boolean {
    return conns.every((c) => c.status === "ready") && Date.now() - lastPong <= 2 * hb;
  }

  const noticeHandlers: ((n: Notice) => void)[] = [];
  let noticesReceived = 0;
  await sub.subscribe(KEY.notices);
  sub.on("message", (_channel: string, text: string) => {
    let n: Notice;
    try {
      n = JSON.parse(text) as Notice;
    } catch {
      return;
    }
    if (n.from === nodeId) return;
    noticesReceived++;
    for (const h of noticeHandlers) h(n);
  });

  interface Lease {
    name: string;
    held: boolean;
    renewedAt: number;
    onChange: (held: boolean) => void;
  }
  const leases: Lease[] = [];

  async function tickLease(l: Lease): Promise<void> {
    const key = KEY.lease(l.name);
    try {
      const started = Date.now();
      const held = ((await cmd.eval(HOLD, 1, key, nodeId, String(ttl))) as number) === 1;
      if (held) l.renewedAt = started;
      setHeld(l, held, held ? "acquired" : "held by another node");
    } catch {
      // Cannot renew: give the lease up before it can expire in Redis, so two nodes never both act.
      if (l.held && Date.now() - l.renewedAt > ttl - hb) setHeld(l, false, "Redis unreachable");
    }
  }

  function setHeld(l: Lease, held: boolean, why: string): void {
    if (l.held === held) return;
    l.held = held;
    options.logger.info(
      { nodeId, lease: l.name, held, why },
      held ? "cluster lease acquired" : "cluster lease lost",
    );
    l.onChange(held);
  }

  async function heartbeat(): Promise<void> {
    // A lease not renewed in time (this process stalled, or Redis is slow) is given up before it
    // can expire in Redis and be taken by another node: two primaries must never overlap.
    for (const l of leases)
      if (l.held && Date.now() - l.renewedAt > ttl - hb) setHeld(l, false, "not renewed in time");
    try {
      await Promise.race([
        cmd.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("PING timed out")), hb).unref()),
      ]);
      lastPong = Date.now();
      const status = JSON.stringify({ nodeId, at: new Date().toISOString(), ...options.status() });
      await cmd.multi().set(KEY.node(nodeId), status, "PX", ttl).sadd(KEY.members, nodeId).exec();
    } catch {
      // up() turns false by itself once the last PONG is older than 2 heartbeats.
    }
    await Promise.all(leases.map(tickLease));
    const nowUp = up();
    if (nowUp !== wasUp) {
      wasUp = nowUp;
      if (nowUp) options.logger.info({ nodeId }, "Redis reachable again: accepting publishes");
      else
        options.logger.error(
          { nodeId, code: "UNS_ERR_CLUSTER_REDIS" },
          "Redis unreachable: this node refuses connections and publishes until it is back",
        );
    }
  }

  let beating = false;
  const timer = setInterval(() => {
    if (beating || closing) return;
    beating = true;
    heartbeat().finally(() => (beating = false));
  }, hb);
  timer.unref();
  await heartbeat();

  return {
    nodeId,
    /** Handed to aedes: `id` names the broker in `$SYS/<id>/heartbeat`, which aedes uses to publish a dead node's wills. */
    aedesOptions: { id: nodeId, mq, heartbeatInterval: hb },
    persistence,
    up,
    noticesReceived: () => noticesReceived,
    /** Nodes whose heartbeat has not expired, this one included, by node id. */
    async members(): Promise<ClusterMember[]> {
      const ids = (await cmd.smembers(KEY.members)).sort();
      if (ids.length === 0) return [];
      const values = await cmd.mget(...ids.map(KEY.node));
      const gone = ids.filter((_, i) => values[i] === null);
      if (gone.length > 0) await cmd.srem(KEY.members, ...gone);
      return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as ClusterMember);
    },
    /** Hold the named lease whenever no other node does; `onChange` is told when this node gains or loses it. */
    lease(name: string, onChange: (held: boolean) => void): { held(): boolean } {
      const l: Lease = { name, held: false, renewedAt: 0, onChange };
      leases.push(l);
      void tickLease(l);
      return { held: () => l.held && Date.now() - l.renewedAt <= ttl - hb };
    },
    notify(n: Notice extends infer N ? (N extends Notice ? Omit<N, "from"> : never) : never): void {
      cmd.publish(KEY.notices, JSON.stringify({ ...n, from: nodeId })).catch(() => undefined);
    },
    onNotice(h: (n: Notice) => void): void {
      noticeHandlers.push(h);
    },
    /** Leave cleanly: release leases (so another node takes over at its next heartbeat), drop the membership key. */
    async close(): Promise<void> {
      closing = true;
      clearInterval(timer);
      for (const l of leases) {
        if (l.held) await cmd.eval(RELEASE, 1, KEY.lease(l.name), nodeId).catch(() => undefined);
      }
      await cmd.del(KEY.node(nodeId)).catch(() => undefined);
      await persistence.destroy().catch(() => undefined);
      await new Promise<void>((resolve) => mq.close(() => resolve()));
      cmd.disconnect();
      sub.disconnect();
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

export type RedisCluster = Awaited<ReturnType<typeof createRedisCluster>>;
