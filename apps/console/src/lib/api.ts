import type { ErrorReply } from "@uns/api-contract";
import { UnsError } from "@uns/errors";

/**
 * The one way the console talks to the server: GET a JSON resource under /api/v1 and turn any
 * failure into an `ApiError` with the server's error code and message (`{error: {code, message}}`).
 */
export class ApiError extends UnsError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message, { statusCode: status });
    this.name = "ApiError";
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { signal, headers: { accept: "application/json" } });
  } catch (cause) {
    if ((cause as Error).name === "AbortError") throw cause;
    throw new ApiError(0, "UNS_ERR_CONSOLE_OFFLINE", "The UNS server cannot be reached. Is it running?");
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as Partial<ErrorReply> | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? "UNS_ERR_CONSOLE_HTTP",
      err?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return body as T;
}

/** A state-changing request (POST, PUT, DELETE) with a JSON body. */
export async function sendJson<T>(
  method: "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "UNS_ERR_CONSOLE_OFFLINE", "The UNS server cannot be reached. Is it running?");
  }
  const parsed = (await res.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string } }
    | undefined;
  if (!res.ok)
    throw new ApiError(
      res.status,
      parsed?.error?.code ?? `HTTP_${res.status}`,
      parsed?.error?.message ?? `${res.status} ${res.statusText}`,
    );
  return parsed as T;
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}
