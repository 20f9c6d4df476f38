/**
 * The one way to make an error in @uns/contracts (and, by reuse, in the server).
 *
 * Every code is `UNS_ERR_<AREA>_<WHAT>`, is never reused for another meaning, and is listed in
 * `errorCodes` below with what it means and how to fix it. docs/errors.md lists the same codes;
 * a test elsewhere keeps the two in step, so add a code here and there together.
 */

import { defineErrors, type ErrorRegistry } from "@uns/errors";

export { type CreateErrorOptions, type ErrorCodeInfo, isUnsError, UnsError } from "@uns/errors";

/** Codes used by @uns/contracts. The server adds its own registry next to this one. */
export const errorCodes = {
  // Topic tree file (topics/tree.yaml)
  UNS_ERR_TREE_READ: {
    message: "The topic tree file could not be read.",
    fix: "Check that topics/tree.yaml exists and is readable by the server user.",
  },
  UNS_ERR_TREE_INVALID: {
    message: "The topic tree file is not valid YAML or does not follow the tree format.",
    fix: "Fix each listed problem at the file:line shown; the format is described in docs/design.md (Topic tree).",
  },

  // Topic classification (refusals on the hot path; reported, never thrown)
  UNS_ERR_TOPIC_EMPTY_LEVEL: {
    message: "The topic has an empty level (leading, trailing or double '/').",
    fix: "Remove the empty level; every level needs a value such as 'acme/site/area'.",
  },
  UNS_ERR_TOPIC_UPPERCASE: {
    message: "A topic level contains uppercase letters.",
    fix: "Use lowercase levels only (the naming rule 'level' in topics/tree.yaml).",
  },
  UNS_ERR_TOPIC_TOO_DEEP: {
    message: "The topic has more levels than naming.maxDepth allows.",
    fix: "Use fewer levels or raise naming.maxDepth in topics/tree.yaml.",
  },
  UNS_ERR_TOPIC_TOO_LONG: {
    message: "The topic is longer (in UTF-8 bytes) than naming.maxLength allows.",
    fix: "Shorten the topic or raise naming.maxLength in topics/tree.yaml.",
  },
  UNS_ERR_TOPIC_LEVEL_PATTERN: {
    message: "A topic level does not match the naming rule's level pattern.",
    fix: "Use only the characters allowed by naming.level in topics/tree.yaml.",
  },
  UNS_ERR_TOPIC_WILDCARD: {
    message: "A topic name used for publishing contains an MQTT wildcard ('+' or '#').",
    fix: "Publish to a concrete topic; wildcards are only allowed in subscriptions [MQTT-3.3.2-2].",
  },
  UNS_ERR_TOPIC_NOT_IN_TREE: {
    message:
      "The topic matches no leaf of the topic tree and the tree refuses topics outside it (outside: deny).",
    fix: "Publish to a topic the tree defines, add the leaf to topics/tree.yaml, or set outside: allow.",
  },
  UNS_ERR_TOPIC_VARIABLE_LEVEL: {
    message: "A topic level value does not match the pattern or enum of the tree's variable level.",
    fix: "Use a value the variable level accepts (shown in the reason), or widen its pattern/enum in topics/tree.yaml.",
  },

  // Access rules (topics/access.yaml, topics/users.yaml)
  UNS_ERR_ACCESS_READ: {
    message: "The access rules or users file could not be read.",
    fix: "Check that topics/access.yaml exists and that topics/access.yaml and topics/users.yaml are readable.",
  },
  UNS_ERR_ACCESS_INVALID: {
    message: "The access rules or users file is not valid YAML or does not follow the access format.",
    fix: "Fix each listed problem at the file:line shown; the format is described in docs/design.md (Access).",
  },
  UNS_ERR_ACCESS_UNKNOWN_ROLE: {
    message: "A user or the anonymous setting names a role that access.yaml does not define.",
    fix: "Define the role under roles: in topics/access.yaml or use an existing role name.",
  },
  UNS_ERR_ACCESS_BAD_USERNAME: {
    message: "The username is empty or contains characters that are not allowed.",
    fix: "Use a username of letters, digits, '.', '_', '-' or '@' (no spaces, '/', '+' or '#').",
  },
  UNS_ERR_ACCESS_USER_EXISTS: {
    message: "A user of that name already exists; it was not replaced.",
    fix: "Pick another name, change the existing user (`uns user passwd` / `uns user roles`), or pass --force.",
  },
  UNS_ERR_ACCESS_NO_USER: {
    message: "No user of that name exists in topics/users.yaml.",
    fix: "Check the name with `uns user list`.",
  },
  UNS_ERR_ACCESS_BAD_PASSWORD: {
    message: "The password is empty or the stored password hash is not in the scrypt$N$r$p$salt$hash format.",
    fix: "Set a non-empty password with `uns user add`; do not edit password hashes by hand.",
  },

  // AsyncAPI contracts (asyncapi/*.yaml)
  UNS_ERR_CONTRACT_READ: {
    message: "The contracts folder or one of its files could not be read.",
    fix: "Check that the asyncapi/ folder exists and its files are readable by the server user.",
  },
  UNS_ERR_CONTRACT_NOT_A_DOCUMENT: {
    message: "A file in the contracts folder has no top-level 'asyncapi' field and was skipped.",
    fix: "Move shared schema fragments into a sub-folder (they can still be $ref'd) or add the 'asyncapi' field.",
  },
  UNS_ERR_CONTRACT_DUPLICATE_CHANNEL: {
    message:
      "Two contract documents define the same channel id; channel ids must be unique across asyncapi/.",
    fix: "Rename the channel in one of the two files named in the message.",
  },
  UNS_ERR_CONTRACT_PARSE: {
    message: "The AsyncAPI parser failed on a document without giving a diagnostic.",
    fix: "Run the document through the AsyncAPI CLI (`asyncapi validate`) to see the problem.",
  },
  UNS_ERR_CONTRACT_SYNTAX: {
    message: "A contract document is not valid YAML/JSON (or repeats a key); it was not loaded.",
    fix: "Fix the syntax at the line given; every key may appear once per map.",
  },
  UNS_ERR_CONTRACT_TOO_LARGE: {
    message: "A contract document or a file it references is larger than contracts.maxFileBytes.",
    fix: "Split the document, or raise contracts.maxFileBytes if the size is intended.",
  },
  UNS_ERR_CONTRACT_LIMIT: {
    message:
      "Loading a contract hit a limit: more YAML alias expansions than contracts.maxAliases, or more memory than the loader thread has.",
    fix: "Use fewer YAML aliases (anchors expanded many times look like an alias bomb), or split the document.",
  },
  UNS_ERR_CONTRACT_TIMEOUT: {
    message:
      "Loading the contracts or the topic tree took longer than contracts.loadTimeoutMs; the loader was stopped.",
    fix: "Look at the file named in the message (it may be very large or deeply referenced); raise contracts.loadTimeoutMs if it is intended.",
  },
  UNS_ERR_CONTRACT_REF_CYCLE: {
    message: "A chain of $refs returns to where it started without ever reaching a schema.",
    fix: "Give one schema of the chain content; a recursive schema must recurse inside properties, items or similar.",
  },
  UNS_ERR_CONTRACT_REF_DEPTH: {
    message: "A chain of $refs, or of files referencing files, is longer than contracts.maxRefDepth.",
    fix: "Reference the target directly, or raise contracts.maxRefDepth.",
  },
  UNS_ERR_CONTRACT_REF_OUTSIDE: {
    message:
      "A $ref names a file outside the contracts folder, a URL on a host that is not allowed, or another scheme.",
    fix: "Copy the referenced file into the contracts folder (a sub-folder is fine), or add the host to contracts.allowedRefHosts.",
  },
  UNS_ERR_CONTRACT_CACHE: {
    message:
      "An entry of the contract cache (dataDir/contract-cache) was ignored (not a cache file, corrupt, written for another document) or the cache could not be written; the documents were parsed instead.",
    fix: "Nothing is needed: the entry is replaced on this load. If the warning repeats, check that dataDir is writable and its disk sound, or set contracts.cache to false.",
  },
  UNS_ERR_CONTRACT_CHANNEL_HELD: {
    message:
      "A reload dropped a channel that a topic tree leaf uses (file emptied, garbled, deleted or channel renamed); its last good version stays in force.",
    fix: "Restore the channel in the contract, or change the leaf in topics/tree.yaml first if the channel is meant to go.",
  },

  // Consistency between the topic tree and the contracts
  UNS_ERR_CHECK_UNKNOWN_CHANNEL: {
    message: "A topic tree leaf names a channel that no loaded AsyncAPI document defines.",
    fix: "Fix the channel id in topics/tree.yaml, or fix the AsyncAPI document that should define it.",
  },
  UNS_ERR_CHECK_UNUSED_CHANNEL: {
    message: "An AsyncAPI channel is used by no leaf of the topic tree.",
    fix: "Reference the channel from a leaf in topics/tree.yaml, or remove it if it is not needed.",
  },
  UNS_ERR_CHECK_ADDRESS_MISMATCH: {
    message: "A leaf's topics are not all matched by the address of the channel it names.",
    fix: "Align the channel address (its {parameters} become '+') with the leaf's position in the tree.",
  },
  UNS_ERR_CHECK_EXAMPLE_INVALID: {
    message: "A message example in an AsyncAPI document does not validate against its own payload schema.",
    fix: "Fix the example or the schema so that they agree.",
  },
} as const satisfies ErrorRegistry;

export type ContractsErrorCode = keyof typeof errorCodes;

/**
 * Make an error with a code from {@link errorCodes}.
 *
 * @example
 * throw createError("UNS_ERR_TREE_INVALID", "topics/tree.yaml:3:5 naming.maxDepth: must be an integer", {
 *   details: { diagnostics },
 * });
 */
export const { createError } = defineErrors(errorCodes);
