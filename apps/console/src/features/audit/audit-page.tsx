import { useQuery } from "@tanstack/react-query";
import { getJson } from "../../lib/api";
import { Empty, PageHeader, QueryView, Time } from "../../lib/ui";

interface AuditResponse {
  entries: {
    id: number;
    time: string;
    actor: string;
    address: string | null;
    action: string;
    target: string | null;
    outcome: string;
    details: Record<string, unknown>;
  }[];
}

/** Who changed what, when and from where (newest first): users, tokens, logins. */
export function AuditPage() {
  const q = useQuery({
    queryKey: ["audit"],
    queryFn: ({ signal }) => getJson<AuditResponse>("/audit?limit=500", signal),
    refetchInterval: 15_000,
  });
  return (
    <div className="page page-audit">
      <PageHeader title="Audit">
        <span className="muted">Admin actions and logins, newest first</span>
      </PageHeader>
      <QueryView
        query={q}
        loadingLabel="Loading the audit log"
        isEmpty={(d) => d.entries.length === 0}
        empty={<Empty title="No entries yet" />}
      >
        {(d) => (
          <div className="table-wrap">
            <table data-testid="audit-table">
              <caption className="sr-only">Audit log</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">From</th>
                  <th scope="col">Action</th>
                  <th scope="col">On</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {d.entries.map((e) => (
                  <tr key={e.id} className={e.outcome === "ok" ? undefined : "row-bad"}>
                    <td className="nowrap">
                      <Time value={e.time} />
                    </td>
                    <td className="mono">{e.actor}</td>
                    <td className="mono">{e.address ?? "—"}</td>
                    <td className="mono">{e.action}</td>
                    <td className="mono">{e.target ?? "—"}</td>
                    <td>{e.outcome}</td>
                    <td className="mono small">
                      {Object.keys(e.details).length ? JSON.stringify(e.details) : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </div>
  );
}
