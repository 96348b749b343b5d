//! `cve-report.json` (every outcome with how it was replayed) and `cve-report.md`
//! (a table per run, then per case how it was played and what a correct peer does).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::outcome::CveOutcome;
use crate::scenario::Reaction;

#[derive(Clone, Debug, Serialize)]
pub struct CveReport {
    pub peers: Vec<String>,
    pub jobs: usize,
    pub wall_secs: f64,
    pub outcomes: Vec<CveOutcome>,
}

impl CveReport {
    /// Every peer survived every replayed case, and every replay ran as mapped.
    pub fn acceptable(&self) -> bool {
        self.outcomes.iter().all(|outcome| !outcome.peer_failed() && !outcome.harness_failed())
    }

    /// Writes both files into `folder`; returns their paths.
    pub fn write(&self, folder: &Path) -> Result<Vec<PathBuf>, String> {
        std::fs::create_dir_all(folder).map_err(|error| format!("creating {}: {error}", folder.display()))?;
        let json = folder.join("cve-report.json");
        let text = serde_json::to_string_pretty(self).map_err(|error| error.to_string())?;
        std::fs::write(&json, text).map_err(|error| format!("writing {}: {error}", json.display()))?;
        let markdown = folder.join("cve-report.md");
        std::fs::write(&markdown, self.markdown())
            .map_err(|error| format!("writing {}: {error}", markdown.display()))?;
        Ok(vec![json, markdown])
    }

    /// The table, then the notes.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# CVE replays against {}\n\n{} cases, {} at a time, {:.0} s wall time.\n\n",
            self.peers.join(" and "),
            self.outcomes.len(),
            self.jobs,
            self.wall_secs
        );
        out.push_str(&table(&self.outcomes));
        out.push_str("\n## How each case was replayed\n");
        let mut seen = Vec::new();
        for outcome in &self.outcomes {
            if seen.contains(&&outcome.cve) {
                continue;
            }
            seen.push(&outcome.cve);
            let _ = write!(
                out,
                "\n### {} — {}\n\n{} ({}).\n\n",
                outcome.cve,
                outcome.title,
                outcome.fidelity.label(),
                outcome.how.join("; ")
            );
            let _ = writeln!(out, "Correct reaction: {}", outcome.correct_reaction);
        }
        let failures: Vec<&CveOutcome> =
            self.outcomes.iter().filter(|outcome| outcome.failure.is_some()).collect();
        if !failures.is_empty() {
            out.push_str("\n## Failed steps\n\n");
            for outcome in failures {
                let _ = writeln!(
                    out,
                    "- {} {}: {} ({})",
                    outcome.cve,
                    outcome.peer,
                    outcome.failure.as_deref().unwrap_or_default(),
                    outcome.results.as_deref().unwrap_or("no folder")
                );
            }
        }
        out
    }
}

/// | CVE | peer | replay | peer reaction | notifies from the peer | survived | s |
pub fn table(outcomes: &[CveOutcome]) -> String {
    let mut out = String::from(
        "| CVE | peer | replay | peer reaction | notifies from the peer | survived | s |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for outcome in outcomes {
        let replay = match outcome.replayed {
            Some(false) => format!("{} (replay FAILED)", outcome.fidelity.label()),
            _ => outcome.fidelity.label().to_owned(),
        };
        let mut notifies: Vec<String> = outcome
            .notifies
            .iter()
            .map(|(name, count)| if *count == 1 { name.clone() } else { format!("{name} ×{count}") })
            .collect();
        if let Some(responses) = outcome.first_responses {
            notifies.push(format!("MM2/AM2 ×{responses} while the reference was silent"));
        }
        let survived = match outcome.survived {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.1} |",
            outcome.cve,
            outcome.peer,
            replay,
            outcome.reaction.map_or("—", reaction_label),
            if notifies.is_empty() { "none".to_owned() } else { notifies.join(", ") },
            survived,
            outcome.secs
        );
    }
    out
}

fn reaction_label(reaction: Reaction) -> &'static str {
    match reaction {
        Reaction::Accepted => "accepted",
        Reaction::Rejected => "rejected",
        Reaction::Ignored => "ignored",
        Reaction::Crashed => "**CRASHED**",
        Reaction::Hung => "**HUNG**",
    }
}
