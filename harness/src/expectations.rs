//! `scenarios/expectations.toml`: what each case is expected to do against the real
//! peers. A case not named there must pass; a known deviation names the step where
//! it fails, text its failure contains, and the reason:
//!
//! ```toml
//! [cases]
//! "strongswan::*::nat-none" = { deviation = "kernel-libipsec always UDP-encapsulates ESP",
//!                               at = "udp-encapsulation", observed = "the peer: ESP in UDP" }
//! "libreswan::peer-initiates::main-mode" = "pass"
//! ```
//!
//! A segment of a key may be `*`. The most specific key wins (fewest `*`). The verdict
//! is `deviation` only when the case fails exactly as recorded; a deviation that now
//! passes, or fails differently, is a failure with a diff, as BoringSSL's runner does.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::cases::Case;
use crate::runner::{CaseReport, Verdict};

pub const EMBEDDED: &str = include_str!("../../scenarios/expectations.toml");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expectation {
    /// `"pass"`.
    Pass(PassWord),
    Deviation(Deviation),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassWord {
    Pass,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Why the peer behaves so: its documentation, its source, the RFC it reads otherwise.
    pub deviation: String,
    /// The label of the step that fails (`phase-2`, `peer-reaction`, `peer-health`).
    pub at: String,
    /// Text the failure's detail contains.
    pub observed: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    #[serde(default)]
    cases: BTreeMap<String, Expectation>,
}

impl Expectations {
    pub fn embedded() -> Result<Expectations, String> {
        Expectations::parse(EMBEDDED)
    }

    pub fn load(path: &Path) -> Result<Expectations, String> {
        let text =
            std::fs::read_to_string(path).map_err(|error| format!("reading {}: {error}", path.display()))?;
        Expectations::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Expectations, String> {
        let expectations: Expectations =
            toml::from_str(text).map_err(|error| format!("expectations.toml: {error}"))?;
        for key in expectations.cases.keys() {
            if key.split("::").count() != 3 {
                return Err(format!("expectations.toml: `{key}` is not peer::role::scenario"));
            }
        }
        Ok(expectations)
    }

    /// The expectation for a case id: the most specific matching key, else pass.
    pub fn for_case(&self, id: &str) -> Option<&Expectation> {
        self.cases
            .iter()
            .filter(|(key, _)| matches(key, id))
            .min_by_key(|(key, _)| key.split("::").filter(|segment| *segment == "*").count())
            .map(|(_, expectation)| expectation)
    }

    /// Keys that match no case of the catalogue: stale entries to remove.
    pub fn unused_keys<'a>(&'a self, cases: &[Case]) -> Vec<&'a str> {
        self.cases
            .keys()
            .filter(|key| !cases.iter().any(|case| matches(key, &case.id())))
            .map(String::as_str)
            .collect()
    }

    /// Sets the report's verdict and says why.
    pub fn judge(&self, report: &mut CaseReport) {
        if report.verdict == Verdict::NotRun {
            return;
        }
        let observed = observed(report);
        let (verdict, detail) = match (self.for_case(&report.id), &observed) {
            (None | Some(Expectation::Pass(_)), None) => (Verdict::Pass, None),
            (None | Some(Expectation::Pass(_)), Some((label, detail))) => {
                (Verdict::Fail, Some(diff("pass", &format!("fails at `{label}`: {detail}"))))
            }
            (Some(Expectation::Deviation(known)), None) => (
                Verdict::Fail,
                Some(diff(
                    &format!("deviation at `{}`: {}", known.at, known.deviation),
                    "passes: unexpectedly passed, update the expectations",
                )),
            ),
            (Some(Expectation::Deviation(known)), Some((label, detail))) => {
                if *label == known.at && detail.contains(&known.observed) {
                    (Verdict::Deviation, Some(known.deviation.clone()))
                } else {
                    let expected =
                        format!("fails at `{}` with \"{}\" ({})", known.at, known.observed, known.deviation);
                    (Verdict::Fail, Some(diff(&expected, &format!("fails at `{label}`: {detail}"))))
                }
            }
        };
        report.verdict = verdict;
        report.verdict_detail = detail;
    }
}

