import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Diagnostic } from "@uns/contracts";
import type { AlertRecord, Store } from "@uns/store";
import type { Logger } from "pino";
import { createError } from "../errors.js";
import { type KpiEngine, SPOT } from "../quality/kpi-engine.js";
import { placeOf } from "../quality/topic-place.js";
import { SecondRing } from "../quality/windows.js";
import { type ActionInput, type PersonAction, transition } from "./lifecycle.js";
import { type AlertRule, describeProblems, loadRulesFile, matchesFilter } from "./rules.js";

export interface AlertEngineOptions {
  store: Store;
  kpi: KpiEngine;
  logger: Logger;
  rulesFile: string;
  /** Every change of an alert, for the governed alerts topic and the webhook. */
  onChange?: (alert: AlertRecord, action: string, actor: string) => void;
  now?: () => number;
}

export interface PersonRequest {
  action: PersonAction;
  /** The version the person saw; a newer one means the alert changed meanwhile. */
  version: number;
  actor: string;
  comment?: string;
  assignee?: string | null;
  /** shelve: for how long (ms). */
  durationMs?: number;
}

interface Condition {
  pendingSince: number | null;
  active: boolean;
}

const CELL_FLAG = { anomalyRate: SPOT.anomaly, nokRate: SPOT.nok, belowLimitRate: SPOT.belowLimit } as const;
const SYSTEM = "system";

/**
 * Evaluates the alert rules on the KPI engine's sliding windows, keeps one open alert per rule
 * and source, and runs every change (from rules, from device alarms, from people) through one
 * queue on this thread: the version check and the write cannot interleave.
 */
