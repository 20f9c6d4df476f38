import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ApiError } from "./api";
import { useTimeZone } from "./config";
import { formatAgo, formatRate, formatTime, rateTone, type TimeFormatOptions } from "./format";

/** Shared presentational pieces: loading, empty and error states, times, rates. */

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const e = error as Error;
  const code = e instanceof ApiError ? e.code : undefined;
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load this.</strong> {e?.message ?? String(error)}
      {code ? <code className="muted"> {code}</code> : null}
      {onRetry ? (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/**
 * Renders a query's loading / error / empty state, or its data. Background refetches keep the
 * data on screen (no flashing spinner every ten seconds).
 */
export function QueryView<T>({
  query,
  isEmpty,
  empty,
  loadingLabel,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loadingLabel} />;
  if (query.isError && query.data === undefined)
    return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data as T;
  if (isEmpty?.(data)) return <>{empty ?? <Empty title="Nothing here" />}</>;
  return (
    <>
      {query.isError ? <ErrorState error={query.error} onRetry={() => void query.refetch()} /> : null}
      {children(data)}
    </>
  );
}

/** A time in the plant's zone, with its zone named; the relative age in the tooltip. */
export function Time({ value, ...o }: { value: string | Date | null | undefined } & TimeFormatOptions) {
  const tz = useTimeZone();
  if (!value) return <span className="muted">—</span>;
  const d = typeof value === "string" ? new Date(value) : value;
  return (
    <time dateTime={d.toISOString()} title={`${formatAgo(d)} (${tz})`}>
      {formatTime(d, tz, o)}
    </time>
  );
}

/**
 * "Non-compliant since" cell: the start of a row's current failing streak (from the API), or a dash
 * when it is compliant. Today's times leave the date out; the title says how long ago.
 */
export function FailingSince({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <span className="bad-text nowrap" data-testid="non-compliant-since">
      <Time value={value} omitTodayDate seconds={false} />
    </span>
  );
}

export function RateBadge({ rate, label }: { rate: number | null | undefined; label?: string }) {
  return (
    <span className={`rate rate-${rateTone(rate)}`} title={label ?? "Compliance: valid / (valid + invalid)"}>
      {formatRate(rate)}
    </span>
  );
}

/** A horizontal bar of the compliance rate (valid share of validated messages). */
export function RateBar({ rate }: { rate: number | null | undefined }) {
  const pct = rate === null || rate === undefined ? 0 : Math.max(0, Math.min(100, rate * 100));
  return (
    <span className={`ratebar rate-${rateTone(rate)}`} aria-hidden="true">
      <span style={{ width: `${pct}%` }} />
    </span>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-header-extra">{children}</div> : null}
    </div>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return <span className={`kind kind-${kind.replace(/[^a-z0-9-]/gi, "")}`}>{kind}</span>;
}

export function PolicyBadge({ policy }: { policy: string }) {
  return (
    <span
      className={`policy policy-${policy}`}
      title={
        policy === "enforce"
          ? "Invalid messages are quarantined, not delivered"
          : "Delivered at once, validated after"
      }
    >
      {policy}
    </span>
  );
}

/** Sections with a heading, for screen-reader navigation by landmark. */
export function Section({
  title,
  id,
  children,
  actions,
}: {
  title: string;
  id?: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-h`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
