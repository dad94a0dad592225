/** Hash routes of the explorer. */
export type Route =
  | { page: 'home' }
  | { page: 'layer'; layer: string }
  | { page: 'neuron'; layer: string; neuron: number; mode?: string }
  | { page: 'similarity'; layer: string }
  | { page: 'probe'; probe: string }
  | { page: 'faces' }
  | { page: 'face'; row: number; by?: 'relative' }
  | { page: 'explain' }
  | { page: 'explainPair'; pair: number }
  | { page: 'unknown'; hash: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'layer' && parts.length === 2) return { page: 'layer', layer: parts[1] };
  if (parts[0] === 'layer' && parts.length === 3 && parts[2] === 'similarity') return { page: 'similarity', layer: parts[1] };
  if (parts[0] === 'layer' && (parts.length === 4 || parts.length === 5) && parts[2] === 'neuron' && /^\d+$/.test(parts[3])) {
    return { page: 'neuron', layer: parts[1], neuron: Number(parts[3]), ...(parts[4] ? { mode: parts[4] } : {}) };
  }
  if (parts[0] === 'faces' && parts.length === 1) return { page: 'faces' };
  if (parts[0] === 'face' && (parts.length === 2 || (parts.length === 3 && parts[2] === 'relative')) && /^\d+$/.test(parts[1])) return { page: 'face', row: Number(parts[1]), ...(parts[2] ? { by: 'relative' as const } : {}) };
  if (parts[0] === 'probe' && parts.length === 2) return { page: 'probe', probe: parts[1] };
  if (parts[0] === 'explain' && parts.length === 1) return { page: 'explain' };
  if (parts[0] === 'explain' && parts.length === 2 && /^\d+$/.test(parts[1])) return { page: 'explainPair', pair: Number(parts[1]) };
  return { page: 'unknown', hash };
}

const enc = encodeURIComponent;
export const links = {
  home: () => '#/',
  layer: (layer: string) => `#/layer/${enc(layer)}`,
  neuron: (layer: string, neuron: number, mode?: string) => `#/layer/${enc(layer)}/neuron/${neuron}${mode ? `/${enc(mode)}` : ''}`,
  similarity: (layer: string) => `#/layer/${enc(layer)}/similarity`,
  probe: (probe: string) => `#/probe/${enc(probe)}`,
  faces: () => '#/faces',
  face: (row: number, by?: 'relative') => `#/face/${row}${by ? `/${by}` : ''}`,
  explain: () => '#/explain',
  explainPair: (k: number) => `#/explain/${k}`,
};
