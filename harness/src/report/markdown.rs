//! The compatibility matrix in Markdown: per-peer counts, crashes and hangs first,
//! then a table per theme (scenarios x peer and role, each cell linking to the
//! case's folder), then every deviation with its reason and every failure with its
//! diff: what a vendor engineer reads.

use std::fmt::Write as _;

use super::{RunReport, folder_of};
use crate::runner::{CaseReport, Verdict};

pub fn render(run: &RunReport) -> String {
    let mut out = String::from("# ikelab compatibility matrix\n\n");
    let _ = writeln!(
        out,
        "{} cases ({} scenarios x peers x roles) against the {} peers, {:.1} s with {} jobs{}.\n",
        run.cases.len(),
        run.scenario_count(),
        run.mode,
        run.wall_secs,
        run.jobs,
        run.partition_phrase()
    );
    out.push_str("| peer | pass | deviation | fail | not run |\n| --- | ---: | ---: | ---: | ---: |\n");
    for peer in &run.summary {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            peer.peer, peer.pass, peer.deviation, peer.fail, peer.not_run
        );
    }
    out.push('\n');
    let broken = run.broken();
    if broken.is_empty() {
        out.push_str("No peer crashed or hung.\n\n");
    } else {
        out.push_str("## !!! PEERS CRASHED OR HUNG !!!\n\n");
        for case in broken {
            let _ = writeln!(out, "- **{}**: {}", case.id, case.failure.as_deref().unwrap_or(""));
        }
        out.push('\n');
    }
    let columns = run.columns();
    for (theme, rows) in run.rows() {
        let _ = writeln!(out, "## {}: {}\n", theme.name, theme.title);
        out.push_str("| scenario |");
        for (peer, role) in &columns {
            let _ = write!(out, " {peer} {role} |");
        }
        out.push_str("\n| --- |");
        out.push_str(&" --- |".repeat(columns.len()));
        out.push('\n');
        for (name, cells) in rows {
            let _ = write!(out, "| {name} |");
            for cell in cells {
                let _ = write!(out, " {} |", cell.map_or_else(|| "n/a".to_owned(), cell_text));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    section(&mut out, run, Verdict::Deviation, "Known deviations");
    section(&mut out, run, Verdict::Fail, "Failures");
    section(&mut out, run, Verdict::NotRun, "Not run");
    out
}

fn cell_text(case: &CaseReport) -> String {
    let word = match case.verdict {
        Verdict::Pass => "pass".to_owned(),
        Verdict::Deviation => "deviation".to_owned(),
        Verdict::Fail if case.peer_broken() => "**FAIL: PEER CRASHED OR HUNG**".to_owned(),
        Verdict::Fail => "**FAIL**".to_owned(),
        Verdict::NotRun => "not run".to_owned(),
    };
    match folder_of(case) {
        Some(folder) => format!("[{word}]({folder}/index.html)"),
        None => word,
    }
}

fn section(out: &mut String, run: &RunReport, verdict: Verdict, title: &str) {
    let cases: Vec<&CaseReport> = run.cases.iter().filter(|case| case.verdict == verdict).collect();
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    for case in cases {
        let detail = case.verdict_detail.as_deref().or(case.failure.as_deref()).unwrap_or("");
        let at = case.failed_step.as_ref().map(|step| format!(" (at `{}`)", step.label)).unwrap_or_default();
        let _ = writeln!(out, "- **{}**{at}:", case.id);
        for line in detail.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn the_matrix_has_a_row_per_scenario_and_flags_the_crash() {
        let run = sample::run();
        let text = render(&run);
        assert!(text.contains("| strongswan |") && text.contains("| libreswan |"));
        for scenario in ["main-mode", "aggressive-mode", "main-mode-nat", "aggressive-mode-nat"] {
            assert!(text.contains(&format!("| {scenario} |")), "{scenario}");
        }
        assert!(text.contains("PEERS CRASHED OR HUNG"));
        assert!(text.contains("[pass](strongswan--reference-initiates--main-mode/index.html)"));
        assert!(text.contains("## Known deviations"));
        assert!(text.contains("+ observed: fails at `phase-2`"));
    }
}
