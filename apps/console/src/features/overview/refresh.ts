/** Overview figures are sums over a window: every 10 s is fresh enough. */
export const REFRESH_MS = 10_000;
