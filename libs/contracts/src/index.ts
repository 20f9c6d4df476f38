/**
 * @uns/contracts: the governed topic tree, access rules, AsyncAPI contracts, topic -> channel
 * matching and payload validation. Nothing here reads the environment; the server passes folders
 * and options in.
 *
 * Importing this module does not load @asyncapi/parser (loadContracts imports it on first use),
 * so validation workers stay light.
 */

export { type ErrorCodeInfo, type CreateErrorOptions, UnsError, createError, isUnsError, errorCodes } from "./errors.js";
export { type Diagnostic, type Severity, formatDiagnostic, toJsonPath } from "./diagnostics.js";

export {
  type Policy,
  type OutsideMode,
  type NamingRules,
  type TopicClass,
  type TopicTree,
  type TopicTreeOptions,
  type TreeDescription,
  type TreeNodeDescription,
  type LeafDescription,
  type LeafPattern,
  defaultNaming,
  loadTopicTree,
  parseTopicTree,
} from "./topic-tree.js";

export {
  type Access,
  type AccessOptions,
  type ApiAccess,
  type AuthResult,
  type Identity,
  type PublicUser,
  type RoleRules,
  addUser,
  loadAccess,
  parseAccess,
} from "./access.js";
export { hashPassword, verifyPassword } from "./password.js";

export {
  isValidFilter,
  isValidTopicName,
  filterMatches,
  filterCovers,
  filtersIntersect,
  unshareFilter,
} from "./mqtt-filter.js";

export type { ContractSet, ChannelSpec, MessageSpec, JSONSchema } from "./contract-set.js";
export { type LoadedContracts, type LoadedDocument, loadContracts } from "./load-contracts.js";
export { type ChannelMatcher, addressToFilter, createChannelMatcher, matchChannel } from "./channel-address.js";

export {
  type Validator,
  type ValidatorOptions,
  type ValidationResult,
  type ValidationError,
  type ValidationKind,
  createValidator,
} from "./validator.js";

export { type Finding, checkConsistency } from "./consistency.js";
