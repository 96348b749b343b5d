//! Many cases at once: `jobs` workers, each in its own namespaces, each keeping its
//! station (topology and running peer) for the next case of the same peer and shape.
//! The queue starts with the longest cases, and a worker prefers a case its station
//! can serve, so a Libreswan guest boots once per worker and shape rather than once
//! per case.

use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::thread;

use super::station::StationKey;
use super::{CaseReport, Mode, StationPool, run_case_in};
use crate::cases::Case;
use crate::scenario::{Action, Check, Step};

/// A share of the matrix for one CI runner: `slice:M/N` takes every Nth case starting
/// with the Mth (as nextest's count partitioning does), `hash:M/N` the cases whose
/// id hashes to M.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    Slice { index: usize, total: usize },
    Hash { index: usize, total: usize },
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("`{text}` is not slice:M/N or hash:M/N with 1 <= M <= N");
        let (kind, fraction) = text.split_once(':').ok_or_else(invalid)?;
        let (index, total) = fraction.split_once('/').ok_or_else(invalid)?;
        let (index, total): (usize, usize) =
            (index.parse().map_err(|_| invalid())?, total.parse().map_err(|_| invalid())?);
        if index == 0 || index > total {
            return Err(invalid());
        }
        match kind {
            "slice" => Ok(Partition::Slice { index, total }),
            "hash" => Ok(Partition::Hash { index, total }),
            _ => Err(invalid()),
        }
    }
}

impl Partition {
    /// The cases of this partition, in their order.
    pub fn select(self, cases: Vec<Case>) -> Vec<Case> {
        cases
            .into_iter()
            .enumerate()
            .filter(|(position, case)| match self {
                Partition::Slice { index, total } => position % total == index - 1,
                Partition::Hash { index, total } => fnv(&case.id()) % total as u64 == (index - 1) as u64,
            })
            .map(|(_, case)| case)
            .collect()
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// A rough duration of a case, for ordering: its waits, plus what its peer costs.
pub fn estimate_secs(case: &Case) -> f64 {
    let base = if case.peer.label() == "strongswan" { 0.7 } else { 2.0 };
    let timeout = case.timeout_secs as f64;
    let step = |step: &Step| match step {
        Step::Do(Action::Wait { secs }) => *secs,
        Step::Do(Action::PeerRestarts) => 2.0,
        Step::Check(Check::Phase1Fails { within_secs, .. } | Check::Phase2Fails { within_secs, .. }) => {
            within_secs.map_or(timeout, |secs| secs as f64)
        }
        Step::Check(Check::TrafficRecovers { within_secs, .. }) => *within_secs as f64 / 2.0,
        Step::Check(Check::TrafficStaysDown { secs, .. }) => *secs as f64,
        Step::Check(Check::ReferenceEvent { within_secs, .. } | Check::PeerSas { within_secs, .. }) => {
            within_secs.map_or(1.0, |secs| secs as f64 / 2.0)
        }
        _ => 0.1,
    };
    base + case.timeline.iter().chain(&case.finally).map(step).sum::<f64>()
}

/// Runs `cases` with `jobs` workers; `done` sees each report as it comes (progress),
/// the result holds them in the order of `cases`.
pub fn run_all(
    cases: &[Case],
    mode: Mode,
    results: &Path,
    jobs: usize,
    done: &(dyn Fn(&CaseReport) + Sync),
) -> Vec<CaseReport> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by(|&a, &b| estimate_secs(&cases[b]).total_cmp(&estimate_secs(&cases[a])));
    let queue = Mutex::new(order);
    let reports: Mutex<Vec<Option<CaseReport>>> = Mutex::new(vec![None; cases.len()]);
    thread::scope(|scope| {
        for worker in 0..jobs.max(1) {
            let (queue, reports) = (&queue, &reports);
            thread::Builder::new()
                .name(format!("ikelab-worker-{worker}"))
                .spawn_scoped(scope, move || {
                    // One idle station per worker: the one its last case left.
                    let pool = StationPool::new(1);
                    let mut last_key = None;
                    while let Some(index) = next_case(queue, cases, last_key) {
                        let case = &cases[index];
                        let report = run_case_in(case, mode, results, &pool);
                        last_key = Some(StationKey { peer: case.peer, shape: case.shape() });
                        done(&report);
                        reports.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[index] = Some(report);
                    }
                })
                .expect("spawning a worker thread");
        }
    });
    reports.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).into_iter().flatten().collect()
}

/// The longest case left that the worker's station can serve, else the longest left.
fn next_case(queue: &Mutex<Vec<usize>>, cases: &[Case], station: Option<StationKey>) -> Option<usize> {
    let mut queue = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let fits = |&&index: &&usize| {
        station.is_some_and(|key| key == StationKey { peer: cases[index].peer, shape: cases[index].shape() })
    };
    let position = queue.iter().position(|index| fits(&index)).unwrap_or(0);
    (!queue.is_empty()).then(|| queue.remove(position))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::catalogue;

    #[test]
    fn partitions_split_the_matrix_without_overlap_or_gaps() {
        let all = catalogue::all();
        for kind in ["slice", "hash"] {
            let mut ids: Vec<String> = (1..=3)
                .flat_map(|index| {
                    format!("{kind}:{index}/3").parse::<Partition>().unwrap().select(all.clone())
                })
                .map(|case| case.id())
                .collect();
            ids.sort();
            let mut expected: Vec<String> = all.iter().map(Case::id).collect();
            expected.sort();
            assert_eq!(ids, expected, "{kind}");
        }
        assert!("slice:0/3".parse::<Partition>().is_err());
        assert!("slice:4/3".parse::<Partition>().is_err());
        assert!("count:1/3".parse::<Partition>().is_err());
    }
}
