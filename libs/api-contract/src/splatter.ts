import { type Static, Type } from "typebox";
import { Nullable, Scope } from "./common.js";
import { Window } from "./quality.js";

/**
 * Schemas of the splatter station operations (/api/v1/quality/splatter/...): a downscaled
 * preview of an inspected image, and the detection rate per camera and cell over time.
 */
const strict = { additionalProperties: false } as const;

export const SplatterPreviewQuery = Type.Object(
  {
    uri: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        "The image's reference from its splatterDetections (file: URI or path below the image root)",
    }),
    width: Type.Optional(
      Type.Integer({ minimum: 64, maximum: 4096, description: "Width in px (default 960)" }),
    ),
  },
  strict,
);
export type SplatterPreviewQuery = Static<typeof SplatterPreviewQuery>;

export const SplatterCamerasQuery = Type.Object(
  {
    ...Window,
    scope: Type.Optional(Scope),
    bucketSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400, multipleOf: 60 })),
  },
  strict,
);
export type SplatterCamerasQuery = Static<typeof SplatterCamerasQuery>;

export const SplatterCameraRate = Type.Object(
  {
    line: Type.String(),
    cell: Type.String(),
    camera: Type.String(),
    images: Type.Number({ description: "Images scored" }),
    withSplatter: Type.Number({ description: "Images with at least one detection" }),
    detections: Type.Number({ description: "Boxes found" }),
    rate: Nullable(Type.Number({ description: "withSplatter / images" })),
    points: Type.Array(
      Type.Object(
        {
          t: Type.String(),
          images: Type.Number(),
          withSplatter: Type.Number(),
          rate: Nullable(Type.Number()),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type SplatterCameraRate = Static<typeof SplatterCameraRate>;

export const SplatterCamerasResponse = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    bucketSeconds: Type.Integer(),
    cameras: Type.Array(SplatterCameraRate),
  },
  strict,
);
export type SplatterCamerasResponse = Static<typeof SplatterCamerasResponse>;
