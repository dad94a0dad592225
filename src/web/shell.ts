/** The explorer's HTML page and style sheet: the client (app.js) renders everything else. */

export const SHELL_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>facelens explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header><a href="#/" id="home">facelens explorer</a> <span id="crumbs"></span>
<form id="goto" role="search"><input id="goto-input" name="q" placeholder="go to: res64 36" aria-label="go to a neuron: layer and number" autocomplete="off"> <button type="submit">Go</button> <span id="goto-msg" role="alert" hidden></span></form></header>
<main id="app"><p>Loading...</p></main>
<div id="tip" hidden></div>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

export const APP_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { padding: 10px 18px; background: #23344a; color: #fff; }
header a { color: #fff; font-weight: 600; text-decoration: none; }
header { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; }
#goto { margin-left: auto; display: flex; gap: 4px; align-items: center; flex-wrap: wrap; }
#goto input { width: 160px; padding: 3px 6px; }
#goto-msg { background: #fde4e4; color: #600; padding: 2px 6px; border-radius: 3px; font-size: 13px; }
.neuron-nav a { margin-right: 6px; }
.face { position: relative; width: 140px; height: 140px; }
.face .rf { position: absolute; box-sizing: border-box; border: 2px solid #ffeb3b; outline: 1px solid #000; pointer-events: none; }
.top-face { margin: 0; width: 140px; font-size: 12px; }
.top-face figcaption { word-break: break-all; }
.proj-slot { width: 192px; height: 96px; background: #eee; border: 1px solid #ddd; }
.proj-slot.loading { background: repeating-linear-gradient(45deg, #eee, #eee 8px, #e2e2e2 8px, #e2e2e2 16px); }
.proj-slot img { display: block; }
.proj-fig, .face-neuron { margin: 0; width: 194px; font-size: 12px; }
.proj-fig figcaption { word-break: break-all; }
.face-neuron figcaption { overflow-wrap: anywhere; }
.face-row { display: flex; gap: 14px; align-items: flex-start; }
.face-row > .face { flex: none; }
.swatch { display: inline-block; width: 10px; height: 10px; border: 1px solid #000; margin-right: 4px; vertical-align: middle; }
button.compute { padding: 4px 10px; }
@media (max-width: 600px) { .face-row { flex-direction: column; } }
.sorts button[aria-pressed="true"] { font-weight: 700; }
.neuron-list { display: flex; flex-wrap: wrap; gap: 4px; }
.neuron-list a { display: inline-block; min-width: 88px; padding: 2px 6px; border: 1px solid #ddd; background: #fff; border-radius: 3px; text-decoration: none; font-size: 13px; }
.neuron-list a.in-atlas { border-color: #1a5bb5; font-weight: 600; }
#crumbs a { font-weight: normal; }
main { padding: 12px 18px 40px; max-width: 1200px; }
h1 { font-size: 22px; margin: 10px 0; overflow-wrap: anywhere; } h2 { font-size: 17px; margin: 22px 0 8px; }
a { color: #1a5bb5; }
.msg { padding: 8px 12px; background: #fff6d6; border: 1px solid #e8d48a; border-radius: 4px; }
.err { background: #fde4e4; border-color: #e5a0a0; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; }
.card { display: block; background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 6px; text-decoration: none; color: inherit; }
.card:hover { border-color: #1a5bb5; }
.thumb { position: relative; overflow: hidden; width: 128px; height: 64px; background: #eee; }
.thumb img { position: absolute; left: 0; top: 0; }
.mosaic { position: relative; display: inline-block; line-height: 0; }
.mosaic img { max-width: 100%; }
.mosaic .cell { position: absolute; box-sizing: border-box; }
.mosaic .cell:hover { outline: 2px solid #ff9800; }
#tip { position: fixed; pointer-events: none; background: #000c; color: #fff; padding: 4px 8px; border-radius: 3px; font-size: 12px; z-index: 10; }
.modes a { display: inline-block; margin-right: 6px; padding: 2px 10px; border: 1px solid #bbb; border-radius: 4px; background: #fff; text-decoration: none; }
.modes a[aria-pressed="true"] { font-weight: 700; background: #23344a; color: #fff; border-color: #23344a; }
.am { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px; margin: 0 0 16px; }
.am figcaption { flex-basis: 100%; }
table { border-collapse: collapse; background: #fff; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
img.plot { max-width: 100%; background: #fff; border: 1px solid #ddd; }
canvas.heat { image-rendering: pixelated; border: 1px solid #ccc; cursor: pointer; }
pre { background: #fff; border: 1px solid #ddd; padding: 8px; overflow: auto; max-height: 320px; }
`;
