import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { explainPair, positiveMassShare, regionSplit, type ExplainFace, type PairExplanation } from '../../../src/analyses/explain/explain.js';
import { PairScorer } from '../../../src/analyses/explain/scorer.js';
import { collectFaces } from '../../../src/analyses/probes/shared.js';
import { rgbImage } from '../../../src/data/image.js';
import { loadModel } from '../../../src/models/registry.js';
import { toInputBatch } from '../../../src/models/preprocess.js';
import { HAVE_LFW, LFW_DIR, NO_DATA } from '../../data/helpers.js';
import type { Point } from '../../../src/data/detector.js';
import { fillImage, occlusionMap, partDrops } from '../../../src/analyses/explain/maps.js';
import type { RgbImage } from '../../../src/data/image.js';
import { interOcular } from '../../../src/analyses/probes/correspondence.js';

const skip = HAVE_LFW ? false : NO_DATA;
let scorer: PairScorer;
let a: ExplainFace;
let b: ExplainFace;
let first: PairExplanation;
let landmarksA: Point[] | undefined;
/** A second synthetic construction (other people): [A, B]. */
let second: [RgbImage, RgbImage];
const OPTS = { patch: 24, stride: 12, steps: 10 };

/** B = A's upper half over the other face's lower half. */
function upperOver(upper: RgbImage, lower: RgbImage): RgbImage {
  const size = upper.width;
  const half = size / 2;
  const data = new Uint8Array(upper.data);
  data.set(lower.data.subarray(half * size * 3), half * size * 3);
  return rgbImage(size, size, data);
}

before(async () => {
  if (!HAVE_LFW) return;
  const model = await loadModel('dlib-resnet');
  const ids = ['Abel_Pacheco/Abel_Pacheco_0001.jpg', 'Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg', 'Abdul_Rahman/Abdul_Rahman_0001.jpg', 'Portia_de_Rossi/Portia_de_Rossi_0001.jpg'];
  const items = ids.map((id) => ({ id, path: join(LFW_DIR, 'images', id) }));
  const got = await collectFaces(items, model.alignment, { fallback: 'skip' });
  assert.equal(got.faces.length, 4, 'all four test faces detected');
  const [fa, fc, f2a, f2c] = got.faces as [(typeof got.faces)[0], (typeof got.faces)[0], (typeof got.faces)[0], (typeof got.faces)[0]];
  a = { id: 'A', face: fa.face };
  landmarksA = fa.landmarks;
  b = { id: 'B', face: upperOver(fa.face, fc.face) };
  second = [f2a.face, upperOver(f2a.face, f2c.face)];
  scorer = await PairScorer.create(model, 'embedding');
  first = await explainPair(scorer, a, b, OPTS);
});

after(async () => {
  await scorer?.release();
});

// The must-show: where do the maps put their mass on B? "Mass" (src/analyses/explain/explain.ts,
// regionSplit) = the map's signed sum over the upper half vs the lower half; for integrated
// gradients these sums are the halves' contributions to s(B) - s(blurred B) (completeness).
// Occlusion is also checked on per-pixel positive mass. |gradient| and gradient x input are
// printed, not asserted: they measure sensitivity (0.41-0.59 of |gradient|'s mass on the upper
// half over six constructions), not evidence.
function halves(name: string, maps: Record<string, Float32Array>, width: number, height: number) {
  const split = Object.fromEntries(Object.entries(maps).map(([k, m]) => [k, regionSplit(m, width, 0, height / 2)]));
  const fmt = Object.fromEntries(Object.entries(split).map(([k, r]) => [k, `share ${r.share.toFixed(3)} (upper ${r.inside.toFixed(4)}, lower ${r.outside.toFixed(4)}; per-pixel positive ${r.positiveShare.toFixed(3)})`]));
  console.log(`${name}: ${JSON.stringify(fmt, null, 1)}`);
  return split;
}

function assertUpper(name: string, split: Record<string, ReturnType<typeof regionSplit>>) {
  const occ = split.occlusion!, ig = split.integrated!, cam = split.layerCam!;
  assert.ok(cam.positiveShare > 0.65, `${name}: layer Grad-CAM per-cell positive upper share ${cam.positiveShare}`);
  assert.ok(occ.positiveShare > 0.7, `${name}: occlusion per-pixel positive upper share ${occ.positiveShare}`);
  assert.ok(occ.share > 0.7, `${name}: occlusion upper share ${occ.share}`);
  assert.ok(ig.inside > 0 && ig.inside > ig.outside, `${name}: integrated gradients upper ${ig.inside} vs lower ${ig.outside}`);
  assert.ok(ig.share > 0.75, `${name}: integrated gradients upper share ${ig.share}`);
}

test('synthetic pair (B = A upper half + another face lower half): occlusion, integrated-gradients and layer Grad-CAM mass of B sits on its upper half', { skip }, () => {
  const mb = first.faces[1].maps;
  console.log(`similarity ${first.similarity.toFixed(4)}`);
  const split = halves('construction 1 (Abel_Pacheco / Akhmed_Zakayev)', mb, first.width, first.height);
  assertUpper('construction 1', split);
  // The explanation records the same split.
  assert.deepEqual(first.faces[1].halves.integrated, split.integrated);
  assert.ok(Math.abs(first.faces[1].halves.occlusion.positiveShare - positiveMassShare(mb.occlusion, first.width, 0, first.height / 2)) < 1e-12);
  // The occlusion drop of the whole upper half exceeds that of the lower half.
  const half = first.height / 2;
  const g = first.faces[1].occlusionGrid;
  const upper = g.drops.filter((_, k) => g.ys[Math.floor(k / g.xs.length)]! + OPTS.patch <= half);
  const lower = g.drops.filter((_, k) => g.ys[Math.floor(k / g.xs.length)]! >= half);
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  assert.ok(mean(upper) > mean(lower), `mean drop upper ${mean(upper)} vs lower ${mean(lower)}`);
});

