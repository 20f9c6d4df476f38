import type { ErrorReply } from "@uns/api-contract";
import { UnsError } from "@uns/errors";

/**
 * The one way the console talks to the server: JSON resources under /api/v1, any failure turned
 * into an `ApiError` with the server's error code and message (`{error: {code, message}}`). The
 * session cookie goes with every request by itself; state-changing requests also carry the CSRF
 * token, and a 401 (session ended or expired) tells the app to show the login page.
 */

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Set after login (and from /auth/me on reload); sent as x-csrf-token on POST, PUT, DELETE. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called whenever the server answers 401 to a request made with a session. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => {
    unauthorizedListeners.delete(listener);
  };
}

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

export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return requestJson<T>("GET", path, undefined, signal);
}

/** A state-changing request (POST, PUT, DELETE) with a JSON body, carrying the CSRF token. */
export function sendJson<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
  return requestJson<T>(method, path, body);
}

async function requestJson<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      signal,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    if ((cause as Error).name === "AbortError") throw cause;
    throw new ApiError(0, "UNS_ERR_CONSOLE_OFFLINE", "The UNS server cannot be reached. Is it running?");
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401 && !path.startsWith("/auth/login")) for (const l of unauthorizedListeners) l();
  if (!res.ok) {
    const err = (parsed as Partial<ErrorReply> | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? "UNS_ERR_CONSOLE_HTTP",
      err?.message ?? `${res.status} ${res.statusText}`,
    );
  }
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
