/** The explorer's browser entry: renders the page of the current hash route. */
import { loadIndex } from './api.js';
import { h, message } from './dom.js';
import { facePage, facesPage } from './pages/face.js';
import { explainListPage, explainPairPage } from './pages/explain.js';
import { homePage } from './pages/home.js';
import { layerPage } from './pages/layer.js';
import { neuronPage } from './pages/neuron.js';
import { probePage } from './pages/probe.js';
import { similarityPage } from './pages/similarity.js';
import { links, parseRoute, type Route } from './router.js';
import { parseGoto } from './sweep-view.js';
import { hideTip } from './tooltip.js';

async function render(route: Route): Promise<{ page: HTMLElement; crumbs: HTMLElement[] }> {
  const index = await loadIndex();
  const layerOf = (name: string) => index.layers.find((l) => l.name === name);
  const layerCrumb = (name: string) => h('a', { href: links.layer(name) }, name);
  switch (route.page) {
    case 'home':
      return { page: await homePage(index), crumbs: [] };
    case 'layer':
      return { page: await layerPage(layerOf(route.layer), route.layer), crumbs: [layerCrumb(route.layer)] };
    case 'neuron':
      return { page: await neuronPage(layerOf(route.layer), route.layer, route.neuron, route.mode, index.layers), crumbs: [layerCrumb(route.layer), h('span', {}, `#${route.neuron}`)] };
    case 'similarity':
      return { page: await similarityPage(layerOf(route.layer), route.layer), crumbs: [layerCrumb(route.layer), h('span', {}, 'similarity')] };
    case 'probe':
      return { page: await probePage(index.probes.find((p) => p.name === route.probe), route.probe), crumbs: [h('span', {}, route.probe)] };
    case 'faces':
      return { page: await facesPage(), crumbs: [h('span', {}, 'faces')] };
    case 'face':
      return { page: await facePage(route.row, route.by), crumbs: [h('a', { href: links.faces() }, 'faces'), h('span', {}, `#${route.row}`)] };
    case 'explain':
      return { page: await explainListPage(index.explain), crumbs: [h('span', {}, 'explain')] };
    case 'explainPair':
      return { page: await explainPairPage(index.explain, route.pair), crumbs: [h('a', { href: links.explain() }, 'explain'), h('span', {}, `pair ${route.pair}`)] };
    case 'unknown':
      return { page: h('div', {}, h('h1', {}, 'Not found'), message(`No page "${route.hash}".`, true)), crumbs: [] };
  }
}

let generation = 0;

async function show(): Promise<void> {
  const mine = ++generation;
  hideTip();
  const app = document.getElementById('app')!;
  const crumbs = document.getElementById('crumbs')!;
  let out: { page: HTMLElement; crumbs: HTMLElement[] };
  try {
    out = await render(parseRoute(location.hash));
  } catch (e) {
    out = { page: message(`This page cannot be shown: ${(e as Error).message}`, true), crumbs: [] };
  }
  if (mine !== generation) return; // a later navigation won
  app.replaceChildren(out.page);
  crumbs.replaceChildren(...out.crumbs.flatMap((c) => [document.createTextNode(' / '), c]));
  document.title = `${document.querySelector('h1')?.textContent ?? 'facelens'} - facelens explorer`;
  window.scrollTo(0, 0);
  // For tests and scripts: the route whose page is now fully shown.
  document.documentElement.dataset.route = location.hash || '#/';
}

window.addEventListener('hashchange', () => void show());

// The go-to box in the header: "res64 36" opens that neuron.
const form = document.getElementById('goto') as HTMLFormElement | null;
form?.addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('goto-input') as HTMLInputElement;
  const note = document.getElementById('goto-msg')!;
  void loadIndex().then((index) => {
    const r = parseGoto(input.value, index.layers);
    if ('error' in r) {
      note.textContent = r.error;
      note.hidden = false;
      return;
    }
    note.hidden = true;
    location.hash = r.hash;
  });
});
void show();
