import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { createError } from "./errors.js";

/**
 * The one configuration schema of the server. Every setting has a default, a unit where it has
 * one, and an environment variable derived from its path (`mqtt.allowAnonymous` ->
 * `UNS_MQTT_ALLOW_ANONYMOUS`). `DATABASE_URL` keeps its conventional name.
 * Precedence: defaults < config file (`UNS_CONFIG` or `--config`) < environment.
 */
type Kind = "port" | "integer" | "boolean" | "string" | "path" | "enum";
interface Setting {
  kind: Kind;
  default: unknown;
  doc: string;
  env?: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export const settings = {
  "mqtt.host": { kind: "string", default: "0.0.0.0", doc: "Address the MQTT TCP listener binds to." },
  "mqtt.port": { kind: "port", default: 1883, doc: "MQTT over TCP port; 0 picks a free port (logged)." },
  "mqtt.plain": {
    kind: "boolean",
    default: true,
    doc: "Listen for plain (unencrypted) MQTT on mqtt.port; turn off when MQTT over TLS is the only way in.",
  },
  "mqtt.tlsPort": {
    kind: "port",
    default: 8883,
    doc: "MQTT over TLS port, open when tls.certFile is set; 0 picks a free port (logged).",
  },
  "tls.certFile": {
    kind: "string",
    default: "",
    doc: "PEM certificate (chain) for MQTT over TLS and HTTPS/WSS; empty = no TLS. Reloaded when the file changes.",
  },
  "tls.keyFile": { kind: "string", default: "", doc: "PEM private key of tls.certFile." },
  "tls.caFile": {
    kind: "string",
    default: "",
    doc: "PEM CA for client certificates: an MQTT client whose certificate it signed logs in as the user named by the certificate's CN, without a password.",
  },
  "mqtt.allowAnonymous": {
    kind: "boolean",
    default: false,
    doc: "Accept clients without a username; they get the role named by `anonymous` in topics/access.yaml.",
  },
  "mqtt.tcpNoDelay": {
    kind: "boolean",
    default: true,
    doc: "Send MQTT packets at once (TCP_NODELAY); off lets Nagle's algorithm batch small packets, adding up to ~40 ms.",
  },
  "mqtt.keepaliveLimitSeconds": {
    kind: "integer",
    default: 0,
    min: 0,
    doc: "Largest keep-alive a client may ask for (0 = no limit).",
  },
  "mqtt.persistence": {
    kind: "enum",
    default: "level",
    values: ["level", "memory"],
    doc: "Where retained messages, persistent sessions, subscriptions and QoS 1/2 queues live: `level` (LevelDB in dataDir/mqtt, survives restarts and kill -9) or `memory` (lost on every restart).",
  },
  "mqtt.maxPacketBytes": {
    kind: "integer",
    default: 4 * 1024 * 1024,
    min: 1024,
    max: 268435460,
    doc: "Largest MQTT packet (or WebSocket frame) accepted, before CONNACK and after (bytes); a larger one closes the connection. Above validation.maxPayloadBytes so an oversized payload is still recorded as a too-large violation.",
  },
  "mqtt.clientQueueMaxMessages": {
    kind: "integer",
    default: 10000,
    min: 1,
    doc: "Messages written to one subscriber's full socket since it last made progress, at most; past it (or past mqtt.clientQueueMaxBytes) QoS 0 messages to that subscriber are dropped and counted (uns_mqtt_slow_client_dropped_total), and QoS 1/2 past twice the bound disconnect it. The byte bound is the one that usually applies; this one catches floods of tiny messages.",
  },
  "mqtt.clientQueueMaxBytes": {
    kind: "integer",
    default: 8 * 1024 * 1024,
    min: 1024,
    doc: "Bytes waiting in one subscriber's socket buffer, at most (same rules as mqtt.clientQueueMaxMessages).",
  },
  "mqtt.slowClientTimeoutMs": {
    kind: "integer",
    default: 30000,
    min: 100,
    doc: "A client whose socket has not drained for this long is disconnected (ms); a persistent session keeps its QoS 1/2 messages.",
  },
  "http.host": {
    kind: "string",
    default: "0.0.0.0",
    doc: "Address the HTTP listener (API, console, MQTT over WebSocket at /mqtt) binds to.",
  },
  "http.port": { kind: "port", default: 8080, doc: "HTTP port; 0 picks a free port (logged)." },
  dataDir: {
    kind: "path",
    default: "./data",
    doc: "Where the embedded database, the spool and generated secrets live.",
  },
  databaseUrl: {
    kind: "string",
    default: "",
    env: "DATABASE_URL",
    doc: "PostgreSQL connection string; empty = embedded PGlite database under dataDir.",
  },
  contractsDir: { kind: "path", default: "./asyncapi", doc: "Folder of AsyncAPI documents (watched)." },
  topicsDir: {
    kind: "path",
    default: "./topics",
    doc: "Folder of the topic tree, access rules and users (watched).",
  },
  "contracts.maxFileBytes": {
    kind: "integer",
    default: 4 * 1024 * 1024,
    min: 1024,
    doc: "Largest contract document, referenced file or topic tree read (bytes); a larger one is refused and the last good version stays.",
  },
  "contracts.maxAliases": {
    kind: "integer",
    default: 1000,
    min: 0,
    doc: "YAML alias expansions allowed per contract file (bounds alias bombs).",
  },
  "contracts.maxRefDepth": {
    kind: "integer",
    default: 32,
    min: 1,
    doc: "Longest chain of $refs, and deepest nesting of files referencing files, in a contract.",
  },
  "contracts.loadTimeoutMs": {
    kind: "integer",
    default: 30000,
    min: 10,
    doc: "Contracts and the topic tree are read in a thread of their own; when reading the files takes longer than this (ms, counted once the thread has started) it is stopped and the last good version stays.",
  },
  "contracts.standbyLoader": {
    kind: "boolean",
    default: false,
    doc: "Keep a contract loader thread waiting with its parser loaded, so a reload starts a second or more sooner; it costs a V8 isolate (about 40 MB of RSS) all the time. Off: each reload starts its thread.",
  },
  "contracts.cache": {
    kind: "boolean",
    default: true,
    doc: "Keep each AsyncAPI document's parse result in dataDir/contract-cache, keyed by a hash of its text, of every file it references and of the parser's version, so a start or reload with unchanged documents skips the parser (about a second of CPU per document). A changed file or reference is parsed again; a corrupt entry is ignored with a warning. Documents referencing http(s) URLs are never cached.",
  },
  "contracts.allowedRefHosts": {
    kind: "string",
    default: "",
    doc: "Comma-separated host names (or host:port) whose http(s) URLs a $ref may name; empty = none, references stay inside the contracts folder.",
  },
  "workers.size": {
    kind: "integer",
    // One core stays with the broker's event loop, which delivers messages.
    default: Math.max(1, availableParallelism() - 1),
    min: 1,
    max: 64,
    doc: "Validation worker threads (default: the number of cores minus one, at least one).",
  },
  "workers.queueLength": {
    kind: "integer",
    // Each waiting message holds its payload (20,000 weld spots: 80 MB); workers.queueMaxBytes
    // bounds the memory, a shorter queue would leave more small messages unvalidated.
    default: 20000,
    min: 1,
    doc: "Messages waiting for or in validation, at most (each holds its payload: 20,000 4 KB messages are 80 MB); beyond it monitor traffic is delivered unvalidated and enforce traffic waits.",
  },
  "workers.queueMaxBytes": {
    kind: "integer",
    // The memory bound that queueLength is not (it counts messages, whatever their size): 16 MiB
    // is 4,000 weld spots, over a second of validation at the bench's rates.
    default: 16 * 1024 * 1024,
    min: 1,
    doc: "Payload bytes of the messages waiting for or in validation, at most; beyond it, as beyond workers.queueLength, monitor traffic is delivered unvalidated and enforce traffic waits. A message larger than this is let in alone when nothing else waits.",
  },
  "workers.batchSize": {
    kind: "integer",
    default: 256,
    min: 1,
    doc: "Messages handed to a worker at once, at most.",
  },
  "workers.batchTimeoutMs": {
    kind: "integer",
    default: 10000,
    min: 100,
    doc: "A worker that has not answered a batch within this many ms is taken as hung and replaced; its messages are unvalidated (monitor) or quarantined (enforce).",
  },
  "workers.batchWindowMs": {
    kind: "integer",
    default: 10,
    min: 0,
    max: 1000,
    doc: "Monitor-mode messages are handed to a worker at most this many ms after the first of them arrived, together (one wake-up per window instead of one per message at low rates); their verdict, live counts and metrics are that much later. Messages whose verdict is awaited (enforce, store.ackAfterDurable) go at once. 0 = at once.",
  },
  "validation.maxPayloadBytes": {
    kind: "integer",
    default: 1048576,
    min: 1,
    doc: "Payloads larger than this are not parsed and are recorded as invalid (kind too-large).",
  },
  "validation.fastPath": {
    kind: "enum",
    default: "auto",
    values: ["auto", "off"],
    doc: "`auto`: payloads are first judged by the native checker compiled from each payload schema it fully supports (@uns/fast-check, built at install when a C++ compiler is present); what it does not call valid is re-checked by ajv, whose verdict and errors stand. `off`: ajv only. The server logs at start which path it uses.",
  },
  "validation.inlineMaxPerSecond": {
    kind: "integer",
    default: 4000,
    min: 0,
    doc: "At most this many messages per second are judged on the broker's event loop instead of by a validation worker: at low rates a message the native checker calls valid is judged and counted there rather than paying a hand-off to a worker and back (about 100-400 us against 5-10 us for a 4 KB weld spot). Above the rate (in the last 100 ms), for ajv-only channels, refused topics, payloads over 64 KB and payloads it does not call valid, the workers judge. 0: always the workers.",
  },
  "store.batchMaxRows": {
    kind: "integer",
    default: 2000,
    min: 1,
    doc: "Violations written per database transaction, at most.",
  },
  "store.flushIntervalMs": {
    kind: "integer",
    default: 200,
    min: 10,
    max: 10000,
    doc: "Durability window (ms): results are written to the outcome log (fsynced) at least this often, so a kill -9 loses at most about this much traffic's results (plus one fsync and the verdicts in flight); then to the database.",
  },
  "store.writeIntervalMs": {
    kind: "integer",
    default: 1000,
    min: 0,
    max: 60000,
    doc: "The database is written at most this often (ms); the batches cut in between (store.flushIntervalMs, already fsynced in the outcome log) are merged into one transaction. Each transaction costs the writer about the same at low rates, so this sets the store's CPU at a plant's steady rate; the console sees results up to this much later. 0 = write each batch as it is cut.",
  },
  "store.ackAfterDurable": {
    kind: "boolean",
    default: false,
    doc: "Group commit: a QoS 1/2 PUBACK waits until the message's outcome is fsynced in the outcome log (monitor messages then wait for their verdict too). The acks waiting meanwhile share one cut and fsync, cut at most every 5 ms (at low rates a cut per fsync would keep the core busy). Nothing acknowledged is lost on kill -9, at the cost of PUBACK latency (see docs/benchmark.md).",
  },
  "store.pgliteSharedBuffersMb": {
    kind: "integer",
    default: 16,
    min: 1,
    max: 1024,
    doc: "Embedded database (PGlite) only: PostgreSQL shared_buffers (MiB). PGlite's shared memory is zeroed WebAssembly heap, resident from the start, so this much RSS is spent whether used or not (PostgreSQL's default, 128, costs about 150 MB). wal_buffers follows it (1/32).",
  },
  "store.pgliteWorkMemMb": {
    kind: "integer",
    default: 2,
    min: 1,
    max: 1024,
    doc: "Embedded database only: PostgreSQL work_mem (MiB), per sort or hash step of a query.",
  },
  "store.pgliteMaintenanceWorkMemMb": {
    kind: "integer",
    default: 16,
    min: 1,
    max: 2048,
    doc: "Embedded database only: PostgreSQL maintenance_work_mem (MiB), for vacuum after retention deletes and index builds.",
  },
  "store.spoolMaxBytes": {
    kind: "integer",
    default: 512 * 1024 * 1024,
    min: 1024,
    doc: "Disk spool for results while the database is away (bytes).",
  },
  "store.payloadCapBytes": {
    kind: "integer",
    default: 65536,
    min: 0,
    doc: "Payload bytes kept per violation (the full size is kept too).",
  },
  "store.retentionDays": {
    kind: "integer",
    default: 30,
    min: 1,
    doc: "Violations and counts older than this are deleted (days).",
  },
  "sparkplug.hostId": {
    kind: "string",
    default: "",
    doc: "Act as Sparkplug B primary host with this host id (publishes STATE); empty = off.",
  },
  "sparkplug.reorderWindowMs": {
    kind: "integer",
    default: 2000,
    min: 0,
    doc: "How long a Sparkplug seq gap may wait to be filled (ms).",
  },
  "sparkplug.rebirthMinIntervalMs": {
    kind: "integer",
    default: 10000,
    min: 0,
    doc: "Rebirth requests per edge node, at most one per this interval (ms).",
  },
  "cluster.redisUrl": {
    kind: "string",
    default: "",
    doc: "Clustered mode: Redis URL (`redis://host:6379`) shared by every node for message fan-out, retained messages, sessions and QoS 1/2 queues (mqtt.persistence is then ignored); empty = a single node. See README, Running a cluster.",
  },
  "cluster.nodeId": {
    kind: "string",
    default: "",
    doc: "This node's name in the cluster (health, /metrics, logs); empty = `<hostname>-<pid>`. Must differ between nodes.",
  },
  "cluster.heartbeatMs": {
    kind: "integer",
    default: 1000,
    min: 100,
    max: 60000,
    doc: "How often a node tells the others it is alive (ms). A node silent for 3 heartbeats is gone: its clients' wills are published, its Sparkplug primary host lease is taken over, and a node that cannot reach Redis for 2 heartbeats refuses publishes.",
  },
  "processors.url": {
    kind: "string",
    default: "http://127.0.0.1:8091",
    doc: "The inference processors' control interface, relayed at /api/v1/processors and for model changes (/api/v1/models reads the registry from the store and adds what they serve now); empty = none.",
  },
  "console.timeZone": {
    kind: "string",
    default: Intl.DateTimeFormat().resolvedOptions().timeZone,
    doc: "The plant's time zone (IANA name) used by the console.",
  },
  "console.clientHistorySize": {
    kind: "integer",
    default: 2000,
    min: 10,
    max: 1_000_000,
    doc: "Connects, disconnects and refused CONNECTs kept in memory for the console's Clients page (entries; the oldest go first).",
  },
  "auth.sessionMinutes": {
    kind: "integer",
    default: 480,
    min: 1,
    max: 43200,
    doc: "A console session ends this long after login (minutes); logging out or a password reset ends it earlier.",
  },
  "auth.minPasswordLength": {
    kind: "integer",
    default: 12,
    min: 8,
    max: 1024,
    doc: "Shortest password accepted by `uns user add|passwd` and the API.",
  },
  "auth.freeAttempts": {
    kind: "integer",
    default: 5,
    min: 1,
    doc: "Failed logins (HTTP and MQTT) per user name before each further attempt must wait; the wait starts at 1 s and doubles.",
  },
  "auth.freeAttemptsPerAddress": {
    kind: "integer",
    default: 20,
    min: 1,
    doc: "Failed logins per client address before it must wait (higher than per user: a NAT hides many users).",
  },
  "auth.mqttLoginCacheSeconds": {
    kind: "integer",
    default: 600,
    min: 0,
    max: 86400,
    doc: "An MQTT CONNECT whose user name and password succeeded within this many seconds is let in without checking the password again (scrypt, ~50 ms of CPU each): reconnect storms cost little. Only successes are kept, as an HMAC under a key made at start (never the password); a reload of users.yaml or access.yaml forgets them all. 0 = check every CONNECT.",
  },
  "auth.maxDelaySeconds": {
    kind: "integer",
    default: 300,
    min: 1,
    doc: "Longest wait imposed after failed logins (s).",
  },
  "quality.staleAfterSeconds": {
    kind: "integer",
    default: 30,
    min: 1,
    doc: "A line's state is trusted this long after its last state message (s); after that its time counts as unknown, not as downtime.",
  },
  "quality.minNuggetDiameterUm": {
    kind: "integer",
    default: 4000,
    min: 0,
    doc: "Predicted nugget diameters below this count as the defect nugget-too-small (µm; 4000 = 4 mm).",
  },
  "quality.flushIntervalMs": {
    kind: "integer",
    default: 5000,
    min: 100,
    doc: "How often the per-minute KPI rows of the current minutes are written to the store (ms).",
  },
  "quality.imageRoot": {
    kind: "path",
    default: "./data/images",
    doc: "The splatter stations' image store (the processors' `splatter.imageRoot`): the console's previews are read from below it, nothing else.",
  },
  "quality.previewWidth": {
    kind: "integer",
    default: 1280,
    min: 64,
    max: 4096,
    doc: "Widest image preview the API serves (px); a request for more gets this width.",
  },
  "alerts.rulesFile": {
    kind: "string",
    default: "",
    doc: "Alert rules file (watched; a broken file keeps the last good rules); empty = alerts.yaml in topicsDir.",
  },
  "alerts.evaluateIntervalMs": {
    kind: "integer",
    default: 500,
    min: 50,
    doc: "How often alert rules are evaluated (ms); an alert fires at most this long after its condition holds.",
  },
  "alerts.webhookUrl": {
    kind: "string",
    default: "",
    doc: "Every alert change is also POSTed as JSON to this URL; empty = off.",
  },
  "browser.maxTopics": {
    kind: "integer",
    default: 100_000,
    min: 1,
    doc: "Topics the console's live topic browser keeps in memory; past it the topic updated longest ago is forgotten.",
  },
  "browser.messagesPerTopic": {
    kind: "integer",
    default: 50,
    min: 1,
    max: 10_000,
    doc: "Recent messages the live topic browser keeps per topic (for the diff and the field chart).",
  },
  "browser.payloadCapBytes": {
    kind: "integer",
    default: 16_384,
    min: 64,
    doc: "Each payload the live topic browser keeps is cut at this size (bytes); the topic's full size is still shown.",
  },
  "browser.maxBytes": {
    kind: "integer",
    default: 64 * 1024 * 1024,
    min: 1024 * 1024,
    doc: "Memory the live topic browser may use in all (bytes, estimated); over it the history of the quietest topics goes first, then whole topics.",
  },
  "log.level": {
    kind: "enum",
    default: "info",
    values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    doc: "Log level.",
  },
} as const satisfies Record<string, Setting>;

export type SettingKey = keyof typeof settings;

export interface Config {
  mqtt: {
    host: string;
    port: number;
    plain: boolean;
    tlsPort: number;
    allowAnonymous: boolean;
    tcpNoDelay: boolean;
    keepaliveLimitSeconds: number;
    persistence: "level" | "memory";
    maxPacketBytes: number;
    clientQueueMaxMessages: number;
    clientQueueMaxBytes: number;
    slowClientTimeoutMs: number;
  };
  http: { host: string; port: number };
  tls: { certFile: string; keyFile: string; caFile: string };
  dataDir: string;
  databaseUrl: string;
  contractsDir: string;
  topicsDir: string;
  contracts: {
    maxFileBytes: number;
    maxAliases: number;
    maxRefDepth: number;
    loadTimeoutMs: number;
    standbyLoader: boolean;
    cache: boolean;
    allowedRefHosts: string;
  };
  workers: {
    size: number;
    queueLength: number;
    queueMaxBytes: number;
    batchSize: number;
    batchTimeoutMs: number;
    batchWindowMs: number;
  };
  validation: { maxPayloadBytes: number; fastPath: "auto" | "off"; inlineMaxPerSecond: number };
  store: {
    batchMaxRows: number;
    flushIntervalMs: number;
    writeIntervalMs: number;
    ackAfterDurable: boolean;
    pgliteSharedBuffersMb: number;
    pgliteWorkMemMb: number;
    pgliteMaintenanceWorkMemMb: number;
    spoolMaxBytes: number;
    payloadCapBytes: number;
    retentionDays: number;
  };
  sparkplug: { hostId: string; reorderWindowMs: number; rebirthMinIntervalMs: number };
  cluster: { redisUrl: string; nodeId: string; heartbeatMs: number };
  processors: { url: string };
  console: { timeZone: string; clientHistorySize: number };
  auth: {
    sessionMinutes: number;
    minPasswordLength: number;
    freeAttempts: number;
    freeAttemptsPerAddress: number;
    maxDelaySeconds: number;
    mqttLoginCacheSeconds: number;
  };
  quality: {
    staleAfterSeconds: number;
    minNuggetDiameterUm: number;
    flushIntervalMs: number;
    imageRoot: string;
    previewWidth: number;
  };
  alerts: { rulesFile: string; evaluateIntervalMs: number; webhookUrl: string };
  browser: { maxTopics: number; messagesPerTopic: number; payloadCapBytes: number; maxBytes: number };
  log: { level: string };
}

/** The contract loader's limits (libs/contracts IsolatedLoadOptions) from the contracts.* settings. */
export function contractLoadLimits(config: Readonly<Config>) {
  return {
    maxFileBytes: config.contracts.maxFileBytes,
    maxAliasCount: config.contracts.maxAliases,
    maxRefDepth: config.contracts.maxRefDepth,
    timeoutMs: config.contracts.loadTimeoutMs,
    standby: config.contracts.standbyLoader,
    allowedRefHosts: config.contracts.allowedRefHosts
      .split(",")
      .map((h) => h.trim())
      .filter((h) => h.length > 0),
  };
}

/** Where the server keeps parsed contracts (contracts.cache), or undefined when it does not. */
export function contractCacheDir(config: Readonly<Config>): string | undefined {
  return config.contracts.cache ? join(config.dataDir, "contract-cache") : undefined;
}

/** `mqtt.allowAnonymous` -> `UNS_MQTT_ALLOW_ANONYMOUS` */
export function envName(key: string): string {
  const s = settings[key as SettingKey] as Setting;
  if (s.env) return s.env;
  return `UNS_${key
    .replace(/\./g, "_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()}`;
}

function coerce(key: string, setting: Setting, raw: unknown, source: string, errors: string[]): unknown {
  const bad = (accepted: string) => {
    errors.push(`${key} (${source}): ${JSON.stringify(raw)} is not valid; expected ${accepted}`);
    return undefined;
  };
  switch (setting.kind) {
    case "port":
    case "integer": {
      const n =
        typeof raw === "number"
          ? raw
          : typeof raw === "string" && /^-?\d+$/.test(raw.trim())
            ? Number(raw)
            : Number.NaN;
      const min = setting.kind === "port" ? 0 : setting.min;
      const max = setting.kind === "port" ? 65535 : setting.max;
      if (!Number.isInteger(n)) return bad(setting.kind === "port" ? "a port number 0-65535" : "an integer");
      if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
        if (setting.kind === "port") return bad("a port number 0-65535");
        return bad(
          `an integer${min !== undefined ? ` >= ${min}` : ""}${max !== undefined ? ` and <= ${max}` : ""}`,
        );
      }
      return n;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const s = String(raw).trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(s)) return true;
      if (["false", "0", "no", "off"].includes(s)) return false;
      return bad("true or false");
    }
    case "enum":
      if (typeof raw === "string" && setting.values?.includes(raw)) return raw;
      return bad(`one of ${setting.values?.join(", ")}`);
    case "string":
    case "path":
      if (typeof raw === "string" || typeof raw === "number") return String(raw);
      return bad("a string");
  }
}

