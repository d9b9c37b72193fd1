//! How a [`Matrix`] is shown: a table on stdout (scenario × port, with a
//! header naming the library versions that ran and the reasons below it),
//! and the machine-readable `--report json` / `--report junit` files.

use std::fmt::Write as _;

use crate::matrix::{Cell, ColumnState, Matrix, PortColumn, Verdict};

/// The text printed by `fic-harness run`.
pub fn table(matrix: &Matrix) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "fic-harness run: {}", versions_line(matrix));
    let rows = scenario_rows(matrix);
    let header: Vec<String> = std::iter::once("scenario".to_owned())
        .chain(matrix.columns.iter().map(|c| c.port.clone()))
        .collect();
    let mut lines: Vec<Vec<String>> = vec![header];
    for (feature, scenario) in &rows {
        let mut line = vec![format!("{feature} › {scenario}")];
        for column in &matrix.columns {
            line.push(cell_label(column, feature, scenario).to_owned());
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (n, line) in lines.iter().enumerate() {
        let padded: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(text, w)| format!("{text:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", padded.join(" | ").trim_end());
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("-+-"));
        }
    }
    out.push('\n');
    for column in &matrix.columns {
        let _ = writeln!(out, "{}", column_summary(column));
    }
    let details = details(matrix);
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&details);
    }
    let failures = failure_count(matrix);
    let _ = writeln!(
        out,
        "\nresult: {}",
        if matrix.failed() {
            format!("FAILED ({failures} failing cells or ports)")
        } else {
            "ok".to_owned()
        }
    );
    out
}

