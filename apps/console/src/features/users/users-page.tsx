import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError, getJson, sendJson } from "../../lib/api";
import { useMe } from "../../lib/auth";
import { Empty, ErrorState, PageHeader, QueryView, Time } from "../../lib/ui";

interface UsersResponse {
  users: { username: string; roles: string[]; locked: boolean }[];
  roles: string[];
  locked: { kind: "user" | "address"; key: string; failures: number; lockedUntil: string }[];
  minPasswordLength: number;
}

/**
 * Admins manage the users of topics/users.yaml (the same users MQTT clients log in with): add,
 * change roles, reset a password, lift a login lock, remove. A generated password is shown once.
 */
export function UsersPage() {
  const me = useMe();
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ["users"],
    queryFn: ({ signal }) => getJson<UsersResponse>("/users", signal),
  });
  const [secret, setSecret] = useState<{ username: string; password: string } | null>(null);
  const change = useMutation({
    mutationFn: (a: { method: "POST" | "PUT" | "DELETE"; path: string; body?: unknown }) =>
      sendJson<{ username: string; password?: string }>(a.method, a.path, a.body),
    onSuccess: (r) => {
      if (r.password) setSecret({ username: r.username, password: r.password });
      void client.invalidateQueries({ queryKey: ["users"] });
    },
  });

  if (me.api !== "admin") return <Empty title="Only admins manage users" />;
  return (
    <div className="page page-users">
      <PageHeader title="Users">
        <span className="muted">Logins for the console, the API and MQTT (topics/users.yaml)</span>
      </PageHeader>
      {secret ? (
        <div className="card" role="status" data-testid="new-password">
          Password for <strong>{secret.username}</strong>, shown once:{" "}
          <span className="secret">{secret.password}</span>{" "}
          <button type="button" className="btn btn-small" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
      {change.isError ? <ErrorState error={change.error} /> : null}
      <QueryView query={q} loadingLabel="Loading users">
        {(d) => (
          <>
            <AddUser
              roles={d.roles}
              minLength={d.minPasswordLength}
              onAdd={(body) => change.mutate({ method: "POST", path: "/users", body })}
            />
            <div className="table-wrap">
              <table data-testid="users-table">
                <caption className="sr-only">Users</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Roles</th>
                    <th scope="col">Login</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {d.users.map((u) => (
                    <tr key={u.username}>
                      <th scope="row" className="mono">
                        {u.username}
                      </th>
                      <td>
                        <RolesEditor
                          user={u.username}
                          current={u.roles}
                          roles={d.roles}
                          onSave={(roles) =>
                            change.mutate({
                              method: "PUT",
                              path: `/users/${encodeURIComponent(u.username)}/roles`,
                              body: { roles },
                            })
                          }
                        />
                      </td>
                      <td>
                        {u.locked ? (
                          <>
                            <span className="kind">locked after failed logins</span>{" "}
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() =>
                                change.mutate({
                                  method: "DELETE",
                                  path: `/users/${encodeURIComponent(u.username)}/lock`,
                                })
                              }
                            >
                              Unlock
                            </button>
                          </>
                        ) : (
                          <span className="muted">ok</span>
                        )}
                      </td>
                      <td className="nowrap">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            change.mutate({
                              method: "PUT",
                              path: `/users/${encodeURIComponent(u.username)}/password`,
                              body: {},
                            })
                          }
                        >
                          Reset password
                        </button>{" "}
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={u.username === me.username}
                          onClick={() => {
                            if (
                              window.confirm(
                                `Remove user ${u.username}? Their sessions and API tokens stop working.`,
                              )
                            )
                              change.mutate({
                                method: "DELETE",
                                path: `/users/${encodeURIComponent(u.username)}`,
                              });
                          }}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {d.locked.length > 0 ? (
              <p className="muted small">
                Waiting after failed logins:{" "}
                {d.locked.map((l) => (
                  <span key={`${l.kind}:${l.key}`}>
                    {l.kind} <span className="mono">{l.key}</span> ({l.failures} failures, until{" "}
                    <Time value={l.lockedUntil} />){" "}
                  </span>
                ))}
              </p>
            ) : null}
          </>
        )}
      </QueryView>
    </div>
  );
}

function AddUser({
  roles,
  minLength,
  onAdd,
}: {
  roles: string[];
  minLength: number;
  onAdd: (body: { username: string; roles: string[]; password?: string }) => void;
}) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState(roles.includes("viewer") ? "viewer" : (roles[0] ?? ""));
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onAdd({ username, roles: [role], ...(password ? { password } : {}) });
    setUsername("");
    setPassword("");
  };
  return (
    <form className="card filters" onSubmit={submit} aria-label="Add a user">
      <div className="field">
        <label htmlFor="new-user">New user</label>
        <input
          id="new-user"
          required
          pattern="[A-Za-z0-9._@\-]{1,128}"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="new-role">Role</label>
        <select id="new-role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="new-password">Password (empty: generate)</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          minLength={minLength}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      <div className="field field-actions">
        <button type="submit" className="btn btn-primary">
          Add user
        </button>
      </div>
    </form>
  );
}

function RolesEditor({
  user,
  current,
  roles,
  onSave,
}: {
  user: string;
  current: string[];
  roles: string[];
  onSave: (roles: string[]) => void;
}) {
  const [picked, setPicked] = useState(current);
  const dirty = picked.join(",") !== current.join(",");
  return (
    <fieldset className="roles">
      <legend className="sr-only">Roles of {user}</legend>
      {roles.map((r) => (
        <label key={r} className="nowrap">
          <input
            type="checkbox"
            checked={picked.includes(r)}
            onChange={(e) => setPicked(e.target.checked ? [...picked, r] : picked.filter((x) => x !== r))}
          />{" "}
          {r}{" "}
        </label>
      ))}
      {dirty ? (
        <button
          type="button"
          className="btn btn-small"
          disabled={picked.length === 0}
          onClick={() => onSave(picked)}
        >
          Save roles
        </button>
      ) : null}
    </fieldset>
  );
}

export function describeError(err: unknown): string {
  return err instanceof ApiError ? `${err.message} (${err.code})` : String(err);
}
