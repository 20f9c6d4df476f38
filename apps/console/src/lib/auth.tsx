import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect } from "react";
import { ApiError, getJson, onUnauthorized, sendJson, setCsrfToken } from "./api";

/** Who is logged in (GET /api/v1/auth/me), for the whole app. */
export interface Me {
  username: string;
  roles: string[];
  api: "read" | "admin" | null;
  via: "session" | "basic" | "token";
  csrfToken: string | null;
}

const ME_KEY = ["auth", "me"] as const;

/** null: nobody is logged in (the server answered 401). */
export function useMeQuery() {
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ME_KEY,
    queryFn: async ({ signal }) => {
      try {
        const me = await getJson<Me | { username: null }>("/auth/me", signal);
        if (me.username === null) return null;
        setCsrfToken(me.csrfToken);
        return me;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  // Any 401 later (session expired, logged out elsewhere, user removed) shows the login page.
  useEffect(
    () =>
      onUnauthorized(() => {
        setCsrfToken(null);
        client.setQueryData(ME_KEY, null);
      }),
    [client],
  );
  return q;
}

export async function logIn(username: string, password: string): Promise<Me> {
  const r = await sendJson<Omit<Me, "via">>("POST", "/auth/login", { username, password });
  setCsrfToken(r.csrfToken);
  return { ...r, via: "session" };
}

export function useAuthActions() {
  const client = useQueryClient();
  // What the previous user saw must not show for the next one; the "me" query itself stays
  // (its observer would not see a re-created one).
  const forgetData = () => client.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_KEY[0] });
  return {
    loggedIn(me: Me) {
      forgetData();
      client.setQueryData(ME_KEY, me);
    },
    async logOut() {
      await sendJson("POST", "/auth/logout").catch(() => undefined);
      setCsrfToken(null);
      client.setQueryData(ME_KEY, null);
      forgetData();
    },
  };
}

const MeContext = createContext<Me | null>(null);

export function MeProvider({ value, children }: { value: Me; children: ReactNode }) {
  return <MeContext.Provider value={value}>{children}</MeContext.Provider>;
}

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside <MeProvider>");
  return me;
}
