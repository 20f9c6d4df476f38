import mqtt from "mqtt";
import { type WrittenFrame, writeFrame } from "./store.js";

/**
 * A splatter inspection station for the demo: eight cameras of 5472 x 3648 px photograph every
 * body that passes and announce the images on `imageEvent`. Rendering a 20 MP frame costs about
 * 1-2 s of CPU, so the station renders one frame per camera once (into the image store) and
 * announces those files again for every body, with new event ids: the processor reads, decodes
 * and scores each one as if it were new, at the cost of a real station (8 images per cycle),
 * while the simulator stays cheap on two cores.
 */
export interface StationOptions {
  url: string;
  username: string;
  password: string;
  /** The image store (the processors' splatter.imageRoot). */
  root: string;
  /** Topic prefix of the inspection cell, e.g. acme/neckarsulm/body-shop/line-01/cell-090. */
  cell: string;
  cameras?: readonly string[];
  /** One body every cycleMs (default 30 s). */
  cycleMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export async function runSplatterStation(o: StationOptions): Promise<number> {
  const cameras = o.cameras ?? [
    "cam-01",
    "cam-02",
    "cam-03",
    "cam-04",
    "cam-05",
    "cam-06",
    "cam-07",
    "cam-08",
  ];
  const station = o.cell.split("/").at(-1) ?? "cell-090";
  const frames: WrittenFrame[] = [];
  for (const [i, camera] of cameras.entries()) {
    if (o.signal?.aborted) return 0;
    frames.push(
      await writeFrame({
        root: o.root,
        name: `demo-station/${camera}`,
        seed: `demo-station/${i}`,
        camera,
        station,
        bodyId: "DEMO-0000000",
        sequence: i,
      }),
    );
  }
  o.log?.(
    `splatter station: ${frames.length} frames in ${o.root}/demo-station, a body every ${(o.cycleMs ?? 30_000) / 1000} s`,
  );
  const client = await mqtt.connectAsync(o.url, {
    username: o.username,
    password: o.password,
    clientId: `demo-splatter-station-${process.pid}`,
    protocolVersion: 4,
  });
  let bodies = 0;
  try {
    while (!o.signal?.aborted) {
      bodies++;
      const bodyId = `DEMO-${String(bodies).padStart(7, "0")}`;
      const captureTime = new Date().toISOString();
      for (const [i, f] of frames.entries()) {
        const sequence = bodies * cameras.length + i;
        const event = {
          ...f.event,
          eventId: `${station}-${f.event.camera}-${String(sequence).padStart(6, "0")}`,
          bodyId,
          sequence,
          captureTime,
        };
        await client.publishAsync(`${o.cell}/image-event`, JSON.stringify(event), { qos: 1 });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.cycleMs ?? 30_000);
        o.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  } finally {
    await client.endAsync().catch(() => {});
  }
  return bodies;
}
