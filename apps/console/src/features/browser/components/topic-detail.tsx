import type { BrowserMessage, BrowserTopic } from "@uns/api-contract";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { ApiError } from "../../../lib/api";
import { useTimeZone } from "../../../lib/config";
import { complianceRate, formatBytes, formatCount } from "../../../lib/format";
import { Empty, ErrorState, Loading, PolicyBadge, RateBadge, Section, Time } from "../../../lib/ui";
import { useTopicDetail } from "../api";
import { jsonDiff, numericPaths, pickNumber } from "../json-diff";
import { FieldChart } from "./field-chart";
import { formatRate } from "./format-rate";
import { PayloadBlock } from "./payload-block";

/** Messages kept in the page for the chart, beyond the server's ring (per topic shown). */
const CHART_MESSAGES = 2000;

const messageValue = (m: BrowserMessage): unknown =>
  m.payload.format === "json" || m.payload.format === "sparkplug" ? m.payload.value : undefined;

/**
 * Messages of the shown topic gathered while it is on screen: each poll returns the server's
 * ring (the last browser.messagesPerTopic); the newer ones are appended, so the chart grows past it.
 */
function useGathered(topic: string, messages: BrowserMessage[] | undefined): BrowserMessage[] {
  const store = useRef<{ topic: string; list: BrowserMessage[] }>({ topic, list: [] });
  if (store.current.topic !== topic) store.current = { topic, list: [] };
  const s = store.current;
  if (messages) {
    const lastAt = s.list.length ? (s.list[s.list.length - 1] as BrowserMessage).at : "";
    const fresh = messages.filter((m) => m.at > lastAt);
    if (fresh.length) {
      s.list = [...s.list, ...fresh].slice(-CHART_MESSAGES);
    }
  }
  return s.list;
}

function Facts({ t }: { t: BrowserTopic }) {
  const rate = complianceRate(t.outcomes);
  return (
    <dl className="facts">
      <dt>Contract</dt>
      <dd>
        {t.channel ? (
          <>
            <a href={`/contracts#channel-${encodeURIComponent(t.channel)}`}>{t.channel}</a>{" "}
            <span className="muted small">{t.contract}</span>
          </>
        ) : (
          <span className="muted">none ({t.place})</span>
        )}{" "}
        {t.policy ? <PolicyBadge policy={t.policy} /> : null}
      </dd>
      <dt>Compliance</dt>
      <dd>
        <RateBadge rate={rate} /> {formatCount(t.outcomes.valid)} valid, {formatCount(t.outcomes.invalid)}{" "}
        invalid, {formatCount(t.outcomes.unvalidated)} unvalidated, {formatCount(t.outcomes.ungoverned)}{" "}
        ungoverned <span className="muted small">since the server started</span>
      </dd>
      <dt>Rate now</dt>
      <dd data-testid="rate-now">{formatRate(t.ratePerSecond)} (last 5 s)</dd>
      <dt>Messages</dt>
      <dd>
        {formatCount(t.messages)}, last <Time value={t.lastAt} />, {formatBytes(t.size)}
      </dd>
      <dt>Retained</dt>
      <dd data-testid="retained-flag">{t.retained ? "yes, the broker holds a retained message" : "no"}</dd>
    </dl>
  );
}

function MessageList({ messages, topic }: { messages: BrowserMessage[]; topic: string }) {
  const newestFirst = [...messages].reverse();
  return (
    <ul className="messages" data-testid="recent-messages">
      {newestFirst.map((m, i) => {
        const prev = newestFirst[i + 1];
        const a = prev ? messageValue(prev) : undefined;
        const b = messageValue(m);
        const diff = prev && a !== undefined && b !== undefined ? jsonDiff(a, b) : null;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages of one millisecond share `at`; the list only grows at its head
          <li key={`${m.at}-${i}`} className="msg">
            <details open={i === 0}>
              <summary>
                <Time value={m.at} /> <span className="mono small">{m.clientId ?? "(server)"}</span>{" "}
                <span className="muted small">
                  QoS {m.qos}
                  {m.retain ? ", retained" : ""}, {formatBytes(m.payload.size)}
                </span>{" "}
                {diff ? (
                  <span className="small" data-testid="diff-summary">
                    {diff.entries.length === 0
                      ? "same as before"
                      : `${diff.entries.length}${diff.capped ? "+" : ""} changed`}
                  </span>
                ) : null}
              </summary>
              {diff && diff.entries.length > 0 ? (
                <table className="small diff" data-testid="diff">
                  <caption className="sr-only">Changes from the message before</caption>
                  <tbody>
                    {diff.entries.slice(0, 30).map((d) => (
                      <tr key={d.path} className={`diff-${d.change}`}>
                        <td className="mono">{d.path}</td>
                        <td>{d.change}</td>
                        <td className="mono">
                          {d.before === undefined ? "" : JSON.stringify(d.before)?.slice(0, 60)}
                        </td>
                        <td className="mono">
                          {d.after === undefined ? "" : JSON.stringify(d.after)?.slice(0, 60)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
              <PayloadBlock p={m.payload} label={`Message on ${topic}`} idPrefix={`m-${i}`} />
            </details>
          </li>
        );
      })}
    </ul>
  );
}

/** The selected topic: what governs it, its last value, a chart of a field, recent messages and diffs. */
export function TopicDetail({
  topic,
  field,
  onField,
}: {
  topic: string;
  field: string;
  onField: (f: string) => void;
}) {
  const q = useTopicDetail(topic);
  const timeZone = useTimeZone();
  const gathered = useGathered(topic, q.data?.messages);
  const id = useId();
  const last = gathered[gathered.length - 1];
  const offered = useMemo(() => (last ? numericPaths(messageValue(last)) : []), [last]);
  const chosen = field || offered[0] || "";
  const [draft, setDraft] = useState(chosen);
  useEffect(() => setDraft(chosen), [chosen]);
  const points = useMemo(
    () => gathered.map((m) => ({ t: Date.parse(m.at), v: pickNumber(messageValue(m), chosen) })),
    [gathered, chosen],
  );

  if (q.isPending) return <Loading label="Loading the topic" />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404)
      return (
        <Empty title="No message on this topic since the server started">Choose a topic with a value.</Empty>
      );
    return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  }
  const t = q.data.topic;
  return (
    <Section title={topic} id="live-topic">
      <Facts t={t} />
      <h3>Last value</h3>
      <div data-testid="last-value">
        {last ? (
          <PayloadBlock p={last.payload} label={`Last value on ${topic}`} idPrefix="lv" />
        ) : (
          <p className="muted">No value kept.</p>
        )}
      </div>
      <h3>Chart of a field</h3>
      <form
        className="field inline"
        onSubmit={(e) => {
          e.preventDefault();
          onField(draft.trim());
        }}
      >
        <label htmlFor={`${id}-f`}>Field (JSON path)</label>
        <input
          id={`${id}-f`}
          list={`${id}-fl`}
          value={draft}
          placeholder="currentKA"
          onChange={(e) => setDraft(e.target.value)}
        />
        <datalist id={`${id}-fl`}>
          {offered.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <button type="submit" className="btn btn-small">
          Chart
        </button>
      </form>
      {chosen ? (
        points.some((p) => p.v !== null) ? (
          <FieldChart points={points} field={chosen} timeZone={timeZone} />
        ) : (
          <p className="muted">No numeric value at {chosen} in the messages kept.</p>
        )
      ) : (
        <p className="muted">The messages have no numeric field to chart.</p>
      )}
      <h3>Recent messages ({gathered.length})</h3>
      <MessageList messages={gathered.slice(-20)} topic={topic} />
    </Section>
  );
}
