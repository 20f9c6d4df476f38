import type { ChannelSpec, WorkbenchVerdict } from "@uns/api-contract";
import { useId, useState } from "react";
import { ApiError } from "../../../lib/api";
import { PolicyBadge } from "../../../lib/ui";
import { addressParameters, defaultParameter, topicFromAddress } from "../address";
import { publishPayload, validatePayload } from "../api";

type Result =
  | { kind: "verdict"; verdict: WorkbenchVerdict; published: boolean }
  | { kind: "error"; code: string; message: string };

const OUTCOME_TEXT: Record<WorkbenchVerdict["outcome"], string> = {
  valid: "Valid",
  invalid: "Invalid",
  unvalidated: "Not validated",
  ungoverned: "Ungoverned (no contract)",
  refused: "Refused",
};

function exampleText(c: ChannelSpec, name: string): string {
  const m = c.messages.find((x) => x.name === name);
  const ex = m?.examples[0];
  // AsyncAPI 2 examples are `{payload, headers}`; 3.0 message examples the same; a bare value is allowed too.
  const payload =
    ex && typeof ex === "object" && "payload" in (ex as object) ? (ex as { payload: unknown }).payload : ex;
  return payload === undefined ? "{\n  \n}" : JSON.stringify(payload, null, 2);
}

function VerdictView({ r }: { r: Result }) {
  if (r.kind === "error")
    return (
      <div className="bad" role="alert" data-testid="verdict" data-outcome="error">
        <strong>{r.code}</strong>: {r.message}
      </div>
    );
  const v = r.verdict;
  return (
    <div
      className={v.outcome === "valid" ? "ok" : "bad"}
      role="status"
      data-testid="verdict"
      data-outcome={v.outcome}
    >
      <strong>{OUTCOME_TEXT[v.outcome]}</strong>
      {v.message ? (
        <>
          {" "}
          as message <span className="mono">{v.message}</span>
        </>
      ) : null}
      {v.policy ? (
        <>
          {" "}
          <PolicyBadge policy={v.policy} />
        </>
      ) : null}
      {r.published ? (
        <span data-testid="published"> — published</span>
      ) : (
        <span className="muted"> — not published</span>
      )}
      {v.reason ? <p>{v.reason}</p> : null}
      {v.errors.length ? (
        <table className="small" data-testid="verdict-errors">
          <caption className="sr-only">Validation errors</caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Rule</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {v.errors.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the validator's list, in its order
              <tr key={i}>
                <td className="mono">{e.instancePath || "/"}</td>
                <td className="mono">{e.keyword}</td>
                <td>
                  {e.message}
                  {e.params && Object.keys(e.params).length ? (
                    <span className="muted mono small"> {JSON.stringify(e.params)}</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

/**
 * "Try it" on a channel: the topic from the address parameters, a payload prefilled with the
 * message's example, Validate (the server's verdict, nothing sent) and Publish (as the logged-in
 * user: admins, or roles topics/access.yaml lets publish there).
 */
export function PublishForm({ channel: c }: { channel: ChannelSpec }) {
  const id = useId();
  const params = c.address ? addressParameters(c.address) : [];
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(params.map((p) => [p, defaultParameter(c.parameters[p])])),
  );
  const [messageName, setMessageName] = useState(c.messages[0]?.name ?? "");
  const [payload, setPayload] = useState(() => exampleText(c, c.messages[0]?.name ?? ""));
  const [qos, setQos] = useState(0);
  const [retain, setRetain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  if (!c.address) return null;
  const { topic, problems } = topicFromAddress(c.address, values);

  async function run(what: "validate" | "publish") {
    setBusy(true);
    const body = { topic, payload, channel: c.id, qos, retain };
    try {
      if (what === "validate")
        setResult({ kind: "verdict", verdict: await validatePayload(body), published: false });
      else {
        const r = await publishPayload(body);
        setResult({ kind: "verdict", verdict: r.verdict, published: r.published });
      }
    } catch (e) {
      setResult(
        e instanceof ApiError
          ? { kind: "error", code: e.code, message: e.message }
          : { kind: "error", code: "UNS_ERR_CONSOLE", message: String(e) },
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="publish-form" data-testid={`publish-form-${c.id}`}>
      <summary>Validate or publish a message</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run("validate");
        }}
      >
        <fieldset>
          <legend>Topic</legend>
          {params.map((p) => (
            <div className="field inline" key={p}>
              <label htmlFor={`${id}-${p}`} className="mono">{`{${p}}`}</label>
              <input
                id={`${id}-${p}`}
                name={p}
                value={values[p] ?? ""}
                onChange={(e) => setValues({ ...values, [p]: e.target.value })}
              />
            </div>
          ))}
          <p className="mono small" data-testid="built-topic">
            {topic}
          </p>
          {problems.length ? <p className="bad small">{problems.join("; ")}</p> : null}
        </fieldset>
        {c.messages.length > 1 ? (
          <div className="field inline">
            <label htmlFor={`${id}-m`}>Message</label>
            <select
              id={`${id}-m`}
              value={messageName}
              onChange={(e) => {
                setMessageName(e.target.value);
                setPayload(exampleText(c, e.target.value));
              }}
            >
              {c.messages.map((m) => (
                <option key={m.name}>{m.name}</option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-p`}>Payload</label>
          <textarea
            id={`${id}-p`}
            className="mono"
            rows={Math.min(20, payload.split("\n").length + 1)}
            value={payload}
            spellCheck={false}
            onChange={(e) => setPayload(e.target.value)}
          />
        </div>
        <div className="field inline">
          <label htmlFor={`${id}-q`}>QoS</label>
          <select id={`${id}-q`} value={qos} onChange={(e) => setQos(Number(e.target.value))}>
            <option value={0}>0</option>
            <option value={1}>1</option>
          </select>
          <label>
            <input type="checkbox" checked={retain} onChange={(e) => setRetain(e.target.checked)} /> retain
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="btn" disabled={busy || problems.length > 0}>
            Validate
          </button>{" "}
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || problems.length > 0}
            onClick={() => void run("publish")}
          >
            Publish
          </button>
        </div>
      </form>
      {result ? <VerdictView r={result} /> : null}
    </details>
  );
}
