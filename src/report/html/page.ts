/** The report's HTML shell: inline CSS, a table of contents, the sections. No scripts, no external URLs. */
import { esc } from './escape.js';
import { renderSection, type Section } from './section.js';

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:0 18px 40px;color:#222;line-height:1.4}
h1{margin:18px 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:34px}h2 small{font-weight:normal;color:#777;font-size:.6em}
nav ol{columns:2;font-size:.95em}.reading{background:#f3f7ff;border-left:4px solid #4e79a7;padding:6px 10px}
.absent{background:#f7f7f7;border-left:4px solid #999;padding:6px 10px}.failed{background:#fff0f0;border-left:4px solid #e15759;padding:6px 10px}
table{border-collapse:collapse;margin:10px 0;font-size:.9em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}td.num{text-align:right}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}figure{margin:6px 0}figcaption{font-size:.85em;color:#444;max-width:380px}
img{display:block;height:auto;max-width:100%}.am{display:flex;gap:10px;align-items:flex-start;flex-wrap:wrap}.am figcaption{max-width:300px}
.params dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:.85em;margin:6px 0}.params dt{font-weight:600}.params dd{margin:0;word-break:break-word}
.meta{color:#555;font-size:.9em}.st-ok{color:#2a7a2a}.st-failed{color:#c0392b;font-weight:600}.st-skipped{color:#777}.missing{color:#c0392b}
`;

export function renderPage(title: string, subtitle: string, sections: Section[]): string {
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
<header><h1>${esc(title)}</h1><p class="meta">${esc(subtitle)}</p></header>
<nav><ol>${toc}</ol></nav>
${sections.map(renderSection).join('\n')}
</body>
</html>
`;
}
