import type { ErrorRegistry } from "@uns/errors";

/**
 * Error codes of the splatter processor, merged into the processors' registry (and so into the
 * generated error docs). Image errors are recorded against the image event: they are published on
 * `splatterDetections` with `status: failed` and the code, and the next image is scored.
 */
export const splatterErrorCodes = {
  UNS_ERR_IMAGE_EVENT: {
    message:
      "An imageEvent payload is not JSON or does not satisfy the imageEvent contract; it cannot be scored or answered.",
    fix: "Publish image events as in asyncapi/image-event.yaml (eventId, camera, bodyId, image.uri, width, height, size, checksum ...).",
  },
  UNS_ERR_IMAGE_PATH: {
    message: "The image URI is not a file: URI or path, or it points outside the configured image root.",
    fix: "Store images under `splatter.imageRoot` and reference them as file:///<root>/... or by a path below the root.",
  },
  UNS_ERR_IMAGE_MISSING: {
    message: "The image file named by the event does not exist or cannot be read.",
    fix: "Publish the event only after the image is stored; check the camera's image store and the URI.",
  },
  UNS_ERR_IMAGE_TOO_LARGE: {
    message: "The image file is larger than `splatter.maxImageBytes`; it is refused before decoding.",
    fix: "Check the camera's format and compression (a 20 MP JPEG is 3-8 MB), or raise `splatter.maxImageBytes`.",
  },
  UNS_ERR_IMAGE_CHECKSUM: {
    message: "The image file's sha256 differs from the event's checksum (a partly written or replaced file).",
    fix: "Publish the event after the file is complete, with the sha256 of the stored bytes.",
  },
  UNS_ERR_IMAGE_DECODE: {
    message: "The file is not a decodable image (truncated, corrupt, or another kind of file).",
    fix: "Store complete JPEG or PNG files; a truncated upload must be stored again.",
  },
  UNS_ERR_IMAGE_SIZE: {
    message:
      "The decoded image does not have the size the event declares or the size of the camera in the zone map.",
    fix: "Send the camera's full frame (its width x height in the zone map file) and declare its real size in the event.",
  },
  UNS_ERR_IMAGE_CAMERA: {
    message: "The event's camera is not in the zone map, so its zones cannot be summarised.",
    fix: "Add the camera with its frame size and zones to the zone map file (`splatter.zonesFile`).",
  },
  UNS_ERR_SPLATTER_LATE: {
    message:
      "The image waited in a queue longer than `splatter.maxQueue` images; it is reported late, unscored, so the station is never left waiting.",
    fix: "Give the processor more cores, or fewer cameras per processor; the newest images are scored first once the queue is over its limit.",
  },
  UNS_ERR_ZONES_INVALID: {
    message:
      "The zone map file is not valid; the processor keeps the zone map it had (or does not start without one).",
    fix: "Fix each listed problem in the zone map file (format in apps/processors/README.md).",
  },
} as const satisfies ErrorRegistry;
