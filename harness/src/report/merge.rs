//! `ikelab merge`: the reports of several partitions (CI runners that each ran
//! `ikelab run --partition slice:M/N`) as one. Each input is a results folder with
//! its report.json and case folders; the case folders are copied into the output and
//! the matrix, JUnit and JSON reports are written over every case. The merged
//! report.json keeps each case as its partition wrote it, observations included.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{RunReport, write_with_json};
use crate::runner::CaseReport;

pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<Vec<PathBuf>, String> {
    if inputs.is_empty() {
        return Err("nothing to merge".into());
    }
    std::fs::create_dir_all(output).map_err(|error| format!("creating {}: {error}", output.display()))?;
    let mut runs = Vec::new();
    let mut raw_cases = Vec::new();
    for input in inputs {
        let path = input.join("report.json");
        let text =
            std::fs::read_to_string(&path).map_err(|error| format!("reading {}: {error}", path.display()))?;
        let mut raw: Value =
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        let mut run: RunReport =
            serde_json::from_value(raw.clone()).map_err(|error| format!("{}: {error}", path.display()))?;
        let cases = raw.get_mut("cases").and_then(Value::as_array_mut).ok_or("a report without cases")?;
        for (case, raw_case) in run.cases.iter_mut().zip(cases.iter_mut()) {
            if let Some(folder) = move_folder(input, output, case)? {
                raw_case["results"] = Value::String(folder.display().to_string());
            }
            raw_cases.push(raw_case.clone());
        }
        runs.push(run);
    }
    let merged = combine(runs, inputs.len());
    let mut json = serde_json::to_value(&merged).map_err(|error| error.to_string())?;
    json["cases"] = Value::Array(raw_cases);
    write_with_json(output, &merged, &json)
}

/// Copies a case's folder from its partition's results into the output (unless they
/// are the same place); the folder's new path, now also the case's.
fn move_folder(input: &Path, output: &Path, case: &mut CaseReport) -> Result<Option<PathBuf>, String> {
    let Some(name) = super::folder_of(case) else { return Ok(None) };
    let (from, to) = (input.join(&name), output.join(&name));
    if !from.is_dir() {
        return Ok(None);
    }
    if from.canonicalize().ok() != output.canonicalize().ok().map(|output| output.join(&name)) {
        copy_tree(&from, &to).map_err(|error| format!("copying {}: {error}", from.display()))?;
    }
    case.results = Some(to.display().to_string());
    Ok(Some(to))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(drop)
    }
}

/// One run of all the cases: partitions ran side by side, so the wall time is the
/// longest of theirs.
fn combine(runs: Vec<RunReport>, partitions: usize) -> RunReport {
    let mut themes: Vec<crate::scenario::Theme> = Vec::new();
    let mut cases = Vec::new();
    let (mut wall_secs, mut jobs, mut mode) = (0.0f64, 0, String::new());
    for run in runs {
        for theme in run.themes {
            if !themes.iter().any(|known| known.name == theme.name) {
                themes.push(theme);
            }
        }
        wall_secs = wall_secs.max(run.wall_secs);
        jobs = jobs.max(run.jobs);
        if mode.is_empty() {
            mode = run.mode;
        }
        cases.extend(run.cases);
    }
    let partition = Some(format!("merged from {partitions} partitions"));
    RunReport::new(&mode, jobs, partition, wall_secs, themes, cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{sample, write_all};

    #[test]
    fn two_partitions_merge_into_one_matrix() {
        let scratch = std::env::temp_dir().join(format!("ikelab-merge-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let whole = sample::run();
        let mut inputs = Vec::new();
        for (index, part) in whole.cases.chunks(whole.cases.len() / 2 + 1).enumerate() {
            let dir = scratch.join(format!("part-{index}"));
            let mut run = whole.clone();
            run.cases = part.to_vec();
            for case in &mut run.cases {
                let folder = dir.join(case.id.replace("::", "--"));
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(folder.join("capture.pcap"), b"pcap").unwrap();
                case.results = Some(folder.display().to_string());
            }
            write_all(&dir, &run).unwrap();
            inputs.push(dir);
        }
        let output = scratch.join("merged");
        merge(&inputs, &output).unwrap();
        let merged: RunReport =
            serde_json::from_str(&std::fs::read_to_string(output.join("report.json")).unwrap()).unwrap();
        assert_eq!(merged.cases.len(), whole.cases.len());
        assert_eq!(merged.summary, whole.summary);
        assert!(output.join("strongswan--reference-initiates--main-mode/capture.pcap").exists());
        let junit = std::fs::read_to_string(output.join("junit.xml")).unwrap();
        assert_eq!(junit.matches("<testcase ").count(), whole.cases.len());
        std::fs::remove_dir_all(&scratch).unwrap();
    }
}
