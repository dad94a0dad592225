/**
 * The ONNX detector (facelens' own graphs of face-api's SSD + landmark nets on ONNX Runtime)
 * against face-api itself: the input sampling against TF.js, and the whole detection rule
 * against face-api on 101 real LFW + CFP images. face-api's results are kept in the facelens
 * cache (src/data/detect/reference.ts), so only a first run pays face-api's ~1.5 s per image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor3D } from '@tensorflow/tfjs';
import { initTf } from '../../src/engine/tfjs/backend.js';
import { detectFaces } from '../../src/data/detector.js';
import { compareDetections, summariseAgreement } from '../../src/data/detect/agreement.js';
import ort from 'onnxruntime-node';
import { padToSquareEnd } from '../../src/data/detect/onnx-detector.js';
import { squareResize } from '../../src/data/detect/preprocess.js';
import { SSD_INPUT_SIZE, ssdInput } from '../../src/data/detect/ssd-graph.js';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { TensorDataType } from '../../src/engine/onnx/proto.js';
import { agreementSample, faceApiReference, listImages } from '../../src/data/detect/reference.js';
import { selectBoxes } from '../../src/data/detect/ssd-post.js';
import { decodeImage } from '../../src/data/image-io.js';
import { CFP_DIR, HAVE_CFP, HAVE_LFW, LFW_DIR, NO_DATA, noiseImage } from './helpers.js';

describe('detector input sampling', () => {
  it('zero-pads to a square and resizes exactly like TF.js resizeBilinear (no half-pixel centres)', async () => {
    const tf = await initTf();
    const img = noiseImage(37, 23, 7);
    // Region x 5..29, y 3..20 of the image, centred in its square (landmark-net style), to 16x16.
    const region = { x: 5, y: 3, width: 25, height: 18, padBefore: 3 };
    const ours = squareResize(img, region, 16, [0, 0, 0], 1);
    const t = tf.tidy(() => {
      const crop = tf.slice3d(tf.tensor3d(Int32Array.from(img.data), [23, 37, 3], 'int32'), [3, 5, 0], [18, 25, 3]).toFloat();
      const sq = tf.pad(crop, [[3, 4], [0, 0], [0, 0]]) as Tensor3D;
      return tf.transpose(tf.image.resizeBilinear(sq, [16, 16], false, false), [2, 0, 1]);
    });
    const ref = t.dataSync() as Float32Array;
    t.dispose();
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - ours[i]));
    assert.ok(worst < 1e-3, `max |difference| ${worst}`);
  });
});

describe('SSD input inside the graph', () => {
  it('pads at the end, scales to [-1, 1] and resizes like squareResize (TF.js sampling) for up- and downscaling', async () => {
    const g = new GraphBuilder('ssd-input');
    g.node('Identity', [ssdInput(g, g.input('image', [1, 'S', 'S', 3], TensorDataType.UINT8))], {}, 'out');
    g.output('out', [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);
    const session = await ort.InferenceSession.create(g.build());
    try {
      // Wider, taller, smaller and larger than 512: padding on either axis, up- and downsampling.
      for (const [w, h] of [
        [250, 173],
        [120, 301],
        [700, 530],
      ] as const) {
        const img = noiseImage(w, h, w + h);
        const side = Math.max(w, h);
        const ours = (await session.run({ image: new ort.Tensor('uint8', padToSquareEnd(img), [1, side, side, 3]) })).out.data as Float32Array;
        const ref = squareResize(img, { x: 0, y: 0, width: w, height: h, padBefore: 0 }, SSD_INPUT_SIZE, [127.5, 127.5, 127.5], 1 / 127.5);
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - ours[i]));
        assert.ok(worst < 1e-3, `${w}x${h}: max |difference| ${worst}`);
        // The padding is real: the bottom-right output pixel of a non-square image lies in it (-1).
        assert.equal(ours[SSD_INPUT_SIZE * SSD_INPUT_SIZE - 1], -1);
      }
    } finally {
      await session.release();
    }
  });
});

describe('SSD post-processing', () => {
  it('keeps the best of overlapping boxes, drops sub-threshold ones, caps the count', () => {
    // Three anchors at the same place (zero encodings decode to the anchor itself), one apart.
    const anchors = new Float32Array([0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5, 0.02, 0.02, 0.52, 0.52, 0.6, 0.6, 0.9, 0.9]);
    const enc = new Float32Array(16);
    const scores = new Float32Array([0.7, 0.9, 0.8, 0.6]);
    const kept = selectBoxes(anchors, enc, scores, 0.5, 10);
    assert.deepEqual(
      kept.map((b) => b.score),
      [scores[1], scores[3]],
    );
    assert.equal(selectBoxes(anchors, enc, scores, 0.65, 10).length, 1);
    assert.equal(selectBoxes(anchors, enc, scores, 0.5, 1).length, 1);
    // An encoding of (ty, tx, th, tw) = (10, 0, 5 ln 2, 0) moves the centre one box height down and doubles the height.
    const e2 = new Float32Array([10, 0, 5 * Math.log(2), 0]);
    const [b] = selectBoxes(new Float32Array([0, 0, 0.2, 0.2]), e2, new Float32Array([0.9]), 0.5, 10);
    assert.ok(Math.abs(b.ymin - 0.1) < 1e-6 && Math.abs(b.ymax - 0.5) < 1e-6 && Math.abs(b.xmax - 0.2) < 1e-6);
  });
});

describe('ONNX detector vs face-api on real images', () => {
  it('same faces per image, box IoU >= 0.98 and mean landmark error <= 0.5 px for every face (101 LFW + CFP images)', async (t) => {
    if (!HAVE_LFW || !HAVE_CFP) return t.skip(NO_DATA);
    const files = agreementSample(await listImages(LFW_DIR), await listImages(CFP_DIR));
    assert.ok(files.length >= 100, `${files.length} images in the sample`);
    const ref = await faceApiReference(files);
    const ours = await Promise.all(files.map(async (f) => detectFaces(await decodeImage(f))));
    const rows = ref.map((r, i) => compareDetections(r.dets, ours[i]));
    const s = summariseAgreement(rows);
    t.diagnostic(JSON.stringify(s));
    rows.forEach((r, i) => {
      assert.equal(r.count, r.refCount, `${files[i]}: ${r.count} faces, face-api ${r.refCount}`);
      for (const p of r.pairs) {
        assert.ok(p.iou >= 0.98, `${files[i]}: box IoU ${p.iou}`);
        assert.ok(p.landmarkError <= 0.5, `${files[i]}: mean landmark error ${p.landmarkError} px`);
      }
    });
    assert.ok(s.faces >= 100, `${s.faces} faces compared`);
  });
});
