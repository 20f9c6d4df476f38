// Typed access to sparkplug-payload (Eclipse Tahu, CommonJS). Its own typings pull in `long` and
// `protobufjs` types that are not our dependencies, so we describe the small part we use here.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A protobufjs 64-bit integer (the `long` package), as found in decoded uint64 fields. */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(radix?: number): string;
  toSigned(): LongLike;
  toUnsigned(): LongLike;
}

export type ProtoInt64 = number | LongLike;

export interface ProtoPropertyValue {
  type: number;
  isNull: boolean;
  intValue: number | null;
  longValue: ProtoInt64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  propertysetValue: ProtoPropertySet | null;
  propertysetsValue: { propertyset: ProtoPropertySet[] } | null;
  /** Name of the oneof field that is set. */
  value?: string;
}

export interface ProtoPropertySet {
  keys: string[];
  values: ProtoPropertyValue[];
}

export interface ProtoMetaData {
  isMultiPart: boolean;
  contentType: string;
  size: ProtoInt64;
  seq: ProtoInt64;
  fileName: string;
  fileType: string;
  md5: string;
  description: string;
}

export interface ProtoDataSetValue {
  intValue: number | null;
  longValue: ProtoInt64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  value?: string;
}

export interface ProtoDataSet {
  numOfColumns: ProtoInt64;
  columns: string[];
  types: number[];
  rows: { elements: ProtoDataSetValue[] }[];
}

export interface ProtoParameter {
  name: string;
  type: number;
  intValue: number | null;
  longValue: ProtoInt64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  value?: string;
}

export interface ProtoTemplate {
  version: string;
  metrics: ProtoMetric[];
  parameters: ProtoParameter[];
  templateRef: string;
  isDefinition: boolean;
}

export interface ProtoMetric {
  name: string;
  alias: ProtoInt64;
  timestamp: ProtoInt64;
  datatype: number;
  isHistorical: boolean;
  isTransient: boolean;
  isNull: boolean;
  metadata: ProtoMetaData | null;
  properties: ProtoPropertySet | null;
  intValue: number | null;
  longValue: ProtoInt64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  bytesValue: Uint8Array | null;
  datasetValue: ProtoDataSet | null;
  templateValue: ProtoTemplate | null;
  value?: string;
}

export interface ProtoPayload {
  timestamp: ProtoInt64;
  metrics: ProtoMetric[];
  seq: ProtoInt64;
  uuid: string;
  body: Uint8Array;
}

interface ProtoRoot {
  org: { eclipse: { tahu: { protobuf: { Payload: { decode(bytes: Uint8Array): ProtoPayload } } } } };
}

/** Input of sparkplug-payload's encoder (its "user" payload form). */
export interface SparkplugMetricInput {
  name?: string;
  alias?: number;
  /** Datatype name, e.g. "Float", "Boolean", "UInt64" (case-insensitive in Tahu). */
  type: string;
  value: unknown;
  timestamp?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  properties?: Record<string, { type: string; value: unknown }>;
  metadata?: Record<string, unknown>;
}

export interface SparkplugPayloadInput {
  timestamp?: number;
  seq?: number;
  uuid?: string;
  body?: Uint8Array;
  metrics?: SparkplugMetricInput[];
}

interface TahuPayloadModule {
  encodePayload(payload: SparkplugPayloadInput): Uint8Array;
}

const protoRoot = require("sparkplug-payload/lib/sparkplugPayloadProto.js") as ProtoRoot;
const tahu = (require("sparkplug-payload") as { get(ns: string): TahuPayloadModule | null }).get("spBv1.0")!;

/** Decode raw protobuf; throws on malformed input (callers turn that into a violation). */
export function decodeProtoPayload(bytes: Uint8Array): ProtoPayload {
  return protoRoot.org.eclipse.tahu.protobuf.Payload.decode(bytes);
}

/**
 * Encode a Sparkplug B payload with Eclipse Tahu's encoder (sparkplug-payload).
 *
 * @example
 * encodeSparkplug({ timestamp: Date.now(), seq: 0, metrics: [{ name: "bdSeq", type: "UInt64", value: 0 }] })
 */
export function encodeSparkplug(payload: SparkplugPayloadInput): Uint8Array {
  return tahu.encodePayload(payload);
}

/** Did the decoder see this field on the wire? (protobufjs keeps defaults on the prototype.) */
export function has(message: object, field: string): boolean {
  return Object.hasOwn(message, field);
}
