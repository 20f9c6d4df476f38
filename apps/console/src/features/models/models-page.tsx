import { useQuery } from "@tanstack/react-query";
import type { ModelRegistrySync } from "@uns/api-contract";
import { useState } from "react";
import { getJson } from "../../lib/api";
import { useMe } from "../../lib/auth";
import { formatCount } from "../../lib/format";
import { useLiveInterval } from "../../lib/live";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { CanaryButton, ModelActions, useModelChange } from "./model-actions";

/**
 * Models: the inference processors (up, lag, rate, errors, drift) and every model with its
 * versions, training / held-out metrics, live / canary / shadow, online accuracy from the delayed
 * ground truth, and the history of changes. /api/v1/models reads the registry from the store (the
 * record) and adds what the processors serve now; /api/v1/processors is relayed. Admins start a canary, promote it and roll back from
 * here (model-actions.tsx), as with the API (POST /api/v1/models/<name>/deploy | promote | rollback).
 */
interface ProcessorStatus {
  id: string;
  up: boolean;
  connected?: boolean;
  received?: number;
  published?: number;
  invalid?: number;
  modelErrors?: number;
  refusedResults?: number;
  queued?: number;
  ratePerSecond?: number;
  lagMs?: { p50: number; p99: number };
  lastInvalid?: string | null;
  drift?: {
    alarms: number;
    windows: { scope: string; program: string; psi: Record<string, number>; alarm: string[] }[];
  };
  decisions?: number;
  registry?: ModelRegistrySync;
}

interface OnlineStats {
  version: string;
  spots: number;
  errors: number;
  msPerSpot: number;
  compared: number;
  disagreement: number;
  accuracy: { truths: number; mae?: number; recall?: number; falseAlarmRate?: number };
}

interface ModelRecord {
  name: string;
  /** The deployment as the store records it. */
  live: string | null;
  canary: { version: string; share: number } | null;
  shadow: string | null;
  /** Whether the processors answered (then `serving` is what they serve now). */
  processors?: "up" | "unreachable";
  versions: Record<
    string,
    {
      version: string;
      kind: string;
      sha256: string;
      metrics?: { heldOut?: Record<string, unknown> };
      registeredAt: string;
    }
  >;
  serving: {
    live: string | null;
    canary: { version: string; share: number } | null;
    shadow: string | null;
  } | null;
  history: { at: string; action: string; version: string | null; reason: string; by?: string }[];
  online: OnlineStats[];
}

const num = (v: unknown, digits = 3) => (typeof v === "number" ? v.toFixed(digits) : "–");

function heldOut(m: Record<string, unknown> | undefined): string {
  if (!m) return "–";
  if ("mae" in m) return `MAE ${num(m.mae)} mm (mean: ${num(m.maeOfMean)})`;
  return `ROC-AUC ${num(m.rocAuc)}, recall ${num(m.recall)}, false alarms ${num(m.falseAlarmRate)}`;
}

function role(model: ModelRecord, version: string): string {
  // What the processors serve now; when they do not answer, what the store records.
  const s = model.serving ?? model;
  if (s.live === version) return "live";
  if (s.canary?.version === version) return `canary ${Math.round(s.canary.share * 100)} %`;
  if (s.shadow === version) return "shadow";
  return "";
}

