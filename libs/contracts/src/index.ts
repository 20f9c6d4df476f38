/**
 * @uns/contracts: the governed topic tree, access rules, AsyncAPI contracts, topic -> channel
 * matching and payload validation. Nothing here reads the environment; the server passes folders
 * and options in.
 *
 * Importing this module does not load @asyncapi/parser (loadContracts imports it on first use),
 * so validation workers stay light.
 */

export {
  type Access,
  type AccessOptions,
  type ApiAccess,
  type AuthResult,
  addUser,
  type Identity,
  loadAccess,
  type PublicUser,
  parseAccess,
  type RoleRules,
} from "./access.js";
export {
  addressToFilter,
  type ChannelMatcher,
  createChannelMatcher,
  matchChannel,
} from "./channel-address.js";
export { checkConsistency, type Finding } from "./consistency.js";
export {
  type ChannelSpec,
  type ChannelSummary,
  type ContractSet,
  type JSONSchema,
  type MessageSpec,
  summarizeChannel,
  type TransferredContracts,
} from "./contract-set.js";
export { type Diagnostic, formatDiagnostic, type Severity, toJsonPath } from "./diagnostics.js";
export {
  type CreateErrorOptions,
  createError,
  type ErrorCodeInfo,
  errorCodes,
  isUnsError,
  UnsError,
} from "./errors.js";
export {
  closeLoaderStandby,
  type IsolatedLoadOptions,
  loadContractsIsolated,
  loadContractsTransfer,
  loadTopicTreeIsolated,
  type TransferredLoad,
} from "./isolated-loader.js";
export { findDuplicateKey, hasUtf8Bom } from "./json-strict.js";
export { compileLinearRegex, type LinearRegex } from "./linear-regex.js";
export {
  defaultLoadLimits,
  type LoadContractsOptions,
  type LoadedContracts,
  type LoadedDocument,
  type LoadLimits,
  loadContracts,
} from "./load-contracts.js";
export { createLru, type Lru } from "./lru.js";
export {
  filterCovers,
  filterMatches,
  filtersIntersect,
  isValidFilter,
  isValidTopicName,
  unshareFilter,
} from "./mqtt-filter.js";
export { hashPassword, verifyPassword } from "./password.js";
export {
  defaultNaming,
  type LeafDescription,
  type LeafPattern,
  loadTopicTree,
  type NamingRules,
  type OutsideMode,
  type Policy,
  parseTopicTree,
  parseTopicTreeData,
  type TopicClass,
  type TopicTree,
  type TopicTreeData,
  type TopicTreeOptions,
  type TreeDescription,
  type TreeNodeDescription,
  topicTreeFromData,
} from "./topic-tree.js";
export { removeUser, setUserPassword, setUserRoles } from "./users-file.js";
export {
  createValidator,
  fastPathStatus,
  type ValidationError,
  type ValidationKind,
  type ValidationResult,
  type Validator,
  type ValidatorOptions,
} from "./validator.js";
