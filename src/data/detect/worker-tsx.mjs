// Detector worker entry when facelens runs from TypeScript sources under tsx (npm start, tests):
// Node 20 does not apply tsx's --import hook inside worker threads, so register it here, then
// load the real worker. The compiled build (dist/) starts worker.js directly instead.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
