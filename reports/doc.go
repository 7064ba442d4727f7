// Package reports renders the result model (harness.Results) for people and for CI: a
// GitHub-flavoured Markdown report (job summary, published report), one self-contained HTML
// file with SVG charts, and the merged JSON; and it compares a run with a baseline (the
// regression gate).
//
// Both renderers draw the same view (view.go), computed once from the results, so the Markdown
// and the HTML cannot disagree about what a run found.
package reports
