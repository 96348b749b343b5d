//! Reports of a run, written next to the case folders:
//!
//! ```text
//! <results>/
//!   report.json    every case with every observation (RunReport)
//!   junit.xml      one testcase per scenario x peer x role, for CI
//!   matrix.md      the compatibility matrix, deviations with their reasons, failures
//!   index.html     the same as a static page; each cell links to the case's page
//!   <case>/index.html  the case: steps, observations, trace, peer log, capture, keys
//! ```
//!
//! A peer that crashed or hung is flagged at the top of every report.

mod html;
mod junit;
mod markdown;
pub mod merge;
pub mod sample;
pub mod sanitise;
pub mod terminal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use peers::PeerKind;

use crate::cases::Initiator;
use crate::runner::{CaseReport, Verdict};
use crate::scenario::Theme;

/// A whole run: how it ran, its themes (for grouping) and every case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    /// `real` or `simulated`.
    pub mode: String,
    pub jobs: usize,
    pub partition: Option<String>,
    pub wall_secs: f64,
    pub themes: Vec<Theme>,
    pub summary: Vec<PeerSummary>,
    pub cases: Vec<CaseReport>,
}

/// A scenario and its case in each (peer, role) column, if it has one there.
type Row<'a> = (&'a str, Vec<Option<&'a CaseReport>>);

/// The verdicts of one peer's cases.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSummary {
    pub peer: String,
    pub pass: usize,
    pub deviation: usize,
    pub fail: usize,
    pub not_run: usize,
    /// Cases after which the peer had crashed or hung.
    pub broken: Vec<String>,
}

impl RunReport {
    pub fn new(
        mode: &str,
        jobs: usize,
        partition: Option<String>,
        wall_secs: f64,
        themes: Vec<Theme>,
        cases: Vec<CaseReport>,
    ) -> RunReport {
        let summary = summarise(&cases);
        RunReport { mode: mode.to_owned(), jobs, partition, wall_secs, themes, summary, cases }
    }

    /// Scenarios that ran, in theme order, each with its cases by column.
    fn rows(&self) -> Vec<(&Theme, Vec<Row<'_>>)> {
        let columns = self.columns();
        self.themes
            .iter()
            .map(|theme| {
                let rows = theme
                    .scenarios
                    .iter()
                    .filter(|name| self.cases.iter().any(|case| case.case == **name))
                    .map(|name| {
                        let cells = columns
                            .iter()
                            .map(|(peer, role)| {
                                self.cases
                                    .iter()
                                    .find(|c| c.case == *name && c.peer == *peer && c.role == *role)
                            })
                            .collect();
                        (name.as_str(), cells)
                    })
                    .collect::<Vec<_>>();
                (theme, rows)
            })
            .filter(|(_, rows)| !rows.is_empty())
            .collect()
    }

    /// (peer, role) of every column: peers in catalogue order, the reference
    /// initiating first.
    fn columns(&self) -> Vec<(String, String)> {
        let mut columns: Vec<(String, String)> = Vec::new();
        for case in &self.cases {
            let column = (case.peer.clone(), case.role.clone());
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        let peer_rank = |peer: &str| PeerKind::ALL.iter().position(|kind| kind.label() == peer);
        let role_rank =
            |role: &str| [Initiator::Reference, Initiator::Peer].iter().position(|r| r.label() == role);
        columns.sort_by_key(|(peer, role)| (peer_rank(peer), role_rank(role)));
        columns
    }

    /// How the run was split, as a phrase for the reports.
    fn partition_phrase(&self) -> String {
        match self.partition.as_deref() {
            None => String::new(),
            Some(merged) if merged.starts_with("merged") => format!(", {merged}"),
            Some(partition) => format!(", partition {partition}"),
        }
    }

    fn broken(&self) -> Vec<&CaseReport> {
        self.cases.iter().filter(|case| case.peer_broken()).collect()
    }

    fn count(&self, verdict: Verdict) -> usize {
        self.cases.iter().filter(|case| case.verdict == verdict).count()
    }

    fn scenario_count(&self) -> usize {
        let mut names: Vec<&str> = self.cases.iter().map(|case| case.case.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

fn summarise(cases: &[CaseReport]) -> Vec<PeerSummary> {
    let mut peers: BTreeMap<&str, PeerSummary> = BTreeMap::new();
    for case in cases {
        let summary = peers
            .entry(&case.peer)
            .or_insert_with(|| PeerSummary { peer: case.peer.clone(), ..Default::default() });
        match case.verdict {
            Verdict::Pass => summary.pass += 1,
            Verdict::Deviation => summary.deviation += 1,
            Verdict::Fail => summary.fail += 1,
            Verdict::NotRun => summary.not_run += 1,
        }
        if case.peer_broken() {
            summary.broken.push(case.id.clone());
        }
    }
    peers.into_values().collect()
}

/// The folder name of a case's results, for relative links.
fn folder_of(case: &CaseReport) -> Option<String> {
    let path = case.results.as_deref()?;
    Path::new(path).file_name().map(|name| name.to_string_lossy().into_owned())
}

/// Writes report.json, junit.xml, matrix.md and index.html into `dir`; the files.
pub fn write_all(dir: &Path, run: &RunReport) -> Result<Vec<PathBuf>, String> {
    let json = serde_json::to_value(run).map_err(|error| error.to_string())?;
    write_with_json(dir, run, &json)
}

/// As [`write_all`], with report.json's content given (a merge keeps the cases'
/// observations as the partitions wrote them).
fn write_with_json(dir: &Path, run: &RunReport, json: &serde_json::Value) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("creating {}: {error}", dir.display()))?;
    let json = serde_json::to_string_pretty(json).map_err(|error| error.to_string())? + "\n";
    let files = [
        ("report.json", json),
        ("junit.xml", junit::render(run)),
        ("matrix.md", markdown::render(run)),
        ("index.html", html::matrix(run)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|error| format!("writing {}: {error}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Each case's page, into its results folder.
pub fn write_case_pages(run: &RunReport) -> Result<(), String> {
    for case in &run.cases {
        if let Some(folder) = case.results.as_deref().map(Path::new).filter(|folder| folder.is_dir()) {
            let page = folder.join("index.html");
            std::fs::write(&page, html::case_page(case))
                .map_err(|error| format!("writing {}: {error}", page.display()))?;
        }
    }
    Ok(())
}
