import { createLoginLimiter } from "../api/auth/login-limiter.js";
import type { AuthContext } from "../api/auth/plugin.js";
import { createSessionStore } from "../api/auth/sessions.js";
import type { Config } from "../config.js";
import type { Metrics } from "../metrics.js";

/**
 * Logins: console sessions and the guessing limits. One set of limits for HTTP and MQTT, so a
 * password guessed on one is not free on the other. Everything is in memory: nothing to start
 * or stop (a restart logs everyone out, see sessions.ts).
 */
export function createAuthPart(
  config: Readonly<Config>,
  metrics: Metrics,
  secureCookies: boolean,
): AuthContext {
  return {
    sessions: createSessionStore({ ttlMs: config.auth.sessionMinutes * 60_000 }),
    limiter: createLoginLimiter({
      userFreeAttempts: config.auth.freeAttempts,
      addressFreeAttempts: config.auth.freeAttemptsPerAddress,
      baseDelayMs: 1000,
      maxDelayMs: config.auth.maxDelaySeconds * 1000,
      forgetAfterMs: 3600_000,
    }),
    failures: metrics.authFailures,
    sessionTtlMs: config.auth.sessionMinutes * 60_000,
    minPasswordLength: config.auth.minPasswordLength,
    secureCookies,
  };
}
