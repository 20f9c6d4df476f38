/**
 * The tracker's shared state: every handler module takes this object (`tr`) explicitly, so the
 * state a step reads or writes is visible in its signature rather than captured from a closure.
 */

import type { SparkplugRule, ViolationContext } from "../rules.js";
import type { SparkplugConnectInfo, SparkplugIncoming, SparkplugTrackerOptions } from "../tracker.js";
import type {
  BirthInfo,
  DeathInfo,
  HistoryEntry,
  HostView,
  JsonValue,
  MetricQuality,
  MetricUpdate,
  RebirthRequest,
  SparkplugDataTypeName,
  SparkplugEdgeMessageType,
  SparkplugEdgeTopic,
  SparkplugMetaDataJson,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
  SparkplugViolation,
  StaleNotice,
} from "../types.js";

export interface MetricState {
  name: string;
  alias?: number | string;
  datatypeId: number;
  datatype: SparkplugDataTypeName;
  value: JsonValue;
  isNull: boolean;
  timestamp?: number;
  quality: MetricQuality;
  unit?: string;
  properties?: Record<string, SparkplugPropertyValueJson>;
  metadata?: SparkplugMetaDataJson;
  updatedAt: number;
}

export interface Scope {
  metrics: Map<string, MetricState>;
  /** alias (as string) -> metric */
  aliases: Map<string, MetricState>;
}

export interface DeviceState extends Scope {
  id: string;
  online: boolean;
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  history: HistoryEntry[];
}

export interface PendingSeq {
  deadline: number;
  /** The message whose seq revealed the gap. */
  opener: {
    topic: string;
    type: SparkplugEdgeMessageType;
    seq: number;
    time: number;
    clientId: string | null;
    payload: Uint8Array;
    device?: string;
  };
}

export interface NodeState extends Scope {
  group: string;
  edgeNode: string;
  online: boolean;
  born: boolean;
  clientId?: string | null;
  birthConnId?: number;
  bdSeq?: number | string;
  pastBdSeqs: (number | string)[];
  expectedSeq?: number;
  pending: Map<number, PendingSeq>;
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  devices: Map<string, DeviceState>;
  /** alias -> owner ("" = the edge node, else the device id) [tck-id-payloads-alias-uniqueness] */
  aliasOwners: Map<string, { owner: string; name: string }>;
  history: HistoryEntry[];
  rebirths: { requested: number; suppressed: number; lastRequestAt?: number; lastReason?: string };
  messages: number;
  violations: number;
  sessionEnd?: { deadline: number; clean: boolean; clientId: string };
}

export interface ConnectionState {
  connId: number;
  time: number;
  clean?: boolean;
  will: SparkplugConnectInfo["will"];
  checked: boolean;
}

export interface Acc {
  violations: SparkplugViolation[];
  mirror: MetricUpdate[];
  stale: StaleNotice[];
  rebirths: RebirthRequest[];
}

/** One decoded edge-node message on its way through the handlers. */
export interface Msg {
  t: SparkplugEdgeTopic;
  msg: SparkplugIncoming;
  time: number;
  clientId: string | null;
  payload: SparkplugPayloadJson;
  seq: number | undefined;
  flag: (rule: SparkplugRule, message: string, extra?: Partial<ViolationContext>) => void;
}

export interface TrackerState {
  opts: SparkplugTrackerOptions;
  now: () => number;
  /** Reorder window (ms), never negative. */
  window: number;
  deathGrace: number;
  historyLimit: number;
  rebirthOnModelMismatch: boolean;
  groups: Map<string, Map<string, NodeState>>;
  hosts: Map<string, HostView>;
  connections: Map<string, ConnectionState>;
  /** Nodes with an open reorder window or death grace period. */
  timed: Set<NodeState>;
  connSeq: number;
}

export function createTrackerState(opts: SparkplugTrackerOptions): TrackerState {
  const window = Math.max(0, opts.reorderWindowMs);
  return {
    opts,
    now: opts.now ?? Date.now,
    window,
    deathGrace: opts.deathGraceMs ?? Math.max(window, 1000),
    historyLimit: opts.historyLimit ?? 50,
    rebirthOnModelMismatch: opts.rebirthOnModelMismatch ?? true,
    groups: new Map(),
    hosts: new Map(),
    connections: new Map(),
    timed: new Set(),
    connSeq: 0,
  };
}

export const newAcc = (): Acc => ({ violations: [], mirror: [], stale: [], rebirths: [] });

export function findNode(tr: TrackerState, group: string, edgeNode: string): NodeState | undefined {
  return tr.groups.get(group)?.get(edgeNode);
}

export function nodeFor(tr: TrackerState, group: string, edgeNode: string): NodeState {
  let g = tr.groups.get(group);
  if (!g) {
    g = new Map();
    tr.groups.set(group, g);
  }
  let n = g.get(edgeNode);
  if (!n) {
    n = {
      group,
      edgeNode,
      online: false,
      born: false,
      pastBdSeqs: [],
      pending: new Map(),
      devices: new Map(),
      aliasOwners: new Map(),
      metrics: new Map(),
      aliases: new Map(),
      history: [],
      rebirths: { requested: 0, suppressed: 0 },
      messages: 0,
      violations: 0,
    };
    g.set(edgeNode, n);
  }
  return n;
}

export function pushHistory(tr: TrackerState, list: HistoryEntry[], entry: HistoryEntry): void {
  list.push(entry);
  if (list.length > tr.historyLimit) list.splice(0, list.length - tr.historyLimit);
}

export function update(
  node: NodeState,
  device: string | undefined,
  m: MetricState,
  quality: MetricQuality,
  timestamp: number,
): MetricUpdate {
  const u: MetricUpdate = {
    group: node.group,
    edgeNode: node.edgeNode,
    name: m.name,
    datatype: m.datatype,
    value: m.value,
    isNull: m.isNull,
    timestamp,
    quality,
  };
  if (device !== undefined) u.device = device;
  if (m.unit !== undefined) u.unit = m.unit;
  return u;
}

const LISTED = 5;

export function label(m: SparkplugMetricJson): string {
  return m.name ?? (m.alias !== undefined ? `alias ${m.alias}` : "(unnamed)");
}

export function listed(items: string[]): string {
  const head = items.slice(0, LISTED).join("; ");
  return items.length > LISTED ? `${head}; and ${items.length - LISTED} more` : head;
}
