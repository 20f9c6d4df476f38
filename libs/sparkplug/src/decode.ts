import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import {
  decodeProtoPayload,
  has,
  type LongLike,
  type ProtoDataSet,
  type ProtoInt64,
  type ProtoMetaData,
  type ProtoMetric,
  type ProtoPayload,
  type ProtoPropertySet,
  type ProtoPropertyValue,
  type ProtoTemplate,
} from "./proto.js";
import { createViolation, type SparkplugRule } from "./rules.js";
import type {
  JsonValue,
  SparkplugDataTypeName,
  SparkplugMessageType,
  SparkplugMetaDataJson,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
  SparkplugViolation,
} from "./types.js";

/** Sparkplug 3.0 datatypes by wire value (§6.4.16). */
export const SPARKPLUG_DATATYPES: readonly SparkplugDataTypeName[] = [
  "Unknown",
  "Int8",
  "Int16",
  "Int32",
  "Int64",
  "UInt8",
  "UInt16",
  "UInt32",
  "UInt64",
  "Float",
  "Double",
  "Boolean",
  "String",
  "DateTime",
  "Text",
  "UUID",
  "DataSet",
  "Bytes",
  "File",
  "Template",
  "PropertySet",
  "PropertySetList",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Int64Array",
  "UInt8Array",
  "UInt16Array",
  "UInt32Array",
  "UInt64Array",
  "FloatArray",
  "DoubleArray",
  "BooleanArray",
  "StringArray",
  "DateTimeArray",
];

export function datatypeName(id: number): SparkplugDataTypeName {
  return SPARKPLUG_DATATYPES[id] ?? "Unknown";
}

export const COMPRESSED_UUID = "SPBV1.0_COMPRESSED";

export interface DecodeContext {
  topic?: string;
  type?: SparkplugMessageType;
  clientId?: string | null;
  time?: number;
  /** Cap on the inflated size of a compressed payload (bytes). Default 16 MiB. */
  maxDecompressedBytes?: number;
}

export type DecodeResult =
  | { ok: true; payload: SparkplugPayloadJson; violations: SparkplugViolation[] }
  | { ok: false; violations: SparkplugViolation[] };

const DEFAULT_MAX_DECOMPRESSED = 16 * 1024 * 1024;

/**
 * Decode a Sparkplug B payload into plain JSON. Never throws: a payload that does not decode yields
 * `{ ok: false }` with a `payload-decode` violation; structural faults found while decoding
 * (PropertySet or DataSet shapes, unknown datatypes) come back as violations next to the payload.
 * A `SPBV1.0_COMPRESSED` wrapper (DEFLATE or GZIP body, `algorithm` metric optional) is inflated
 * and the inner payload returned, with `compressed` describing the wrapper.
 *
 * @example
 * const r = decodeSparkplug(bytes);
 * if (r.ok) console.log(r.payload.seq, r.payload.metrics.map((m) => m.name));
 */
export function decodeSparkplug(payload: Uint8Array, ctx: DecodeContext = {}): DecodeResult {
  const issues: Issue[] = [];
  const fail = (message: string): DecodeResult => ({
    ok: false,
    violations: [toViolation({ rule: "payload-decode", message }, ctx)],
  });
  let proto: ProtoPayload;
  try {
    proto = decodeProtoPayload(payload);
  } catch (err) {
    return fail(`expected a Sparkplug B protobuf payload; it does not decode: ${errorText(err)}`);
  }
  let compressed: SparkplugPayloadJson["compressed"];
  if (has(proto, "uuid") && proto.uuid === COMPRESSED_UUID) {
    const inflated = inflate(proto, ctx.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED);
    if ("error" in inflated) return fail(inflated.error);
    try {
      const inner = decodeProtoPayload(inflated.bytes);
      if (has(inner, "uuid") && inner.uuid === COMPRESSED_UUID) {
        return fail("expected one level of compression; the inflated payload is compressed again");
      }
      proto = inner;
    } catch (err) {
      return fail(
        `expected a Sparkplug B protobuf inside the ${inflated.algorithm} body; it does not decode: ${errorText(err)}`,
      );
    }
    compressed = { algorithm: inflated.algorithm, compressedBytes: inflated.compressedBytes };
  }
  let json: SparkplugPayloadJson;
  try {
    json = payloadToJson(proto, issues);
  } catch (err) {
    return fail(`payload decodes but a value is malformed: ${errorText(err)}`);
  }
  if (compressed) json.compressed = compressed;
  return { ok: true, payload: json, violations: issues.map((i) => toViolation(i, ctx)) };
}

