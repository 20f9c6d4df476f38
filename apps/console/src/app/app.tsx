import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Route, Switch } from "wouter";
import { LoginPage } from "../features/auth/login-page";
import { OverviewPage } from "../features/overview/overview-page";
import { MeProvider, useAuthActions, useMeQuery } from "../lib/auth";
import { ConfigProvider, useConfigQuery } from "../lib/config";
import { LiveProvider } from "../lib/live";
import { Empty, ErrorState, Loading } from "../lib/ui";
import { Shell } from "./shell";

// The Overview is the landing page and loads with the app; the others load when first opened.
const ViolationsPage = lazy(() =>
  import("../features/violations/violations-page").then((m) => ({ default: m.ViolationsPage })),
);
const ViolationDetailPage = lazy(() =>
  import("../features/violation-detail/violation-detail-page").then((m) => ({
    default: m.ViolationDetailPage,
  })),
);
const PublishersPage = lazy(() =>
  import("../features/publishers/publishers-page").then((m) => ({ default: m.PublishersPage })),
);
const ContractsPage = lazy(() =>
  import("../features/contracts/contracts-page").then((m) => ({ default: m.ContractsPage })),
);
const TopicTreePage = lazy(() =>
  import("../features/topics/topic-tree-page").then((m) => ({ default: m.TopicTreePage })),
);
const BrowserPage = lazy(() =>
  import("../features/browser/browser-page").then((m) => ({ default: m.BrowserPage })),
);
const RetainedPage = lazy(() =>
  import("../features/retained/retained-page").then((m) => ({ default: m.RetainedPage })),
);
const UsersPage = lazy(() => import("../features/users/users-page").then((m) => ({ default: m.UsersPage })));
const AuditPage = lazy(() => import("../features/audit/audit-page").then((m) => ({ default: m.AuditPage })));
const SparkplugPage = lazy(() =>
  import("../features/sparkplug/sparkplug-page").then((m) => ({ default: m.SparkplugPage })),
);

const ClientsPage = lazy(() =>
  import("../features/clients/clients-page").then((m) => ({ default: m.ClientsPage })),
);
const PlantPage = lazy(() => import("../features/plant/plant-page").then((m) => ({ default: m.PlantPage })));
const LinePage = lazy(() => import("../features/line/line-page").then((m) => ({ default: m.LinePage })));
const AlertsPage = lazy(() =>
  import("../features/alerts/alerts-page").then((m) => ({ default: m.AlertsPage })),
);
const BodyPage = lazy(() => import("../features/body/body-page").then((m) => ({ default: m.BodyPage })));
const ModelsPage = lazy(() =>
  import("../features/models/models-page").then((m) => ({ default: m.ModelsPage })),
);

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: 1,
        refetchOnWindowFocus: false,
        placeholderData: (prev: unknown) => prev,
      },
    },
  });
}

function Pages() {
  return (
    <Suspense fallback={<Loading label="Loading page" />}>
      <Switch>
        <Route path="/" component={OverviewPage} />
        <Route path="/violations" component={ViolationsPage} />
        <Route path="/violations/:id">{(p) => <ViolationDetailPage id={p.id} />}</Route>
        <Route path="/publishers" component={PublishersPage} />
        <Route path="/contracts" component={ContractsPage} />
        <Route path="/topics" component={TopicTreePage} />
        <Route path="/sparkplug" component={SparkplugPage} />
        <Route path="/clients" component={ClientsPage} />
        <Route path="/browser" component={BrowserPage} />
        <Route path="/retained" component={RetainedPage} />
        <Route path="/users" component={UsersPage} />
        <Route path="/audit" component={AuditPage} />
        <Route path="/plant" component={PlantPage} />
        <Route path="/line" component={LinePage} />
        <Route path="/alerts" component={AlertsPage} />
        <Route path="/body" component={BodyPage} />
        <Route path="/models" component={ModelsPage} />
        <Route>
          <Empty title="No such page">Pick a page from the navigation above.</Empty>
        </Route>
      </Switch>
    </Suspense>
  );
}

/** Waits for the server's settings (the plant's time zone) before showing any time. */
function WithConfig() {
  const config = useConfigQuery();
  if (config.isPending) return <Loading label="Connecting to the UNS server" />;
  if (config.isError) return <ErrorState error={config.error} onRetry={() => void config.refetch()} />;
  return (
    <ConfigProvider value={config.data}>
      <LiveProvider>
        <Shell>
          <Pages />
        </Shell>
      </LiveProvider>
    </ConfigProvider>
  );
}

/** Nothing but the login page until someone is logged in; back to it on any 401. */
function WithLogin() {
  const me = useMeQuery();
  const actions = useAuthActions();
  if (me.isPending) return <Loading label="Connecting to the UNS server" />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) return <LoginPage onLoggedIn={actions.loggedIn} />;
  return (
    <MeProvider value={me.data}>
      <WithConfig />
    </MeProvider>
  );
}

const queryClient = createQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <WithLogin />
    </QueryClientProvider>
  );
}
