import type { ViolationDetailResponse } from "@uns/api-contract";
import { Link } from "wouter";
import { formatCount } from "../../lib/format";
import { paths } from "../../lib/links";
import { Empty, Time } from "../../lib/ui";

/** The same error on other messages: one device, or the whole line? */
export function SimilarElsewhere({ data }: { data: ViolationDetailResponse }) {
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
