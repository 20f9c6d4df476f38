import { processorError } from "../errors.js";
import type { ModelChange, ModelRecord, VersionRecord } from "./registry.js";

/**
 * The model registry's record: the UNS server's compliance store, reached over its API
 * (`/api/v1/internal/model-registry`, apps/server/src/api/model-registry-routes.ts) with the
 * processors' own user (HTTP Basic with the MQTT user and password: role `processor`).
 */
export interface RegistryRemote {
  /** Where the record is, for messages. */
  readonly url: string;
  read(): Promise<ModelRecord[]>;
  write(body: { versions: (VersionRecord & { name: string })[]; changes: ModelChange[] }): Promise<void>;
}

export function createRegistryRemote(options: {
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
}): RegistryRemote {
  const url = `${options.url.replace(/\/$/, "")}/api/v1/internal/model-registry`;
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  async function call(method: "GET" | "POST", body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (cause) {
      const reason = (cause as Error & { cause?: Error }).cause?.message ?? (cause as Error).message;
      throw processorError("UNS_ERR_MODEL_REGISTRY", `${method} ${url}: ${reason}`, { cause });
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const e = JSON.parse(text).error;
        if (e?.code) detail = `${e.code} ${e.message}`;
      } catch {}
      // 409: the store refused a change made on a stale view (compare-and-set on the revision).
      const code = res.status === 409 ? "UNS_ERR_MODEL_REGISTRY_CONFLICT" : "UNS_ERR_MODEL_REGISTRY";
      throw processorError(code, `${method} ${url}: HTTP ${res.status} ${detail}`);
    }
    return text ? JSON.parse(text) : null;
  }
  return {
    url,
    read: async () => (await call("GET")) as ModelRecord[],
    write: async (body) => {
      await call("POST", body);
    },
  };
}
