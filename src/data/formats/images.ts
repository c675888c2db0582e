/** Image-path resolution shared by the readers: where images live and whether their absence is an error. */
import * as fs from 'fs';
import * as path from 'path';
import { FormatError } from './common';

export interface ImageOptions {
  /** Folder that image names in the file are relative to. Default: the annotation file's folder. */
  imageRoot?: string;
  /** Fail (naming file, line, field) when an image does not exist. Default true; false reads annotations only. */
  checkImages?: boolean;
}

/** Resolve an image name from `file` (line/field for errors); strips Windows prefixes/backslashes like the official code. */
export function resolveImage(name: string, file: string, line: number | undefined, field: string, opts: ImageOptions): string {
  const clean = name.replace(/\\/g, '/').replace(/^[A-Za-z]:\//, '');
  const root = opts.imageRoot ?? path.dirname(file);
  const p = path.isAbsolute(clean) && fs.existsSync(clean) ? clean : path.join(root, clean);
  if ((opts.checkImages ?? true) && !fs.existsSync(p)) {
    throw new FormatError(file, line, field, `image not found: ${p} (set imageRoot, or checkImages: false to read annotations only)`);
  }
  return p;
}