interface Issue {
  rule: SparkplugRule;
  message: string;
  metric?: string;
}

function toViolation(issue: Issue, ctx: DecodeContext): SparkplugViolation {
  return createViolation(issue.rule, {
    topic: ctx.topic ?? "",
    time: ctx.time ?? Date.now(),
    message: issue.message,
    ...(ctx.type !== undefined ? { type: ctx.type } : {}),
    ...(ctx.clientId !== undefined ? { clientId: ctx.clientId } : {}),
    ...(issue.metric !== undefined ? { metric: issue.metric } : {}),
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Inflated =
  | { bytes: Uint8Array; algorithm: "DEFLATE" | "GZIP"; compressedBytes: number }
  | { error: string };

function inflate(wrapper: ProtoPayload, maxOutputLength: number): Inflated {
  const algorithmMetric = (wrapper.metrics ?? []).find((m) => m.name === "algorithm");
  const named = algorithmMetric && has(algorithmMetric, "stringValue") ? algorithmMetric.stringValue : null;
  // Tahu omits the algorithm metric unless asked for one; DEFLATE is then implied.
  const algorithm = (named ?? "DEFLATE").toUpperCase();
  const body = has(wrapper, "body") ? wrapper.body : new Uint8Array();
  if (algorithm !== "DEFLATE" && algorithm !== "GZIP") {
    return { error: `expected compression algorithm DEFLATE or GZIP, got "${named}"` };
  }
  try {
    if (algorithm === "GZIP") {
      return { bytes: gunzipSync(body, { maxOutputLength }), algorithm, compressedBytes: body.length };
    }
    try {
      // pako.deflate (Tahu JS, Java Deflater) writes zlib-wrapped deflate ...
      return { bytes: inflateSync(body, { maxOutputLength }), algorithm, compressedBytes: body.length };
    } catch (err) {
      if (err instanceof RangeError) throw err;
      // ... some encoders write raw deflate.
      return { bytes: inflateRawSync(body, { maxOutputLength }), algorithm, compressedBytes: body.length };
    }
  } catch (err) {
    if (err instanceof RangeError) {
      return { error: `compressed body inflates beyond ${maxOutputLength} bytes` };
    }
    return { error: `expected a ${algorithm} compressed body; it does not inflate: ${errorText(err)}` };
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** uint64/int64 -> number when exact, else a decimal string. */
export function int64ToJson(v: ProtoInt64, signed = false): number | string {
  if (typeof v === "number") return v;
  const l: LongLike = signed ? v.toSigned() : v.toUnsigned();
  const s = l.toString();
  const b = BigInt(s);
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : s;
}

function bigintToJson(b: bigint): number | string {
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b.toString();
}

function payloadToJson(p: ProtoPayload, issues: Issue[]): SparkplugPayloadJson {
  const out: SparkplugPayloadJson = { metrics: [] };
  if (has(p, "timestamp")) out.timestamp = Number(int64ToJson(p.timestamp));
  if (has(p, "seq")) out.seq = int64ToJson(p.seq);
  if (has(p, "uuid")) out.uuid = p.uuid;
  if (has(p, "body")) out.body = Buffer.from(p.body).toString("base64");
  out.metrics = (p.metrics ?? []).map((m) => metricToJson(m, issues));
  return out;
}

export function metricToJson(m: ProtoMetric, issues: Issue[]): SparkplugMetricJson {
  const datatypeId = has(m, "datatype") ? m.datatype : 0;
  const datatype = datatypeName(datatypeId);
  const label = has(m, "name") ? m.name : has(m, "alias") ? `alias ${int64ToJson(m.alias)}` : "(unnamed)";
  // 0 (absent) is the birth checks' business; anything past the table is unknown.
  if (datatypeId > 0 && datatype === "Unknown") {
    issues.push({
      rule: "metric-datatype-unknown",
      metric: label,
      message: `metric "${label}": expected a Sparkplug 3.0 datatype (1..34), got ${datatypeId}`,
    });
  }
  const isNull = has(m, "isNull") && m.isNull === true;
  const field = m.value;
  const out: SparkplugMetricJson = {
    datatype,
    datatypeId,
    value: null,
    isNull,
    hasValue: isNull || field !== undefined,
  };
  if (has(m, "name")) out.name = m.name;
  if (has(m, "alias")) out.alias = int64ToJson(m.alias);
  if (has(m, "timestamp")) out.timestamp = Number(int64ToJson(m.timestamp));
  if (has(m, "isHistorical")) out.isHistorical = m.isHistorical;
  if (has(m, "isTransient")) out.isTransient = m.isTransient;
  if (!isNull && field !== undefined) out.value = metricValue(datatypeId, m, label, issues);
  if (has(m, "properties") && m.properties) out.properties = propertySetToJson(m.properties, label, issues);
  if (has(m, "metadata") && m.metadata) out.metadata = metaDataToJson(m.metadata);
  return out;
}

interface ScalarFields {
  intValue: number | null;
  longValue: ProtoInt64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  value?: string;
}

/** Interpret whichever value field is set according to the datatype (encoders disagree on int fields). */
function scalarValue(type: number, f: ScalarFields): JsonValue {
  const set = f.value;
  const intOf = (signed: boolean): number | string | null => {
    if (set === "intValue" && f.intValue !== null) return signed ? f.intValue | 0 : f.intValue >>> 0;
    if (set === "longValue" && f.longValue !== null) return int64ToJson(f.longValue, signed);
    return null;
  };
  switch (type) {
    case 1: // Int8
    case 2: // Int16
    case 3: {
      // Int32: int_value is uint32 on the wire, sign-extend by width
      const v = intOf(true);
      if (typeof v !== "number") return v;
      return type === 1 ? (v << 24) >> 24 : type === 2 ? (v << 16) >> 16 : v | 0;
    }
    case 5: // UInt8
    case 6: // UInt16
    case 7: {
      // UInt32
      const v = intOf(false);
      if (typeof v !== "number") return v;
      return type === 5 ? v & 0xff : type === 6 ? v & 0xffff : v >>> 0;
    }
    case 4: // Int64
      return intOf(true);
    case 8: // UInt64
    case 13: // DateTime
      return intOf(false);
    default:
      break;
  }
  switch (set) {
    case "intValue":
      return f.intValue;
    case "longValue":
      return f.longValue === null ? null : int64ToJson(f.longValue);
    case "floatValue":
      return f.floatValue;
    case "doubleValue":
      return f.doubleValue;
    case "booleanValue":
      return f.booleanValue;
    case "stringValue":
      return f.stringValue;
    default:
      return null;
  }
}

function metricValue(type: number, m: ProtoMetric, label: string, issues: Issue[]): JsonValue {
  switch (m.value) {
    case "bytesValue": {
      const bytes = m.bytesValue ?? new Uint8Array();
      if (type >= 22 && type <= 34) {
        const arr = decodeArray(type, bytes);
        if (arr !== undefined) return arr;
      }
      return Buffer.from(bytes).toString("base64");
    }
    case "datasetValue":
      return m.datasetValue ? dataSetToJson(m.datasetValue, label, issues) : null;
    case "templateValue":
      return m.templateValue ? templateToJson(m.templateValue, issues) : null;
    case "extensionValue":
      return null;
    default:
      return scalarValue(type, m);
  }
}

/** Sparkplug 3.0 array datatypes travel little-endian in bytes_value (§6.4.17). */
function decodeArray(type: number, b: Uint8Array): JsonValue[] | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fixed = (size: number, read: (offset: number) => JsonValue): JsonValue[] | undefined => {
    if (b.byteLength % size !== 0) return undefined;
    const out: JsonValue[] = new Array(b.byteLength / size);
    for (let i = 0; i < out.length; i++) out[i] = read(i * size);
    return out;
  };
  switch (type) {
    case 22:
      return fixed(1, (o) => view.getInt8(o));
    case 23:
      return fixed(2, (o) => view.getInt16(o, true));
    case 24:
      return fixed(4, (o) => view.getInt32(o, true));
    case 25:
      return fixed(8, (o) => bigintToJson(view.getBigInt64(o, true)));
    case 26:
      return fixed(1, (o) => view.getUint8(o));
    case 27:
      return fixed(2, (o) => view.getUint16(o, true));
    case 28:
      return fixed(4, (o) => view.getUint32(o, true));
    case 29:
      return fixed(8, (o) => bigintToJson(view.getBigUint64(o, true)));
    case 30:
      return fixed(4, (o) => view.getFloat32(o, true));
    case 31:
      return fixed(8, (o) => view.getFloat64(o, true));
    case 32: {
      // 4-byte little-endian count, then the bits packed most significant bit first
      if (b.byteLength < 4) return undefined;
      const count = view.getUint32(0, true);
      if (b.byteLength < 4 + Math.ceil(count / 8)) return undefined;
      const out: JsonValue[] = [];
      for (let i = 0; i < count; i++) out.push(((b[4 + (i >> 3)]! >> (7 - (i & 7))) & 1) === 1);
      return out;
    }
    case 33: {
      // null-terminated UTF-8 strings
      const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
      const parts = text.split("\0");
      if (parts.at(-1) === "") parts.pop();
      return parts;
    }
    case 34:
      return fixed(8, (o) => Number(view.getBigInt64(o, true)));
    default:
      return undefined;
  }
}

function dataSetToJson(ds: ProtoDataSet, label: string, issues: Issue[]): JsonValue {
  const columns = ds.columns ?? [];
  const types = ds.types ?? [];
  const num = has(ds, "numOfColumns") ? Number(int64ToJson(ds.numOfColumns)) : columns.length;
  // [tck-id-payloads-dataset-column-num-headers] [tck-id-payloads-dataset-types-num]
  if (columns.length !== types.length || columns.length !== num) {
    issues.push({
      rule: "dataset-shape",
      metric: label,
      message: `metric "${label}": expected num_of_columns, columns and types to agree; got ${num}, ${columns.length} columns, ${types.length} types`,
    });
  }
  const rows = (ds.rows ?? []).map((row) =>
    (row.elements ?? []).map((el, i) => scalarValue(types[i] ?? 0, el)),
  );
  return { numOfColumns: num, columns: [...columns], types: types.map(datatypeName), rows };
}

function templateToJson(t: ProtoTemplate, issues: Issue[]): JsonValue {
  const out: { [key: string]: JsonValue } = { isDefinition: has(t, "isDefinition") ? t.isDefinition : false };
  if (has(t, "version")) out.version = t.version;
  if (has(t, "templateRef")) out.templateRef = t.templateRef;
  out.metrics = (t.metrics ?? []).map((m) => metricToJson(m, issues) as unknown as JsonValue);
  out.parameters = (t.parameters ?? []).map((p) => ({
    name: p.name,
    type: datatypeName(p.type),
    value: scalarValue(p.type, p),
  }));
  return out;
}

function propertyValueToJson(
  v: ProtoPropertyValue,
  label: string,
  issues: Issue[],
): SparkplugPropertyValueJson {
  const type = datatypeName(v.type);
  if (has(v, "isNull") && v.isNull) return { type, value: null, isNull: true };
  switch (v.value) {
    case "propertysetValue":
      return {
        type,
        value: v.propertysetValue
          ? (propertySetToJson(v.propertysetValue, label, issues) as unknown as JsonValue)
          : null,
      };
    case "propertysetsValue":
      return {
        type,
        value: (v.propertysetsValue?.propertyset ?? []).map(
          (ps) => propertySetToJson(ps, label, issues) as unknown as JsonValue,
        ),
      };
    default:
      return { type, value: scalarValue(v.type, v) };
  }
}

function propertySetToJson(
  ps: ProtoPropertySet,
  label: string,
  issues: Issue[],
): Record<string, SparkplugPropertyValueJson> {
  const keys = ps.keys ?? [];
  const values = ps.values ?? [];
  // [tck-id-payloads-propertyset-keys-array-size] [tck-id-payloads-propertyset-values-array-size]
  if (keys.length !== values.length) {
    issues.push({
      rule: "propertyset-size",
      metric: label,
      message: `metric "${label}": expected a PropertySet with as many keys as values; got ${keys.length} keys, ${values.length} values`,
    });
  }
  const out: Record<string, SparkplugPropertyValueJson> = {};
  const n = Math.min(keys.length, values.length);
  for (let i = 0; i < n; i++) out[keys[i]!] = propertyValueToJson(values[i]!, label, issues);
  return out;
}

function metaDataToJson(md: ProtoMetaData): SparkplugMetaDataJson {
  const out: SparkplugMetaDataJson = {};
  if (has(md, "isMultiPart")) out.isMultiPart = md.isMultiPart;
  if (has(md, "contentType")) out.contentType = md.contentType;
  if (has(md, "size")) out.size = int64ToJson(md.size);
  if (has(md, "seq")) out.seq = int64ToJson(md.seq);
  if (has(md, "fileName")) out.fileName = md.fileName;
  if (has(md, "fileType")) out.fileType = md.fileType;
  if (has(md, "md5")) out.md5 = md.md5;
  if (has(md, "description")) out.description = md.description;
  return out;
}
