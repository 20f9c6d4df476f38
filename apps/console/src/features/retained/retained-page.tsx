import { useQueryClient } from "@tanstack/react-query";
import type { RetainedItem } from "@uns/api-contract";
import { useId, useState } from "react";
import { ApiError } from "../../lib/api";
import { useMe } from "../../lib/auth";
import { formatBytes, formatCount } from "../../lib/format";
import { JsonView } from "../../lib/json-view";
import { useLiveInterval } from "../../lib/live";
import { Empty, ErrorState, Loading, PageHeader, PolicyBadge, QueryView, Section } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { clearRetained, useRetainedMessage, useRetainedQuery } from "./api";

function RetainedView({ topic }: { topic: string }) {
  const q = useRetainedMessage(topic);
  if (q.isPending) return <Loading label="Loading the retained message" />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404)
      return <Empty title="No retained message there (any more)" />;
    return <ErrorState error={q.error} />;
  }
  const p = q.data.payload;
  return (
    <div data-testid="retained-view">
      <p className="muted small">
        QoS {q.data.qos}, {p.format === "sparkplug" ? "Sparkplug B, decoded" : p.format},{" "}
        {formatBytes(p.size)}
      </p>
      {p.format === "json" || p.format === "sparkplug" ? (
        <JsonView value={p.value} label={`Retained message on ${topic}`} idPrefix="rt" />
      ) : (
        <pre className="raw mono">{p.text ?? p.hex ?? ""}</pre>
      )}
    </div>
  );
}

/**
 * Retained messages: what a new subscriber gets at once. Admins clear one, or a whole subtree
 * (a device that published `retain` by mistake leaves stale values for every new dashboard).
 */
export function RetainedPage() {
  const { params, update } = useUrlState();
  const me = useMe();
  const client = useQueryClient();
  const prefix = params.get("prefix") ?? "";
  const text = params.get("q") ?? "";
  const selected = params.get("node");
  const q = useRetainedQuery(prefix, text, useLiveInterval(5000));
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const id = useId();
  const admin = me.api === "admin";

  async function clear(topic: string, subtree: boolean) {
    const what = subtree ? `every retained message at or below ${topic}` : `the retained message of ${topic}`;
    if (!window.confirm(`Clear ${what}? New subscribers will no longer get it.`)) return;
    try {
      const r = await clearRetained(topic, subtree);
      setNotice({
        ok: true,
        text: `Cleared ${r.cleared.length} retained message${r.cleared.length === 1 ? "" : "s"}.`,
      });
      await client.invalidateQueries({ queryKey: ["retained"] });
    } catch (e) {
      setNotice({ ok: false, text: e instanceof ApiError ? `${e.code}: ${e.message}` : String(e) });
    }
  }

  return (
    <div className="page page-retained">
      <PageHeader title="Retained messages">
        <span className="muted">What the broker hands every new subscriber at once</span>
      </PageHeader>
      <div className="filter-bar">
        <div className="field inline">
          <label htmlFor={`${id}-p`}>Subtree</label>
          <input
            id={`${id}-p`}
            defaultValue={prefix}
            placeholder="acme/plant-a/"
            onChange={(e) => update({ prefix: e.target.value }, { replace: true })}
          />
          <label htmlFor={`${id}-q`}>Topic contains</label>
          <input
            id={`${id}-q`}
            type="search"
            defaultValue={text}
            data-testid="retained-filter"
            onChange={(e) => update({ q: e.target.value }, { replace: true })}
          />
          {admin && prefix ? (
            <button
              type="button"
              className="btn btn-small btn-danger"
              onClick={() => void clear(prefix.replace(/\/$/, ""), true)}
            >
              Clear the subtree
            </button>
          ) : null}
        </div>
      </div>
      {notice ? (
        <p className={notice.ok ? "ok" : "bad"} role="status" data-testid="retained-notice">
          {notice.text}
        </p>
      ) : null}
      <QueryView query={q} loadingLabel="Loading retained messages">
        {(d) => (
          <div className="grid grid-tree grid-retained">
            <Section
              title={`Retained (${formatCount(d.items.length)}${d.truncated ? "+" : ""})`}
              id="retained"
            >
              {d.items.length === 0 ? (
                <Empty title="No retained message matches" />
              ) : (
                <div className="table-wrap">
                  <table data-testid="retained-table">
                    <caption className="sr-only">Retained messages</caption>
                    <thead>
                      <tr>
                        <th scope="col">Topic</th>
                        <th scope="col">Value</th>
                        <th scope="col">Contract</th>
                        <th scope="col" className="num">
                          Size
                        </th>
                        {admin ? <th scope="col">Action</th> : null}
                      </tr>
                    </thead>
                    <tbody>
                      {d.items.map((it: RetainedItem) => (
                        <tr key={it.topic} className={selected === it.topic ? "is-selected" : undefined}>
                          <td className="mono">
                            <button
                              type="button"
                              className="link"
                              onClick={() => update({ node: it.topic }, { replace: true })}
                            >
                              {it.topic}
                            </button>
                          </td>
                          <td className="mono small" title={it.preview}>
                            <div className="preview-clip">{it.preview}</div>
                          </td>
                          <td>
                            {it.channel ?? <span className="muted">none</span>}{" "}
                            {it.policy ? <PolicyBadge policy={it.policy} /> : null}
                          </td>
                          <td className="num">{formatBytes(it.size)}</td>
                          {admin ? (
                            <td>
                              <button
                                type="button"
                                className="btn btn-small btn-danger"
                                onClick={() => void clear(it.topic, false)}
                              >
                                Clear
                              </button>
                            </td>
                          ) : null}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
            <div className="tree-detail">
              <Section title={selected ?? "Retained message"} id="retained-detail">
                {selected ? (
                  <RetainedView topic={selected} />
                ) : (
                  <p className="muted">Choose a topic to see its retained message.</p>
                )}
              </Section>
            </div>
          </div>
        )}
      </QueryView>
    </div>
  );
}
