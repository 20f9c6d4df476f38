import type { Access, ValidationError } from "@uns/contracts";
import type { Identity } from "../publish-pipeline.js";

/** Step 2, access: the publisher's roles must allow the topic (topics/access.yaml). Null when they do. */
export function accessError(access: Access, identity: Identity, topic: string): ValidationError | null {
  if (access.canPublish(identity, topic)) return null;
  return {
    instancePath: "",
    keyword: "acl",
    message: `${identity.username ?? "anonymous"} (roles: ${identity.roles.join(", ") || "none"}) may not publish to ${topic}`,
  };
}
