//! Shared inputs for the benchmarks: the workload files of `benches/workloads`, read from disk
//! so that the figures stay comparable with the peers' (see `workloads/README.md`).
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The directory holding the workload files.
pub fn workloads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads")
}

/// Reads a workload file as text.
///
/// # Panics
/// When the file is missing: the benches cannot run without their inputs.
pub fn read(name: &str) -> String {
    let path = workloads_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// W4: the 20 selection patterns and the 10 selection values.
#[derive(Debug, Clone)]
pub struct SelectionWorkload {
    /// Pattern `i` belongs to status code `200 + i`.
    pub patterns: Vec<String>,
    /// The selection values (Lambda `errorMessage`s).
    pub inputs: Vec<String>,
}

/// Loads W4 (`w4_selection.json`).
///
/// # Panics
/// When the file is missing or malformed.
pub fn selection_workload() -> SelectionWorkload {
    let doc: serde_json::Value =
        serde_json::from_str(&read("w4_selection.json")).expect("w4_selection.json is JSON");
    let list = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .unwrap_or_else(|| panic!("w4_selection.json: no {k}"))
            .iter()
            .map(|v| v.as_str().expect("strings").to_owned())
            .collect()
    };
    SelectionWorkload {
        patterns: list("patterns"),
        inputs: list("inputs"),
    }
}
