import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { sendJson } from "../../lib/api";
import { ErrorState } from "../../lib/ui";

/**
 * The admin's model changes on the Models page: start a canary of a version with a share, promote
 * the canary, roll back (the canary if there is one, else to the previous live version). Each
 * asks for confirmation first, because it changes what scores every spot of the plant; the server
 * records who did it (the logged-in user) with the reason in the model's history.
 */
export type ModelAction =
  | { action: "deploy"; version: string; mode: "canary"; share: number }
  | { action: "promote" }
  | { action: "rollback" };

export function useModelChange(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ change, reason }: { change: ModelAction; reason: string }) => {
      const { action, ...body } = change;
      return sendJson<unknown>("POST", `/models/${encodeURIComponent(name)}/${action}`, {
        ...body,
        ...(reason ? { reason } : {}),
      });
    },
    onSettled: () => void client.invalidateQueries({ queryKey: ["models"] }),
  });
}

/** What the confirmation says, so the admin sees exactly what will happen. */
function describe(name: string, change: ModelAction, canary: string | null, live: string | null): string {
  if (change.action === "deploy")
    return `Send ${Math.round(change.share * 100)} % of spots to ${name} ${change.version} as a canary? (live stays ${live ?? "none"})`;
  if (change.action === "promote")
    return `Promote canary ${name} ${canary} to live? (live now: ${live ?? "none"})`;
  return canary
    ? `Roll back the canary ${name} ${canary}? Its spots go back to ${live ?? "none"}.`
    : `Roll ${name} back from ${live ?? "none"} to the previous live version?`;
}

export function ModelActions({
  name,
  live,
  canary,
  change,
  reason,
  onReason,
}: {
  name: string;
  live: string | null;
  canary: string | null;
  change: ReturnType<typeof useModelChange>;
  reason: string;
  onReason: (r: string) => void;
}) {
  const ask = (c: ModelAction) => {
    if (window.confirm(describe(name, c, canary, live))) change.mutate({ change: c, reason });
  };
  return (
    <div className="model-actions" data-testid={`model-actions-${name}`}>
      <label>
        Reason{" "}
        <input
          type="text"
          value={reason}
          maxLength={500}
          placeholder="why (kept in the history)"
          onChange={(e) => onReason(e.target.value)}
        />
      </label>{" "}
      <button
        type="button"
        className="btn btn-small"
        disabled={!canary || change.isPending}
        onClick={() => ask({ action: "promote" })}
      >
        Promote canary
      </button>{" "}
      <button
        type="button"
        className="btn btn-small"
        disabled={!live || change.isPending}
        onClick={() => ask({ action: "rollback" })}
      >
        Roll back
      </button>
      {change.isError ? <ErrorState error={change.error} /> : null}
    </div>
  );
}

/** Per version that is not serving: start it as a canary with the chosen share. */
export function CanaryButton({
  name,
  version,
  live,
  change,
  reason,
}: {
  name: string;
  version: string;
  live: string | null;
  change: ReturnType<typeof useModelChange>;
  reason: string;
}) {
  const [percent, setPercent] = useState(10);
  const c: ModelAction = { action: "deploy", version, mode: "canary", share: percent / 100 };
  return (
    <span className="nowrap">
      <select
        aria-label={`canary share for ${version}`}
        value={percent}
        onChange={(e) => setPercent(Number(e.target.value))}
      >
        {[5, 10, 25, 50].map((p) => (
          <option key={p} value={p}>
            {p} %
          </option>
        ))}
      </select>{" "}
      <button
        type="button"
        className="btn btn-small"
        disabled={change.isPending}
        onClick={() => {
          if (window.confirm(describe(name, c, null, live))) change.mutate({ change: c, reason });
        }}
      >
        Canary
      </button>
    </span>
  );
}
