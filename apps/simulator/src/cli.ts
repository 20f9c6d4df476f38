import { parseArgs } from "node:util";
import { UnsError } from "@uns/errors";
import { BAD_KINDS, type BadKind, isBadKind } from "./bad-traffic.js";
import { CHANNELS, type ChannelId, isChannelId } from "./channels.js";
import type { SimulationOptions, SimulationSummary, TruthSink } from "./run-simulation.js";

export const USAGE = `Usage: uns-simulate [options]      (from the repository root: pnpm simulate -- [options])

Publishes the traffic of a simulated body shop (weld spots, ground truth, camera image events,
line state and counts, alarms) to an MQTT broker, optionally with bad traffic, then prints a summary.

Connection
  --url <url>              broker URL (default mqtt://localhost:1883)
  --username <name>        MQTT username (or UNS_SIMULATOR_USERNAME)
  --password <secret>      MQTT password (or UNS_SIMULATOR_PASSWORD, which keeps it out of ps)
  --client-id <prefix>     client id prefix; client i is <prefix>-<i> (default uns-sim-<seed>)
  --clients <n>            publishing clients; devices are spread over them (default 1)
  --qos <0|1>              QoS of every publish (default 1)
  --window <n>             messages in flight per client before waiting (default 1000)

How much
  --rate <n|max>           messages per second over all clients, or max: as fast as the broker
                           acknowledges within the window (default 100)
  --count <n>              stop after n messages
  --duration <s>           stop after s seconds (without --count or --duration: until Ctrl-C)

What
  --config <plant.yaml>    plant config (default: the built-in demonstration plant, see
                           apps/simulator/plant.example.yaml)
  --seed <seed>            seed of all randomness; same seed and options, same traffic (default 1)
  --start-time <iso>       fixed plant clock start, e.g. 2026-03-02T06:00:00Z: payload times then
                           follow the simulated clock, never the wall clock (byte-identical runs)
  --channels <ids>         comma-separated channel ids to publish (default: all device channels:
                           ${["weldSpot", "weldSpotTruth", "imageEvent", "lineState", "lineCounts", "alarm"].join(", ")})
  --truth <where>          spot ground truth to: topic | file | both | none (default topic)
  --truth-file <file>      JSON lines file for --truth file|both (default data/truth/weld-spot-truth.jsonl)
  --image-dir <dir>        image store for camera images (default data/images)

Bad traffic (replaces a share of the weld-spot messages)
  --bad-rate <0..1>        share of weld spots that are bad, e.g. 0.05 (default 0)
  --bad-kinds <kinds>      comma-separated, default all: ${BAD_KINDS.join(", ")}

Output
  --progress <s>           progress line every s seconds on stderr (default 5; 0 = none)
  --json                   print the summary as JSON
  --help                   this text
`;

export class UsageError extends UnsError<"UNS_ERR_SIM_USAGE"> {
  override readonly name = "UsageError";
  constructor(message: string) {
    super("UNS_ERR_SIM_USAGE", message);
  }
}

export interface CliCommand {
  help: boolean;
  json: boolean;
  progressSeconds: number;
  options: SimulationOptions;
}

