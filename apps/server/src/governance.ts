import { type FSWatcher, watch } from "node:fs";
import {
  type Access,
  type ChannelSpec,
  type ChannelSummary,
  closeLoaderStandby,
  createChannelMatcher,
  type Diagnostic,
  type IsolatedLoadOptions,
  type LoadedDocument,
  loadAccess,
  loadContractsTransfer,
  loadTopicTreeIsolated,
  summarizeChannel,
  type TopicTree,
  type TransferredLoad,
  topicTreeFromData,
} from "@uns/contracts";
import { createError } from "./errors.js";
import { type HeldChannel, holdChannels, unknownLeafChannels } from "./governance-checks.js";

/** Everything the broker decides with, swapped as one piece on a reload. */
export interface GovernanceSnapshot {
  tree: TopicTree;
  access: Access;
  /** The set's version and its channels without schemas (lookups on the event loop). */
  contracts: { version: string; channels: ChannelSummary[] };
  /** The full `ContractSet` as JSON text: what the validation workers and the API take. */
  contractsJson: string;
  /** `ContractSet.channels` as JSON text. */
  channelsJson: string;
  /** One channel in full, schemas included (parsed from the JSON on first use). */
  fullChannel(id: string): ChannelSpec | undefined;
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
  channels: Map<string, ChannelSummary>;
  matchChannel: (topic: string) => { channel: ChannelSummary } | undefined;
  /** Channels tree leaves use that the last reload lost or broke: the last good version stays in force. */
  held: HeldChannel[];
  loadedAt: Date;
}

export interface ReloadReport {
  at: Date;
  part: "contracts" | "topics";
  /** false when the reload failed or held a channel back. */
  ok: boolean;
  /** true when the new version took effect (possibly with held channels). */
  applied: boolean;
  message: string;
  diagnostics: Diagnostic[];
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

function formatDiagnostics(diags: Diagnostic[]): string {
  return diags
    .filter((d) => d.severity === "error")
    .map(
      (d) =>
        `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""}${d.path ? ` at ${d.path}` : ""}: ${d.message}`,
    )
    .join("\n  ");
}

type Topics = { tree: TopicTree; access: Access };

/**
 * Loads the topic tree, access rules and contracts, and keeps them current: an edit in
 * contractsDir or topicsDir is reloaded without a restart; a broken edit keeps the last good
 * version and is reported (log, API, health, `onReload`).
 *
 * Parsing happens in a loader thread bounded in time and memory (libs/contracts
 * isolated-loader), so no file can stall the broker; the event loop only compiles the checked
 * tree and swaps the snapshot, in one assignment.
 *
 * Enforcement fails closed: a reload that drops a channel a tree leaf uses (file emptied,
 * deleted, channel renamed) keeps the last good channel and reports it as held; a tree whose
 * leaf names a channel no contract defines is refused.
 */
export async function createGovernance(options: {
  contractsDir: string;
  topicsDir: string;
  logger: Logger;
  onChange: (snap: GovernanceSnapshot) => void;
  onReload?: (report: ReloadReport) => void;
  debounceMs?: number;
  limits?: IsolatedLoadOptions;
}) {
  const limits = options.limits ?? {};

  async function loadContractsStrict(): Promise<TransferredLoad> {
    let loaded: TransferredLoad;
    try {
      // Files are named relative to the contracts folder in records, the API and the console
      // ("weld-spot.yaml", not the absolute path of wherever the server happens to run).
      loaded = await loadContractsTransfer(options.contractsDir, {
        ...limits,
        relativeTo: options.contractsDir,
      });
    } catch (cause) {
      const e = cause as Error & { code?: string; details?: Diagnostic[] };
      throw createError("UNS_ERR_CONTRACTS_INVALID", `cannot load ${options.contractsDir}: ${e.message}`, {
        cause,
        details: Array.isArray(e.details) ? e.details : [],
      });
    }
    if (loaded.cache) {
      const { hits, misses, warnings } = loaded.cache;
      for (const w of warnings) options.logger.warn({ code: "UNS_ERR_CONTRACT_CACHE" }, w);
      options.logger.info({ cached: hits, parsed: misses }, "contracts loaded");
    }
    const errors = loaded.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      throw createError(
        "UNS_ERR_CONTRACTS_INVALID",
        `broken AsyncAPI document(s) in ${options.contractsDir}:\n  ${formatDiagnostics(errors)}`,
        { details: errors },
      );
    }
    return loaded;
  }

  async function loadTopicsStrict(channels: ReadonlySet<string>): Promise<Topics> {
    let topics: Topics;
    try {
      const data = await loadTopicTreeIsolated(options.topicsDir, limits);
      topics = { tree: topicTreeFromData(data), access: loadAccess(options.topicsDir) };
    } catch (cause) {
      const e = cause as Error & { details?: { diagnostics?: Diagnostic[] } };
      throw createError("UNS_ERR_TOPICS_INVALID", `cannot load ${options.topicsDir}: ${e.message}`, {
        cause,
        details: e.details?.diagnostics ?? [],
      });
    }
    const unknown = unknownLeafChannels(topics.tree, channels);
    if (unknown.length > 0) {
      throw createError(
        "UNS_ERR_TOPICS_INVALID",
        `the topic tree ${topics.tree.file} names channels no contract defines (a leaf's messages would go ungoverned):\n  ${formatDiagnostics(unknown)}`,
        { details: unknown },
      );
    }
    return topics;
  }

