/**
 * The report's HTML shell: inline CSS, a table of contents, the sections, the zoom overlays
 * (CSS :target, no script). No scripts, no external URLs.
 */
import { esc } from './escape.js';
import { renderSection, type Section } from './section.js';

const CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:0 18px 40px;color:#222;line-height:1.45;font-size:15px}
h1{margin:18px 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:34px}h2 small{font-weight:normal;color:#666;font-size:.6em}
nav ol{columns:2;font-size:.95em}@media (max-width:600px){nav ol{columns:1}}
.reading{background:#f3f7ff;border-left:4px solid #4e79a7;padding:6px 10px}.what,.how{margin:6px 0}
.paper{background:#fbf8ef;border-left:4px solid #c9a227;padding:2px 10px;margin:10px 0}
.absent{background:#f7f7f7;border-left:4px solid #999;padding:6px 10px}.failed{background:#fff0f0;border-left:4px solid #e15759;padding:6px 10px}
.warn{background:#fff5e6;border-left:4px solid #f28e2b;padding:6px 10px}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:10px 0;font-size:.9em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}td.num{text-align:right}
td.undef{color:#888;font-style:italic}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}figure{margin:6px 0;max-width:100%}figcaption{font-size:.9em;color:#333;max-width:560px}
.row3{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:12px}
img{display:block;height:auto;max-width:100%}img.pixelated{image-rendering:pixelated}
svg.figure-svg{display:block;max-width:none;height:auto}
figure.fit{width:min-content}figure.fit figcaption{min-width:160px}.heat figcaption,.row3 figcaption{max-width:360px}
.hscroll{overflow-x:auto;max-width:100%}.hscroll img{max-width:none}
.links{font-size:.9em}.links a{white-space:nowrap}
.am-card{border:1px solid #ddd;border-radius:4px;padding:8px;margin:10px 0}.am-card .row{align-items:flex-end}
.params dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:.85em;margin:6px 0}.params dt{font-weight:600}.params dd{margin:0;word-break:break-word}
.meta{color:#555;font-size:.9em}.st-ok{color:#2a7a2a}.st-failed{color:#c0392b;font-weight:600}.st-skipped{color:#777}.missing{color:#c0392b}
a.zoomable{display:inline-block;cursor:zoom-in}
.zoom{display:none;position:fixed;inset:0;background:rgba(0,0,0,.85);z-index:10;overflow:auto;padding:40px 10px;text-align:center;color:#fff}
.zoom:target{display:block}.zoom img{margin:0 auto;max-width:none}.zoom p{font-size:14px}.zoom a{color:#9cf}
.zoom .zoom-close{position:fixed;top:6px;right:16px;font-size:32px;text-decoration:none;color:#fff}
`;

export function renderPage(title: string, subtitle: string, sections: Section[], extra: { intro?: string; overlays?: string[] } = {}): string {
  const toc = sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a>${s.status === 'ok' ? '' : ` <em>(${esc(s.status === 'failed' ? 'failed' : 'no data')})</em>`}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p class="meta">${esc(subtitle)}</p>${extra.intro ?? ''}</header>
<nav><ol>${toc}</ol></nav>
${sections.map(renderSection).join('\n')}
${(extra.overlays ?? []).join('\n')}
</body>
</html>
`;
}
