/**
 * A minimal ONNX writer: just enough of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto, AttributeProto) to save the dense networks this project trains. Encoding by hand
 * keeps the output byte-for-byte deterministic (fields in field-number order, no maps, float32
 * little-endian raw_data) and needs no protobuf dependency. Inference never uses this file: models
 * run in onnxruntime-node.
 *
 * Field numbers are those of onnx/onnx.proto (IR version 7, opset 13).
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

class ProtoWriter {
  private chunks: Buffer[] = [];

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.chunks.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.chunks.push(Buffer.from(value));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, "utf8"));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const FLOAT = 1;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, row-major. */
  data: ArrayLike<number>;
  type?: "float" | "int64";
}

export type OnnxAttribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: OnnxAttribute[];
}

export interface OnnxValue {
  name: string;
  /** A dimension is a number or a symbolic name (e.g. "batch"). */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Written into ModelProto.metadata_props, in the order given. */
  metadata?: [string, string][];
  producerVersion: string;
  docString?: string;
}

function tensorBytes(t: OnnxTensor): Buffer {
  if (t.type === "int64") {
    const b = Buffer.alloc(t.data.length * 8);
    for (let i = 0; i < t.data.length; i++) b.writeBigInt64LE(BigInt(t.data[i]!), i * 8);
    return b;
  }
  const b = Buffer.alloc(t.data.length * 4);
  for (let i = 0; i < t.data.length; i++) b.writeFloatLE(t.data[i]!, i * 4);
  return b;
}

function writeValue(w: ProtoWriter, v: OnnxValue): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape)
          shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Serialises a graph as an ONNX model (IR 7, default domain opset 13). */
export function encodeOnnxModel(graph: OnnxGraph): Buffer {
  const model = new ProtoWriter();
  model.int(1, 7); // ir_version
  model.string(2, "uns-processors-trainer"); // producer_name
  model.string(3, graph.producerVersion); // producer_version
  if (graph.docString) model.string(6, graph.docString);
  model.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(3, n.name);
        node.string(4, n.op);
        for (const a of n.attributes ?? []) {
          node.message(5, (attr) => {
            attr.string(1, a.name);
            if ("float" in a) attr.float(2, a.float).int(20, ATTR_FLOAT);
            else if ("int" in a) attr.int(3, a.int).int(20, ATTR_INT);
            else {
              for (const v of a.ints) attr.int(8, v);
              attr.int(20, ATTR_INTS);
            }
          });
        }
      });
    }
    g.string(2, graph.name);
    for (const t of graph.initializers) {
      g.message(5, (tensor) => {
        for (const d of t.dims) tensor.int(1, d);
        tensor.int(2, t.type === "int64" ? INT64 : FLOAT);
        tensor.string(8, t.name);
        tensor.bytes(9, tensorBytes(t));
      });
    }
    for (const v of graph.inputs) g.message(11, (w) => writeValue(w, v));
    for (const v of graph.outputs) g.message(12, (w) => writeValue(w, v));
  });
  model.message(8, (opset) => opset.string(1, "").int(2, 13)); // opset_import
  for (const [key, value] of graph.metadata ?? [])
    model.message(14, (m) => m.string(1, key).string(2, value));
  return model.finish();
}
