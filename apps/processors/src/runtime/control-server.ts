import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isUnsError } from "@uns/errors";
import type { ModelSlot } from "../lifecycle/model-slot.js";
import type { ProcessorsRuntime } from "./runtime.js";

/**
 * The processors' own small HTTP interface on loopback, which the UNS server's API relays
 * (`/api/v1/processors`, `/api/v1/models`) so operators see and steer models in one place:
 *
 *   GET  /processors                      status of every processor (up, lag, rate, errors, drift)
 *   GET  /models                          registry: versions with metrics, live / canary / shadow, history, online stats
 *   POST /models/<name>/deploy            {"version", "mode": "live"|"canary"|"shadow", "share"?, "reason"?, "actor"?}
 *   POST /models/<name>/promote           {"reason"?, "actor"?}
 *   POST /models/<name>/rollback          {"reason"?, "actor"?}
 *
 * `actor` is who asked, kept in the registry's history (`by`); the UNS server's relay sets it to
 * the logged-in user and does not let the caller choose it.
 *
 * Errors answer {"error": {"code", "message"}} with 400 (bad request), 404 (unknown model) or 409
 * (not possible now, or refused by the store: another host changed the model first).
 */
export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw Object.assign(new Error("request body larger than 64 KiB"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw Object.assign(new Error("the body must be a JSON object"), { status: 400 });
  return value as Record<string, unknown>;
}

/** Every model slot the processors serve: the weld models and the splatter classifier. */
function slotsOf(runtime: ProcessorsRuntime): ModelSlot[] {
  const wq = runtime.weldQuality;
  return [wq?.regression, wq?.anomaly, runtime.splatter?.slot].filter((s): s is ModelSlot => !!s);
}

export function modelsView(runtime: ProcessorsRuntime) {
  const slots = slotsOf(runtime);
  const versions = {
    ...(runtime.weldQuality?.status().versions ?? {}),
    ...((runtime.splatter?.status().versions as Record<string, { name: string }> | undefined) ?? {}),
  };
  return runtime.registry.list().map((record) => {
    const slot = slots.find((s) => s.name === record.name);
    return {
      ...record,
      serving: slot
        ? {
            live: slot.live()?.manifest.version ?? null,
            canary: slot.canary()
              ? { version: slot.canary()!.version.manifest.version, share: slot.canary()!.share }
              : null,
            shadow: slot.shadow()?.manifest.version ?? null,
          }
        : null,
      online: Object.values(versions).filter((v) => v.name === record.name),
    };
  });
}

export async function startControlServer(
  runtime: ProcessorsRuntime,
  options: { host: string; port: number },
): Promise<ControlServer> {
  const slotOf = (name: string): ModelSlot | undefined => slotsOf(runtime).find((s) => s.name === name);
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean);
    try {
      if (req.method === "GET" && url.pathname === "/processors")
        return send(res, 200, runtime.status().processors);
      if (req.method === "GET" && url.pathname === "/models") return send(res, 200, modelsView(runtime));
      if (req.method === "POST" && parts[0] === "models" && parts.length === 3) {
        const slot = slotOf(decodeURIComponent(parts[1]!));
        if (!slot)
          return send(res, 404, {
            error: { code: "UNS_ERR_MODEL_UNKNOWN", message: `no processor serves model ${parts[1]}` },
          });
        const body = await readJson(req);
        const reason = typeof body.reason === "string" && body.reason ? body.reason : `api ${parts[2]}`;
        const by = typeof body.actor === "string" && body.actor ? body.actor.slice(0, 100) : "api";
        let changeId: string;
        if (parts[2] === "deploy") {
          const mode = body.mode ?? "live";
          if (typeof body.version !== "string" || !["live", "canary", "shadow"].includes(mode as string))
            return send(res, 400, {
              error: {
                code: "UNS_ERR_MODEL_UNKNOWN",
                message: 'deploy needs {"version": "x.y.z", "mode": "live" | "canary" | "shadow"}',
              },
            });
          changeId = await slot.deploy(body.version, mode as "live", {
            share: typeof body.share === "number" ? body.share : undefined,
            reason,
            by,
          });
        } else if (parts[2] === "promote") changeId = slot.promote(reason, by);
        else if (parts[2] === "rollback") changeId = slot.rollback(reason, by);
        else
          return send(res, 404, {
            error: { code: "UNS_ERR_MODEL_UNKNOWN", message: `unknown action ${parts[2]}` },
          });
        // Answer once the store has the change (or it is kept in the cache: the server is away).
        await runtime.registry.flush();
        // Another host changed the model first: this change was dropped, the model follows the store.
        const refusal = runtime.registry.refusal(changeId);
        if (refusal)
          return send(res, 409, { error: { code: "UNS_ERR_MODEL_REGISTRY_CONFLICT", message: refusal } });
        return send(
          res,
          200,
          modelsView(runtime).find((m) => m.name === slot.name),
        );
      }
      send(res, 404, {
        error: { code: "UNS_ERR_MODEL_UNKNOWN", message: `no route ${req.method} ${url.pathname}` },
      });
    } catch (err) {
      const e = err as Error & { status?: number; code?: string };
      const status =
        e.status ?? (isUnsError(err) ? 409 : e instanceof RangeError || e instanceof SyntaxError ? 400 : 500);
      send(res, status, { error: { code: e.code ?? "UNS_ERR_MODEL_UNKNOWN", message: e.message } });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