function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function unknownKeys(obj: unknown, prefix = ""): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (key in settings) continue;
    if (Object.keys(settings).some((s) => s.startsWith(`${key}.`))) out.push(...unknownKeys(v, key));
    else out.push(key);
  }
  return out;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a YAML or JSON config file; defaults to env UNS_CONFIG. */
  file?: string;
  /** Values that win over everything (used by tests and the demo). */
  overrides?: Partial<Record<SettingKey, unknown>>;
  cwd?: string;
}

/**
 * Reads defaults, the config file and the environment, validates every setting and lists all
 * problems at once. The result is frozen: nothing changes configuration after start.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const errors: string[] = [];
  const filePath = options.file ?? env.UNS_CONFIG;
  let fileValues: unknown = {};
  if (filePath) {
    try {
      fileValues = parseYaml(readFileSync(resolve(cwd, filePath), "utf8")) ?? {};
    } catch (cause) {
      throw createError(
        "UNS_ERR_CONFIG_FILE",
        `cannot read config file ${filePath}: ${(cause as Error).message}`,
        { cause },
      );
    }
    for (const k of unknownKeys(fileValues))
      errors.push(`${k} (${filePath}): unknown setting; known settings: ${Object.keys(settings).join(", ")}`);
  }
  const knownEnv = new Set(Object.keys(settings).map(envName));
  for (const name of Object.keys(env)) {
    if (
      name.startsWith("UNS_") &&
      !knownEnv.has(name) &&
      name !== "UNS_CONFIG" &&
      !name.startsWith("UNS_TEST_") &&
      // The inference processors' settings (apps/processors/docs/reference.md), often set beside ours.
      !name.startsWith("UNS_PROC_")
    ) {
      errors.push(`${name}: unknown environment variable; see docs/configuration.md for the list`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [string, Setting][]) {
    let value: unknown = setting.default;
    const fromFile = getPath(fileValues, key);
    if (fromFile !== undefined) value = coerce(key, setting, fromFile, filePath ?? "file", errors);
    const fromEnv = env[envName(key)];
    if (fromEnv !== undefined && fromEnv !== "") value = coerce(key, setting, fromEnv, envName(key), errors);
    const override = options.overrides?.[key as SettingKey];
    if (override !== undefined) value = coerce(key, setting, override, "override", errors);
    if (setting.kind === "path" && typeof value === "string") value = resolve(cwd, value);
    setPath(out, key, value);
  }
  const tls = out.tls as Record<string, string>;
  for (const k of ["certFile", "keyFile", "caFile"]) if (tls[k]) tls[k] = resolve(cwd, tls[k]);
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile))
    errors.push("tls.certFile and tls.keyFile: give both (TLS) or neither");
  if (!(out.mqtt as Record<string, unknown>).plain && !tls.certFile)
    errors.push("mqtt.plain: false leaves no MQTT listener without tls.certFile");
  if (errors.length > 0) {
    throw createError("UNS_ERR_CONFIG_INVALID", `invalid configuration:\n  - ${errors.join("\n  - ")}`, {
      details: errors,
    });
  }
  return deepFreeze(out) as unknown as Config;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Markdown table of every setting, its variable and default (docs/configuration.md). */
export function settingsMarkdown(): string {
  const rows = (Object.entries(settings) as [string, Setting][]).map(
    ([key, s]) =>
      `| \`${key}\` | \`${envName(key)}\` | ${key === "workers.size" ? "cores - 1 (at least 1)" : key === "console.timeZone" ? "system time zone" : `\`${JSON.stringify(s.default)}\``} | ${s.doc} |`,
  );
  return ["| setting | environment variable | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