/**
 * Turns command-line arguments (and the two credential variables) into simulation options.
 * Every problem is reported at once in one UsageError.
 */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `pnpm simulate -- --rate 10` passes the "--" through; npm does not. Accept both.
      args: argv[0] === "--" ? argv.slice(1) : [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        "client-id": { type: "string" },
        clients: { type: "string" },
        qos: { type: "string" },
        window: { type: "string" },
        rate: { type: "string" },
        count: { type: "string" },
        duration: { type: "string" },
        config: { type: "string" },
        seed: { type: "string" },
        "start-time": { type: "string" },
        channels: { type: "string" },
        truth: { type: "string" },
        "truth-file": { type: "string" },
        "image-dir": { type: "string" },
        "bad-rate": { type: "string" },
        "bad-kinds": { type: "string" },
        progress: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  const problems: string[] = [];
  const str = (k: string) => values[k] as string | undefined;
  const int = (k: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(
        `--${k} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ""}, got "${v}"`,
      );
      return undefined;
    }
    return n;
  };
  const num = (k: string, min: number, max: number, exclusiveMin = false): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n > max || (exclusiveMin ? n <= min : n < min)) {
      problems.push(`--${k} must be a number ${exclusiveMin ? ">" : ">="} ${min} and <= ${max}, got "${v}"`);
      return undefined;
    }
    return n;
  };
  const list = (k: string): string[] | undefined =>
    str(k)
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);

  const options: SimulationOptions = {};
  options.url = str("url") ?? "mqtt://localhost:1883";
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url))
    problems.push(`--url must be an mqtt://, mqtts://, ws:// or wss:// URL, got "${options.url}"`);
  options.username = str("username") ?? env.UNS_SIMULATOR_USERNAME;
  options.password = str("password") ?? env.UNS_SIMULATOR_PASSWORD;
  options.clientId = str("client-id");
  options.clients = int("clients", 1, 1000);
  const qos = int("qos", 0, 1);
  options.qos = qos === undefined ? 1 : (qos as 0 | 1);
  options.window = int("window", 1, 65000);

  const rate = str("rate");
  if (rate === "max") options.rate = "max";
  else if (rate !== undefined) options.rate = num("rate", 0, 1_000_000, true);
  options.count = int("count", 1);
  const duration = num("duration", 0, 365 * 24 * 3600, true);
  if (duration !== undefined) options.durationMs = Math.round(duration * 1000);

  options.config = str("config");
  options.seed = str("seed") ?? "1";
  const start = str("start-time");
  if (start !== undefined) {
    if (Number.isFinite(Date.parse(start))) options.startTime = start;
    else problems.push(`--start-time must be an ISO 8601 time such as 2026-03-02T06:00:00Z, got "${start}"`);
  }
  const channels = list("channels");
  if (channels) {
    const bad = channels.filter((c) => !isChannelId(c));
    if (bad.length > 0)
      problems.push(`--channels: unknown ${bad.join(", ")}; known: ${Object.keys(CHANNELS).join(", ")}`);
    options.channels = channels.filter(isChannelId) as ChannelId[];
  }
  const truth = str("truth");
  if (truth !== undefined) {
    if (["topic", "file", "both", "none"].includes(truth)) options.truth = truth as TruthSink;
    else problems.push(`--truth must be topic, file, both or none, got "${truth}"`);
  }
  options.truthFile = str("truth-file");
  options.imageDir = str("image-dir");

  options.badRate = num("bad-rate", 0, 1);
  const kinds = list("bad-kinds");
  if (kinds) {
    const bad = kinds.filter((k) => !isBadKind(k));
    if (bad.length > 0)
      problems.push(`--bad-kinds: unknown ${bad.join(", ")}; known: ${BAD_KINDS.join(", ")}`);
    options.badKinds = kinds.filter(isBadKind) as BadKind[];
    if (options.badKinds.length === 0 && bad.length === 0)
      problems.push("--bad-kinds needs at least one kind");
  }
  const progressSeconds = num("progress", 0, 3600) ?? 5;

  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  // Drop undefined keys so the library's defaults apply.
  for (const key of Object.keys(options) as (keyof SimulationOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return { help: values.help === true, json: values.json === true, progressSeconds, options };
}

/** A few lines for people: totals, then one line per kind. */
export function formatSummary(s: SimulationSummary): string {
  const seconds = (s.durationMs / 1000).toFixed(1);
  const ack =
    s.acknowledged === null ? "QoS 0: no acknowledgements" : `acknowledged ${s.acknowledged} (PUBACK)`;
  const lines = [
    `simulator: ${s.sent} sent, ${ack}, ${s.failed} failed, ${s.inFlight} unacknowledged, in ${seconds} s (${s.rate}/s) to ${s.url} with ${s.clients} client(s)`,
  ];
  for (const [kind, c] of Object.entries(s.byKind)) {
    lines.push(
      `  ${kind.padEnd(15)} sent ${String(c.sent).padStart(8)}   ${s.qos > 0 ? "acknowledged" : "written"} ${String(c.completed).padStart(8)}   failed ${c.failed}`,
    );
  }
  const channels = Object.entries(s.byChannel)
    .map(([c, n]) => `${c} ${n}`)
    .join(", ");
  lines.push(`  by channel: ${channels}`);
  if (s.images > 0) lines.push(`  images written: ${s.images}`);
  if (s.truthRecords > 0) lines.push(`  ground-truth records written: ${s.truthRecords}`);
  for (const e of s.errors) lines.push(`  client error: ${e}`);
  return lines.join("\n");
}
