//! `--report html PATH`: one self-contained page (inline CSS, no script, no
//! network) a port maintainer reads at a glance: the result, the matrix with
//! a colour per verdict and its legend, each cell's details (the failed
//! step, the declaration's reason, the requests the mock journaled, the
//! port's cache keys and pinned artifacts), the IdP conformance section, and
//! the cross-port comparison side by side with the differences highlighted.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::matrix::{Cell, ColumnState, Matrix, PortColumn};
use crate::report::{self, DOCS};
use crate::verdict::{Comparison, Difference, LEGEND, Verdict, leaves};

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
.result{font-weight:bold;padding:.3em .6em;border-radius:4px;display:inline-block}
.result.ok{background:#d4f4d4}.result.failed{background:#f9c9c9}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.2em .45em;text-align:left;vertical-align:top}
th{background:#eee}
td.v a{color:inherit;text-decoration:none;display:block}
.pass{background:#c8efc8}.fail{background:#f28b82;font-weight:bold}
.divergent{background:#fde68a}.port-bug{background:#fbbf77}
.stale{background:#e879f9;font-weight:bold}.not-supported{background:#e2e2e2;color:#555}
.fixed{background:#7dd3fc}
.skipped{background:#f4f4f4;color:#777}.broken{background:#b91c1c;color:#fff}.none{color:#999}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em}
ul.legend li{padding:.15em .5em;border-radius:3px;border:1px solid #bbb}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.4em;overflow:auto;max-height:24em;white-space:pre-wrap;word-break:break-all}
details{margin:.3em 0}summary{cursor:pointer}
.cell-details>section{border-left:4px solid #bbb;padding-left:.6em;margin:.6em 0}
table.compare td{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all;max-width:28em}
td.same{background:#fff}.expected{background:#fde68a}td.new,th.new{background:#f28b82}
td.id{white-space:nowrap}
.muted{color:#666}
"#;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id safe for `id=` and `href="#…"`.
fn anchor(port: &str, id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    format!("cell-{}-{}", clean(port), clean(id))
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The whole page.
pub fn html(matrix: &Matrix) -> String {
    let mut out = String::new();
    let failed = matrix.failed();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>fic-harness run: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>fic-harness run</h1>\n<p class=\"result {}\" id=\"result\">{}</p>\n<p>{}</p>\n",
        if failed { "FAILED" } else { "ok" },
        if failed { "failed" } else { "ok" },
        esc(&report::result_line(matrix)),
        esc(&report::versions_line(matrix)),
    );
    legend(&mut out);
    port_matrix(&mut out, matrix);
    cross_port(&mut out, matrix);
    idp_section(&mut out, matrix);
    cell_details(&mut out, matrix);
    out.push_str("</body>\n</html>\n");
    out
}

fn legend(out: &mut String) {
    out.push_str("<h2>Legend</h2>\n<ul class=\"legend\" id=\"legend\">\n");
    let classes = [
        "pass",
        "fail",
        "divergent",
        "port-bug",
        "not-supported",
        "stale",
        "fixed",
    ];
    for ((_, long, meaning), class) in LEGEND.iter().zip(classes) {
        let _ = writeln!(
            out,
            "<li class=\"{class}\"><b>{}</b>: {}</li>",
            esc(long),
            esc(meaning)
        );
    }
    let _ = writeln!(
        out,
        "<li class=\"skipped\"><b>skipped</b>: the port is not installed here</li>\n<li class=\"broken\"><b>BROKEN</b>: the port cannot run</li>\n<li class=\"expected\"><b>expected difference</b>: declared in fixtures/divergences.toml</li>\n<li class=\"fail\"><b>NEW difference</b>: fails the run</li>\n</ul>\n<p class=\"muted\">Verdicts are explained in {DOCS}.</p>"
    );
}

fn column_class(column: &PortColumn) -> &'static str {
    match column.state {
        ColumnState::Ran { .. } => "",
        ColumnState::Skipped { .. } => "skipped",
        ColumnState::Broken { .. } => "broken",
    }
}

fn port_matrix(out: &mut String, matrix: &Matrix) {
    out.push_str("<h2>Port matrix</h2>\n<p class=\"muted\">Scenarios that drive the client under test; the IdP conformance checks are counted apart, below.</p>\n<table id=\"matrix\">\n<thead><tr><th>id</th><th>scenario</th>");
    for c in &matrix.columns {
        let _ = write!(
            out,
            "<th class=\"{}\">{}</th>",
            column_class(c),
            esc(&c.port)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (id, feature, scenario) in matrix.port_rows() {
        let _ = write!(
            out,
            "<tr><td class=\"id\">{}</td><td title=\"{}\">{}</td>",
            esc(&id),
            esc(&feature),
            esc(&scenario)
        );
        for c in &matrix.columns {
            match &c.state {
                ColumnState::Ran { cells, .. } => match cells.iter().find(|x| x.id == id) {
                    Some(cell) => {
                        let _ = write!(
                            out,
                            "<td class=\"v {}\"><a href=\"#{}\">{}</a></td>",
                            cell.verdict.class(),
                            anchor(&c.port, &id),
                            esc(cell.verdict.label())
                        );
                    }
                    None => out.push_str("<td class=\"none\">-</td>"),
                },
                ColumnState::Skipped { .. } => out.push_str("<td class=\"skipped\">skipped</td>"),
                ColumnState::Broken { .. } => out.push_str("<td class=\"broken\">BROKEN</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n<tfoot>");
    out.push_str("<tr><th colspan=\"2\">exercised / pass / divergent / known port bug / fail / stale / not supported</th>");
    for c in &matrix.columns {
        let n = c.counts();
        let text = match &c.state {
            ColumnState::Ran { .. } => format!(
                "{} / {} / {} / {} / {} / {} / {}",
                n.exercised,
                n.pass,
                n.divergent,
                n.known_port_bug,
                n.fail,
                n.stale,
                n.not_supported
            ),
            ColumnState::Skipped { reason } => format!("skipped: {reason}"),
            ColumnState::Broken { reason } => format!("BROKEN: {reason}"),
        };
        let _ = write!(out, "<td>{}</td>", esc(&text));
    }
    out.push_str("</tr></tfoot>\n</table>\n");
}

fn difference_class(d: &Difference) -> &'static str {
    match d {
        Difference::Same => "same",
        Difference::Expected { .. } => "expected",
        Difference::New => "new",
    }
}

/// Each artifact as a table: one row per field, the reference and each
/// port side by side, differing cells coloured.
fn cross_port(out: &mut String, matrix: &Matrix) {
    let comparisons = &matrix.cross_port.comparisons;
    out.push_str(&format!(
        "<h2>Cross-port comparison</h2>\n<p class=\"muted\">Every artifact a port pinned, against the reference client's (<code>{}</code>). Yellow: a declared difference; red: a new one, which fails the run.</p>\n",
        esc(&matrix.cross_port.reference_dir)
    ));
    if comparisons.is_empty() {
        out.push_str("<p>No artifact was compared in this run.</p>\n");
    }
    for s in &matrix.cross_port.stale {
        let _ = writeln!(
            out,
            "<p class=\"stale\">STALE difference declaration: {} · {}: {}</p>",
            esc(&s.port),
            esc(&s.artifact),
            esc(&s.what)
        );
    }
    for c in comparisons {
        comparison_table(out, c);
    }
}

fn comparison_table(out: &mut String, c: &Comparison) {
    let kind_class = if c.kind.ends_with("cache_keys") {
        "keys"
    } else {
        "artifact"
    };
    let _ = write!(
        out,
        "<h3 id=\"cmp-{}\">{} · {} <span class=\"muted\">({})</span></h3>\n<table class=\"compare {kind_class}\" data-artifact=\"{}\">\n<thead><tr><th>field</th><th>rust (reference)</th>",
        esc(&c.artifact),
        esc(&c.id),
        esc(&c.kind),
        esc(&c.scenario),
        esc(&c.artifact),
    );
    for p in &c.ports {
        let reason = match &p.verdict {
            Difference::Expected { what, spec } => format!(": {what} ({spec})"),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<th class=\"{}\" title=\"{}\">{} <small>{}</small></th>",
            difference_class(&p.verdict),
            esc(&reason),
            esc(&p.port),
            esc(p.verdict.label())
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let reference = leaves(&c.reference);
    let ports: Vec<_> = c.ports.iter().map(|p| leaves(&p.value)).collect();
    let fields: BTreeSet<&String> = reference
        .keys()
        .chain(ports.iter().flat_map(|l| l.keys()))
        .collect();
    for field in fields {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            esc(field),
            esc(reference.get(field).map_or("—", String::as_str))
        );
        for (p, l) in c.ports.iter().zip(&ports) {
            let value = l.get(field).map_or("—", String::as_str);
            let class = if reference.get(field) == l.get(field) {
                "same"
            } else {
                difference_class(&p.verdict)
            };
            let _ = write!(out, "<td class=\"{class}\">{}</td>", esc(value));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    for p in c.ports.iter().filter(|p| p.verdict != Difference::Same) {
        if let Difference::Expected { what, spec } = &p.verdict {
            let _ = writeln!(
                out,
                "<p class=\"muted\">{}: {} ({})</p>",
                esc(&p.port),
                esc(what),
                esc(spec)
            );
        }
    }
}

fn idp_section(out: &mut String, matrix: &Matrix) {
    out.push_str("<h2>IdP conformance</h2>\n<p class=\"muted\">The mock against Entra's rules (hostile raw requests, refusal bodies): run once per run, with no client under test.</p>\n");
    let Some(idp) = &matrix.idp else {
        out.push_str("<p>Not selected in this run.</p>\n");
        return;
    };
    let n = idp.counts();
    let _ = writeln!(
        out,
        "<p id=\"idp-summary\">{} checks: {} pass, {} fail</p>\n<table id=\"idp\">\n<thead><tr><th>id</th><th>check</th><th>verdict</th></tr></thead>\n<tbody>",
        idp.cells().len(),
        n.pass,
        n.fail
    );
    for cell in idp.cells() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"v {}\"><a href=\"#{}\">{}</a></td></tr>",
            esc(&cell.id),
            esc(&cell.scenario),
            cell.verdict.class(),
            anchor(&idp.port, &cell.id),
            esc(cell.verdict.label())
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn cell_details(out: &mut String, matrix: &Matrix) {
    out.push_str("<h2>Cell details</h2>\n<div class=\"cell-details\">\n");
    for column in matrix.columns.iter().chain(&matrix.idp) {
        for cell in column.cells() {
            one_cell(out, &column.port, cell);
        }
    }
    out.push_str("</div>\n");
}

fn one_cell(out: &mut String, port: &str, cell: &Cell) {
    let _ = writeln!(
        out,
        "<section id=\"{}\" class=\"{}\">\n<h3>{} · {} {} <span class=\"muted\">({:.1} s)</span></h3>\n<p><span class=\"{}\">{}</span> · {}</p>",
        anchor(port, &cell.id),
        cell.verdict.class(),
        esc(port),
        esc(&cell.id),
        esc(&cell.scenario),
        cell.duration_ms as f64 / 1000.0,
        cell.verdict.class(),
        esc(cell.verdict.label()),
        esc(&cell.feature),
    );
    match &cell.verdict {
        Verdict::Fail { step, message } => {
            let _ = writeln!(
                out,
                "<p>failed at <code>{}</code></p>\n<pre>{}</pre>",
                esc(step),
                esc(message)
            );
        }
        Verdict::Divergent {
            what,
            spec,
            step,
            message,
        }
        | Verdict::KnownPortBug {
            what,
            spec,
            step,
            message,
        } => {
            let _ = writeln!(
                out,
                "<p>failed at the declared step <code>{}</code></p>\n<p class=\"reason\"><b>declared:</b> {} ({})</p>\n<pre>{}</pre>",
                esc(step),
                esc(what),
                esc(spec),
                esc(message)
            );
        }
        Verdict::Stale { what, outcome } => {
            let _ = writeln!(
                out,
                "<p class=\"reason\"><b>declared:</b> {} — but {}</p>",
                esc(what),
                esc(outcome)
            );
        }
        Verdict::NotSupported { capability } => {
            let _ = writeln!(
                out,
                "<p>the port lacks <code>{}</code></p>",
                esc(capability)
            );
        }
        Verdict::FixedInThisBuild { what, spec, build } => {
            let _ = writeln!(
                out,
                "<p class=\"reason\"><b>declared known port bug:</b> {} ({}) — every step passed in this build ({}); the evidence below is the passing run</p>",
                esc(what),
                esc(spec),
                esc(build)
            );
        }
        Verdict::Pass => {}
    }
    let evidence = &cell.evidence;
    if !evidence.cache.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"cache\"><summary>cache keys at the end ({} apps)</summary><pre>{}</pre></details>",
            evidence.cache.len(),
            esc(&pretty(&evidence.cache))
        );
    }
    for a in &evidence.artifacts {
        let _ = writeln!(
            out,
            "<details class=\"artifact\"><summary>pinned: {}</summary><pre>{}</pre></details>",
            esc(&a.kind),
            esc(&pretty(&a.value))
        );
    }
    if !evidence.requests.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"requests\"><summary>{} requests the mock journaled</summary><pre>{}</pre></details>",
            evidence.requests.len(),
            esc(&pretty(&Value::Array(evidence.requests.clone())))
        );
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;
    use scraper::{Html, Selector};

    fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
        doc.select(&Selector::parse(css).expect("a valid selector"))
            .collect()
    }

    fn text(e: &scraper::ElementRef<'_>) -> String {
        e.text().collect::<String>().trim().to_owned()
    }

    #[test]
    fn the_page_parses_and_holds_the_matrix_legend_and_key_table() {
        let page = html(&sample::matrix());
        let doc = Html::parse_document(&page);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        // Self-contained: no script, no external resource.
        assert!(select(&doc, "script, link, img, iframe").is_empty());
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert_eq!(text(&select(&doc, "#result")[0]), "result: ok");
        let header: Vec<String> = select(&doc, "#matrix thead th").iter().map(text).collect();
        assert_eq!(header, ["id", "scenario", "rust", "node", "java"]);
        let rows = select(&doc, "#matrix tbody tr");
        assert_eq!(rows.len(), 2, "port scenarios only: the IdP check is apart");
        let cells: Vec<(String, String)> = select(&doc, "#matrix tbody tr:first-child td.v")
            .iter()
            .map(|td| (td.value().attr("class").unwrap_or("").to_owned(), text(td)))
            .collect();
        assert_eq!(
            cells,
            [
                ("v pass".to_owned(), "pass".to_owned()),
                ("v divergent".to_owned(), "divergent".to_owned())
            ]
        );
        // Every cell links to its details, which exist.
        for a in select(&doc, "#matrix td.v a, #idp td.v a") {
            let target = a.value().attr("href").unwrap().trim_start_matches('#');
            assert_eq!(
                select(&doc, &format!("section#{target}")).len(),
                1,
                "{target}"
            );
        }
        let legend: Vec<String> = select(&doc, "#legend li").iter().map(text).collect();
        assert!(
            legend.iter().any(|l| l.starts_with("divergent:")),
            "{legend:?}"
        );
        assert!(
            legend.iter().any(|l| l.starts_with("known port bug:")),
            "{legend:?}"
        );
        // The divergent cell: the step, the declaration's reason, the
        // journaled requests and the cache keys.
        let node = &select(&doc, "section#cell-node-fci-1")[0];
        let details = text(node);
        assert!(details.contains("Then the key"), "{details}");
        assert!(details.contains("accesstoken + double dash"), "{details}");
        assert!(details.contains("redacted:ab12"), "{details}");
        assert!(details.contains("cache keys at the end"), "{details}");
        // The cross-port key table: the reference and the port side by
        // side, the differing cell highlighted.
        let table = &select(&doc, "table.compare.keys")[0];
        let head: Vec<String> = table
            .select(&Selector::parse("thead th").unwrap())
            .map(|e| text(&e))
            .collect();
        assert_eq!(head, ["field", "rust (reference)", "node expected"]);
        let row: Vec<String> = table
            .select(&Selector::parse("tbody tr td").unwrap())
            .map(|e| text(&e))
            .collect();
        assert_eq!(
            row,
            [
                "access_token_keys[0]",
                "-localhost-atext-x",
                "-localhost:[port]-accesstoken-x-"
            ]
        );
        assert_eq!(select(&doc, "table.compare td.expected").len(), 1);
        assert_eq!(
            text(&select(&doc, "#idp-summary")[0]),
            "1 checks: 1 pass, 0 fail"
        );
    }

    #[test]
    fn text_is_escaped() {
        let page = html(&sample::matrix());
        assert!(page.contains("left &lt;&gt; right &amp; &quot;q&quot;"));
        assert!(!page.contains("left <> right"));
    }

    /// The page in a real browser, where headless Chromium is installed
    /// (`.ci/run` installs it): it loads without network and renders the
    /// matrix, and the documented screenshot command works on it.
    #[test]
    fn headless_chromium_renders_the_page() {
        let Some(chromium) = crate::ports::find_on_path("chromium") else {
            eprintln!("skipped: no `chromium` on PATH");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("fic.html");
        std::fs::write(&page, html(&sample::matrix())).unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new(&chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                ])
                .args(args)
                .arg(&page)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out
        };
        let dom = String::from_utf8(run(&["--dump-dom"]).stdout).unwrap();
        let doc = Html::parse_document(&dom);
        assert_eq!(select(&doc, "#matrix tbody tr").len(), 2, "{dom}");
        assert_eq!(select(&doc, "table.compare.keys").len(), 1);
        let png = dir.path().join("report.png");
        let shot = format!("--screenshot={}", png.display());
        run(&["--window-size=1280,1400", &shot]);
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    }
}
