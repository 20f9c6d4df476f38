import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { processorError } from "./errors.js";

/**
 * The one configuration schema of the processors, with the server's conventions: every setting
 * has a default and a documented `UNS_PROC_*` variable derived from its path
 * (`weldQuality.batchSize` -> `UNS_PROC_WELD_QUALITY_BATCH_SIZE`). Precedence: defaults < file
 * (`UNS_PROC_CONFIG` or `--config`, YAML or JSON, nested by the dots) < environment. Every problem
 * is listed at once; the result is frozen.
 */
type Kind = "integer" | "number" | "boolean" | "string" | "path";
interface Setting {
  kind: Kind;
  default: unknown;
  doc: string;
  min?: number;
  max?: number;
}

export const settings = {
  "mqtt.url": { kind: "string", default: "mqtt://127.0.0.1:1883", doc: "The UNS server's MQTT URL." },
  "mqtt.username": { kind: "string", default: "processor", doc: "MQTT user (a user with role `processor`)." },
  "mqtt.password": { kind: "string", default: "", doc: "Its password (prefer the environment variable)." },
  "mqtt.clientPrefix": {
    kind: "string",
    default: "uns-proc",
    doc: "Client ids are `<prefix>-<processor>`; keep them stable, the persistent session is bound to them.",
  },
  "http.enabled": {
    kind: "boolean",
    default: true,
    doc: "Serve the status and model control interface that the UNS server's API relays.",
  },
  "http.host": {
    kind: "string",
    default: "127.0.0.1",
    doc: "Address of the control interface (keep it on loopback).",
  },
  "http.port": {
    kind: "integer",
    default: 8091,
    min: 0,
    max: 65535,
    doc: "Port of the control interface; 0 picks a free one.",
  },
  shutdownTimeoutMs: {
    kind: "integer",
    default: 10000,
    min: 0,
    doc: "How long a stop waits for results to be acknowledged (a server that is down never does), in ms.",
  },
  contractsDir: {
    kind: "path",
    default: "./asyncapi",
    doc: "AsyncAPI documents (inputs are checked, results too).",
  },
  modelsDir: { kind: "path", default: "./models", doc: "Model folders `<name>/<version>/manifest.json`." },
  dataDir: {
    kind: "path",
    default: "./data/processors",
    doc: "Where the model registry's local cache is kept (the record is the server's store).",
  },
  "registry.url": {
    kind: "string",
    default: "http://127.0.0.1:8080",
    doc: "The UNS server's HTTP URL: the model registry is kept in its compliance store, written with the MQTT user and password above. Empty = only the local file in dataDir.",
  },
  "registry.timeoutMs": {
    kind: "integer",
    default: 10000,
    min: 100,
    max: 60000,
    doc: "How long a read or write of the registry waits for the server (ms); then the local cache is used.",
  },
  "registry.retryMs": {
    kind: "integer",
    default: 5000,
    min: 100,
    max: 600000,
    doc: "How often changes kept in the local cache are sent again while the server does not answer (ms).",
  },
  "registry.refreshMs": {
    kind: "integer",
    default: 30000,
    min: 0,
    max: 3600000,
    doc: "How often the store's record is read again, so a change made by another processors host (or in the store) is served here within this time (ms). 0: only at start and after a conflict.",
  },
  "workers.size": {
    kind: "integer",
    default: Math.max(1, Math.min(2, availableParallelism() - 1)),
    min: 1,
    max: 64,
    doc: "Scoring worker threads (onnxruntime, one intra-op thread each). Default: cores - 1, at most 2.",
  },
  "weldQuality.enabled": { kind: "boolean", default: true, doc: "Run the weld quality processor." },
  "weldQuality.regression": {
    kind: "string",
    default: "rsw-nugget-regression",
    doc: "Model name of the nugget diameter regression (live version from the registry, else the newest).",
  },
  "weldQuality.anomaly": {
    kind: "string",
    default: "rsw-curve-autoencoder",
    doc: "Model name of the curve autoencoder.",
  },
  "weldQuality.batchSize": {
    kind: "integer",
    default: 256,
    min: 1,
    max: 10000,
    doc: "Most spots per batch.",
  },
  "weldQuality.batchWaitMs": {
    kind: "integer",
    default: 2,
    min: 0,
    max: 1000,
    doc: "How long (ms) a batch waits for more spots once it has one.",
  },
  "weldQuality.maxInFlightBatches": {
    kind: "integer",
    default: 4,
    min: 1,
    max: 64,
    doc: "Batches being scored at once; more spots wait in the queue.",
  },
  "lifecycle.minCanarySpots": {
    kind: "integer",
    default: 200,
    min: 1,
    doc: "Spots a canary scores before its automatic-rollback limits are checked.",
  },
  "lifecycle.maxErrorRate": {
    kind: "number",
    default: 0.02,
    min: 0,
    max: 1,
    doc: "A canary whose share of failed spots passes this is rolled back.",
  },
  "lifecycle.maxLatencyMs": {
    kind: "number",
    default: 1,
    min: 0,
    doc: "A canary whose mean model time per spot (ms) passes this is rolled back.",
  },
  "lifecycle.maxDisagreement": {
    kind: "number",
    default: 0.1,
    min: 0,
    max: 1,
    doc: "A canary whose share of spots disagreeing with the live model (flag, or nugget off by more than 0.5 mm) passes this is rolled back.",
  },
  "drift.windowSpots": {
    kind: "integer",
    default: 500,
    min: 20,
    doc: "Spots per line/cell and weld program in each drift window (one PSI per input per full window).",
  },
  "drift.psiThreshold": {
    kind: "number",
    default: 0.25,
    min: 0,
    doc: "PSI above which an input (or the anomaly score) of a cell raises a drift alarm.",
  },
  "checkGate.enabled": { kind: "boolean", default: true, doc: "Run the check gate processor." },
  "checkGate.rulesFile": {
    kind: "path",
    default: "./models/check-gate.rules.yaml",
    doc: "Check gate rules (watched; a broken edit keeps the last good rules).",
  },
  "checkGate.spotsPerBody": {
    kind: "integer",
    default: 0,
    min: 0,
    doc: "Decide a body once this many weld-quality results arrived for it (0 = the rules' value).",
  },
  "splatter.enabled": {
    kind: "boolean",
    default: false,
    doc: "Run the weld splatter processor (needs the image store at `splatter.imageRoot`).",
  },
  "splatter.model": {
    kind: "string",
    default: "splatter-patch-classifier",
    doc: "Model name of the splatter patch classifier.",
  },
  "splatter.imageRoot": {
    kind: "path",
    default: "./data/images",
    doc: "The image store: image events may only name files below it (file: URIs or relative paths).",
  },
  "splatter.zonesFile": {
    kind: "path",
    default: "./models/splatter-zones.yaml",
    doc: "Zone map of the splatter station: per camera its frame size and named zones (also read by the check gate).",
  },
  "splatter.maxImageBytes": {
    kind: "integer",
    default: 33554432,
    min: 1024,
    doc: "Largest image file (bytes) read; larger files are refused before decoding.",
  },
  "splatter.maxQueue": {
    kind: "integer",
    default: 16,
    min: 1,
    max: 10000,
    doc: "Images waiting to be scored; beyond this the oldest are answered `late` (unscored), never dropped.",
  },
  "splatter.workers": {
    kind: "integer",
    default: 1,
    min: 1,
    max: 16,
    doc: "Splatter worker threads (one image each at a time).",
  },
} satisfies Record<string, Setting>;

