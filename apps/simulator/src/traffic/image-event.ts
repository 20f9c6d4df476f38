/** Inspection camera images: the image-event messages of the inspection cell. */
import { type ImageEventPayload, isoTime } from "../messages.js";
import { type PanelSpot, renderPanel } from "../panel-image.js";
import type { CellModel } from "../plant.js";
import type { SimMessage } from "../traffic.js";
import { at, type BodyRecord, json, type LineRuntime, type Push, type TrafficState } from "./state.js";

export function planInspection(
  tr: TrafficState,
  rt: LineRuntime,
  cell: CellModel,
  body: BodyRecord,
  t0: number,
  publisher: number,
  push: Push,
): void {
  if (!tr.channels.has("imageEvent")) return;
  // Copy what the camera will see now: the body record is dropped when it leaves the line.
  const seen = body.spots.slice();
  for (const [c, camera] of cell.cameras.entries()) {
    const spots = seen.filter((s) => s.camera === c % rt.flanges.length).map((s) => s.spot);
    push(t0 + 4000 + c * 250, "imageEvent", (t) =>
      imageEventMessage(tr, rt, cell, camera, c, body.id, spots, t, publisher),
    );
  }
}

export function imageEventMessage(
  tr: TrafficState,
  rt: LineRuntime,
  cell: CellModel,
  camera: CellModel["cameras"][number],
  cameraIndex: number,
  bodyId: string,
  spots: PanelSpot[],
  time: number,
  publisher: number,
): SimMessage {
  const captured = at(tr, time);
  const key = `${cell.id}/${camera.id}`;
  const sequence = (rt.cameraSeq.get(key) ?? 0) + 1;
  rt.cameraSeq.set(key, sequence);
  const flanges = rt.flanges[cameraIndex % rt.flanges.length] ?? [];
  const { image, truth } = renderPanel(
    tr.images.width,
    tr.images.height,
    `${rt.model.site}/${rt.model.id}/${key}`,
    flanges,
    spots,
    rt.imageRng,
  );
  const stored = tr.imageStore!.put(
    `${rt.model.site}/${rt.model.area}/${rt.model.id}/${cell.id}/${bodyId}-${camera.id}`,
    image,
    { bodyId, camera: camera.id, station: cell.id, ...truth },
  );
  const payload: ImageEventPayload = {
    eventId: `${cell.id}-${camera.id}-${String(sequence).padStart(6, "0")}`,
    camera: camera.id,
    station: cell.id,
    bodyId,
    sequence,
    captureTime: isoTime(captured),
    image: {
      uri: stored.uri,
      width: tr.images.width,
      height: tr.images.height,
      format: "png",
      size: stored.size,
      checksum: stored.checksum,
    },
    exposure: { time: camera.exposure, gain: camera.gain },
    groundTruth: stored.truthUri,
  };
  return {
    topic: tr.plant.topic(cell, "imageEvent"),
    payload: json(payload),
    channel: "imageEvent",
    kind: "valid",
    publisher,
  };
}
