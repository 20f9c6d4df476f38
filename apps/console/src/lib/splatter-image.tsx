import { useState } from "react";

/**
 * One inspected image with what the processor found drawn over it: the camera's zones (from the
 * result's zone summary; red when the zone must be ground, dashed when it may keep splatter) and
 * the splatter boxes. The picture is a downscaled preview the API reads from the image store
 * (behind the login, like every route); the overlay is SVG in the image's own pixel coordinates,
 * so boxes of a few pixels stay where they are at any preview size.
 */
export interface SplatterBox {
  label: string;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SplatterZone {
  id: string;
  name: string;
  mustBeClean: boolean;
  detections: number;
  grind: boolean;
  box?: { x: number; y: number; width: number; height: number };
}

export interface SplatterImageData {
  camera?: string;
  status?: string;
  image?: { uri?: string; width?: number; height?: number };
  detections?: SplatterBox[];
  zones?: SplatterZone[];
}

export const previewUrl = (uri: string, width = 960) =>
  `/api/v1/quality/splatter/preview?${new URLSearchParams({ uri, width: String(width) })}`;

export function SplatterImage({ data, refId }: { data: SplatterImageData; refId: string }) {
  const img = data.image ?? {};
  const boxes = data.detections ?? [];
  const zones = data.zones ?? [];
  const w = img.width ?? 640;
  const h = img.height ?? 400;
  const [failed, setFailed] = useState(false);
  const grind = zones.filter((z) => z.grind);
  // A box of 5 px in a 5472 px frame would be invisible at 960 px: outlines scale with the frame.
  const stroke = Math.max(2, w / 400);
  return (
    <figure className="splatter-figure" data-testid="splatter-image">
      <svg
        className="splatter"
        viewBox={`0 0 ${w} ${h}`}
        width={Math.min(w, 960)}
        role="img"
        aria-label={`${data.camera ?? "image"}: ${boxes.length} splatter boxes, ${grind.length} zone(s) to grind`}
      >
        {img.uri && !failed ? (
          <image
            href={previewUrl(img.uri)}
            width={w}
            height={h}
            preserveAspectRatio="none"
            data-testid="splatter-preview"
            onError={() => setFailed(true)}
          />
        ) : null}
        {zones.map((z) =>
          z.box ? (
            <g
              key={z.id}
              className={`zone ${z.grind ? "zone-grind" : z.mustBeClean ? "zone-clean" : "zone-free"}`}
            >
              <rect
                x={z.box.x}
                y={z.box.y}
                width={z.box.width}
                height={z.box.height}
                style={{ strokeWidth: stroke * 1.5 }}
                data-testid={`zone-${z.id}`}
              >
                <title>
                  {z.name}: {z.mustBeClean ? "must be clean" : "may keep splatter"}, {z.detections} box(es)
                  {z.grind ? " — grind" : ""}
                </title>
              </rect>
              <text x={z.box.x + stroke * 6} y={z.box.y + stroke * 12} style={{ fontSize: stroke * 9 }}>
                {z.name}
                {z.grind ? " · grind" : ""}
              </text>
            </g>
          ) : null,
        )}
        {boxes.map((b) => {
          // Grown to at least 12 stroke widths so a 4 px bead is seen; the true box is in the title.
          const m = Math.max(0, (stroke * 12 - Math.min(b.width, b.height)) / 2);
          return (
            <rect
              key={`${b.x}/${b.y}`}
              className="box"
              x={b.x - m}
              y={b.y - m}
              width={b.width + 2 * m}
              height={b.height + 2 * m}
              style={{ strokeWidth: stroke }}
            >
              <title>
                {b.label} {(b.score * 100).toFixed(0)} % at {b.x},{b.y} ({b.width} x {b.height} px)
              </title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="muted small">
        {String(data.camera ?? "")} · {refId} · {boxes.length} box(es)
        {grind.length > 0 ? ` · grind ${grind.map((z) => z.name).join(", ")}` : " · nothing to grind"}
        {data.status && data.status !== "scored" ? ` · ${data.status}` : ""}
        {failed ? " · preview not available" : ""} · <span className="mono">{img.uri}</span>
      </figcaption>
    </figure>
  );
}
