export { DATA_TEMPLATE, seedDataDir } from "./data-template.js";
export { freePort } from "./free-port.js";
export {
  createDatabase,
  type PostgresServer,
  type StartPostgresOptions,
  startPostgres,
  type TestDatabase,
} from "./postgres.js";
export {
  type RedisServer,
  type StartRedisOptions,
  startRedis,
  startTcpProxy,
  type TcpProxy,
} from "./redis.js";