export function createAlertEngine(o: AlertEngineOptions) {
  const now = o.now ?? Date.now;
  let rules: AlertRule[] = [];
  let problems: Diagnostic[] = [];
  let loadedAt: string | null = null;
  const open = new Map<string, AlertRecord>(); // `${ruleId}\0${source}`
  const byId = new Map<number, string>();
  const conditions = new Map<string, Condition>();
  const compliance = new Map<string, SecondRing<"valid" | "invalid">>();
  let queue: Promise<unknown> = Promise.resolve();
  let watcher: FSWatcher | null = null;
  let reloadTimer: NodeJS.Timeout | null = null;
  let stats = { evaluations: 0, suppressed: 0, raised: 0 };

  /** Serialise every change; a failed change does not stop the queue. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  }

  async function save(
    before: AlertRecord | null,
    after: AlertRecord,
    action: string,
    actor: string,
    comment: string | null = null,
    details: unknown = undefined,
  ): Promise<AlertRecord> {
    const id = await o.store.saveAlert({
      alert: after,
      action: {
        time: after.updatedAt,
        actor,
        action,
        fromState: before?.state ?? null,
        toState: after.state,
        comment,
        details,
      },
    });
    const saved = { ...after, id };
    const key = `${saved.ruleId}\u0000${saved.source}`;
    if (saved.state === "cleared") {
      open.delete(key);
      byId.delete(id);
    } else {
      open.set(key, saved);
      byId.set(id, key);
    }
    try {
      o.onChange?.(saved, action, actor);
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, "alerts: publishing a change failed");
    }
    return saved;
  }

  function raise(
    rule: { id: string; title: string; severity: string },
    source: string,
    origin: "rule" | "device",
    message: string,
    value: number | null,
    threshold: number | null,
    t: number,
    details?: unknown,
  ) {
    return serial(async () => {
      const key = `${rule.id}\u0000${source}`;
      const existing = open.get(key);
      const time = new Date(t).toISOString();
      if (existing) {
        if (existing.state !== "returned-unacknowledged") return existing;
        return save(
          existing,
          transition(existing, { action: "reactivate", actor: SYSTEM, time, value }),
          "reactivate",
          SYSTEM,
          null,
          details,
        );
      }
      stats.raised++;
      const alert: AlertRecord = {
        id: 0,
        ruleId: rule.id,
        source,
        origin,
        line: placeOf(`${source}/x`)?.line ?? null,
        severity: rule.severity,
        title: rule.title,
        message,
        state: "active-unacknowledged",
        value,
        threshold,
        raisedAt: time,
        ackedAt: null,
        ackedBy: null,
        returnedAt: null,
        clearedAt: null,
        clearedBy: null,
        assignee: null,
        shelvedUntil: null,
        suppressed: false,
        version: 1,
        updatedAt: time,
      };
      return save(null, alert, "raise", SYSTEM, null, details);
    });
  }

  function settle(ruleId: string, source: string, t: number, value: number | null) {
    return serial(async () => {
      const a = open.get(`${ruleId}\u0000${source}`);
      if (!a || a.state === "returned-unacknowledged") return a;
      const next = transition(a, { action: "return", actor: SYSTEM, time: new Date(t).toISOString() });
      return save(a, { ...next, value: value ?? a.value }, "return", SYSTEM);
    });
  }

  /** The rule's value and how much the window holds, per source. */
  function measure(
    rule: AlertRule,
    t: number,
  ): { source: string; value: number | null; count: number; line: string | null }[] {
    const out: { source: string; value: number | null; count: number; line: string | null }[] = [];
    if (
      rule.metric === "quality" ||
      rule.metric === "availability" ||
      rule.metric === "performance" ||
      rule.metric === "oee"
    ) {
      for (const line of o.kpi.lines()) {
        const w = o.kpi.lineWindow(line, t, rule.windowMs);
        if (!w) continue;
        const busy = w.runningMs + w.downMs;
        const a = busy > 0 ? w.runningMs / busy : null;
        const p = w.runningMs > 0 ? w.idealMs / w.runningMs : null;
        const q = w.produced > 0 ? w.good / w.produced : null;
        const value =
          rule.metric === "quality"
            ? q
            : rule.metric === "availability"
              ? a
              : rule.metric === "performance"
                ? p
                : a !== null && p !== null && q !== null
                  ? a * p * q
                  : null;
        out.push({ source: line, value, count: w.produced, line });
      }
    } else if (rule.metric in CELL_FLAG) {
      const flag = CELL_FLAG[rule.metric as keyof typeof CELL_FLAG];
      for (const cell of o.kpi.cells()) {
        const c = o.kpi.cellWindow(
          cell,
          flag,
          rule.spots ? { last: rule.spots } : { since: t - rule.windowMs },
        );
        if (!c) continue;
        out.push({
          source: cell,
          value: c.n > 0 ? c.hits / c.n : null,
          count: c.n,
          line: placeOf(`${cell}/x`)?.line ?? null,
        });
      }
    } else if (rule.metric === "compliance") {
      for (const [channel, ring] of compliance) {
        const s = ring.sum(t, rule.windowMs);
        const n = s.valid + s.invalid;
        out.push({ source: `channel/${channel}`, value: n > 0 ? s.valid / n : null, count: n, line: null });
      }
    } else if (rule.metric === "silence") {
      for (const [channel, line, seen] of o.kpi.lastSeenEntries()) {
        if (channel !== rule.channel) continue;
        out.push({ source: `${line}/${channel}`, value: (t - seen) / 1000, count: 1, line });
      }
    }
    return rule.match ? out.filter((m) => matchesFilter(rule.match!, m.source)) : out;
  }

  function evaluate(t = now()): void {
    stats.evaluations++;
    for (const rule of rules) {
      for (const m of measure(rule, t)) {
        const key = `${rule.id}\u0000${m.source}`;
        let c = conditions.get(key);
        if (!c) {
          c = {
            pendingSince: null,
            active: open.has(key) && open.get(key)!.state !== "returned-unacknowledged",
          };
          conditions.set(key, c);
        }
        if (m.value === null || m.count < rule.minCount) continue; // not enough to judge: no change
        const threshold = rule.metric === "silence" ? rule.windowMs / 1000 : (rule.below ?? rule.above)!;
        const bad =
          rule.metric === "silence"
            ? m.value > threshold
            : rule.below !== undefined
              ? m.value < rule.below
              : m.value > rule.above!;
        const normal =
          rule.metric === "silence"
            ? m.value <= threshold
            : rule.below !== undefined
              ? m.value >= rule.clearAt
              : m.value <= rule.clearAt;
        if (!c.active) {
          if (!bad) {
            c.pendingSince = null;
            continue;
          }
          const planned = m.line !== null && o.kpi.lineState(m.line)?.state === "maintenance";
          if (planned && !rule.duringPlannedStop) {
            // Suppressed while the line is in planned downtime (ISA-18.2 designed suppression).
            c.pendingSince = null;
            stats.suppressed++;
            continue;
          }
          c.pendingSince ??= t;
          if (t - c.pendingSince < rule.forMs) continue;
          c.active = true;
          c.pendingSince = null;
          const pct =
            rule.metric === "silence" || rule.metric === "performance"
              ? m.value.toFixed(1)
              : `${(m.value * 100).toFixed(1)} %`;
          raise(
            rule,
            m.source,
            "rule",
            `${rule.title}: ${pct} on ${m.source} (${m.count} in window)`,
            m.value,
            threshold,
            t,
            { count: m.count },
          ).catch((err: Error) =>
            o.logger.warn({ err: err.message, rule: rule.id }, "alerts: raising failed"),
          );
        } else if (normal) {
          c.active = false;
          settle(rule.id, m.source, t, m.value).catch((err: Error) =>
            o.logger.warn({ err: err.message, rule: rule.id }, "alerts: return to normal failed"),
          );
        }
      }
    }
    // Shelving ends by itself.
    for (const a of open.values()) {
      if (a.shelvedUntil && Date.parse(a.shelvedUntil) <= t)
        serial(async () => {
          const cur = open.get(`${a.ruleId}\u0000${a.source}`);
          if (!cur?.shelvedUntil || Date.parse(cur.shelvedUntil) > t) return;
          await save(
            cur,
            transition(cur, { action: "unshelve", actor: SYSTEM, time: new Date(t).toISOString() }),
            "unshelve",
            SYSTEM,
          );
        }).catch(() => undefined);
    }
  }

  async function reload(): Promise<void> {
    const shown = basename(o.rulesFile);
    const r = await loadRulesFile(o.rulesFile, `topics/${shown}`);
    if (r.rules === null) {
      problems = r.diagnostics;
      o.logger.error(
        { code: "UNS_ERR_ALERT_RULES", problems: describeProblems(r.diagnostics) },
        `alert rules not loaded, the last good rules stay (${rules.length}):\n  ${describeProblems(r.diagnostics).join("\n  ")}`,
      );
      return;
    }
    rules = r.rules;
    problems = [];
    loadedAt = new Date(now()).toISOString();
    o.logger.info({ rules: rules.length }, "alert rules loaded");
  }

  return {
    async start(): Promise<void> {
      for (const a of await o.store.openAlerts()) {
        open.set(`${a.ruleId}\u0000${a.source}`, a);
        byId.set(a.id, `${a.ruleId}\u0000${a.source}`);
      }
      await reload();
      try {
        watcher = watch(dirname(o.rulesFile), (_e, name) => {
          if (name && String(name) !== basename(o.rulesFile)) return;
          if (reloadTimer) clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => void reload(), 100);
        });
      } catch (err) {
        o.logger.warn({ err: (err as Error).message }, "alerts: rules folder not watched");
      }
    },
    stop(): Promise<unknown> {
      watcher?.close();
      if (reloadTimer) clearTimeout(reloadTimer);
      return queue;
    },
    evaluate,
    reload,
    /** Counts valid / invalid per channel (compliance rules). */
    observeOutcome(channel: string | null, outcome: string, t: number): void {
      if (!channel || (outcome !== "valid" && outcome !== "invalid")) return;
      let ring = compliance.get(channel);
      if (!ring) {
        ring = new SecondRing(["valid", "invalid"] as const);
        compliance.set(channel, ring);
      }
      ring.add(t, outcome === "valid" ? { valid: 1 } : { invalid: 1 });
    },
    /** Counts of one channel at one time (aggregated by a validation worker). */
    observeCounts(channel: string, t: number, valid: number, invalid: number): void {
      if (valid + invalid === 0) return;
      let ring = compliance.get(channel);
      if (!ring) {
        ring = new SecondRing(["valid", "invalid"] as const);
        compliance.set(channel, ring);
      }
      ring.add(t, { valid, invalid });
    },
    /** The plant's own `alarm` messages join the same list (one alert per code and device). */
    onDeviceAlarm(topic: string, payload: Uint8Array, t: number): void {
      const place = placeOf(`${topic}/x`);
      let p: Record<string, unknown>;
      try {
        p = JSON.parse(Buffer.from(payload).toString("utf8")) as Record<string, unknown>;
      } catch {
        return;
      }
      if (!place || typeof p?.code !== "string") return;
      const src = (p.source ?? {}) as { cell?: string; device?: string };
      const source = [place.line, src.cell, src.device].filter(Boolean).join("/");
      const rule = {
        id: `device.${p.code.toLowerCase()}`,
        title: String(p.text ?? p.code),
        severity: String(p.severity ?? "warning"),
      };
      const fail = (err: Error) => o.logger.warn({ err: err.message }, "alerts: device alarm not recorded");
      if (p.state === "raised")
        raise(rule, source, "device", `${p.code}: ${String(p.text ?? "")}`, null, null, t, {
          alarmId: p.alarmId,
        }).catch(fail);
      else if (p.state === "cleared") settle(rule.id, source, t, null).catch(fail);
    },
    /** A person's action; refused with 409 when the alert changed meanwhile or the state forbids it. */
    act(id: number, r: PersonRequest): Promise<AlertRecord> {
      return serial(async () => {
        const key = byId.get(id);
        const current = key ? open.get(key) : (await o.store.getAlert(id))?.alert;
        if (!current) throw createError("UNS_ERR_API_NOT_FOUND", `no alert ${id}`, { statusCode: 404 });
        if (current.version !== r.version)
          throw createError(
            "UNS_ERR_ALERT_CONFLICT",
            `alert ${id} changed meanwhile: it is at version ${current.version} (${current.state}), the action was for version ${r.version}`,
            { statusCode: 409, details: current },
          );
        const time = new Date(now()).toISOString();
        const input: ActionInput = { action: r.action, actor: r.actor, time };
        if (r.action === "assign") input.assignee = r.assignee ?? null;
        if (r.action === "shelve")
          input.shelvedUntil = new Date(now() + (r.durationMs ?? 3_600_000)).toISOString();
        const next = transition(current, input);
        return save(
          current,
          next,
          r.action,
          r.actor,
          r.comment ?? null,
          r.action === "assign" ? { assignee: input.assignee } : undefined,
        );
      });
    },
    rules: () => ({
      file: o.rulesFile,
      loadedAt,
      rules,
      problems: describeProblems(problems),
      diagnostics: problems,
    }),
    openAlerts: () => [...open.values()],
    stats: () => ({ ...stats, open: open.size, rules: rules.length }),
    /** Resolves when queued changes are written (tests). */
    settled: () => queue,
    resetStats() {
      stats = { evaluations: 0, suppressed: 0, raised: 0 };
    },
  };
}

export type AlertEngine = ReturnType<typeof createAlertEngine>;