/// Where and how the case failed, if it did: the first failed step, else a setup
/// error, else the peer's health.
fn observed(report: &CaseReport) -> Option<(String, String)> {
    if let Some(step) = &report.failed_step {
        return Some((step.label.clone(), step.detail.clone()));
    }
    if report.peer_broken() {
        let detail = report.failure.clone().unwrap_or_default();
        return Some(("peer-health".into(), detail));
    }
    report.failure.clone().map(|failure| ("setup".into(), failure))
}

fn diff(expected: &str, observed: &str) -> String {
    format!("- expected: {expected}\n+ observed: {observed}")
}

/// Whether a key (segments may be `*`) names the id.
fn matches(key: &str, id: &str) -> bool {
    let (keys, ids): (Vec<&str>, Vec<&str>) = (key.split("::").collect(), id.split("::").collect());
    keys.len() == ids.len() && keys.iter().zip(&ids).all(|(key, id)| *key == "*" || key == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::catalogue;
    use crate::runner::report::{FailedStep, Verdict};

    const FILE: &str = r#"
        [cases]
        "strongswan::*::main-mode" = { deviation = "libipsec", at = "nat", observed = "ESP in UDP" }
        "strongswan::peer-initiates::main-mode" = "pass"
    "#;

    fn report(id: &str, failure: Option<(&str, &str)>) -> CaseReport {
        let case = catalogue::all().into_iter().find(|case| case.id() == id).unwrap();
        let mut report = CaseReport::new(&case, "real");
        report.failed_step = failure.map(|(label, detail)| FailedStep {
            number: 2,
            label: label.into(),
            detail: detail.into(),
        });
        report.failure = failure.map(|(label, detail)| format!("{label}: {detail}"));
        report
    }

    #[test]
    fn the_most_specific_key_wins_and_unlisted_cases_must_pass() {
        let expectations = Expectations::parse(FILE).unwrap();
        assert!(matches!(
            expectations.for_case("strongswan::reference-initiates::main-mode"),
            Some(Expectation::Deviation(_))
        ));
        assert!(matches!(
            expectations.for_case("strongswan::peer-initiates::main-mode"),
            Some(Expectation::Pass(_))
        ));
        assert!(expectations.for_case("libreswan::peer-initiates::main-mode").is_none());
    }

    #[test]
    fn verdicts_follow_the_recorded_deviation_exactly() {
        let expectations = Expectations::parse(FILE).unwrap();
        let id = "strongswan::reference-initiates::main-mode";
        let mut reproduced = report(id, Some(("nat", "the peer: ESP in UDP")));
        expectations.judge(&mut reproduced);
        assert_eq!(reproduced.verdict, Verdict::Deviation);
        let mut elsewhere = report(id, Some(("phase-2", "no IPsec SA")));
        expectations.judge(&mut elsewhere);
        assert_eq!(elsewhere.verdict, Verdict::Fail);
        assert!(elsewhere.verdict_detail.as_deref().unwrap().contains("+ observed: fails at `phase-2`"));
        let mut passing = report(id, None);
        expectations.judge(&mut passing);
        assert_eq!(passing.verdict, Verdict::Fail);
        assert!(passing.verdict_detail.as_deref().unwrap().contains("unexpectedly passed"));
        let mut failing = report("libreswan::peer-initiates::main-mode", Some(("ping", "no reply")));
        expectations.judge(&mut failing);
        assert_eq!(failing.verdict, Verdict::Fail);
    }

    #[test]
    fn the_embedded_file_reads_and_every_key_names_a_case() {
        let expectations = Expectations::embedded().unwrap();
        let unused = expectations.unused_keys(&catalogue::all());
        assert!(unused.is_empty(), "stale keys in expectations.toml: {unused:?}");
    }
}
