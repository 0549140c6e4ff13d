//! Redeploys the load test's API many times and prints, per block of deployments, the time the
//! block took, the process's resident memory, and the state file's size: the figures behind
//! "memory and deploy time stay flat across redeploys".
//!
//! ```text
//! cargo run --release -p apigw-control --example redeploy -- [--dir STATE_DIR] [--count 400] [--block 100]
//! ```

use std::time::Instant;

use apigw_control::{Config, Store};
use serde_json::json;

const API: &str = include_str!("../../../examples/reverse-proxy/load/load-api.yaml");

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = None;
    let (mut count, mut block) = (400_usize, 100_usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--dir" => dir = Some(std::path::PathBuf::from(value()?)),
            "--count" => count = value()?.parse()?,
            "--block" => block = value()?.parse()?,
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    let config = Config {
        auth_disabled: true,
        ..Config::default()
    };
    let store = match &dir {
        Some(d) => Store::open(d, config)?,
        None => Store::in_memory(config),
    };
    let body = API.replace("LOAD_BACKEND", "127.0.0.1:9");
    let api = store
        .import_rest_api(body.as_bytes(), None)
        .map_err(|e| e.message().to_owned())?;
    let id = api["id"].as_str().unwrap_or_default().to_owned();
    let input = |i: usize| {
        json!({"stageName": "dev", "description": format!("redeploy {i}")})
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    println!("deployments  block_ms  rss_kib  state_bytes");
    let mut start = Instant::now();
    for i in 1..=count {
        store
            .create_deployment(&id, &input(i))
            .map_err(|e| e.message().to_owned())?;
        // What the proxy does after every change: fetch the stage's snapshot.
        store
            .stage_snapshot(&id, "dev")
            .map_err(|e| e.message().to_owned())?;
        if i % block == 0 {
            let size = dir
                .as_ref()
                .and_then(|d| std::fs::metadata(d.join(apigw_control::STATE_FILE)).ok())
                .map_or(0, |m| m.len());
            println!(
                "{i:>11}  {:>8}  {:>7}  {size:>11}",
                start.elapsed().as_millis(),
                rss_kib()
            );
            start = Instant::now();
        }
    }
    Ok(())
}