function ProcessorsTable({ list }: { list: ProcessorStatus[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="processors-table">
        <thead>
          <tr>
            <th>processor</th>
            <th>state</th>
            <th>received</th>
            <th>published</th>
            <th>invalid in</th>
            <th>errors</th>
            <th>queue</th>
            <th>rate /s</th>
            <th>lag p50 / p99 ms</th>
            <th>drift alarms</th>
          </tr>
        </thead>
        <tbody>
          {list.map((p) => (
            <tr key={p.id}>
              <td>{p.id}</td>
              <td>{p.up ? (p.connected === false ? "reconnecting" : "up") : "down"}</td>
              <td>{formatCount(p.received ?? null)}</td>
              <td>{formatCount(p.published ?? p.decisions ?? null)}</td>
              <td title={p.lastInvalid ?? undefined}>{formatCount(p.invalid ?? null)}</td>
              <td>{formatCount((p.modelErrors ?? 0) + (p.refusedResults ?? 0))}</td>
              <td>{formatCount(p.queued ?? null)}</td>
              <td>{p.ratePerSecond ?? "–"}</td>
              <td>{p.lagMs ? `${p.lagMs.p50} / ${p.lagMs.p99}` : "–"}</td>
              <td>{p.drift ? p.drift.alarms : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One line: is the processors' registry cache in step with the store, since when, the last error. */
function RegistrySyncLine({ sync }: { sync: ModelRegistrySync }) {
  const state = sync.inSync
    ? "in step with the store"
    : sync.record === "file"
      ? "local file only (no registry.url)"
      : `not in step: ${sync.pending} change(s) wait in the local cache`;
  return (
    <p data-testid="registry-sync">
      Model registry: {state}; last sync {sync.lastSyncAt ? <Time value={sync.lastSyncAt} /> : "never"}
      {sync.conflicts > 0 ? `; ${sync.conflicts} stale change(s) refused by the store` : ""}
      {sync.lastError && sync.lastErrorAt ? (
        <>
          ; last error <Time value={sync.lastErrorAt} />: {sync.lastError}
        </>
      ) : null}
    </p>
  );
}

function ModelSection({ model, admin }: { model: ModelRecord; admin: boolean }) {
  const versions = Object.values(model.versions).sort((a, b) => b.registeredAt.localeCompare(a.registeredAt));
  const change = useModelChange(model.name);
  const [reason, setReason] = useState("");
  const live = model.serving?.live ?? null;
  const canary = model.serving?.canary?.version ?? null;
  return (
    <Section title={model.name}>
      {model.processors === "unreachable" ? (
        <p data-testid="processors-unreachable">
          The processors do not answer: the roles shown are those recorded in the store.
        </p>
      ) : null}
      {admin && model.serving ? (
        <ModelActions
          name={model.name}
          live={live}
          canary={canary}
          change={change}
          reason={reason}
          onReason={setReason}
        />
      ) : null}
      <div className="table-wrap">
        <table data-testid={`model-${model.name}`}>
          <thead>
            <tr>
              <th>version</th>
              <th>role</th>
              <th>held-out (training)</th>
              <th>scored</th>
              <th>errors</th>
              <th>ms / spot</th>
              <th>disagreement with live</th>
              <th>online accuracy</th>
              {admin ? <th>actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const o = model.online.find((x) => x.version === v.version);
              return (
                <tr key={v.version}>
                  <td title={v.sha256}>{v.version}</td>
                  <td>{role(model, v.version)}</td>
                  <td>{heldOut(v.metrics?.heldOut)}</td>
                  <td>{formatCount(o?.spots ?? null)}</td>
                  <td>{formatCount(o?.errors ?? null)}</td>
                  <td>{o ? o.msPerSpot.toFixed(4) : "–"}</td>
                  <td>{o?.compared ? `${(o.disagreement * 100).toFixed(1)} %` : "–"}</td>
                  <td>
                    {o?.accuracy.truths
                      ? o.accuracy.mae !== undefined
                        ? `MAE ${o.accuracy.mae.toFixed(3)} mm over ${o.accuracy.truths}`
                        : `recall ${num(o.accuracy.recall)}, false alarms ${num(o.accuracy.falseAlarmRate)} over ${o.accuracy.truths}`
                      : "–"}
                  </td>
                  {admin ? (
                    <td>
                      {model.serving && v.version !== live && v.version !== canary ? (
                        <CanaryButton
                          name={model.name}
                          version={v.version}
                          live={live}
                          change={change}
                          reason={reason}
                        />
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <details>
        <summary>History ({model.history.length})</summary>
        <ul>
          {model.history
            .slice(-20)
            .reverse()
            .map((h) => (
              <li key={`${h.at}-${h.action}`}>
                <Time value={h.at} /> {h.action} {h.version ?? ""}
                {h.by ? ` by ${h.by}` : ""}: {h.reason}
              </li>
            ))}
        </ul>
      </details>
    </Section>
  );
}

export function ModelsPage() {
  const admin = useMe().api === "admin";
  const interval = useLiveInterval(5_000);
  const processors = useQuery({
    queryKey: ["processors"],
    queryFn: ({ signal }) => getJson<ProcessorStatus[]>("/processors", signal),
    refetchInterval: interval,
  });
  const models = useQuery({
    queryKey: ["models"],
    queryFn: ({ signal }) => getJson<ModelRecord[]>("/models", signal),
    refetchInterval: interval,
  });
  return (
    <>
      <PageHeader title="Models" />
      <Section title="Processors">
        <QueryView
          query={processors}
          isEmpty={(d) => d.length === 0}
          empty={<Empty title="No processors running" />}
        >
          {(list) => (
            <>
              {list[0]?.registry ? <RegistrySyncLine sync={list[0].registry} /> : null}
              <ProcessorsTable list={list} />
            </>
          )}
        </QueryView>
      </Section>
      <QueryView
        query={models}
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="No models registered" />}
      >
        {(list) => (
          <>
            {list.map((m) => (
              <ModelSection key={m.name} model={m} admin={admin} />
            ))}
          </>
        )}
      </QueryView>
    </>
  );
}
