import { type FSWatcher, watch } from "node:fs";
import { isAbsolute, relative } from "node:path";
import {
  type Access,
  type ChannelSpec,
  type ContractSet,
  type Diagnostic,
  type LoadedDocument,
  loadAccess,
  loadContracts,
  loadTopicTree,
  matchChannel,
  type TopicTree,
} from "@uns/contracts";
import { createError } from "./errors.js";

/** Everything the broker decides with, swapped as one piece on a reload. */
export interface GovernanceSnapshot {
  tree: TopicTree;
  access: Access;
  contracts: ContractSet;
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
  channels: Map<string, ChannelSpec>;
  matchChannel: (topic: string) => { channel: ChannelSpec } | undefined;
  loadedAt: Date;
}

export interface ReloadReport {
  at: Date;
  part: "contracts" | "topics";
  ok: boolean;
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

async function loadContractsStrict(dir: string) {
  const loaded = await loadContracts(dir);
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw createError(
      "UNS_ERR_CONTRACTS_INVALID",
      `broken AsyncAPI document(s) in ${dir}:\n  ${formatDiagnostics(errors)}`,
      {
        details: errors,
      },
    );
  }
  return loaded;
}

function loadTopicsStrict(dir: string) {
  try {
    return { tree: loadTopicTree(dir), access: loadAccess(dir) };
  } catch (cause) {
    throw createError("UNS_ERR_TOPICS_INVALID", `cannot load ${dir}: ${(cause as Error).message}`, { cause });
  }
}

function snapshot(
  topics: { tree: TopicTree; access: Access },
  raw: { set: ContractSet; documents: LoadedDocument[]; diagnostics: Diagnostic[] },
  contractsDir: string,
): GovernanceSnapshot {
  // Files are named relative to the contracts folder in records, the API and the console
  // ("weld-spot.yaml", not the absolute path of wherever the server happens to run).
  const rel = (file: string) => (isAbsolute(file) ? relative(contractsDir, file) || file : file);
  const loaded = {
    set: { ...raw.set, channels: raw.set.channels.map((c) => ({ ...c, file: rel(c.file) })) },
    documents: raw.documents.map((d) => ({ ...d, file: rel(d.file) })),
    diagnostics: raw.diagnostics.map((d) => ({ ...d, file: rel(d.file) })),
  };
  const channels = new Map(loaded.set.channels.map((c) => [c.id, c]));
  const matcher = matchChannel(loaded.set);
  return {
    ...topics,
    contracts: loaded.set,
    documents: loaded.documents,
    diagnostics: loaded.diagnostics,
    channels,
    matchChannel: (topic) => {
      const m = matcher(topic);
      return m ? { channel: m.channel } : undefined;
    },
    loadedAt: new Date(),
  };
}

/**
 * Loads the topic tree, access rules and contracts, and keeps them current: an edit in
 * contractsDir or topicsDir is reloaded without a restart; a broken edit keeps the last good
 * version and is reported (log, API, `onReload`).
 */
export async function createGovernance(options: {
  contractsDir: string;
  topicsDir: string;
  logger: Logger;
  onChange: (snap: GovernanceSnapshot) => void;
  onReload?: (report: ReloadReport) => void;
  debounceMs?: number;
}) {
  let topics = loadTopicsStrict(options.topicsDir);
  let loaded = await loadContractsStrict(options.contractsDir);
  let current = snapshot(topics, loaded, options.contractsDir);
  const reports: ReloadReport[] = [];
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  let chain = Promise.resolve();

  function report(r: ReloadReport) {
    reports.push(r);
    if (reports.length > 50) reports.shift();
    options.onReload?.(r);
  }

  async function reload(part: "contracts" | "topics"): Promise<void> {
    try {
      if (part === "contracts") loaded = await loadContractsStrict(options.contractsDir);
      else topics = loadTopicsStrict(options.topicsDir);
      current = snapshot(topics, loaded, options.contractsDir);
      options.onChange(current);
      options.logger.info({ part }, `${part} reloaded`);
      report({
        at: new Date(),
        part,
        ok: true,
        message: `${part} reloaded`,
        diagnostics: part === "contracts" ? loaded.diagnostics : [],
      });
    } catch (err) {
      const e = err as Error & { details?: Diagnostic[] };
      options.logger.error({ part, err: e.message }, `${part} reload failed; keeping the last good version`);
      report({
        at: new Date(),
        part,
        ok: false,
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
    reload,
    /** Resolves when pending reloads have run (tests). */
    settled: () => chain,
    close() {
      for (const w of watchers) w.close();
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}

export type Governance = Awaited<ReturnType<typeof createGovernance>>;
