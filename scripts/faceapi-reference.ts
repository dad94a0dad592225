/**
 * Fills the face-api reference store (src/data/detect/reference.ts) for the LFW and CFP folders
 * given, the agreement test's sample first. Usage: npx tsx scripts/faceapi-reference.ts <lfw> <cfp>
 * Slow on purpose (face-api on one TF.js thread); resumable: finished images are kept.
 */
import { agreementSample, faceApiReference, listImages, referenceStorePath } from '../src/data/detect/reference.js';

const [lfwDir, cfpDir] = process.argv.slice(2);
const lfw = await listImages(lfwDir);
const cfp = await listImages(cfpDir);
const sample = agreementSample(lfw, cfp);
const inSample = new Set(sample);
const files = [...sample, ...[...lfw, ...cfp].filter((f) => !inSample.has(f))];
console.log(`${files.length} images -> ${referenceStorePath()}`);
const t0 = Date.now();
await faceApiReference(files, {
  onProgress: (done, computed) => {
    if (done % 50 === 0 || done === files.length) console.log(`${done}/${files.length} (${computed} computed, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
