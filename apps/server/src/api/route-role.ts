// The role a route needs (`config: { role }`), as the login work on main declares it; kept here
// until that lands so that the quality and alert routes type-check on their own.
declare module "fastify" {
  interface FastifyContextConfig {
    role?: "public" | "read" | "admin" | "processor";
  }
}

export {};
