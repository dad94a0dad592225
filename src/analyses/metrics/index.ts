/** Pure-math analysis core: cosine, verification (Table II), kNN (Fig. 6), correspondence (Table I), similarity (eq. 2). */
export * from './matrix.js';
export * from './cosine.js';
export * from './verification.js';
export * from './knn.js';
export * from './correspondence.js';
export * from './similarity.js';
