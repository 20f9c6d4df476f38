import { defineErrors, type ErrorRegistry } from "@uns/errors";

/**
 * Error codes owned by the server. Each is documented in docs/errors.md; a test keeps the two
 * in step. Libraries keep their own registries (`@uns/contracts`, `@uns/store`).
 */
export const serverErrorCodes = {
  UNS_ERR_CONFIG_FILE: {
    message: "The config file cannot be read or parsed.",
    fix: "Check the path in UNS_CONFIG / --config and its YAML syntax.",
  },
  UNS_ERR_CONFIG_INVALID: {
    message: "One or more settings are invalid; every problem is listed.",
    fix: "Correct the listed settings; docs/configuration.md lists them all.",
  },
  UNS_ERR_CONTRACTS_INVALID: {
    message: "An AsyncAPI document in the contracts folder is broken; the server refuses to start on it.",
    fix: "Fix the file at the line given, or move it out of the folder.",
  },
  UNS_ERR_TOPICS_INVALID: {
    message: "The topic tree or the access rules cannot be loaded.",
    fix: "Fix the file at the line given.",
  },
  UNS_ERR_LISTEN: {
    message: "A port could not be opened.",
    fix: "Choose another port (UNS_MQTT_PORT / UNS_HTTP_PORT) or stop what holds it; 0 picks a free one.",
  },
  UNS_ERR_MQTT_PACKET_TOO_LARGE: {
    message:
      "A client sent (or announced) an MQTT packet, or a WebSocket frame, larger than mqtt.maxPacketBytes; the connection was closed before buffering it.",
    fix: "Send smaller messages (images belong in storage, referenced from the message), or raise UNS_MQTT_MAX_PACKET_BYTES.",
  },
  UNS_ERR_MQTT_MALFORMED: {
    message:
      "A client sent a string that is not well-formed UTF-8 or contains U+0000 [MQTT-1.5.3-1/2], a will QoS of 3 [MQTT-3.1.2-14] or a password without a user name [MQTT-3.1.2-22]; the connection was closed as MQTT requires.",
    fix: "Fix the client: the log names the field (topic name, topic filter, client id, will topic, user name).",
  },
  UNS_ERR_MQTT_SLOW_CLIENT: {
    message:
      "A subscriber does not read fast enough: its outgoing queue passed mqtt.clientQueueMaxMessages / mqtt.clientQueueMaxBytes (QoS 0 to it is dropped, counted in uns_mqtt_slow_client_dropped_total), or it was disconnected (QoS 1/2 past twice the bounds, or no drain for mqtt.slowClientTimeoutMs).",
    fix: "Make the subscriber read faster or subscribe to less; a persistent session (CleanSession=0) keeps its QoS 1/2 messages across the disconnect.",
  },
  UNS_ERR_API_VALIDATION: {
    status: 400,
    message: "A request parameter is invalid.",
    fix: "See the message for the parameter and what is accepted; the OpenAPI document lists every parameter.",
  },
  UNS_ERR_API_NOT_FOUND: { status: 404, message: "No such resource.", fix: "Check the id or path." },
  UNS_ERR_API_INTERNAL: {
    status: 500,
    message: "The server failed to answer the request.",
    fix: "See the server log for the cause; report it if it repeats.",
  },
  UNS_ERR_API_RESPONSE_INVALID: {
    status: 500,
    message: "A reply did not match its response schema (checked in tests only).",
    fix: "A bug in the route or in @uns/api-contract: make the two agree; the message names the path.",
  },
  UNS_ERR_API_UNAVAILABLE: {
    status: 503,
    message: "A part the request needs (the database) is not available right now.",
    fix: "Retry later; /api/v1/health shows which part is down.",
  },
  UNS_ERR_TLS: {
    message: "The TLS certificate or key (tls.certFile, tls.keyFile, tls.caFile) cannot be read or used.",
    fix: "Check the paths and that the files are PEM and readable by the server user.",
  },
  UNS_ERR_AUTH_REQUIRED: {
    status: 401,
    message:
      "The request carries no login (HTTP 401); every route but /healthz, /readyz and the login needs one.",
    fix: "Log in in the console, or send HTTP Basic credentials or an API token (`Authorization: Bearer uns_...`).",
  },
  UNS_ERR_AUTH_FAILED: {
    status: 401,
    message: "The user name and password, or the API token, are not accepted (HTTP 401).",
    fix: "Check the credentials; an admin can reset a password (`uns user passwd`) or make a new token.",
  },
  UNS_ERR_AUTH_LOCKED: {
    status: 429,
    message:
      "Too many failed logins for this user or from this address; the next attempt must wait (HTTP 429, Retry-After).",
    fix: "Wait the time given; an admin can lift the wait for a user (console Users page, or a password reset).",
  },
  UNS_ERR_AUTH_FORBIDDEN: {
    status: 403,
    message:
      "The user is logged in but their roles do not allow this (HTTP 403): `api: read` sees, `api: admin` changes.",
    fix: "Ask an admin for a role with the needed `api` access in topics/access.yaml.",
  },
  UNS_ERR_AUTH_CSRF: {
    status: 403,
    message:
      "A state-changing request with the session cookie lacks the matching x-csrf-token header (HTTP 403).",
    fix: "Send the csrfToken returned by POST /api/v1/auth/login or GET /api/v1/auth/me in the x-csrf-token header.",
  },
  UNS_ERR_USER_PASSWORD_WEAK: {
    status: 400,
    message: "The new password is shorter than auth.minPasswordLength.",
    fix: "Choose a longer password, or leave it out to have one generated.",
  },
  UNS_ERR_USER_LAST_ADMIN: {
    status: 409,
    message: "The change would leave no user with admin access.",
    fix: "Give another user an admin role first.",
  },
  UNS_ERR_CLUSTER_REDIS: {
    message:
      "This node cannot reach the cluster's Redis (cluster.redisUrl). At start the node does not start; while running it refuses new connections (CONNACK 0x03, server unavailable) and publishes (the publisher is disconnected) and /api/v1/health answers 503, until Redis answers again.",
    fix: "Check that Redis runs and that UNS_CLUSTER_REDIS_URL points at it; clients reconnect to another node meanwhile.",
  },
  UNS_ERR_ALERT_RULES: {
    message: "The alert rules file (topics/alerts.yaml) has errors; the last good rules stay in use.",
    fix: "Fix the rules at the file and line given (GET /api/v1/alerts/rules lists the problems).",
  },
  UNS_ERR_ALERT_CONFLICT: {
    status: 409,
    message: "The alert changed since it was read (its version is newer than the one sent).",
    fix: "Reload the alert, check what changed, and repeat the action with the current version.",
  },
  UNS_ERR_ALERT_TRANSITION: {
    status: 409,
    message:
      "The action is not possible in the alert's state (for example clearing an alert whose condition is still active).",
    fix: "Acknowledge an active alert; it clears when its condition returns to normal. Cleared alerts only take comments.",
  },
  UNS_ERR_WORKBENCH_PUBLISH_FORBIDDEN: {
    status: 403,
    message:
      "The console's publish tool refused: the user is neither an admin nor in a role whose publish rules (topics/access.yaml) match the topic (HTTP 403).",
    fix: "Publish as an admin, or give the user a role that may publish to that topic.",
  },
  UNS_ERR_WORKBENCH_REFUSED: {
    status: 422,
    message:
      "The console's publish tool did not publish: the topic is refused (wildcard, `$` or Sparkplug namespace, outside the tree, another channel than the form's) or the payload is invalid on an enforced channel (HTTP 422).",
    fix: "Read the reason in the message; Validate shows every error of the payload without publishing.",
  },
  UNS_ERR_CLI_USAGE: { message: "The command line is not understood.", fix: "Run `pnpm uns help`." },
} as const satisfies ErrorRegistry;

export type ServerErrorCode = keyof typeof serverErrorCodes;

/** Make an error with a server code; API codes carry their HTTP status. */
export const { createError } = defineErrors(serverErrorCodes);