/// `rust msal-ref 0.1.0 · python msal 1.39.0 · java skipped`.
pub fn versions_line(matrix: &Matrix) -> String {
    matrix
        .columns
        .iter()
        .map(|c| match &c.state {
            ColumnState::Ran {
                library, version, ..
            } => format!("{} {library} {version}", c.port),
            ColumnState::Skipped { .. } => format!("{} skipped", c.port),
            ColumnState::Broken { .. } => format!("{} BROKEN", c.port),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Every scenario any port ran, in first-seen order.
fn scenario_rows(matrix: &Matrix) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for cell in matrix.columns.iter().flat_map(cells) {
        let key = (cell.feature.clone(), cell.scenario.clone());
        if !rows.contains(&key) {
            rows.push(key);
        }
    }
    rows
}

fn cells(column: &PortColumn) -> &[Cell] {
    match &column.state {
        ColumnState::Ran { cells, .. } => cells,
        _ => &[],
    }
}

fn cell_label(column: &PortColumn, feature: &str, scenario: &str) -> &'static str {
    match &column.state {
        ColumnState::Ran { cells, .. } => cells
            .iter()
            .find(|c| c.feature == feature && c.scenario == scenario)
            .map(|c| c.verdict.label())
            .unwrap_or("-"),
        ColumnState::Skipped { .. } => "skipped",
        ColumnState::Broken { .. } => "BROKEN",
    }
}

fn column_summary(column: &PortColumn) -> String {
    match &column.state {
        ColumnState::Ran { cells, .. } => {
            let count = |label: &str| cells.iter().filter(|c| c.verdict.label() == label).count();
            format!(
                "{}: {} pass, {} divergent, {} known port bug, {} not supported, {} fail, {} stale",
                column.port,
                count("pass"),
                count("divergent"),
                count("known port bug"),
                count("not supported"),
                count("FAIL"),
                count("STALE"),
            )
        }
        ColumnState::Skipped { reason } => format!("{}: skipped, because {reason}", column.port),
        ColumnState::Broken { reason } => format!("{}: BROKEN: {reason}", column.port),
    }
}

fn details(matrix: &Matrix) -> String {
    let mut out = String::new();
    for column in &matrix.columns {
        let port = &column.port;
        if let ColumnState::Ran {
            cells,
            unknown_divergences,
            ..
        } = &column.state
        {
            for cell in cells {
                let name = &cell.scenario;
                match &cell.verdict {
                    Verdict::Fail { step, message } => {
                        let _ = writeln!(
                            out,
                            "FAIL {port} · {name}\n  at: {step}\n  {}",
                            indent(message)
                        );
                    }
                    Verdict::Divergent { what, spec, .. } => {
                        let _ = writeln!(out, "divergent {port} · {name}: {what} ({spec})");
                    }
                    Verdict::KnownPortBug { what, spec, .. } => {
                        let _ = writeln!(out, "known port bug {port} · {name}: {what} ({spec})");
                    }
                    Verdict::Stale { what, outcome } => {
                        let _ = writeln!(
                            out,
                            "STALE {port} · {name}: declared in fixtures/divergences.toml ({what}) but {outcome}; remove or fix the declaration"
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
    out
}

fn indent(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n  ")
}

fn failure_count(matrix: &Matrix) -> usize {
    matrix
        .columns
        .iter()
        .map(|c| match &c.state {
            ColumnState::Ran {
                cells,
                unknown_divergences,
                ..
            } => {
                cells.iter().filter(|x| x.verdict.is_failure()).count() + unknown_divergences.len()
            }
            ColumnState::Skipped { .. } => 0,
            ColumnState::Broken { .. } => 1,
        })
        .sum()
}

/// `--report json`: the whole matrix, every verdict with its reason.
pub fn json(matrix: &Matrix) -> String {
    serde_json::to_string_pretty(matrix).expect("the matrix serializes")
}

/// `--report junit`: one `<testsuite>` per port, one `<testcase>` per
/// scenario. Fail and stale are failures; not supported, skipped and known
/// port bugs are skipped (with the bug in the message); divergent passes,
/// with the declaration in `<system-out>`.
pub fn junit(matrix: &Matrix) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fic-harness run\">\n",
    );
    for column in &matrix.columns {
        let port = xml(&column.port);
        match &column.state {
            ColumnState::Ran {
                library,
                version,
                cells,
                unknown_divergences,
            } => {
                let failures = cells.iter().filter(|c| c.verdict.is_failure()).count()
                    + unknown_divergences.len();
                let skipped = cells
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.verdict,
                            Verdict::NotSupported { .. } | Verdict::KnownPortBug { .. }
                        )
                    })
                    .count();
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n    <properties><property name=\"library\" value=\"{}\"/><property name=\"version\" value=\"{}\"/></properties>",
                    cells.len() + unknown_divergences.len(),
                    xml(library),
                    xml(version),
                );
                for cell in cells {
                    out.push_str(&testcase(&port, cell));
                }
                for scenario in unknown_divergences {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{port}.divergences\" name=\"{}\"><failure message=\"declared in fixtures/divergences.toml, but no such scenario ran\"/></testcase>",
                        xml(scenario)
                    );
                }
            }
            ColumnState::Skipped { reason } => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"1\" failures=\"0\" skipped=\"1\">\n    <testcase classname=\"{port}\" name=\"port\"><skipped message=\"{}\"/></testcase>",
                    xml(reason)
                );
            }
            ColumnState::Broken { reason } => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{port}\" tests=\"1\" failures=\"1\" skipped=\"0\">\n    <testcase classname=\"{port}\" name=\"port\"><failure message=\"{}\"/></testcase>",
                    xml(reason)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(port: &str, cell: &Cell) -> String {
    let open = format!(
        "    <testcase classname=\"{port}.{}\" name=\"{}\"",
        xml(&cell.feature),
        xml(&cell.scenario)
    );
    match &cell.verdict {
        Verdict::Pass => format!("{open}/>\n"),
        Verdict::Fail { step, message } => format!(
            "{open}><failure message=\"{}\">{}</failure></testcase>\n",
            xml(step),
            xml(message)
        ),
        Verdict::Stale { what, outcome } => format!(
            "{open}><failure message=\"stale divergence: {}\">declared: {}</failure></testcase>\n",
            xml(outcome),
            xml(what)
        ),
        Verdict::Divergent {
            what,
            spec,
            step,
            message,
        } => format!(
            "{open}><system-out>divergent ({}): {}\nat {}: {}</system-out></testcase>\n",
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
            "{open}><skipped message=\"known port bug ({}): {}\"/><system-out>at {}: {}</system-out></testcase>\n",
            xml(spec),
            xml(what),
            xml(step),
            xml(message)
        ),
        Verdict::NotSupported { capability } => format!(
            "{open}><skipped message=\"not supported: the port lacks {}\"/></testcase>\n",
            xml(capability)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(scenario: &str, verdict: Verdict) -> Cell {
        Cell {
            feature: "Leg 1".into(),
            scenario: scenario.into(),
            verdict,
        }
    }

    fn sample() -> Matrix {
        Matrix {
            columns: vec![
                PortColumn {
                    port: "rust".into(),
                    state: ColumnState::Ran {
                        library: "msal-ref".into(),
                        version: "0.1.0".into(),
                        cells: vec![cell("keys", Verdict::Pass), cell("pop", Verdict::Pass)],
                        unknown_divergences: vec![],
                    },
                },
                PortColumn {
                    port: "node".into(),
                    state: ColumnState::Ran {
                        library: "@azure/msal-node".into(),
                        version: "7.2.1".into(),
                        cells: vec![
                            cell(
                                "keys",
                                Verdict::Divergent {
                                    what: "accesstoken + double dash".into(),
                                    spec: "SPEC §4".into(),
                                    step: "Then the key".into(),
                                    message: "left <> right & \"q\"".into(),
                                },
                            ),
                            cell(
                                "pop",
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
                    state: ColumnState::Skipped {
                        reason: "`java` is not on PATH".into(),
                    },
                },
            ],
        }
    }

    #[test]
    fn the_table_names_versions_verdicts_and_reasons() {
        let text = table(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "fic-harness run: rust msal-ref 0.1.0 · node @azure/msal-node 7.2.1 · java skipped"
        );
        assert_eq!(lines[1], "scenario     | rust | node          | java");
        assert_eq!(lines[3], "Leg 1 › keys | pass | divergent     | skipped");
        assert_eq!(lines[4], "Leg 1 › pop  | pass | not supported | skipped");
        assert!(text.contains(
            "node: 0 pass, 1 divergent, 0 known port bug, 1 not supported, 0 fail, 0 stale"
        ));
        assert!(text.contains("java: skipped, because `java` is not on PATH"));
        assert!(text.contains("divergent node · keys: accesstoken + double dash (SPEC §4)"));
        assert!(text.trim_end().ends_with("result: ok"), "{text}");
    }

    #[test]
    fn a_failure_shows_its_step_and_message_and_fails_the_result() {
        let mut m = sample();
        m.columns[0].state = ColumnState::Ran {
            library: "msal-ref".into(),
            version: "0.1.0".into(),
            cells: vec![cell(
                "keys",
                Verdict::Fail {
                    step: "Then one request".into(),
                    message: "expected 1\ngot 2".into(),
                },
            )],
            unknown_divergences: vec![],
        };
        let text = table(&m);
        assert!(
            text.contains("FAIL rust · keys\n  at: Then one request\n  expected 1\n  got 2"),
            "{text}"
        );
        assert!(
            text.contains("result: FAILED (1 failing cells or ports)"),
            "{text}"
        );
    }

    #[test]
    fn junit_escapes_and_counts() {
        let xml = junit(&sample());
        assert!(
            xml.contains("<testsuite name=\"node\" tests=\"2\" failures=\"0\" skipped=\"1\">"),
            "{xml}"
        );
        assert!(
            xml.contains("left &lt;&gt; right &amp; &quot;q&quot;"),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"`java` is not on PATH\"/>"),
            "{xml}"
        );
        assert_eq!(
            xml.matches("<testsuite ").count(),
            xml.matches("</testsuite>").count()
        );
    }

    #[test]
    fn json_keeps_every_verdict_with_its_reason() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
        let node = &value["columns"][1]["state"];
        assert_eq!(node["state"], "ran");
        assert_eq!(node["cells"][0]["verdict"]["verdict"], "divergent");
        assert_eq!(node["cells"][0]["verdict"]["spec"], "SPEC §4");
        assert_eq!(
            value["columns"][2]["state"]["reason"],
            "`java` is not on PATH"
        );
    }
}
