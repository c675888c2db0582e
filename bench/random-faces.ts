/** Random-noise faces for the step benchmarks: 98 landmarks scattered in a box, so the loader does real crop/augment/encode work. */
import { arrayDataset } from '../src/data/dataset';
import { WFLW98 } from '../src/data/schemes';
import type { Sample } from '../src/data/sample';

export function randomFaces(n: number, inputSize: number): ReturnType<typeof arrayDataset> {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const side = Math.round(inputSize * 1.5);
  const samples: Sample[] = Array.from({ length: n }, (_, i) => {
    const data = new Uint8Array(new SharedArrayBuffer(side * side * 3));
    for (let k = 0; k < data.length; k++) data[k] = (rnd() * 256) | 0;
    const c = side / 2;
    return {
      id: `bench${i}`, scheme: WFLW98.name, pixels: { data, width: side, height: side, channels: 3 },
      landmarks: Array.from({ length: WFLW98.numPoints }, () => [c + (rnd() - 0.5) * side * 0.5, c + (rnd() - 0.5) * side * 0.5] as [number, number]),
      box: { center: [c, c], scale: (side * 0.7) / 200 },
    };
  });
  return arrayDataset('bench-random-faces', WFLW98, samples);
}
