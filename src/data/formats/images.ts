/** Image-path resolution shared by the readers: where images live, what a valid name is, whether absence is an error. */
import * as fs from 'fs';
import * as path from 'path';
import { FormatError } from './common';

export interface ImageOptions {
  /** Folder that image names in the file are relative to. Default: the annotation file's folder. */
  imageRoot?: string;
  /**
   * Fail (naming file, line, field) when an image is not a readable image file, and check the landmarks against the
   * image size read from its header (./bounds.ts). Default true; false reads annotations only.
   */
  checkImages?: boolean;
}

/**
 * Resolve an image name from `file` (line/field for errors); strips Windows prefixes/backslashes like the official
 * code. A name that cannot be a file (empty, `.`, `..`, ending in a separator) is an error even without checkImages;
 * with it, the path must be an existing file (not a folder).
 */
export function resolveImage(name: string, file: string, line: number | undefined, field: string, opts: ImageOptions): string {
  const clean = name.replace(/\\/g, '/').replace(/^[A-Za-z]:\//, '');
  if (clean.trim() === '' || /(^|\/)\.{0,2}$/.test(clean)) {
    throw new FormatError(file, line, field, `${JSON.stringify(name)} is not an image file name`);
  }
  const root = opts.imageRoot ?? path.dirname(file);
  const p = path.isAbsolute(clean) && fs.existsSync(clean) ? clean : path.join(root, clean);
  if (opts.checkImages ?? true) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new FormatError(file, line, field, `image not found: ${p} (set imageRoot, or checkImages: false to read annotations only)`);
    if (!st.isFile()) throw new FormatError(file, line, field, `image path is not a file: ${p}`);
  }
  return p;
}
