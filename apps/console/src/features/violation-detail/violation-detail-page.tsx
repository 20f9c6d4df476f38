import { useQuery } from "@tanstack/react-query";
import type {
  JSONSchema,
  TimeseriesResponse,
  TotalsResponse,
  ValidationError,
  ViolationDetail,
  ViolationDetailResponse,
  ViolationPage,
} from "@uns/api-contract";
import { useMemo } from "react";
import { Link } from "wouter";
import { ApiError, getJson, qs } from "../../lib/api";
import { useTimeZone } from "../../lib/config";
import { complianceRate, formatBytes, formatCount } from "../../lib/format";
import { errorTarget, parsePayload } from "../../lib/json-highlight";
import { JsonView } from "../../lib/json-view";
import { paths } from "../../lib/links";
import { resolveSchemaPath } from "../../lib/schema-path";
import { TrendChart } from "../../lib/trend-chart";
import {
  Empty,
  ErrorState,
  KindBadge,
  Loading,
  PageHeader,
  PolicyBadge,
  RateBadge,
  Section,
  Time,
} from "../../lib/ui";

/** What the broker did with the message, from its kind and the topic's policy. */
export function fate(v: Pick<ViolationDetail, "kind" | "policy" | "topic">): string {
  if (v.kind === "acl" || v.kind === "topic")
    return `Refused: not delivered; routed to $uns/refused/${v.topic} for admins.`;
  if (v.policy === "enforce")
    return `Quarantined: not delivered to subscribers; routed to $uns/quarantine/${v.topic}.`;
  return "Delivered to subscribers (policy monitor), then recorded as invalid.";
}

