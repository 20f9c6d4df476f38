import { Link } from "wouter";
import { FilterBar } from "../../lib/filter-bar";
import { formatCount } from "../../lib/format";
import { paths } from "../../lib/links";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { useContractsQuery } from "./api";
import { Channels } from "./components/channel";
import { Diagnostics } from "./components/diagnostics";

export function ContractsPage() {
  const { filters } = useUrlState();
  const q = useContractsQuery(filters);
  return (
    <div className="page page-contracts">
      <PageHeader title="Contracts">
        {q.data ? (
          <span className="muted">
            contract set <span className="mono">{q.data.version.slice(0, 12)}</span>, loaded{" "}
            <Time value={q.data.loadedAt} />
          </span>
        ) : null}
      </PageHeader>
      <QueryView query={q} loadingLabel="Loading contracts">
        {(d) => (
          <>
            <div className="grid grid-2">
              <Section title={`Documents (${d.documents.length})`} id="documents">
                {d.documents.length === 0 ? (
                  <Empty title="No AsyncAPI documents loaded">
                    Put documents in the server's asyncapi/ folder; they load without a restart.
                  </Empty>
                ) : (
                  <div className="table-wrap">
                    <table>
                      <caption className="sr-only">AsyncAPI documents</caption>
                      <thead>
                        <tr>
                          <th scope="col">File</th>
                          <th scope="col">Title</th>
                          <th scope="col">Version</th>
                          <th scope="col">AsyncAPI</th>
                          <th scope="col" className="num">
                            Channels
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.documents.map((doc) => (
                          <tr key={doc.file}>
                            <td className="mono">{doc.file}</td>
                            <td>{doc.title}</td>
                            <td>{doc.version}</td>
                            <td>{doc.asyncapiVersion}</td>
                            <td className="num">{d.channels.filter((c) => c.file === doc.file).length}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Section>
              <Section title="Load problems" id="diagnostics">
                {d.status?.held.length ? (
                  <div className="bad" data-testid="held-channels">
                    <strong>
                      Held at their last good version (the files lost them; enforcement goes on with these):
                    </strong>
                    <ul>
                      {d.status.held.map((h) => (
                        <li key={h.channel}>
                          <span className="mono">{h.channel}</span>: {h.reason}
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                <Diagnostics diagnostics={d.diagnostics} />
                {d.reloads.length ? (
                  <>
                    <h3>Recent reloads</h3>
                    <ul className="reloads">
                      {[...d.reloads].reverse().map((r, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: the server's list, newest shown first
                        <li key={i} className={r.ok ? "ok" : "bad"}>
                          <Time value={r.at} /> {r.part}:{" "}
                          {r.ok ? (
                            "reloaded"
                          ) : (
                            <strong>not fully applied, the last good version stays</strong>
                          )}
                          {!r.ok ? <pre className="raw small">{r.message}</pre> : null}
                        </li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </Section>
            </div>
            <Section title="Coverage: topics no contract governs" id="coverage">
              <FilterBar fields={[]} resetKeys={[]} />
              {d.coverage.ungovernedTopics.length === 0 ? (
                <p className="ok">Every topic seen in this window is governed by a contract.</p>
              ) : (
                <div className="table-wrap">
                  <table data-testid="ungoverned">
                    <caption className="sr-only">Ungoverned topics</caption>
                    <thead>
                      <tr>
                        <th scope="col">Topic</th>
                        <th scope="col" className="num">
                          Messages
                        </th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.coverage.ungovernedTopics.map((t) => (
                        <tr key={t.topic}>
                          <td className="mono">
                            <Link href={paths.topics(filters, { node: t.topic })}>{t.topic}</Link>
                          </td>
                          <td className="num">{formatCount(t.messages)}</td>
                          <td>
                            <Time value={t.lastSeen} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
            <Section title={`Channels (${d.channels.length})`} id="channels">
              {d.channels.length === 0 ? <Empty title="No channels" /> : <Channels channels={d.channels} />}
            </Section>
          </>
        )}
      </QueryView>
    </div>
  );
}
