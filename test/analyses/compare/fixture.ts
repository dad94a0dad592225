/** The small LFW dataset the compare tests share: six faces of three people, four pairs over two folds. */
import { join } from 'node:path';
import type { Dataset } from '../../../src/data/dataset.js';
import { LFW_DIR } from '../../data/helpers.js';

export function sixFaceLfw(): Dataset {
  const names = ['Abel_Pacheco/Abel_Pacheco_0001.jpg', 'Abel_Pacheco/Abel_Pacheco_0004.jpg', 'Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg', 'Akhmed_Zakayev/Akhmed_Zakayev_0003.jpg', 'Amber_Tamblyn/Amber_Tamblyn_0001.jpg', 'Amber_Tamblyn/Amber_Tamblyn_0002.jpg'];
  const items = names.map((id) => ({ id, path: join(LFW_DIR, 'images', id) }));
  const pairs = [
    { a: names[0]!, b: names[1]!, same: true, fold: 0 },
    { a: names[0]!, b: names[2]!, same: false, fold: 0 },
    { a: names[2]!, b: names[3]!, same: true, fold: 1 },
    { a: names[3]!, b: names[4]!, same: false, fold: 1 },
  ];
  return { kind: 'lfw', root: LFW_DIR, items, pairs };
}
