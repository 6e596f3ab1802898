"""The page's CSS (passed to launch(), as Gradio 6 wants). Uses Gradio's theme variables so
light and dark modes both read well, and its own secondary-text colour where Gradio's is too
faint to read."""

CSS = """
/* secondary text that still meets WCAG AA (4.5:1): Gradio's own subdued grey is about 1.9:1 */
:root { --assistant-muted: #4b5563; --assistant-accent: #0f766e; }
.dark { --assistant-muted: #cbd5e1; --assistant-accent: #5eead4; }
.app-header h1 { margin: 0 0 .2rem 0; font-size: 1.45rem; }
.app-header p { margin: .1rem 0; color: var(--assistant-muted); }
.muted { color: var(--assistant-muted); font-size: .88em; }

/* chat answers */
.ans p { margin: .35rem 0; }
.ans ul { margin: .2rem 0 .5rem 1.1rem; padding: 0; }
.ans li { margin: .2rem 0; }
.ans .ans-h { margin: .8rem 0 .2rem 0; font-size: 1rem; font-weight: 700; }
.ans-streaming { white-space: pre-wrap; color: var(--assistant-muted); }
.ans-declined .ans-text { border-left: 4px solid #9ca3af; padding-left: .7rem; }
.ans-error { border-left: 4px solid #dc2626; padding-left: .7rem; }
.ans-meta { margin-top: .4rem; font-size: .78em; color: var(--assistant-muted); }
.user-q { white-space: pre-wrap; }
a.cite { font-size: .8em; color: var(--assistant-accent); font-weight: 600;
  vertical-align: super; line-height: 1; text-decoration: none; padding: 0 .1em; }
a.cite:hover, a.cite:focus-visible { text-decoration: underline; }
a.cite:focus-visible { outline: 2px solid var(--assistant-accent); outline-offset: 1px; }
.ans-actions { font-size: .82em; margin-top: .2rem; }
.ans-actions a { color: var(--assistant-accent); }
.ans-copy { display: none; }
.src-card.src-flash { box-shadow: 0 0 0 3px var(--assistant-accent); }

.ans-callout { border: 1px solid #f59e0b; background: rgba(245, 158, 11, .12);
  border-radius: 8px; padding: .5rem .8rem; margin: .2rem 0 .6rem 0; }
.callout-title { font-weight: 700; margin-bottom: .25rem; }
.ans-callout ul { list-style: none; margin: 0; padding: 0; }
.ans-callout li { margin: .35rem 0; }
.callout-reason { font-size: .9em; margin-top: .1rem; }

.ans-sources { margin-top: .6rem; }
.ans-sources-title { font-size: .9em; font-weight: 700; margin: .8rem 0 .25rem 0; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  margin: .3rem 0; background: var(--background-fill-secondary); }
.src-card > summary { cursor: pointer; padding: .4rem .6rem; list-style-position: inside; }
.src-card[open] > summary { border-bottom: 1px solid var(--border-color-primary); }
.src-marker { font-weight: 700; color: var(--assistant-accent); }
.src-doc { font-weight: 600; }
.src-section { color: var(--assistant-muted); font-size: .9em; }
.src-section::before { content: "› "; }
.src-quote-preview { display: block; font-size: .85em; color: var(--assistant-muted);
  margin: .15rem 0 0 1.1rem; }
.src-card[open] .src-quote-preview { display: none; }
.src-body { padding: .5rem .8rem .6rem .8rem; }
.src-title { font-style: italic; margin-bottom: .3rem; }
.src-passage { margin: .3rem 0; padding: .3rem .7rem;
  border-left: 3px solid var(--assistant-accent);
  white-space: pre-wrap; line-height: 1.5; }
.src-passage mark, .audit mark { background: #fde68a; color: #111827; padding: 0 .1rem;
  border-radius: 2px; }
.src-span { font-size: .78em; color: var(--assistant-muted); }
.src-notice { font-size: .85em; background: rgba(59, 130, 246, .1); border-radius: 6px;
  padding: .3rem .5rem; margin: .35rem 0; }
.src-links { font-size: .88em; margin-top: .3rem; }
.src-links a { color: var(--assistant-accent); }
/* the chosen tab's name: Gradio's own teal is 2.5:1 on white */
button[role="tab"][aria-selected="true"] { color: var(--assistant-accent) !important; }

/* badges */
.prov, .verdict, .count-chip, .fetch, .check, .state { display: inline-block;
  border-radius: 999px; padding: 0 .5rem; font-size: .78em; font-weight: 600;
  border: 1px solid transparent; white-space: nowrap; }
.prov-full_text { background: rgba(16, 185, 129, .15); border-color: rgba(16, 185, 129, .5); }
.prov-curated_notes { background: rgba(59, 130, 246, .13); border-color: rgba(59, 130, 246, .5); }
.prov-metadata_only { background: rgba(156, 163, 175, .2); border-color: rgba(156, 163, 175, .6); }
.v-supported { background: rgba(16, 185, 129, .18); border-color: rgba(16, 185, 129, .6); }
.v-partial { background: rgba(234, 179, 8, .2); border-color: rgba(234, 179, 8, .6); }
.v-unsupported { background: rgba(249, 115, 22, .18); border-color: rgba(249, 115, 22, .6); }
.v-contradicted { background: rgba(220, 38, 38, .18); border-color: rgba(220, 38, 38, .6); }
.v-miscited { background: rgba(168, 85, 247, .18); border-color: rgba(168, 85, 247, .6); }
.check-match, .fetch-full_text, .fetch-skipped, .state-fresh {
  background: rgba(16, 185, 129, .18); }
.check-mismatch, .fetch-error, .fetch-unreachable, .state-stale, .state-removed {
  background: rgba(220, 38, 38, .15); }
.check-unresolved, .fetch-metadata_only, .fetch-not_found, .fetch-none, .state-new {
  background: rgba(156, 163, 175, .25); }

/* the annotated article (assistant/audit/annotated.py) */
.annotated .legend { display: flex; flex-wrap: wrap; gap: .3rem .8rem; list-style: none;
  padding: 0; margin: .2rem 0; }
.annotated .badge { display: inline-block; border: 1px solid; border-radius: 999px;
  padding: 0 .5em; font-size: .8em; font-weight: 600; }
.annotated .muted { color: var(--assistant-muted); font-size: .88em; }
.annotated .article-text { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .2rem .9rem; max-height: 70vh; overflow-y: auto; }
.annotated .claim { color: inherit; text-decoration: none; border-bottom: 2px solid;
  border-radius: 3px; padding: 0 .1em; }
.annotated .claim:target, .annotated .verdict-item:target {
  outline: 3px solid var(--assistant-accent); }
.annotated .verdict-item { margin: .7rem 0; padding: .3rem .6rem;
  border-left: 4px solid var(--border-color-primary); }
.annotated blockquote { margin: .25rem 0 .25rem .8rem; padding-left: .5rem;
  border-left: 3px solid var(--border-color-primary); }

/* audit */
.audit-counts { margin-bottom: .4rem; }
.count-chip { margin: .1rem .2rem; font-size: .85em; padding: .15rem .65rem; cursor: pointer;
  color: inherit; font-family: inherit; }
.count-chip.v-all { background: var(--background-fill-secondary);
  border-color: var(--border-color-primary); }
.count-chip[aria-pressed="true"] { outline: 2px solid var(--assistant-accent);
  outline-offset: 1px; }
.count-chip:focus-visible { outline: 3px solid var(--assistant-accent); outline-offset: 2px; }
.audit-legend { font-size: .88em; margin: .2rem 0 .5rem; }
.audit-legend ul { list-style: none; padding: 0; margin: .3rem 0; display: grid; gap: .2rem; }
.c-context { display: block; font-size: .85em; color: var(--assistant-muted); }
.audit-why { margin: .3rem 0; }
.audit-shown { font-size: .88em; color: var(--assistant-muted); margin-bottom: .4rem; }
.audit-head, .audit-row > summary { display: grid;
  grid-template-columns: minmax(0, 3fr) minmax(0, 1.4fr) 7.5rem minmax(0, 3fr); gap: .7rem; }
.audit-head { font-weight: 700; padding: .3rem .6rem;
  border-bottom: 2px solid var(--border-color-primary); }
.audit-row { border-bottom: 1px solid var(--border-color-primary); }
.audit-row > summary { cursor: pointer; padding: .45rem .6rem; list-style: none; }
.audit-row > summary::-webkit-details-marker { display: none; }
.audit-row[open] { background: var(--background-fill-secondary); }
.c-cited, .c-reason { font-size: .9em; }
.audit-detail { padding: .2rem 1rem .7rem 1rem; }
.audit-evidence { list-style: none; padding: 0; }
.audit-quote blockquote { margin: .2rem 0 .5rem 0; padding: .2rem .7rem;
  border-left: 3px solid var(--assistant-accent); }
.audit-quote-where { font-size: .85em; font-weight: 600; }

/* sources and index */
.docs { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(420px, 100%), 1fr));
  gap: .8rem; }
.doc-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: .6rem .8rem; }
.doc-head { margin-bottom: .4rem; }
.doc-kind { font-weight: 700; margin-right: .4rem; }
.doc-table, .index-table { border-collapse: collapse; width: 100%; font-size: .9em; border: none; }
.doc-table th, .doc-table td, .index-table th, .index-table td { border: none !important;
  background: transparent; }
.doc-table th { text-align: left; vertical-align: top; width: 9.5rem; padding: .2rem .4rem .2rem 0;
  color: var(--assistant-muted); font-weight: 600; }
.doc-table td { padding: .2rem 0; }
.index-table th, .index-table td { text-align: left; padding: .25rem .5rem;
  border-bottom: 1px solid var(--border-color-primary) !important; }
.index-table td.num { text-align: right; }
.index-summary { margin-bottom: .5rem; }
.notice { border-radius: 8px; padding: .5rem .8rem; margin: .3rem 0; }
.notice-info { background: rgba(59, 130, 246, .1); }
.notice-ok { background: rgba(16, 185, 129, .14); }
.notice-warn { background: rgba(245, 158, 11, .16); }
.notice-error { background: rgba(220, 38, 38, .14); }
.build-bar { height: 8px; border-radius: 4px; background: var(--border-color-primary);
  overflow: hidden; margin: .3rem 0; }
.build-bar > div { height: 100%; background: var(--assistant-accent); }
.build-bar.busy > div { width: 30%; animation: build-sweep 1.6s ease-in-out infinite; }
@keyframes build-sweep { from { margin-left: -30%; } to { margin-left: 100%; } }
@media (prefers-reduced-motion: reduce) {
  .build-bar.busy > div { animation: none; width: 100%; opacity: .5; } }
#index-upload { margin-top: .6rem; }
#upload-files .or, #upload-files .wrap { color: var(--assistant-muted); }
#examples button { font-size: .85em; }

/* phones (390 px and so on): nothing wider than the screen, tables scroll inside themselves,
   the audit grid stacks its columns */
@media (max-width: 640px) {
  .index-table, .doc-table { display: block; max-width: 100%; overflow-x: auto; }
  .index-table td:not(.title) { white-space: nowrap; }
  .index-table td.title { min-width: 13rem; }
  .audit-head { display: none; }
  .c-cited.none { display: none; }
  .c-cited::before { content: "Cites: "; color: var(--assistant-muted); }
  .audit-row > summary { grid-template-columns: minmax(0, 1fr); gap: .2rem; }
  .src-card, .ans, .audit { max-width: 100%; overflow-wrap: anywhere; }
  .app-header h1 { font-size: 1.2rem; }
}
"""
