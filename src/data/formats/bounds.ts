/**
 * Landmark coordinates against where the face can be, for every reader (the last check of the reader boundary):
 * - image known (checkImages, the default): the size comes from the image's header (data/image.ts readImageSizes,
 *   not its pixels). A labelled point more than OUTSIDE_TOLERANCE × the image's larger side outside the image is an
 *   error (a coordinate in the wrong unit or column, e.g. an NME of 70,000% later); a point outside the image by
 *   less is real data (faces cut by the frame, occluded points) and counted in one warning per file. An image whose
 *   header cannot be read is an error.
 * - image not checked: against the face box the file gives (stated, or from its rectangle; else the sample's box),
 *   centre c, side s: a labelled point more than FAR_FROM_BOX × s from c along an axis is an error; outside the box
 *   (beyond s/2) it is counted in the warning.
 */
import { readImageSizes } from '../image';
import type { FaceBox, Sample } from '../sample';
import { locationText, FormatError, type BoxOptions, type Location } from './common';
import type { ImageOptions } from './images';

const OUTSIDE_TOLERANCE = 0.5;
const FAR_FROM_BOX = 2;

/** One sample and where it came from. */
export interface Located {
  sample: Sample;
  at: Location;
  /** Field naming the image path, for an unreadable header. */
  imageField: string;
  /** Point index -> field name in the file (e.g. "x33/y33", "keypoints[99..101]"). */
  pointField: (i: number) => string;
  /**
   * The box the file itself gives (stated centre + scale, or from its rectangle), when it gives one: without the
   * image, points are checked against it (the sample's box may come from the points themselves).
   */
  fileBox?: FaceBox;
}

/** Check every face of one file; throws the first error, warns once with the count of points outside. */
export function checkLandmarkBounds(faces: Located[], file: string, opts: BoxOptions & ImageOptions): void {
  const checkImages = opts.checkImages ?? true;
  const paths = checkImages ? [...new Set(faces.map((f) => f.sample.imagePath).filter((p): p is string => !!p))] : [];
  const headers = readImageSizes(paths);
  const sizes = new Map(paths.map((p, k) => [p, headers[k]] as const));
  let outside = 0;
  let faceCount = 0;
  let worst = 0;
  let first = '';
  for (const f of faces) {
    const s = f.sample;
    const read = s.imagePath ? sizes.get(s.imagePath) : undefined;
    // Narrowed by hand: the compiler inside tslab (Jupyter) does not narrow this union with `'error' in read`.
    const failed = read ? (read as { error?: string }).error : undefined;
    if (failed !== undefined) throw new FormatError(f.at.file, f.at.line, f.imageField, `cannot read the image header of ${s.imagePath}: ${failed}`);
    const size = read as { width: number; height: number } | undefined;
    let here = 0;
    s.landmarks.forEach(([x, y], i) => {
      if (s.visible && !(s.visible[i] > 0)) return;
      let by: number; // how far outside, in pixels
      let limit: number;
      let frame: string;
      if (size) {
        by = Math.max(-0.5 - x, x - (size.width - 0.5), -0.5 - y, y - (size.height - 0.5), 0);
        limit = OUTSIDE_TOLERANCE * Math.max(size.width, size.height);
        frame = `its ${size.width}×${size.height} image`;
      } else {
        const box = f.fileBox ?? s.box;
        const side = box.scale * 200;
        const d = Math.max(Math.abs(x - box.center[0]), Math.abs(y - box.center[1]));
        by = Math.max(d - side / 2, 0);
        limit = (FAR_FROM_BOX - 0.5) * side;
        frame = `its face box (side ${side.toFixed(1)} px)`;
      }
      if (by > limit) {
        throw new FormatError(f.at.file, f.at.line, f.pointField(i), `point ${i} (${x}, ${y}) lies ${by.toFixed(1)} px outside ${frame}: more than ${limit.toFixed(1)} px`);
      }
      if (by > 0) {
        here += 1;
        if (by > worst) worst = by;
        if (!first) first = `${locationText(f.at)} point ${i}`;
      }
    });
    outside += here;
    if (here) faceCount += 1;
  }
  if (outside > 0) {
    (opts.warn ?? console.warn)(`${file}: ${outside} landmark${outside > 1 ? 's' : ''} of ${faceCount} face${faceCount > 1 ? 's' : ''} lie outside ${checkImages ? 'their image' : 'their face box'} ` +
      `(by up to ${worst.toFixed(1)} px; first: ${first}); kept`);
  }
}
