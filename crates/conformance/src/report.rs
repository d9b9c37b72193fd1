//! How a [`Matrix`] is shown: the progress lines printed as scenarios
//! finish, the summary on stdout (the IdP section once, a compact matrix
//! that fits 120 columns with short scenario ids, a legend, the per-port
//! counts, the cross-port differences, one result line), and the
//! machine-readable `--report json` / `--report junit` files. The HTML
//! report is [`crate::report_html`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::matrix::{Cell, ColumnState, Matrix, PortColumn, Progress};
use crate::verdict::{Difference, LEGEND, Verdict};

/// The widest line the terminal output uses.
pub const WIDTH: usize = 119;

/// Where the verdicts are explained.
pub const DOCS: &str = "docs/conformance.md";

/// Cuts `text` to `width` characters, marking the cut with `…`.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `text` in lines of at most [`WIDTH`] characters, broken at spaces, the
/// lines after the first indented by two.
fn wrap(text: &str) -> String {
    let mut lines: Vec<String> = vec![];
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 2 && len + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::replace(&mut line, "  ".to_owned()));
        } else if !line.is_empty() && line != "  " {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// One line per event, as the run goes.
pub fn progress_line(progress: &Progress) -> String {
    match progress {
        Progress::Started { section, detail } => fit(&format!("== {section}: {detail}"), WIDTH),
        Progress::Finished { section, cell } => fit(
            &format!(
                "   {section:<6} {:<14} {:<6} {}",
                cell.verdict.label(),
                cell.id,
                cell.scenario
            ),
            WIDTH,
        ),
    }
}

/// The text printed by `fic-harness run` once every section has run.
pub fn table(matrix: &Matrix) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        wrap(&format!("fic-harness run: {}", versions_line(matrix)))
    );
    if let Some(idp) = &matrix.idp {
        let _ = writeln!(out, "{}", idp_summary(idp));
    }
    out.push('\n');
    out.push_str(&compact_matrix(matrix));
    out.push('\n');
    for line in legend() {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    // Builds (`node@7.2.4`) widen the name column past the port names.
    let name_width = matrix
        .columns
        .iter()
        .map(|c| c.port.len())
        .max()
        .unwrap_or(0)
        .max(6);
    for column in &matrix.columns {
        let _ = writeln!(out, "{}", column_summary(column, name_width));
    }
    let cross = cross_port_text(matrix);
    if !cross.is_empty() {
        out.push('\n');
        out.push_str(&cross);
    }
    let details = details(matrix);
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&details);
    }
    let _ = writeln!(out, "\n{}", result_line(matrix));
    out
}

/// `result: ok`, or `result: FAILED (…)` with what failed.
pub fn result_line(matrix: &Matrix) -> String {
    if !matrix.failed() {
        return "result: ok".into();
    }
    let cells: usize = matrix
        .idp
        .iter()
        .chain(&matrix.columns)
        .filter(|c| !matches!(c.state, ColumnState::Broken { .. }))
        .map(PortColumn::failures)
        .sum();
    let broken = matrix
        .idp
        .iter()
        .chain(&matrix.columns)
        .filter(|c| matches!(c.state, ColumnState::Broken { .. }))
        .count();
    let mut parts = Vec::new();
    if cells > 0 {
        parts.push(format!("{cells} failing or stale cells"));
    }
    if broken > 0 {
        parts.push(format!("{broken} broken ports"));
    }
    let new = matrix.new_differences();
    if new > 0 {
        parts.push(format!("{new} new cross-port differences"));
    }
    let stale = matrix.cross_port.stale.len();
    if stale > 0 {
        parts.push(format!("{stale} stale difference declarations"));
    }
    format!("result: FAILED ({})", parts.join(", "))
}

