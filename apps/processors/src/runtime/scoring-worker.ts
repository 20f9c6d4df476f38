/**
 * A scoring worker: decodes a batch of payloads, checks each against the input contract, builds
 * each model's input tensor from its manifest's features and runs the models in onnxruntime.
 * One onnxruntime session per model version, kept until unloaded; sessions use one intra-op thread
 * because parallelism comes from the worker pool.
 */
import { parentPort } from "node:worker_threads";
import { createValidator, type Validator } from "@uns/contracts";
import ort from "onnxruntime-node";
import {
  applyScaling,
  compileExtractor,
  type Extractor,
  flatScaling,
  inputWidth,
} from "../model/features.js";
import type {
  ScoreRequest,
  ScoreResponse,
  SpotOutcome,
  WorkerRequest,
  WorkerResponse,
} from "./scoring-protocol.js";

interface Session {
  session: ort.InferenceSession;
  extract: Extractor;
  scaling: { mean: Float64Array; scale: Float64Array };
  width: number;
  input: string;
  output: string;
}

const port = parentPort!;
// Not fatal, like Buffer#toString: a payload that is not UTF-8 fails as JSON or against the contract.
const utf8 = new TextDecoder("utf-8");
const sessions = new Map<string, Session>();
let validator: Validator | null = null;

function send(msg: WorkerResponse): void {
  port.postMessage(msg);
}

port.on("message", (msg: WorkerRequest) => {
  switch (msg.type) {
    case "contracts":
      // The server's validation workers' checker: the native fast path (@uns/fast-check) judges
      // the bytes without building them; only what it is unsure of, or refuses, goes to ajv.
      validator = createValidator(msg.set, { fastPath: msg.fastPath ?? "auto" });
      return;
    case "load":
      load(msg).then(
        () => send({ type: "loaded", id: msg.id }),
        (err: Error) => send({ type: "loaded", id: msg.id, error: err.message }),
      );
      return;
    case "unload": {
      const s = sessions.get(msg.key);
      sessions.delete(msg.key);
      void s?.session.release();
      return;
    }
    case "score":
      score(msg).then(send, (err: Error) => {
        // Never leave a batch unanswered: every spot is reported as failed.
        send({
          type: "scored",
          id: msg.id,
          spots: msg.topics.map(() => ({ ok: false, reason: `worker: ${err.message}` })),
          runs: {},
        });
      });
      return;
    case "crash":
      process.exit(3);
  }
});

async function load(msg: Extract<WorkerRequest, { type: "load" }>): Promise<void> {
  const session = await ort.InferenceSession.create(msg.bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  if (!session.inputNames.includes(msg.onnx.input))
    throw new Error(
      `the graph has inputs [${session.inputNames.join(", ")}], the manifest names "${msg.onnx.input}"`,
    );
  if (!session.outputNames.includes(msg.onnx.output))
    throw new Error(
      `the graph has outputs [${session.outputNames.join(", ")}], the manifest names "${msg.onnx.output}"`,
    );
  const width = inputWidth(msg.features);
  // Warm-up, and the proof that the graph takes `width` inputs and gives one value per spot.
  const probe = await session.run(
    { [msg.onnx.input]: new ort.Tensor("float32", new Float32Array(2 * width), [2, width]) },
    [msg.onnx.output],
  );
  const out = probe[msg.onnx.output]!;
  if (out.data.length !== 2)
    throw new Error(
      `for 2 spots of ${width} features the output "${msg.onnx.output}" has shape [${out.dims.join(", ")}]; expected one value per spot`,
    );
  sessions.set(msg.key, {
    session,
    extract: compileExtractor(msg.features),
    scaling: flatScaling(msg.features),
    width,
    input: msg.onnx.input,
    output: msg.onnx.output,
  });
}

async function score(msg: ScoreRequest): Promise<WorkerResponse> {
  const n = msg.topics.length;
  const spots: SpotOutcome[] = new Array(n);
  const values: unknown[] = new Array(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const bytes = msg.payloads.subarray(offset, offset + msg.lengths[i]!);
    offset += msg.lengths[i]!;
    // Checked before it is parsed: a payload the contract refuses is never built, let alone scored.
    const verdict = validator?.validate(msg.channel, msg.topics[i]!, bytes);
    if (verdict?.outcome !== "valid") {
      const first = verdict?.outcome === "invalid" ? verdict.errors[0] : undefined;
      spots[i] = {
        ok: false,
        reason: !verdict
          ? "no contract loaded"
          : verdict.outcome === "invalid" && verdict.kind === "not-json"
            ? "not-json"
            : `schema: ${first?.instancePath || "/"} ${first?.message ?? "refused"}`,
      };
      continue;
    }
    const value: unknown = JSON.parse(utf8.decode(bytes));
    values[i] = value;
    const v = value as Record<string, unknown> & { source: { controller: string } };
    spots[i] = {
      ok: true,
      ref: {
        controller: v.source.controller,
        seq: v.seq as number,
        bodyId: v.bodyId as string,
        spotId: v.spotId as string,
        program: v.program as number,
      },
      minNugget: 4 * Math.sqrt(Math.min(...(v.stack as { thickness: number[] }).thickness)),
      outputs: new Array(msg.use[i]!.length).fill(Number.NaN),
    };
  }

  if (msg.monitor) {
    const extract = compileExtractor(msg.monitor);
    const width = inputWidth(msg.monitor);
    const row = new Float64Array(width);
    for (let i = 0; i < n; i++) {
      const s = spots[i]!;
      if (s.ok && extract(values[i], row, 0) === null) s.monitored = Array.from(row);
    }
  }

  const runs: ScoreResponse["runs"] = {};
  for (let m = 0; m < msg.models.length; m++) {
    const key = msg.models[m]!;
    const session = sessions.get(key);
    // Which spots use this model, and where its output goes in their `outputs`.
    const rows: { spot: number; slot: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (!spots[i]!.ok) continue;
      const slot = msg.use[i]!.indexOf(m);
      if (slot >= 0) rows.push({ spot: i, slot });
    }
    if (rows.length === 0) continue;
    if (!session) {
      runs[key] = { ms: 0, spots: rows.length, error: `model ${key} is not loaded in this worker` };
      continue;
    }
    const x = new Float32Array(rows.length * session.width);
    const usable: typeof rows = [];
    for (const r of rows) {
      const bad = session.extract(values[r.spot], x, usable.length * session.width);
      if (bad === null) usable.push(r);
    }
    const started = performance.now();
    try {
      applyScaling(x, usable.length, session.scaling);
      const input = new ort.Tensor("float32", x.subarray(0, usable.length * session.width), [
        usable.length,
        session.width,
      ]);
      const result = await session.session.run({ [session.input]: input }, [session.output]);
      const data = result[session.output]!.data as Float32Array;
      usable.forEach((r, k) => {
        const s = spots[r.spot]!;
        if (s.ok) s.outputs[r.slot] = data[k]!;
      });
      runs[key] = { ms: performance.now() - started, spots: usable.length };
    } catch (err) {
      runs[key] = { ms: performance.now() - started, spots: usable.length, error: (err as Error).message };
    }
  }
  return { type: "scored", id: msg.id, spots, runs };
}