/** A short statement of what an error is about, naming the property for object keywords. */
export function errorWhat(e: ValidationError): string {
  const t = errorTarget(e);
  if (e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties")
    return `extra property "${t.detail}" is not allowed`;
  if (t.mode === "missing" && t.detail) return `missing property "${t.detail}"`;
  return e.message;
}

function Errors({ errors }: { errors: ValidationError[] }) {
  if (errors.length === 0) return <Empty title="No error details recorded" />;
  return (
    <div className="table-wrap">
      <table data-testid="errors-table">
        <caption className="sr-only">Validation errors</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">JSON path</th>
            <th scope="col">Keyword</th>
            <th scope="col">Message</th>
            <th scope="col">Schema path</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e, i) => {
            const t = errorTarget(e);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: errors of one violation, in the validator's order
              <tr key={i}>
                <td>
                  <a
                    href={`#payload-err-${i + 1}`}
                    className="err-no"
                    aria-label={`Show error ${i + 1} in the payload`}
                  >
                    {i + 1}
                  </a>
                </td>
                <td className="mono">{t.path || "(payload)"}</td>
                <td className="mono">{e.keyword}</td>
                <td>{errorWhat(e)}</td>
                <td className="mono muted">{e.schemaPath ?? "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexDump(bytes: Uint8Array, max = 512): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i += 16) {
    const row = [...bytes.slice(i, i + 16)];
    lines.push(
      `${i.toString(16).padStart(6, "0")}  ${row
        .map((b) => b.toString(16).padStart(2, "0"))
        .join(" ")
        .padEnd(48)}  ${row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("")}`,
    );
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes`);
  return lines.join("\n");
}

function Payload({ v }: { v: ViolationDetail }) {
  const parsed = useMemo(() => parsePayload(v.payloadText), [v.payloadText]);
  const note = v.payloadTruncated ? (
    <p className="notice">
      Only the first {formatBytes(v.payloadText?.length ?? 0)} of {formatBytes(v.payloadSize)} were kept
      (store.payloadCapBytes).
    </p>
  ) : null;
  if (parsed.ok) {
    return (
      <>
        {note}
        <JsonView
          value={parsed.value}
          errors={v.errors}
          idPrefix="payload"
          label="Payload, failing places marked"
          className="payload"
        />
      </>
    );
  }
  if (v.payloadText !== undefined) {
    return (
      <>
        {note}
        <p className="muted">Not JSON ({parsed.reason}); the text as received:</p>
        <pre className="raw">{v.payloadText}</pre>
      </>
    );
  }
  return (
    <>
      {note}
      <p className="muted">Binary payload (not UTF-8); the first bytes:</p>
      <pre className="raw">{hexDump(decodeBase64(v.payloadBase64))}</pre>
    </>
  );
}

function SchemaParts({ data }: { data: ViolationDetailResponse }) {
  const v = data.violation;
  const ch = data.channel;
  if (!ch)
    return (
      <Empty title="No contract governs this topic">Ungoverned or refused messages have no schema.</Empty>
    );
  const message = ch.messages.find((m) => m.name === v.messageName) ?? ch.messages[0];
  const schema: JSONSchema | null | undefined = message?.payload;
  const parts = v.errors
    .map((e, i) => ({
      i,
      e,
      part: schema && v.kind === "schema" ? resolveSchemaPath(schema, e.schemaPath) : null,
    }))
    .filter((x) => x.part !== null);
  const seen = new Set<string>();
  return (
    <>
      <p>
        Channel <Link href={`/contracts#channel-${encodeURIComponent(ch.id)}`}>{ch.id}</Link> in{" "}
        <span className="mono">{ch.file}</span> ({ch.title} {ch.version}), message{" "}
        <strong className="mono">{message?.name ?? "—"}</strong>
        {ch.address ? (
          <>
            , address <span className="mono">{ch.address}</span>
          </>
        ) : null}
        .
      </p>
      {v.kind === "topic-parameter" ? (
        <p className="muted">
          The topic's levels did not fit the channel's parameters; see the errors above.
        </p>
      ) : null}
      {parts.map(({ i, e, part }) => {
        if (!part) return null;
        const k = `${part.pointer}|${part.keyword}`;
        if (seen.has(k)) return null;
        seen.add(k);
        return (
          <div key={k} className="schema-part">
            <h3>
              <span className="err-no">{i + 1}</span> <span className="mono">#{part.pointer || "/"}</span> —
              keyword <span className="mono">{e.keyword}</span>
            </h3>
            <JsonView
              value={part.schema}
              errors={[
                {
                  instancePath: `/${part.keyword.replace(/~/g, "~0").replace(/\//g, "~1")}`,
                  keyword: "schema",
                },
              ]}
              idPrefix={`schema-${i}`}
              label={`Schema at #${part.pointer}, keyword ${part.keyword} marked`}
            />
          </div>
        );
      })}
      {schema ? (
        <details>
          <summary>The whole payload schema of message {message?.name}</summary>
          <JsonView value={schema} idPrefix="schema-full" label="Payload schema" />
        </details>
      ) : null}
    </>
  );
}

function PublisherHistory({ v }: { v: ViolationDetail }) {
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3600_000);
  const totals = useQuery({
    queryKey: ["totals", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<TotalsResponse>(
        `/compliance/totals${qs({ clientId: v.clientId, from: from.toISOString(), to: to.toISOString() })}`,
        signal,
      ),
  });
  const trend = useQuery({
    queryKey: ["timeseries", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<TimeseriesResponse>(
        `/compliance/timeseries${qs({ clientId: v.clientId, from: from.toISOString(), to: to.toISOString() })}`,
        signal,
      ),
  });
  const tz = useTimeZone();
  const recent = useQuery({
    queryKey: ["violations", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<ViolationPage>(`/violations${qs({ clientId: v.clientId, limit: 10 })}`, signal),
  });
  return (
    <>
      {totals.data ? (
        <p>
          Last 24 h: <strong>{formatCount(totals.data.total)}</strong> messages,{" "}
          <strong>{formatCount(totals.data.invalid)}</strong> invalid, compliance{" "}
          <RateBadge rate={complianceRate(totals.data)} />.
        </p>
      ) : totals.isError ? (
        <ErrorState error={totals.error} />
      ) : (
        <Loading label="Counting this publisher's messages" />
      )}
      {trend.data ? (
        <div className="publisher-trend" data-testid="publisher-trend">
          <TrendChart
            points={trend.data.points}
            bucketSeconds={trend.data.bucketSeconds}
            timeZone={tz}
            height={160}
          />
        </div>
      ) : trend.isError ? (
        <ErrorState error={trend.error} onRetry={() => void trend.refetch()} />
      ) : (
        <Loading label="Loading this publisher's trend" />
      )}
      {recent.data ? (
        <ul className="history">
          {recent.data.items.map((r) => (
            <li key={r.id} aria-current={r.id === v.id ? "true" : undefined}>
              {r.id === v.id ? (
                <strong>
                  <Time value={r.time} /> (this one)
                </strong>
              ) : (
                <Link href={paths.violation(r.id)}>
                  <Time value={r.time} />
                </Link>
              )}{" "}
              <span className="mono">{r.topic}</span> <KindBadge kind={r.kind} />
              {r.errors[0] ? (
                <span className="muted mono">
                  {" "}
                  {errorTarget(r.errors[0]).path || "(payload)"} {r.errors[0].keyword}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <Link href={paths.violations({ range: "7d", client: v.clientId })}>
          All violations of {v.clientId} →
        </Link>
      </p>
    </>
  );
}

function Similar({ data }: { data: ViolationDetailResponse }) {
  const s = data.similar;
  const v = data.violation;
  if (!s || s.total === 0)
    return <Empty title="No other message has this error">It is only this message, so far.</Empty>;
  const what = s.error ? `${s.error.instancePath || "(payload)"} ${s.error.keyword}` : s.kind;
  const verdict =
    s.clients <= 1 && s.groups.every((g) => g.clientId === v.clientId)
      ? "Only this publisher: look at this one device."
      : `${s.clients} publishers on ${s.topics} topics: more than one device, check the contract or the whole line.`;
  return (
    <>
      <p>
        The same error (<span className="mono">{what}</span>) on <strong>{formatCount(s.total)}</strong> other
        message{s.total === 1 ? "" : "s"} from <strong>{s.clients}</strong> publisher
        {s.clients === 1 ? "" : "s"} on <strong>{s.topics}</strong> topic{s.topics === 1 ? "" : "s"}.
      </p>
      <p className="verdict">{verdict}</p>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Other messages with the same error, by publisher and topic</caption>
          <thead>
            <tr>
              <th scope="col">Publisher</th>
              <th scope="col">Topic</th>
              <th scope="col" className="num">
                Messages
              </th>
              <th scope="col">Last</th>
            </tr>
          </thead>
          <tbody>
            {s.groups.map((g) => (
              <tr key={`${g.clientId}|${g.topic}`}>
                <td className="mono">
                  <Link href={paths.violations({ range: "7d", client: g.clientId })}>{g.clientId}</Link>
                </td>
                <td className="mono">{g.topic}</td>
                <td className="num">{formatCount(g.count)}</td>
                <td>
                  <Time value={g.lastTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function ViolationDetailPage({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ["violation", id],
    queryFn: ({ signal }) =>
      getJson<ViolationDetailResponse>(`/violations/${encodeURIComponent(id)}`, signal),
    placeholderData: undefined,
    staleTime: Number.POSITIVE_INFINITY,
    retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 1,
  });
  if (q.isPending) return <Loading label={`Loading violation ${id}`} />;
  if (q.isError) {
    const notFound = q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 400);
    return (
      <div className="page">
        <PageHeader title={`Violation ${id}`} />
        {notFound ? (
          <Empty title="No such violation">
            It may have been deleted by retention.{" "}
            <Link href={paths.violations()}>Back to the violations</Link>
          </Empty>
        ) : (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        )}
      </div>
    );
  }
  const data = q.data;
  const v = data.violation;
  return (
    <div className="page page-violation">
      <PageHeader title={`Violation ${v.id}`}>
        <KindBadge kind={v.kind} /> <PolicyBadge policy={v.policy} />{" "}
        <Link href={paths.violations()}>← All violations</Link>
      </PageHeader>
      <Section title="What happened" id="what">
        <dl className="facts">
          <dt>Time</dt>
          <dd>
            <Time value={v.time} />
          </dd>
          <dt>Topic</dt>
          <dd className="mono">{v.topic}</dd>
          <dt>Publisher</dt>
          <dd className="mono">
            {v.clientId}
            {v.username ? <span className="muted"> (user {v.username})</span> : null}
          </dd>
          <dt>Contract</dt>
          <dd>
            {v.contractFile ? (
              <>
                <span className="mono">{v.contractFile}</span> version{" "}
                <strong>{v.contractVersion ?? "?"}</strong>, channel <span className="mono">{v.channel}</span>
                {v.messageName ? (
                  <>
                    , message <span className="mono">{v.messageName}</span>
                  </>
                ) : null}
              </>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
          <dt>Payload</dt>
          <dd>
            {formatBytes(v.payloadSize)}
            {v.payloadTruncated ? " (truncated in the store)" : ""}
          </dd>
          <dt>Outcome</dt>
          <dd>{fate(v)}</dd>
        </dl>
      </Section>
      <Section title={`Errors (${v.errors.length})`} id="errors">
        <Errors errors={v.errors} />
      </Section>
      <div className="grid grid-2">
        <Section title="Payload" id="payload">
          <Payload v={v} />
        </Section>
        <Section title="The schema that failed" id="schema">
          <SchemaParts data={data} />
        </Section>
      </div>
      <div className="grid grid-2">
        <Section title={`Publisher ${v.clientId}`} id="publisher">
          <PublisherHistory v={v} />
        </Section>
        <Section title="Same error elsewhere" id="similar">
          <Similar data={data} />
        </Section>
      </div>
    </div>
  );
}