/// `rust msal-ref 0.1.0 · python msal 1.39.0 · java skipped`.
pub fn versions_line(matrix: &Matrix) -> String {
    matrix
        .columns
        .iter()
        .map(|c| match &c.state {
            ColumnState::Ran {
                library, version, ..
            } => format!(
                "{} {library} {version}{}",
                c.port,
                if c.build.as_ref().is_some_and(|b| b.is_local()) {
                    " (local)"
                } else {
                    ""
                }
            ),
            ColumnState::Skipped { .. } => format!("{} skipped", c.port),
            ColumnState::Broken { .. } => format!("{} BROKEN", c.port),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn idp_summary(idp: &PortColumn) -> String {
    match &idp.state {
        ColumnState::Ran { cells, .. } => {
            let c = idp.counts();
            format!(
                "IdP conformance (the mock against Entra's rules, run once, not counted per port): {} checks, {} pass, {} fail",
                cells.len(),
                c.pass,
                c.fail
            )
        }
        ColumnState::Skipped { reason } => format!("IdP conformance: skipped, because {reason}"),
        ColumnState::Broken { reason } => format!("IdP conformance: BROKEN: {reason}"),
    }
}

/// Scenario × port with short ids, one verdict word of at most five
/// characters per cell, the scenario name cut to fit.
fn compact_matrix(matrix: &Matrix) -> String {
    let rows = matrix.port_rows();
    let id_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(2).max(2);
    let widths: Vec<usize> = matrix.columns.iter().map(|c| c.port.len().max(5)).collect();
    let mut out = String::new();
    let mut header = format!("{:<id_width$}", "id");
    for (c, w) in matrix.columns.iter().zip(&widths) {
        let _ = write!(header, " {:<w$}", c.port);
    }
    header.push_str(" scenario");
    let _ = writeln!(out, "{header}");
    let mut rule = "-".repeat(id_width);
    for w in &widths {
        let _ = write!(rule, " {}", "-".repeat(*w));
    }
    rule.push_str(" --------");
    let _ = writeln!(out, "{rule}");
    for (id, _feature, scenario) in &rows {
        let mut line = format!("{id:<id_width$}");
        for (c, w) in matrix.columns.iter().zip(&widths) {
            let _ = write!(line, " {:<w$}", cell_short(c, id));
        }
        let _ = write!(line, " {scenario}");
        let _ = writeln!(out, "{}", fit(&line, WIDTH));
    }
    out
}

fn cell_short(column: &PortColumn, id: &str) -> &'static str {
    match &column.state {
        ColumnState::Ran { cells, .. } => cells
            .iter()
            .find(|c| c.id == id)
            .map_or("-", |c| c.verdict.short()),
        ColumnState::Skipped { .. } => "skip",
        ColumnState::Broken { .. } => "BRKN",
    }
}

/// The legend under the matrix, each line within [`WIDTH`].
pub fn legend() -> Vec<String> {
    let mut words: Vec<String> = LEGEND
        .iter()
        .map(|(short, long, _)| {
            if short == long {
                (*short).to_owned()
            } else {
                format!("{short} = {long}")
            }
        })
        .collect();
    words.push("skip = port not installed".into());
    words.push("BRKN = port cannot run".into());
    words.push("- = not run".into());
    let mut lines = vec![];
    let mut line = "legend: ".to_owned();
    for w in words {
        if line.len() + w.len() + 3 > WIDTH {
            lines.push(line.trim_end_matches(" · ").to_owned());
            line = "        ".to_owned();
        }
        line.push_str(&w);
        line.push_str(" · ");
    }
    lines.push(line.trim_end_matches(" · ").to_owned());
    lines.push(format!(
        "        what each verdict means and which fail the run: {DOCS}#verdicts"
    ));
    lines
}

fn column_summary(column: &PortColumn, name_width: usize) -> String {
    match &column.state {
        ColumnState::Ran { version, cells, .. } => {
            let c = column.counts();
            let fixed = if c.fixed > 0 {
                format!(", {} fixed in this build", c.fixed)
            } else {
                String::new()
            };
            format!(
                "{:<name_width$} {version:<8} exercised {} of {}: {} pass, {} divergent, {} known port bug, {} fail, {} stale{fixed}; {} not supported",
                column.port,
                c.exercised,
                cells.len(),
                c.pass,
                c.divergent,
                c.known_port_bug,
                c.fail,
                c.stale,
                c.not_supported,
            )
        }
        ColumnState::Skipped { reason } => format!("{}: skipped, because {reason}", column.port),
        ColumnState::Broken { reason } => format!("{}: BROKEN: {reason}", column.port),
    }
}

/// Per port, the artifacts that differ from the reference's.
fn cross_port_text(matrix: &Matrix) -> String {
    let comparisons = &matrix.cross_port.comparisons;
    if comparisons.is_empty() && matrix.cross_port.stale.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "cross-port: {} artifacts compared with the reference's ({})\n",
        comparisons.len(),
        matrix.cross_port.reference_dir
    );
    // (port, what) → ids, so a shared reason is printed once.
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for c in comparisons {
        for p in &c.ports {
            match &p.verdict {
                Difference::Same => {}
                Difference::Expected { what, .. } => expected
                    .entry((p.port.clone(), what.clone()))
                    .or_default()
                    .push(format!("{} {}", c.id, c.kind)),
                Difference::New => {
                    let line = format!(
                        "NEW difference {} · {} {} ({}): {}",
                        p.port,
                        c.id,
                        c.kind,
                        c.scenario,
                        p.differing.join(", ")
                    );
                    let _ = writeln!(out, "{}", fit(&line, WIDTH));
                }
            }
        }
    }
    for ((port, what), where_) in expected {
        let _ = writeln!(
            out,
            "{}",
            fit(
                &format!("expected {port} · {}: {what}", where_.join(", ")),
                WIDTH
            )
        );
    }
    for s in &matrix.cross_port.stale {
        let _ = writeln!(
            out,
            "STALE difference {} · {}{}: declared ({}) but no artifact differs; remove or fix the declaration",
            s.port,
            s.artifact,
            s.scenario
                .as_ref()
                .map(|n| format!(" of {n:?}"))
                .unwrap_or_default(),
            s.what
        );
    }
    out
}

/// Failures in full; declared verdicts grouped by their reason.
fn details(matrix: &Matrix) -> String {
    let mut out = String::new();
    let mut declared: BTreeMap<(&'static str, String, String), Vec<String>> = BTreeMap::new();
    for column in matrix.idp.iter().chain(&matrix.columns) {
        let port = &column.port;
        if let ColumnState::Ran {
            cells,
            unknown_divergences,
            ..
        } = &column.state
        {
            for cell in cells {
                let name = format!("{} {}", cell.id, cell.scenario);
                match &cell.verdict {
                    Verdict::Fail { step, message } => {
                        let _ = writeln!(
                            out,
                            "FAIL {port} · {name}\n  at: {step}\n  {}",
                            indent(message)
                        );
                    }
                    Verdict::Divergent { what, spec, .. } => declared
                        .entry(("divergent", what.clone(), spec.clone()))
                        .or_default()
                        .push(format!("{port} {}", cell.id)),
                    Verdict::KnownPortBug { what, spec, .. } => declared
                        .entry(("known port bug", what.clone(), spec.clone()))
                        .or_default()
                        .push(format!("{port} {}", cell.id)),
                    Verdict::Stale { what, outcome } => {
                        let _ = writeln!(
                            out,
                            "STALE {port} · {name}: declared in fixtures/divergences.toml ({what}) but {outcome}; remove or fix the declaration"
                        );
                    }
                    Verdict::FixedInThisBuild { what, spec, build } => {
                        let e = &cell.evidence;
                        let _ = writeln!(
                            out,
                            "{}",
                            wrap(&format!(
                                "fixed in this build {port} · {name}: declared known port bug ({what}, {spec}) passed in {build}; evidence: every step passed, {} requests reached the IdP, {} artifacts observed",
                                e.requests.len(),
                                e.artifacts.len()
                            ))
                        );
                    }
                    Verdict::Pass | Verdict::NotSupported { .. } => {}
                }
            }
            for scenario in unknown_divergences {
                let _ = writeln!(
                    out,
                    "STALE {port} · {scenario}: declared in fixtures/divergences.toml, but no such scenario ran"
                );
            }
        }
    }
    for ((label, what, spec), cells) in declared {
        let _ = writeln!(
            out,
            "{}",
            wrap(&format!("{label} {}: {what} ({spec})", cells.join(", ")))
        );
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n  ")
}

/// `--report json`: the result and summary counts first, then the IdP
/// section, each port's column (counts exclude the IdP section) with every
/// verdict, its reason and evidence, and the cross-port comparison.
pub fn json(matrix: &Matrix) -> String {
    let ports: serde_json::Map<String, serde_json::Value> = matrix
        .columns
        .iter()
        .map(|c| (c.port.clone(), json!(c.counts())))
        .collect();
    let comparisons = &matrix.cross_port.comparisons;
    let count = |label: &str| {
        comparisons
            .iter()
            .flat_map(|c| &c.ports)
            .filter(|p| p.verdict.label() == label)
            .count()
    };
    let value = json!({
        "result": if matrix.failed() { "failed" } else { "ok" },
        "summary": {
            "failures": matrix.failure_count(),
            "idp": matrix.idp.as_ref().map(PortColumn::counts),
            "ports": ports,
            "cross_port": {
                "artifacts": comparisons.len(),
                "same": count("same"),
                "expected": count("expected"),
                "new": count("NEW"),
                "stale_declarations": matrix.cross_port.stale.len(),
            },
        },
        "idp": matrix.idp,
        "ports": matrix.columns,
        "cross_port": matrix.cross_port,
    });
    serde_json::to_string_pretty(&value).expect("the matrix serializes")
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// `--report junit`: one `<testsuite>` for the IdP section, one per port,
/// one `<testcase>` per scenario with its `time`. Fail and stale are
/// failures; divergent, known port bug and not supported are `<skipped>`
/// with a `type` and a message that name the verdict (what CI test
/// reporters display), the declaration in `<system-out>`; new cross-port
/// differences are failures in a `cross-port` suite.
pub fn junit(matrix: &Matrix) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fic-harness run\">\n",
    );
    for column in matrix.idp.iter().chain(&matrix.columns) {
        let port = xml(&column.port);
        match &column.state {
            ColumnState::Ran {
                library,
                version,
                cells,
                unknown_divergences,
            } => {
                let failures = column.failures();
                let skipped = cells
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.verdict,
                            Verdict::NotSupported { .. }
                                | Verdict::KnownPortBug { .. }
                                | Verdict::Divergent { .. }
                        )
                    })
                    .count();
                let time: u64 = cells.iter().map(|c| c.duration_ms).sum();
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{}\">\n    <properties><property name=\"library\" value=\"{}\"/><property name=\"version\" value=\"{}\"/></properties>",
                    cells.len() + unknown_divergences.len(),
                    seconds(time),
                    xml(library),
                    xml(version),
                );
                for cell in cells {
                    out.push_str(&testcase(&port, cell));
                }
                for scenario in unknown_divergences {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{port}.divergences\" name=\"{}\" time=\"0\"><failure type=\"stale\" message=\"declared in fixtures/divergences.toml, but no such scenario ran\"/></testcase>",
                        xml(scenario)
                    );
                }
            }
            ColumnState::Skipped { reason } => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"1\" failures=\"0\" skipped=\"1\" time=\"0\">\n    <testcase classname=\"{port}\" name=\"port\" time=\"0\"><skipped message=\"{}\"/></testcase>",
                    xml(reason)
                );
            }
            ColumnState::Broken { reason } => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"1\" failures=\"1\" skipped=\"0\" time=\"0\">\n    <testcase classname=\"{port}\" name=\"port\" time=\"0\"><failure type=\"broken\" message=\"{}\"/></testcase>",
                    xml(reason)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    let differing: Vec<_> = matrix
        .cross_port
        .comparisons
        .iter()
        .flat_map(|c| c.ports.iter().map(move |p| (c, p)))
        .filter(|(_, p)| p.verdict != Difference::Same)
        .collect();
    if !differing.is_empty() || !matrix.cross_port.stale.is_empty() {
        let failures = matrix.new_differences() + matrix.cross_port.stale.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"cross-port\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\" time=\"0\">",
            differing.len() + matrix.cross_port.stale.len(),
            differing.len() + matrix.cross_port.stale.len() - failures,
        );
        for (c, p) in differing {
            let open = format!(
                "    <testcase classname=\"cross-port.{}\" name=\"{} {}\" time=\"0\"",
                xml(&p.port),
                xml(&c.artifact),
                xml(&c.kind)
            );
            let fields = xml(&p.differing.join(", "));
            match &p.verdict {
                Difference::New => {
                    let _ = writeln!(
                        out,
                        "{open}><failure type=\"new-difference\" message=\"new difference from the reference in {fields}\"/></testcase>"
                    );
                }
                Difference::Expected { what, spec } => {
                    let _ = writeln!(
                        out,
                        "{open}><skipped type=\"expected-difference\" message=\"expected difference ({}): {}\"/><system-out>{fields}</system-out></testcase>",
                        xml(spec),
                        xml(what)
                    );
                }
                Difference::Same => {}
            }
        }
        for s in &matrix.cross_port.stale {
            let _ = writeln!(
                out,
                "    <testcase classname=\"cross-port.{}\" name=\"{}\" time=\"0\"><failure type=\"stale\" message=\"declared difference no longer differs: {}\"/></testcase>",
                xml(&s.port),
                xml(&s.artifact),
                xml(&s.what)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(port: &str, cell: &Cell) -> String {
    let open = format!(
        "    <testcase classname=\"{port}.{}\" name=\"{} {}\" time=\"{}\"",
        xml(&cell.feature),
        xml(&cell.id),
        xml(&cell.scenario),
        seconds(cell.duration_ms)
    );
    match &cell.verdict {
        Verdict::Pass => format!("{open}/>\n"),
        Verdict::Fail { step, message } => format!(
            "{open}><failure type=\"fail\" message=\"{}\">{}</failure></testcase>\n",
            xml(step),
            xml(message)
        ),
        Verdict::Stale { what, outcome } => format!(
            "{open}><failure type=\"stale\" message=\"stale divergence: {}\">declared: {}</failure></testcase>\n",
            xml(outcome),
            xml(what)
        ),
        Verdict::Divergent {
            what,
            spec,
            step,
            message,
        } => format!(
            "{open}><skipped type=\"divergent\" message=\"divergent ({}): {}\"/><system-out>divergent at {}: {}</system-out></testcase>\n",
            xml(spec),
            xml(what),
            xml(step),
            xml(message)
        ),
        Verdict::KnownPortBug {
            what,
            spec,
            step,
            message,
        } => format!(
            "{open}><skipped type=\"known-port-bug\" message=\"known port bug ({}): {}\"/><system-out>at {}: {}</system-out></testcase>\n",
            xml(spec),
            xml(what),
            xml(step),
            xml(message)
        ),
        Verdict::NotSupported { capability } => format!(
            "{open}><skipped type=\"not-supported\" message=\"not supported: the port lacks {}\"/></testcase>\n",
            xml(capability)
        ),
        Verdict::FixedInThisBuild { what, spec, build } => format!(
            "{open}><system-out>fixed in this build ({}): declared known port bug ({}): {}</system-out></testcase>\n",
            xml(build),
            xml(spec),
            xml(what)
        ),
    }
}

/// Escapes text for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// A small matrix with every kind of column, cell and difference, for the
/// report tests (text, JSON, JUnit, HTML).
#[cfg(test)]
pub(crate) mod sample {
    use serde_json::json;

    use crate::matrix::{Cell, ColumnState, CrossPort, Matrix, PortColumn};
    use crate::port_build::PortBuild;
    use crate::ports::Port;
    use crate::scenario::{Artifact, Evidence};
    use crate::verdict::{Comparison, Difference, PortArtifact, Verdict};

    pub fn cell(id: &str, scenario: &str, verdict: Verdict) -> Cell {
        Cell {
            id: id.into(),
            feature: "FMI cache isolation".into(),
            scenario: scenario.into(),
            verdict,
            duration_ms: 1250,
            evidence: Evidence {
                requests: vec![
                    json!({"path": "/t/oauth2/v2.0/token", "form": {"client_secret": "redacted:ab12"}}),
                ],
                artifacts: vec![Artifact {
                    name: "fci__keys__blueprint_cache_keys".into(),
                    kind: "blueprint_cache_keys".into(),
                    value: json!({"access_token_keys": ["k1"]}),
                }],
                cache: [("blueprint".to_owned(), json!({"access_token_keys": ["k1"]}))].into(),
            },
        }
    }

    pub fn matrix() -> Matrix {
        let long = "A scenario name long enough that a terminal row would run past one hundred and twenty columns if nothing cut it";
        Matrix {
            idp: Some(PortColumn {
                port: "idp".into(),
                build: None,
                state: ColumnState::Ran {
                    library: "mock-entra".into(),
                    version: "0.1.0".into(),
                    cells: vec![cell("iv-1", "The mock refuses no scope", Verdict::Pass)],
                    unknown_divergences: vec![],
                },
            }),
            columns: vec![
                PortColumn {
                    port: "rust".into(),
                    build: Some(PortBuild::default_of(Port::Reference)),
                    state: ColumnState::Ran {
                        library: "msal-ref".into(),
                        version: "0.1.0".into(),
                        cells: vec![
                            cell("fci-1", "keys", Verdict::Pass),
                            cell("fci-2", long, Verdict::Pass),
                        ],
                        unknown_divergences: vec![],
                    },
                },
                PortColumn {
                    port: "node".into(),
                    build: Some(PortBuild::default_of(Port::Node)),
                    state: ColumnState::Ran {
                        library: "@azure/msal-node".into(),
                        version: "7.2.1".into(),
                        cells: vec![
                            cell(
                                "fci-1",
                                "keys",
                                Verdict::Divergent {
                                    what: "accesstoken + double dash".into(),
                                    spec: "docs/protocol.md §4".into(),
                                    step: "Then the key".into(),
                                    message: "left <> right & \"q\"".into(),
                                },
                            ),
                            cell(
                                "fci-2",
                                long,
                                Verdict::NotSupported {
                                    capability: "jwt_pop".into(),
                                },
                            ),
                        ],
                        unknown_divergences: vec![],
                    },
                },
                PortColumn {
                    port: "java".into(),
                    build: Some(PortBuild::default_of(Port::Java)),
                    state: ColumnState::Skipped {
                        reason: "`java` is not on PATH".into(),
                    },
                },
            ],
            cross_port: CrossPort {
                comparisons: vec![Comparison {
                    artifact: "fci__keys__blueprint_cache_keys".into(),
                    kind: "blueprint_cache_keys".into(),
                    id: "fci-1".into(),
                    feature: "FMI cache isolation".into(),
                    scenario: "keys".into(),
                    reference: json!({"access_token_keys": ["-localhost-atext-x"]}),
                    ports: vec![PortArtifact {
                        port: "node".into(),
                        value: json!({"access_token_keys": ["-localhost:[port]-accesstoken-x-"]}),
                        differing: vec!["access_token_keys[0]".into()],
                        verdict: Difference::Expected {
                            what: "msal-node's layout".into(),
                            spec: "docs/protocol.md §4".into(),
                        },
                    }],
                }],
                stale: vec![],
                reference_dir: "snapshots/rust/".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::PortArtifact;

    #[test]
    fn the_summary_is_narrow_has_a_legend_and_one_result_line() {
        let text = table(&sample::matrix());
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line}");
        }
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "fic-harness run: rust msal-ref 0.1.0 · node @azure/msal-node 7.2.1 · java skipped"
        );
        assert!(lines[1].starts_with("IdP conformance ("), "{}", lines[1]);
        assert!(
            lines[1].ends_with("1 checks, 1 pass, 0 fail"),
            "{}",
            lines[1]
        );
        assert!(
            text.contains("id    rust  node  java  scenario\n"),
            "{text}"
        );
        assert!(text.contains("fci-1 pass  div   skip  keys\n"), "{text}");
        assert!(
            text.contains("fci-2 pass  n/s   skip  A scenario name long"),
            "{text}"
        );
        assert!(text.contains("…\n"), "the long name is cut: {text}");
        assert!(text.contains("div = divergent"), "{text}");
        assert!(text.contains("docs/conformance.md#verdicts"), "{text}");
        assert!(text.contains(
            "node   7.2.1    exercised 1 of 2: 0 pass, 1 divergent, 0 known port bug, 0 fail, 0 stale; 1 not supported"
        ), "{text}");
        assert!(text.contains("java: skipped, because `java` is not on PATH"));
        assert!(
            text.contains("divergent node fci-1: accesstoken + double dash (docs/protocol.md §4)"),
            "{text}"
        );
        assert!(
            text.contains("expected node · fci-1 blueprint_cache_keys: msal-node's layout"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("\nresult: ok"), "{text}");
    }

    #[test]
    fn long_text_wraps_at_spaces_within_the_width() {
        let text = "word ".repeat(60);
        let wrapped = wrap(text.trim_end());
        assert!(wrapped.lines().count() >= 3, "{wrapped}");
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= WIDTH),
            "{wrapped}"
        );
        assert!(
            wrapped.lines().skip(1).all(|l| l.starts_with("  word")),
            "{wrapped}"
        );
        assert_eq!(wrapped.split_whitespace().count(), 60);
    }

    #[test]
    fn a_failure_and_a_new_difference_fail_the_result() {
        let mut m = sample::matrix();
        m.columns[0].state = ColumnState::Ran {
            library: "msal-ref".into(),
            version: "0.1.0".into(),
            cells: vec![sample::cell(
                "fci-1",
                "keys",
                Verdict::Fail {
                    step: "Then one request".into(),
                    message: "expected 1\ngot 2".into(),
                },
            )],
            unknown_divergences: vec![],
        };
        m.cross_port.comparisons[0].ports.push(PortArtifact {
            port: "go".into(),
            value: serde_json::json!({}),
            differing: vec!["access_token_keys".into()],
            verdict: Difference::New,
        });
        let text = table(&m);
        assert!(
            text.contains("FAIL rust · fci-1 keys\n  at: Then one request\n  expected 1\n  got 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "NEW difference go · fci-1 blueprint_cache_keys (keys): access_token_keys"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "result: FAILED (1 failing or stale cells, 1 new cross-port differences)"
            ),
            "{text}"
        );
        let line = progress_line(&Progress::Finished {
            section: "rust".into(),
            cell: Box::new(m.columns[0].cells()[0].clone()),
        });
        assert_eq!(line, "   rust   FAIL           fci-1  keys");
    }

    #[test]
    fn junit_has_times_and_shows_divergent() {
        let xml = junit(&sample::matrix());
        assert!(
            xml.contains(
                "<testsuite name=\"node\" tests=\"2\" failures=\"0\" skipped=\"2\" time=\"2.500\">"
            ),
            "{xml}"
        );
        assert!(xml.contains("<testsuite name=\"idp\" tests=\"1\""), "{xml}");
        assert!(xml.contains("<skipped type=\"divergent\" message=\"divergent (docs/protocol.md §4): accesstoken + double dash\"/>"), "{xml}");
        assert!(
            xml.contains("left &lt;&gt; right &amp; &quot;q&quot;"),
            "{xml}"
        );
        assert!(xml.contains("name=\"fci-1 keys\" time=\"1.250\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"`java` is not on PATH\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<testsuite name=\"cross-port\" tests=\"1\" failures=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert_eq!(
            xml.matches("<testsuite ").count(),
            xml.matches("</testsuite>").count()
        );
    }

    #[test]
    fn json_has_the_result_the_idp_section_apart_and_per_port_counts() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample::matrix())).unwrap();
        assert_eq!(value["result"], "ok");
        assert_eq!(value["summary"]["idp"]["pass"], 1);
        assert_eq!(value["summary"]["ports"]["rust"]["exercised"], 2);
        assert_eq!(
            value["summary"]["ports"]["rust"]["pass"], 2,
            "the IdP check is not the port's"
        );
        assert_eq!(value["summary"]["ports"]["node"]["not_supported"], 1);
        assert_eq!(value["summary"]["cross_port"]["expected"], 1);
        assert_eq!(value["idp"]["state"]["cells"][0]["id"], "iv-1");
        let node = &value["ports"][1]["state"];
        assert_eq!(node["state"], "ran");
        assert_eq!(node["cells"][0]["verdict"]["verdict"], "divergent");
        assert_eq!(node["cells"][0]["verdict"]["spec"], "docs/protocol.md §4");
        assert_eq!(
            value["ports"][2]["state"]["reason"],
            "`java` is not on PATH"
        );
        assert_eq!(
            value["cross_port"]["comparisons"][0]["ports"][0]["verdict"]["difference"],
            "expected"
        );
    }
}