export type SettingKey = keyof typeof settings;
export type ProcessorsConfig = { readonly [K in SettingKey]: (typeof settings)[K]["default"] };

export function envName(key: string): string {
  return `UNS_PROC_${key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/\./g, "_")
    .toUpperCase()}`;
}

function flatten(value: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
  return out;
}

function coerce(key: string, s: Setting, raw: unknown, problems: string[], from: string): unknown {
  const text = typeof raw === "string" ? raw.trim() : raw;
  switch (s.kind) {
    case "boolean":
      if (typeof text === "boolean") return text;
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      problems.push(`${from}: ${key} must be true or false, got ${JSON.stringify(raw)}`);
      return s.default;
    case "integer":
    case "number": {
      const n = typeof text === "number" ? text : Number(text);
      const ok = Number.isFinite(n) && (s.kind === "number" || Number.isInteger(n));
      if (!ok || (s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) {
        const range = `${s.min ?? "-inf"}..${s.max ?? "inf"}`;
        problems.push(
          `${from}: ${key} must be ${s.kind === "integer" ? "an integer" : "a number"} in ${range}, got ${JSON.stringify(raw)}`,
        );
        return s.default;
      }
      return n;
    }
    default:
      if (typeof text !== "string") {
        problems.push(`${from}: ${key} must be a string, got ${JSON.stringify(raw)}`);
        return s.default;
      }
      return s.kind === "path" ? resolve(text) : text;
  }
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  file?: string;
  overrides?: Partial<Record<SettingKey, unknown>>;
}

export function loadConfig(options: LoadConfigOptions = {}): ProcessorsConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const table = settings as Record<string, Setting>;
  for (const [key, s] of Object.entries(table))
    values[key] = s.kind === "path" ? resolve(s.default as string) : s.default;
  const file = options.file ?? env.UNS_PROC_CONFIG;
  if (file) {
    try {
      const parsed = flatten(parseYaml(readFileSync(file, "utf8")) ?? {});
      for (const [key, raw] of Object.entries(parsed)) {
        const s = table[key];
        if (!s) problems.push(`${file}: unknown setting ${key} (known: ${Object.keys(table).join(", ")})`);
        else values[key] = coerce(key, s, raw, problems, file);
      }
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  for (const [key, s] of Object.entries(table)) {
    const raw = env[envName(key)];
    if (raw !== undefined && raw !== "") values[key] = coerce(key, s, raw, problems, envName(key));
  }
  for (const [key, raw] of Object.entries(options.overrides ?? {})) {
    const s = table[key];
    if (!s) problems.push(`override: unknown setting ${key}`);
    else values[key] = coerce(key, s, raw, problems, "override");
  }
  if (problems.length > 0)
    throw processorError(
      "UNS_ERR_PROC_CONFIG",
      `invalid processors configuration:\n  ${problems.join("\n  ")}`,
      {
        details: problems,
      },
    );
  return Object.freeze(values) as ProcessorsConfig;
}

/** The settings as a Markdown table (apps/processors/docs/configuration section). */
export function settingsMarkdown(): string {
  const rows = ["| setting | variable | default | meaning |", "|---|---|---|---|"];
  for (const [key, s] of Object.entries(settings as Record<string, Setting>)) {
    const def = key === "workers.size" ? "cores - 1, at most 2" : JSON.stringify(s.default);
    rows.push(`| \`${key}\` | \`${envName(key)}\` | ${def} | ${s.doc.replace(/\|/g, "\\|")} |`);
  }
  return rows.join("\n");
}
