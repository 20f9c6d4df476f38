import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useAuthActions, useMe } from "../lib/auth";
import { useConfig } from "../lib/config";
import { formatPerSecond, zoneAbbreviation } from "../lib/format";
import { carriedFilters, paths } from "../lib/links";
import { useLive, useLiveStore } from "../lib/live";
import { useUrlState } from "../lib/url-state";

const NAV = [
  { label: "Overview", to: paths.overview, match: (l: string) => l === "/" },
  { label: "Violations", to: paths.violations, match: (l: string) => l.startsWith("/violations") },
  { label: "Publishers", to: paths.publishers, match: (l: string) => l.startsWith("/publishers") },
  { label: "Contracts", to: paths.contracts, match: (l: string) => l.startsWith("/contracts") },
  { label: "Topic tree", to: paths.topics, match: (l: string) => l.startsWith("/topics") },
  { label: "Clients", to: () => "/clients", match: (l: string) => l.startsWith("/clients") },
  { label: "Live topics", to: () => paths.browser(), match: (l: string) => l.startsWith("/browser") },
  { label: "Retained", to: paths.retained, match: (l: string) => l.startsWith("/retained") },
  { label: "Sparkplug", to: paths.sparkplug, match: (l: string) => l.startsWith("/sparkplug") },
  {
    label: "Plant",
    to: () => paths.plant(),
    match: (l: string) => l.startsWith("/plant") || l.startsWith("/line"),
  },
  { label: "Alerts", to: () => paths.alerts(), match: (l: string) => l.startsWith("/alerts") },
  { label: "Body", to: () => paths.body(), match: (l: string) => l.startsWith("/body") },
  { label: "Models", to: paths.models, match: (l: string) => l.startsWith("/models") },
];
const ADMIN_NAV = [
  { label: "Users", to: () => "/users", match: (l: string) => l.startsWith("/users") },
  { label: "Audit", to: () => "/audit", match: (l: string) => l.startsWith("/audit") },
];

function WhoAmI() {
  const me = useMe();
  const { logOut } = useAuthActions();
  return (
    <div className="whoami">
      <span data-testid="whoami">
        Logged in as <strong>{me.username}</strong>
        {me.api === "read" ? <span className="muted"> (read only)</span> : null}
      </span>
      {me.via === "session" ? (
        <button type="button" className="btn btn-small" onClick={() => void logOut()}>
          Log out
        </button>
      ) : null}
    </div>
  );
}

const STATUS_TEXT = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  paused: "Paused",
} as const;

function LiveControl() {
  const live = useLive();
  const store = useLiveStore();
  const rate = live.rates ? Object.values(live.rates.perSecond).reduce((a, b) => a + b, 0) : null;
  return (
    <div className="live">
      <span className={`live-dot live-${live.status}`} aria-hidden="true" />
      <span className="live-status" role="status" aria-live="polite" data-testid="live-status">
        {STATUS_TEXT[live.status]}
      </span>
      {rate !== null && !live.paused ? (
        <span className="live-rate" title="Messages per second, all outcomes, last 5 s">
          {formatPerSecond(rate)}
        </span>
      ) : null}
      <button
        type="button"
        className="btn btn-small"
        aria-pressed={live.paused}
        onClick={() => store.setPaused(!live.paused)}
      >
        {live.paused ? "Resume live updates" : "Pause live updates"}
      </button>
    </div>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const [location] = useLocation();
  const { filters } = useUrlState();
  const config = useConfig();
  const carried = carriedFilters(filters);
  const me = useMe();
  const nav = me.api === "admin" ? [...NAV, ...ADMIN_NAV] : NAV;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          UNS <span>compliance</span>
        </Link>
        <nav aria-label="Pages">
          <ul>
            {nav.map((n) => (
              <li key={n.label}>
                <Link href={n.to(carried)} aria-current={n.match(location) ? "page" : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-right">
          <LiveControl />
          <WhoAmI />
          <span className="tz" title="All times are shown in the plant's time zone">
            Times in <strong>{config.timeZone}</strong> ({zoneAbbreviation(config.timeZone)})
          </span>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="footer muted">
        UNS server {config.version} · <a href="/api/v1/openapi.json">API</a> · <a href="/metrics">metrics</a>
      </footer>
    </div>
  );
}
