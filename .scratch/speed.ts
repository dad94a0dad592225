import { initTf, tf } from '../src/engine/tf-backend.js';
await initTf();
console.log(tf.getBackend(), tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'));
import { decodeImage } from '../src/data/image-io.js';
import { loadDetector } from '../src/data/detector.js';
const faceapi = await loadDetector();
const img = await decodeImage('/work/shared/data/lfw/images/Abel_Pacheco/Abel_Pacheco_0001.jpg');
const t = tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
for (const [name, fn] of [['ssd', () => faceapi.detectAllFaces(t as never, new faceapi.SsdMobilenetv1Options())], ['ssd+lm', () => faceapi.detectAllFaces(t as never, new faceapi.SsdMobilenetv1Options()).withFaceLandmarks()], ['tiny', () => faceapi.detectAllFaces(t as never, new faceapi.TinyFaceDetectorOptions())]] as const) {
  if (name === 'tiny') await faceapi.nets.tinyFaceDetector.loadFromDisk((await import('../src/data/detector.js')).faceApiModelDir());
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await fn();
  console.log(name, (performance.now() - t0) / 3);
}
