import type { BlockingLayer } from '../../core/domain/layer.ts';

/** One colour per blocking layer; outcomes that are not a block get their own, clearly different styles. */
export const LAYER_COLOURS: Readonly<Record<BlockingLayer, { readonly strong: string; readonly tint: string }>> = {
  admission: { strong: '#6f42c1', tint: '#efe7fb' },
  api: { strong: '#57606a', tint: '#eef1f4' },
  cni: { strong: '#0969da', tint: '#ddf0ff' },
  'mesh-sidecar': { strong: '#0f7b6c', tint: '#d8f5ef' },
  'mesh-ztunnel': { strong: '#1a7f37', tint: '#dcf7e3' },
  'mesh-waypoint': { strong: '#9a6700', tint: '#fff4d1' },
};

function layerRules(): string {
  return Object.entries(LAYER_COLOURS)
    .map(([layer, colour]) => `.l-${layer}{background:${colour.tint};border-left:4px solid ${colour.strong}}.l-${layer} .badge{color:${colour.strong}}.swatch.l-${layer}{background:${colour.tint}}`)
    .join('\n');
}

export function reportCss(): string {
  return `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;font-size:14px}
body{margin:0;padding:20px 24px}
h1{font-size:20px;margin:0 0 4px}
.meta{color:#59636e;margin:0 0 12px}
.banner{border:1px solid #d4a72c;background:#fff8c5;padding:8px 12px;border-radius:6px;margin:8px 0}
.banner.lab{border-color:#8250df;background:#fbefff}
.banner.failed{border-color:#cf222e;background:#ffebe9}
.banner.failed .failure-reason{margin:6px 0 0;white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;font-size:12px}
.banner.failed .component{font-weight:600}
.counts span{margin-right:12px}
#scene-self-test{margin:16px 0}
#scene-self-test h2{font-size:16px;margin:0 0 4px}
#scene-self-test .scene-failed{color:#cf222e}
.scene-self-test{border-collapse:collapse;margin:8px 0}
.scene-self-test td,.scene-self-test th{border:1px solid #d1d9e0;padding:2px 6px;text-align:left;vertical-align:top}
#outcome-chart{margin:12px 0}
#outcome-chart figcaption{font-weight:600;margin-bottom:4px}
#outcome-chart svg{max-width:100%;height:auto;font-size:12px}
#outcome-chart text{fill:#1f2328}
.chart-legend{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;padding:0;margin:4px 0 0}
.chart-swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border:1px solid #d1d9e0}
.fix-list{padding-left:18px}
.fix-layer{font-weight:600}
.fix-source{color:#59636e}
#filters{display:flex;flex-wrap:wrap;gap:16px;border:1px solid #d1d9e0;border-radius:6px;padding:8px 12px;margin:12px 0}
#filters fieldset{border:0;margin:0;padding:0}
#filters legend{font-weight:600;padding:0;margin-bottom:4px}
#filters label{margin-right:10px;white-space:nowrap}
#filter-count{color:#59636e;align-self:flex-end}
.layout{display:flex;gap:16px;align-items:flex-start}
.matrix-wrap{overflow:auto;flex:1 1 auto;min-width:0}
/* The matrix takes the page width: columns share what the attack titles leave. */
table.matrix{border-collapse:separate;border-spacing:3px;width:100%}
table.matrix th{text-align:left;font-weight:600;vertical-align:bottom;padding:4px 8px}
th.profile .versions{display:block;font-weight:400;color:#59636e;font-size:12px}
th.profile .lab-tag{display:inline-block;font-size:11px;background:#8250df;color:#fff;border-radius:8px;padding:0 6px;margin-left:4px}
tr.family-row th{background:#f6f8fa;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#59636e;padding:6px 8px}
th.attack{font-weight:500;min-width:220px;max-width:420px}
tr.score-row th{font-weight:600;white-space:nowrap}
tr.score-row .score-key{display:block;font-weight:400;font-size:11px;color:#59636e}
td.score{padding:4px 8px;white-space:nowrap;font-variant-numeric:tabular-nums}
.score-item{display:inline-block;min-width:22px;text-align:center;border-radius:3px;padding:0 4px;margin-right:3px;font-weight:600}
.score-item.s-blocked{background:#ddf0ff;color:#0969da}
th.attack .id{font-family:ui-monospace,monospace;color:#59636e;margin-right:6px}
td.cell{min-width:150px;padding:6px 8px;border-radius:4px;cursor:pointer;border:1px solid transparent}
td.cell:hover,td.cell:focus{outline:2px solid #0969da;outline-offset:-1px}
td.cell.selected{outline:3px solid #1f2328;outline-offset:-2px}
td.cell .badge{font-weight:600}
td.cell .sub{display:block;font-size:12px;color:#59636e}
td.cell.c-inferred{border-style:dashed;border-color:#8c959f}
${layerRules()}
.s-allowed{background:#ffebe9;border-left:4px solid #cf222e}.s-allowed .badge{color:#a40e26}
.s-inconclusive{background:repeating-linear-gradient(135deg,#fff8c5 0 6px,#fdf1b3 6px 12px);border-left:4px solid #bf8700}.s-inconclusive .badge{color:#7d4e00}
.s-not-applicable{background:#f6f8fa;color:#8c959f;border-left:4px solid #d1d9e0}.s-not-applicable .badge{color:#8c959f;font-weight:400}
.s-error{background:#24292f;color:#f0f3f6;border-left:4px solid #ff8182}.s-error .badge{color:#ffaba8}.s-error .sub{color:#d1d9e0}
.s-not-run{background:#fff;border:1px dashed #8c959f;color:#59636e}.s-not-run .badge{font-weight:400}
.s-missing{background:#fff;border:1px dashed #d1d9e0;color:#8c959f}
td.cell.unexpected{box-shadow:inset 0 0 0 2px #cf222e}
.mark{display:inline-block;min-width:16px;height:16px;line-height:16px;border-radius:8px;background:#cf222e;color:#fff;font-weight:700;font-size:11px;text-align:center;margin-right:5px}
td.cell.dim{opacity:.25}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:8px 0 12px;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:26px;height:16px;border-radius:3px;border:1px solid #d1d9e0}
#details{flex:0 0 420px;max-width:420px;border:1px solid #d1d9e0;border-radius:6px;padding:12px 14px;position:sticky;top:12px;max-height:calc(100vh - 40px);overflow:auto;background:#fff}
#details h2{font-size:16px;margin:0 24px 2px 0}
#details h3{font-size:13px;margin:14px 0 6px}
#details-close{float:right;border:0;background:none;font-size:18px;cursor:pointer}
.details-family{margin:0 0 8px;color:#59636e}
dl.fields{margin:0}
.field{display:grid;grid-template-columns:130px 1fr;gap:8px;padding:3px 0;border-bottom:1px solid #f0f1f3}
.field dt{color:#59636e}.field dd{margin:0;word-break:break-word}
.unexpected-text{color:#cf222e;font-weight:600}
.evidence-list{list-style:none;padding:0;margin:0}
.evidence{border:1px solid #d1d9e0;border-radius:4px;margin-bottom:6px;padding:6px}
.evidence-head{font-weight:600;font-size:12px}
.evidence.v-denied .evidence-head{color:#0969da}.evidence.v-delivered .evidence-head{color:#cf222e}
.evidence-detail{font-size:12px;color:#59636e}
.evidence-raw{white-space:pre-wrap;word-break:break-all;font-size:11px;background:#f6f8fa;padding:6px;margin:4px 0 0;border-radius:3px}
.muted{color:#59636e}
[hidden]{display:none !important}
`;
}
