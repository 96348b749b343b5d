//! The compatibility matrix as one static page (no script, inline style), and a page
//! per case in its folder with the steps, what was observed, and links to the trace,
//! the sanitised peer log, the capture and its Wireshark key files.

use std::fmt::Write as _;

use super::junit::escape;
use super::{RunReport, folder_of};
use crate::runner::report::StepOutcome;
use crate::runner::{CaseReport, Verdict};

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#eee}td.verdict a{color:inherit;text-decoration:none;display:block}\
.pass{background:#c8efc8}.deviation{background:#ffe6a6}.fail{background:#f7b0b0;font-weight:bold}\
.not-run{background:#ddd}.na{color:#999}.broken{background:#d00;color:#fff;padding:.5em 1em}\
pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn class_of(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Deviation => "deviation",
        Verdict::Fail => "fail",
        Verdict::NotRun => "not-run",
    }
}

/// index.html: counts, crashes, one table per theme, deviations and failures.
pub fn matrix(run: &RunReport) -> String {
    let mut body = String::from("<h1>ikelab compatibility matrix</h1>\n");
    let _ = writeln!(
        body,
        "<p id=\"run\">{} cases ({} scenarios x peers x roles) against the {} peers, {:.1} s with {} jobs{}.</p>",
        run.cases.len(),
        run.scenario_count(),
        run.mode,
        run.wall_secs,
        run.jobs,
        escape(&run.partition_phrase())
    );
    body.push_str("<table id=\"summary\">\n<tr><th>peer</th><th>pass</th><th>deviation</th><th>fail</th><th>not run</th></tr>\n");
    for peer in &run.summary {
        // A count is coloured only when there is something to count.
        let cell = |class: &str, count: usize| {
            if count == 0 {
                format!("<td>{count}</td>")
            } else {
                format!("<td class=\"{class}\">{count}</td>")
            }
        };
        let _ = writeln!(
            body,
            "<tr data-peer=\"{0}\"><td>{0}</td>{1}{2}{3}{4}</tr>",
            escape(&peer.peer),
            cell("pass", peer.pass),
            cell("deviation", peer.deviation),
            cell("fail", peer.fail),
            cell("not-run", peer.not_run)
        );
    }
    body.push_str("</table>\n");
    let broken = run.broken();
    if broken.is_empty() {
        body.push_str("<p id=\"health\">No peer crashed or hung.</p>\n");
    } else {
        body.push_str("<div id=\"health\" class=\"broken\"><h2>PEERS CRASHED OR HUNG</h2><ul>\n");
        for case in broken {
            let _ = writeln!(
                body,
                "<li>{}: {}</li>",
                escape(&case.id),
                escape(case.failure.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</ul></div>\n");
    }
    let columns = run.columns();
    for (theme, rows) in run.rows() {
        let _ =
            writeln!(body, "<h2 id=\"theme-{0}\">{0}: {1}</h2>", escape(&theme.name), escape(&theme.title));
        body.push_str("<table class=\"matrix\">\n<tr><th>scenario</th>");
        for (peer, role) in &columns {
            let _ = write!(body, "<th>{}<br>{}</th>", escape(peer), escape(role));
        }
        body.push_str("</tr>\n");
        for (name, cells) in rows {
            let _ = write!(body, "<tr><td>{}</td>", escape(name));
            for cell in cells {
                match cell {
                    Some(case) => cell_html(&mut body, case),
                    None => body.push_str("<td class=\"na\">n/a</td>"),
                }
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</table>\n");
    }
    listing(&mut body, run, Verdict::Deviation, "Known deviations");
    listing(&mut body, run, Verdict::Fail, "Failures");
    page("ikelab compatibility matrix", &body)
}

fn cell_html(body: &mut String, case: &CaseReport) {
    let word = match case.verdict {
        Verdict::Fail if case.peer_broken() => "FAIL: peer crashed or hung",
        Verdict::Fail => "FAIL",
        verdict => verdict.label(),
    };
    let title = case.verdict_detail.as_deref().unwrap_or(&case.summary);
    let link = folder_of(case).map(|folder| format!("{folder}/index.html"));
    let _ = write!(
        body,
        "<td class=\"verdict {}\" data-case=\"{}\" title=\"{}\">",
        class_of(case.verdict),
        escape(&case.id),
        escape(title)
    );
    match link {
        Some(link) => {
            let _ = write!(body, "<a href=\"{}\">{word}</a></td>", escape(&link));
        }
        None => {
            let _ = write!(body, "{word}</td>");
        }
    }
}

fn listing(body: &mut String, run: &RunReport, verdict: Verdict, title: &str) {
    let cases: Vec<&CaseReport> = run.cases.iter().filter(|case| case.verdict == verdict).collect();
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(body, "<h2 id=\"{}\">{title}</h2>\n<dl>", class_of(verdict));
    for case in cases {
        let detail = case.verdict_detail.as_deref().or(case.failure.as_deref()).unwrap_or("");
        let _ = writeln!(body, "<dt>{}</dt><dd><pre>{}</pre></dd>", escape(&case.id), escape(detail));
    }
    body.push_str("</dl>\n");
}

/// The files of a case folder worth a click, with what they are.
const ARTIFACTS: [(&str, &str); 12] = [
    ("reference.trace", "the reference's trace, as IOS debug crypto isakmp"),
    ("reference.jsonl", "the same events as JSON lines"),
    ("reference.show.txt", "show crypto session and the SAs at the end"),
    ("peer-log.txt", "the peer's log during the case, sanitised"),
    ("peer/log.txt", "the peer's log during the case, raw"),
    ("capture.pcap", "the capture of the reference's link"),
    ("wireshark/ikev1_decryption_table", "Wireshark: IKEv1 keys (WIRESHARK_CONFIG_DIR=wireshark)"),
    ("wireshark/esp_sa", "Wireshark: ESP SAs"),
    ("keys.json", "every key, and where it came from"),
    ("outcome.json", "this page's data"),
    ("case.json", "the case as it ran"),
    ("peer/status.json", "the peer's SAs at the end"),
];

/// <case>/index.html.
pub fn case_page(case: &CaseReport) -> String {
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", escape(&case.id), escape(&case.summary));
    let _ = writeln!(
        body,
        "<p class=\"{}\" id=\"verdict\">{}: {}</p>",
        class_of(case.verdict),
        case.verdict.label(),
        escape(case.verdict_detail.as_deref().unwrap_or(""))
    );
    if case.peer_broken() {
        let _ = writeln!(body, "<p class=\"broken\">{}</p>", escape(case.failure.as_deref().unwrap_or("")));
    }
    let _ = writeln!(
        body,
        "<p>Theme {}; {}; {:.2} s (setup {:.2} s); RFC: {}</p>",
        escape(&case.theme),
        case.mode,
        case.wall_secs,
        case.setup_secs,
        escape(&case.rfc.join(", "))
    );
    body.push_str("<h2>Steps</h2>\n<table id=\"steps\">\n<tr><th>#</th><th>step</th><th>outcome</th><th>at</th><th>detail</th></tr>\n");
    for step in &case.steps {
        let outcome = match step.outcome {
            StepOutcome::Done => ("pass", "done"),
            StepOutcome::Passed => ("pass", "passed"),
            StepOutcome::Failed => ("fail", "FAILED"),
            StepOutcome::NotReached => ("not-run", "not reached"),
        };
        let _ = writeln!(
            body,
            "<tr><td>{}{}</td><td><code>{}</code></td><td class=\"{}\">{}</td><td>{:.2} s</td><td>{}</td></tr>",
            step.number,
            if step.in_finally { " (finally)" } else { "" },
            escape(&step.step),
            outcome.0,
            outcome.1,
            step.at_secs,
            escape(&step.detail)
        );
    }
    body.push_str("</table>\n<h2>Files</h2>\n<ul>\n");
    for (file, what) in ARTIFACTS {
        let _ = writeln!(body, "<li><a href=\"{file}\">{file}</a>: {what}</li>");
    }
    body.push_str("</ul>\n<h2>Observations</h2>\n");
    let observations = serde_json::to_string_pretty(&case.observations).unwrap_or_default();
    let _ = writeln!(body, "<pre id=\"observations\">{}</pre>", escape(&observations));
    page(&case.id, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn cells_carry_their_verdict_and_link_to_the_case_page() {
        let run = sample::run();
        let html = matrix(&run);
        assert!(
            html.contains(
                "<td class=\"verdict pass\" data-case=\"strongswan::reference-initiates::main-mode\""
            )
        );
        assert!(html.contains("<a href=\"strongswan--reference-initiates--main-mode/index.html\">pass</a>"));
        assert!(html.contains("PEERS CRASHED OR HUNG"));
        let page = case_page(&run.cases[3]);
        assert!(page.contains("FAILED") && page.contains("capture.pcap") && page.contains("peer-log.txt"));
    }
}
