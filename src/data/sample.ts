/**
 * The unit that flows from every face source (synthetic generator, dataset readers) into crop/augment/targets.
 * Coordinates are image pixels (see src/geometry/coords.ts); points are `[x, y]` pairs, length = scheme.numPoints.
 */

/** WFLW's six test attributes, in WFLW's column order. */
export const ATTRIBUTES = ['largepose', 'expression', 'illumination', 'makeup', 'occlusion', 'blur'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export type Point = [number, number];

/** Face box in image pixels, or the official centre + scale (scale = box size / 200 px). */
export interface FaceBox {
  center: Point;
  /** Official convention: box side in pixels / 200. */
  scale: number;
}

export interface Sample {
  /** Stable id (file name + face index, or synthetic index). */
  id: string;
  /** Path of the image on disk, or undefined when `pixels` carries it. */
  imagePath?: string;
  /** Raw interleaved RGB uint8 pixels (when generated in memory). */
  pixels?: { data: Uint8Array; width: number; height: number; channels: 3 };
  /** Landmark scheme name (see src/data/schemes.ts). */
  scheme: string;
  /** Training labels in image pixels (for synthetic training sets: the noisy, annotator-like labels). */
  landmarks: Point[];
  /** Per-point visibility/weight (1 visible, 0 missing/occluded-and-unlabelled); default all ones. */
  visible?: number[];
  box: FaceBox;
  /** WFLW-style attribute flags, when known. */
  attributes?: Partial<Record<Attribute, boolean>>;
  /** Synthetic only: the exact, noise-free landmarks (image pixels). */
  cleanLandmarks?: Point[];
  /** Synthetic only: unit tangent of the underlying curve at each point (image frame); [0,0] for corner-like points. */
  tangents?: Point[];
  /** Synthetic only: the generator's per-face parameters (yaw, pitch, roll in degrees, expression, blur, annotator...). */
  meta?: Record<string, number>;
  /** Free-form provenance (source file and line), used in error messages. */
  source?: string;
}
