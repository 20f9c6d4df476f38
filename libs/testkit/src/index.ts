export { freePort } from "./free-port.js";
export {
  createDatabase,
  type PostgresServer,
  type StartPostgresOptions,
  startPostgres,
  type TestDatabase,
} from "./postgres.js";
