//! JUnit XML: a testsuite per peer, a testcase per scenario and role. A failure is a
//! `<failure>` with the diff; a known deviation (it ran and failed exactly as
//! recorded) and a case the simulation could not play are `<skipped>` with their
//! reason, as pytest reports expected failures, so a gate passes on them.

use std::fmt::Write as _;

use super::RunReport;
use crate::runner::{CaseReport, Verdict};

pub fn render(run: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let skipped = run.count(Verdict::Deviation) + run.count(Verdict::NotRun);
    let _ = writeln!(
        out,
        "<testsuites name=\"ikelab\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        run.cases.len(),
        run.count(Verdict::Fail),
        run.wall_secs
    );
    for summary in &run.summary {
        let cases: Vec<&CaseReport> = run.cases.iter().filter(|case| case.peer == summary.peer).collect();
        let time: f64 = cases.iter().map(|case| case.wall_secs).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
            escape(&summary.peer),
            cases.len(),
            summary.fail,
            summary.deviation + summary.not_run
        );
        for case in cases {
            testcase(&mut out, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, case: &CaseReport) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\">",
        escape(&case.peer),
        escape(&case.role),
        escape(&case.case),
        case.wall_secs
    );
    out.push_str("      <properties>\n");
    let properties = [
        ("id", case.id.clone()),
        ("verdict", case.verdict.label().to_owned()),
        ("theme", case.theme.clone()),
        ("rfc", case.rfc.join("; ")),
        ("results", case.results.clone().unwrap_or_default()),
    ];
    for (name, value) in properties {
        let _ = writeln!(out, "        <property name=\"{name}\" value=\"{}\"/>", escape(&value));
    }
    out.push_str("      </properties>\n");
    let detail = case.verdict_detail.as_deref().or(case.failure.as_deref()).unwrap_or_default();
    match case.verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let broken = if case.peer_broken() { "PEER CRASHED OR HUNG: " } else { "" };
            let message = format!("{broken}{}", detail.lines().last().unwrap_or(detail));
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"fail\">{}</failure>",
                escape(&message),
                escape(detail)
            );
        }
        Verdict::Deviation => {
            let _ = writeln!(out, "      <skipped message=\"known deviation: {}\"/>", escape(detail));
        }
        Verdict::NotRun => {
            let _ = writeln!(out, "      <skipped message=\"not run: {}\"/>", escape(detail));
        }
    }
    let steps: Vec<String> = case
        .steps
        .iter()
        .map(|step| format!("{:>2} {:?} {}: {}", step.number, step.outcome, step.label, step.detail))
        .collect();
    let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&steps.join("\n")));
    out.push_str("    </testcase>\n");
}

/// Text as XML character data or an attribute value.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn every_case_is_a_testcase_and_only_failures_fail() {
        let run = sample::run();
        let xml = render(&run);
        assert_eq!(xml.matches("<testcase ").count(), run.cases.len());
        assert_eq!(xml.matches("<failure ").count(), run.count(Verdict::Fail));
        assert_eq!(xml.matches("<skipped message=\"known deviation").count(), run.count(Verdict::Deviation));
        assert!(xml.contains("PEER CRASHED OR HUNG"), "a crash is flagged in the failure message");
        assert!(xml.contains("&lt;ESP&gt; in UDP &amp; fakes"), "text is escaped");
        assert!(xml.contains("classname=\"strongswan.reference-initiates\" name=\"main-mode\""));
    }
}