test('a second synthetic construction (other people): the same holds', { skip }, async () => {
  const [fa, fb] = second;
  const ref = (await scorer.features([fa]))[0]!;
  const [base] = await scorer.similarities([fb], ref);
  const grey = await fillImage(fb, 'grey', 8);
  const blur = await fillImage(fb, 'blur', 8);
  const occ = await occlusionMap(scorer, fb, ref, base!, grey, { patch: OPTS.patch, stride: OPTS.stride });
  const ig = await scorer.integratedGradients(fb, blur, ref, 16);
  const integrated = new Float32Array(fb.width * fb.height);
  for (let i = 0; i < integrated.length; i++) integrated[i] = ig.attribution[i * 3]! + ig.attribution[i * 3 + 1]! + ig.attribution[i * 3 + 2]!;
  const camLayer = await scorer.defaultCamLayer();
  assert.equal(camLayer, 'res128', 'the deepest dlib probe with >= 8x8 cells');
  const layerCam = await scorer.layerCam(fb, ref, camLayer!);
  const split = halves(`construction 2 (Abdul_Rahman / Portia_de_Rossi), similarity ${base!.toFixed(4)}`, { occlusion: occ.map, integrated, layerCam }, fb.width, fb.height);
  assertUpper('construction 2', split);
  // Completeness: the two halves add up to s(B) - s(blurred B), up to the 16-step midpoint rule.
  assert.ok(Math.abs(split.integrated!.inside + split.integrated!.outside - ig.similarityGap) < 0.5 * Math.abs(ig.similarityGap) + 0.01);
});

test('the cosine gradient matches a central difference along it (model input space)', { skip }, async () => {
  const ref = (await scorer.features([a.face]))[0]!;
  const x = toInputBatch(scorer.model, [b.face]);
  const { grad } = await scorer.inputGradients(x, 1, ref);
  let gg = 0;
  for (const v of grad) gg += v * v;
  const h = 1e-3 / Math.sqrt(gg);
  const both = new Float32Array(2 * x.length);
  for (let i = 0; i < x.length; i++) {
    both[i] = x[i]! + h * grad[i]!;
    both[x.length + i] = x[i]! - h * grad[i]!;
  }
  const { similarity } = await scorer.inputGradients(both, 2, ref);
  const fd = (similarity[0]! - similarity[1]!) / (2 * h);
  assert.ok(Math.abs(fd - gg) < 0.03 * gg, `central difference ${fd} vs |grad|^2 ${gg}`);
});

test('maps and curves are deterministic', { skip }, async () => {
  const cheap = { patch: 50, stride: 50, steps: 4, igSteps: 4 };
  const first = await explainPair(scorer, a, b, cheap);
  const again = await explainPair(scorer, a, b, cheap);
  for (const k of [0, 1] as const) {
    for (const m of ['occlusion', 'gradient', 'gradInput', 'integrated', 'layerCam'] as const) {
      assert.deepEqual(again.faces[k].maps[m], first.faces[k].maps[m], `${m} of face ${k}`);
      assert.deepEqual(again.faces[k].faithfulness[m], first.faces[k].faithfulness[m]);
    }
    assert.deepEqual(again.faces[k].random, first.faces[k].random);
  }
  assert.deepEqual(again.profile, first.profile);
});

test('profile, parts-free faces and faithfulness curves are well formed', { skip }, () => {
  assert.equal(first.profile.length, scorer.model.probes.length);
  const emb = first.profile.find((p) => p.layer === 'embedding')!;
  assert.ok(Math.abs(emb.similarity - first.similarity) < 1e-12);
  const f = first.faces[1];
  assert.equal(f.parts, undefined, 'no landmarks -> no part summary');
  assert.deepEqual(f.cam, { layer: 'res128' });
  for (const m of ['occlusion', 'gradient', 'gradInput', 'integrated', 'layerCam', 'random'] as const) {
    const c = m === 'random' ? f.random : f.faithfulness[m];
    assert.equal(c.deletion.similarity.length, 11);
    assert.ok(Math.abs(c.deletion.similarity[0]! - first.similarity) < 1e-5, 'deletion starts at the pair similarity');
    assert.ok(Math.abs(c.insertion.similarity[10]! - first.similarity) < 1e-5, 'insertion ends at the pair similarity');
    assert.ok(Math.abs(c.deletion.similarity[10]! - c.insertion.similarity[0]!) < 1e-5, 'both meet at the fill image');
  }
});

test('part drops: four landmark squares of side round(0.5 IOD), drop = base - occluded similarity', { skip }, async () => {
  assert.ok(landmarksA && landmarksA.length === 68, 'face A has landmarks');
  const ref = (await scorer.features([b.face]))[0]!;
  const [base] = await scorer.similarities([a.face], ref);
  const fill = await fillImage(a.face, 'grey', 8);
  const parts = await partDrops(scorer, a.face, landmarksA!, ref, base!, fill, 0.5);
  assert.deepEqual(parts.map((p) => p.part), ['left_eye', 'right_eye', 'nose', 'mouth']);
  const side = Math.round(0.5 * interOcular(landmarksA!));
  for (const p of parts) {
    assert.ok(p.rect.x1 - p.rect.x0 <= side && p.rect.x1 - p.rect.x0 >= side - 1);
    assert.ok(Math.abs(p.drop - (base! - p.similarity)) < 1e-12);
  }
  // The eyes sit above the mouth.
  assert.ok(parts[0]!.rect.y0 < parts[3]!.rect.y0);
});