  function snapshot(topics: Topics, loaded: TransferredLoad, held: HeldChannel[]): GovernanceSnapshot {
    // Held channels join the set as JSON text too: no schema is parsed on the event loop.
    const channelsJson = held.length
      ? `[${[loaded.set.channelsJson.slice(1, -1), ...held.map((h) => JSON.stringify(h.channel))]
          .filter((part) => part.length > 0)
          .join(",")}]`
      : loaded.set.channelsJson;
    // The held channels change what the workers validate with, so they change the version.
    const version = held.length
      ? `${loaded.set.version}+held:${held.map((h) => h.channel.id).join(",")}`
      : loaded.set.version;
    const summaries = [...loaded.set.channels, ...held.map((h) => summarizeChannel(h.channel))];
    const channels = new Map(summaries.map((c) => [c.id, c]));
    const matcher = createChannelMatcher({ channels: summaries });
    let full: Map<string, ChannelSpec> | undefined;
    return {
      ...topics,
      contracts: { version, channels: summaries },
      contractsJson: `{"version":${JSON.stringify(version)},"channels":${channelsJson}}`,
      channelsJson,
      fullChannel(id) {
        full ??= new Map((JSON.parse(channelsJson) as ChannelSpec[]).map((c) => [c.id, c]));
        return full.get(id);
      },
      documents: loaded.documents,
      diagnostics: [...loaded.diagnostics, ...held.map((h) => h.diagnostic)],
      channels,
      matchChannel: (topic) => {
        const channel = matcher.match(topic);
        return channel ? { channel } : undefined;
      },
      held,
      loadedAt: new Date(),
    };
  }

  let loaded = await loadContractsStrict();
  let topics = await loadTopicsStrict(new Set(loaded.set.channels.map((c) => c.id)));
  let current = snapshot(topics, loaded, []);
  const reports: ReloadReport[] = [];
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  let chain = Promise.resolve();
  let topicsRefused = false;

  function report(r: ReloadReport) {
    reports.push(r);
    if (reports.length > 50) reports.shift();
    options.onReload?.(r);
  }

  async function reload(part: "contracts" | "topics"): Promise<void> {
    try {
      let nextLoaded = loaded;
      let nextTopics = topics;
      if (part === "contracts") nextLoaded = await loadContractsStrict();
      else nextTopics = await loadTopicsStrict(new Set(current.channels.keys()));
      const held = holdChannels(nextTopics.tree, nextLoaded, current);
      // One assignment: the broker sees the old snapshot or the new one, never a mix.
      const next = snapshot(nextTopics, nextLoaded, held);
      loaded = nextLoaded;
      topics = nextTopics;
      current = next;
      options.onChange(current);
      const ok = held.length === 0;
      const message = ok
        ? `${part} reloaded`
        : `${part} reloaded, but the last good version of ${held.length} channel(s) stays in force:\n  ${formatDiagnostics(held.map((h) => h.diagnostic))}`;
      if (ok) options.logger.info({ part }, message);
      else options.logger.error({ part, held: held.map((h) => h.channel.id) }, message);
      report({
        at: new Date(),
        part,
        ok,
        applied: true,
        message,
        diagnostics: [...(part === "contracts" ? loaded.diagnostics : []), ...held.map((h) => h.diagnostic)],
      });
      if (part === "topics") topicsRefused = false;
      // A tree refused for naming a channel that was not there yet gets another chance.
      else if (topicsRefused) schedule("topics");
    } catch (err) {
      const e = err as Error & { code?: string; details?: Diagnostic[] };
      if (part === "topics") topicsRefused = true;
      options.logger.error({ part, err: e.message }, `${part} reload failed; keeping the last good version`);
      report({
        at: new Date(),
        part,
        ok: false,
        applied: false,
        message: e.message,
        diagnostics: Array.isArray(e.details) ? e.details : [],
      });
    }
  }

  function schedule(part: "contracts" | "topics") {
    clearTimeout(timers.get(part));
    timers.set(
      part,
      setTimeout(() => {
        chain = chain.then(() => reload(part));
      }, options.debounceMs ?? 150),
    );
  }

  for (const [dir, part] of [
    [options.contractsDir, "contracts"],
    [options.topicsDir, "topics"],
  ] as const) {
    try {
      watchers.push(watch(dir, { recursive: true }, () => schedule(part)));
    } catch {
      // Recursive watching is not available everywhere; the top folder is enough for most plants.
      watchers.push(watch(dir, () => schedule(part)));
    }
  }

  return {
    get current() {
      return current;
    },
    /** Recent reloads, newest last (for the API and the console). */
    reloads: () => [...reports],
    /**
     * Whether what is in force is what the files say: false while a channel is held or the
     * newest reload of a part failed (health and the contracts API report it).
     */
    status() {
      const last = (part: "contracts" | "topics") => [...reports].reverse().find((r) => r.part === part);
      const failed = (["contracts", "topics"] as const)
        .map(last)
        .filter((r): r is ReloadReport => r !== undefined && !r.applied);
      return {
        ok: current.held.length === 0 && failed.length === 0,
        held: current.held.map((h) => ({
          channel: h.channel.id,
          leaves: h.leaves,
          reason: h.diagnostic.message,
        })),
        failedReloads: failed.map((r) => ({ part: r.part, at: r.at.toISOString(), message: r.message })),
      };
    },
    reload,
    /** Resolves when pending reloads have run (tests). */
    settled: () => chain,
    close() {
      for (const w of watchers) w.close();
      for (const t of timers.values()) clearTimeout(t);
      closeLoaderStandby();
    },
  };
}

export type Governance = Awaited<ReturnType<typeof createGovernance>>;
