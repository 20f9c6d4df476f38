import { FilterBar } from "../../lib/filter-bar";
import { Empty, PageHeader, QueryView, Section } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { useSparkplugState, useSparkplugViolationCount } from "./api";
import { NodeDetail } from "./components/node-detail";
import { NodesTable, Tiles } from "./components/nodes";
import { Rebirths, Violations } from "./components/rebirths-violations";
import { nodeKey, pickNode } from "./sparkplug-format";

/** The Sparkplug page: the tracker's state (api.ts), shown by the components in components/. */
export function SparkplugPage() {
  const { filters, params } = useUrlState();
  const q = useSparkplugState();
  const kinds = useSparkplugViolationCount(filters);
  const hostId = q.data?.hostId;
  return (
    <div className="page page-sparkplug">
      <PageHeader title="Sparkplug B">
        <span className="muted">
          {q.data === undefined
            ? "Edge nodes and devices, their metrics and the Sparkplug rules"
            : hostId
              ? `The server is primary host ${hostId}`
              : "The server observes (not a primary host)"}
        </span>
      </PageHeader>
      <FilterBar fields={[]} resetKeys={[]} />
      <QueryView query={q} loadingLabel="Loading the Sparkplug state">
        {(data) => {
          const selected = pickNode(data.groups, params.get("node"));
          return (
            <>
              <Tiles data={data} violations={kinds.data} filters={filters} />
              {data.groups.length === 0 ? (
                <Empty title="No Sparkplug edge node seen yet">
                  Edge nodes publish under <span className="mono">spBv1.0/</span>; the server tracks each one
                  from its NBIRTH.
                </Empty>
              ) : (
                <>
                  <div className="grid grid-2-1">
                    <Section title="Edge nodes" id="sp-nodes">
                      <NodesTable
                        data={data}
                        selected={selected ? nodeKey(selected) : undefined}
                        filters={filters}
                      />
                    </Section>
                    <Rebirths data={data} />
                  </div>
                  {selected ? <NodeDetail n={selected} /> : null}
                </>
              )}
            </>
          );
        }}
      </QueryView>
      <Violations filters={filters} />
    </div>
  );
}
