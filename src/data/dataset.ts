/**
 * A face dataset as every consumer sees it: random access to Samples of one landmark scheme.
 * Synthetic sets hold decoded pixels in memory; real-format readers hold image paths and decode lazily.
 */
import type { LandmarkScheme } from './schemes';
import type { Sample } from './sample';

export interface FaceDataset {
  /** Human-readable name incl. provenance, e.g. "synthetic(seed=1, tangent=0.03)/train" or "WFLW list_98pt_test.txt". */
  name: string;
  scheme: LandmarkScheme;
  length: number;
  get(index: number): Sample;
}

/** In-memory dataset from an array of samples. */
export function arrayDataset(name: string, scheme: LandmarkScheme, samples: Sample[]): FaceDataset {
  for (const s of samples) {
    if (s.landmarks.length !== scheme.numPoints) {
      throw new Error(`${s.source ?? s.id}: ${s.landmarks.length} landmarks, but scheme ${scheme.name} has ${scheme.numPoints}`);
    }
  }
  return { name, scheme, length: samples.length, get: (i) => samples[i] };
}
