import { defineErrors, type ErrorRegistry } from "@uns/errors";
import { splatterErrorCodes } from "./splatter/errors.js";

/**
 * Error codes of the processors (`UNS_ERR_<AREA>_<WHAT>`), listed in apps/processors/docs/errors.md
 * (generated: `node apps/processors/dist/main.js docs`); a test keeps the two in step.
 */
export const processorErrorCodes = {
  UNS_ERR_PROC_CONFIG: {
    message: "The processors configuration is invalid (every problem is listed).",
    fix: "Fix each listed setting in the config file or the UNS_PROC_* variable named; `node apps/processors/dist/main.js config` lists the settings.",
  },
  UNS_ERR_PROC_CHANNEL: {
    message:
      "A processor names an input or result channel that the contracts do not define, or one without an address.",
    fix: "Use a channel id from asyncapi/*.yaml (e.g. weldSpot, weldQuality) that has an address.",
  },
  UNS_ERR_MODEL_MANIFEST: {
    message: "A model manifest is missing, not JSON, or lacks required fields.",
    fix: "Write the manifest as described in apps/processors/README.md (name, version, kind, file, sha256, input, onnx, features).",
  },
  UNS_ERR_MODEL_FILE: {
    message: "The ONNX file a manifest names cannot be read.",
    fix: "Put the ONNX file next to the manifest under the name in its `file` field.",
  },
  UNS_ERR_MODEL_CHECKSUM: {
    message: "The ONNX file's sha256 differs from the manifest's: the file is corrupt or another model.",
    fix: "Copy the file again, or retrain and write a new manifest (`pnpm train`).",
  },
  UNS_ERR_MODEL_INPUTS: {
    message:
      "The manifest does not match the model or the contract: a feature path the input contract does not have, a channel other than the processor's, or a graph input/output of the wrong name or width.",
    fix: "Make the manifest's features, input channel and onnx names agree with the ONNX graph and the contract.",
  },
  UNS_ERR_MODEL_LOAD: {
    message: "onnxruntime could not load or run the model file.",
    fix: "Check that the file is a valid ONNX model (opset <= 21) that runs on CPU; the processor keeps the model it had.",
  },
  UNS_ERR_MODEL_RUN: {
    message:
      "The model threw while scoring a batch; the batch is counted as errors and the processor keeps running.",
    fix: "Look at the logged cause; roll back to the previous version if it persists.",
  },
  UNS_ERR_MODEL_UNKNOWN: {
    message: "A deploy, promote or rollback names a model version that is not registered.",
    fix: "List the versions with the registry (GET /api/v1/models or `uns-processors models`) and use one of them.",
  },
  UNS_ERR_MODEL_REGISTRY: {
    message:
      "The UNS server did not answer a read or write of the model registry (down, wrong registry.url, or the user lacks role processor); the processors run from their local cache and send the changes when it answers.",
    fix: "Check registry.url and that mqtt.username has role `processor`; nothing is lost meanwhile: the processors log when the store has every change again.",
  },
  UNS_ERR_MODEL_REGISTRY_CONFLICT: {
    message:
      "The store refused a model registry change made on a stale view: another processors host changed the model first.",
    fix: "Nothing to do by hand: the processors drop their stale changes, read the store again and serve what it records (logged); repeat the change if it is still wanted.",
  },
  UNS_ERR_RULES_INVALID: {
    message: "The check gate rules file is not valid; the processor keeps the rules it had.",
    fix: "Fix each listed problem in the rules file (format in apps/processors/README.md).",
  },
  ...splatterErrorCodes,
} as const satisfies ErrorRegistry;

const errors = defineErrors(processorErrorCodes);

/** An error with one of the processors' codes. */
export const processorError = errors.createError;
