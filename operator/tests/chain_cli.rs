//! End-to-end tests of `tensorfleet chain` argument handling (the built binary, no chain).

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .arg("chain")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn missing_or_malformed_arguments_are_usage_errors() {
    let cases = [
        (
            "register --netuid 1 --hotkey-file h --coldkey-file c",
            "--max-burn",
        ),
        (
            "register --netuid 1 --hotkey-file h --coldkey-file c --max-burn lots",
            "lots",
        ),
        (
            "register --netuid 1 --hotkey-file h --max-burn 1",
            "--coldkey-file",
        ),
        ("info", "--netuid"),
        ("info --netuid 70000", "70000"),
        ("info --netuid 1 --network mars", "unknown network"),
        ("info --netuid 1 --output xml", "xml"),
        ("stake --netuid 1", "Usage"),
        (
            "serve-axon --netuid 1 --hotkey-file h --ip not-an-ip --port 1",
            "not-an-ip",
        ),
    ];
    for (line, needle) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn invalid_hotkey_address_is_a_clear_error_before_any_connection() {
    let o = run(&[
        "neuron",
        "--netuid",
        "1",
        "--hotkey",
        "5NotAnAddress",
        "--endpoint",
        "ws://127.0.0.1:9",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("invalid SS58 address"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unreachable_endpoints_are_all_tried_and_reported() {
    // Port 9 (discard) on localhost: connection refused, no chain involved.
    let o = run(&[
        "info",
        "--netuid",
        "1",
        "--endpoint",
        "ws://127.0.0.1:9",
        "--endpoint",
        "ws://127.0.0.1:7",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("no endpoint reachable"), "{e}");
    assert!(
        e.contains("ws://127.0.0.1:9") && e.contains("ws://127.0.0.1:7"),
        "{e}"
    );
}

#[test]
fn missing_key_file_names_the_file() {
    let o = run(&[
        "register",
        "--netuid",
        "1",
        "--hotkey-file",
        "/nonexistent/hotkey",
        "--coldkey-file",
        "/nonexistent/coldkey",
        "--max-burn",
        "1",
        "--endpoint",
        "ws://127.0.0.1:9",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/hotkey"), "{}", stderr(&o));
}

/// A plain btcli keyfile with a secret seed (a throwaway key made up for this test).
fn keyfile(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tf-chain-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let json = format!("{{\"secretSeed\":\"0x{}\"}}", "ab".repeat(32));
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn key_files_load_and_secrets_stay_out_of_errors() {
    let hot = keyfile("hot");
    let cold = keyfile("cold");
    let base = [
        "register",
        "--netuid",
        "1",
        "--max-burn",
        "1",
        "--endpoint",
        "ws://127.0.0.1:9",
        "--hotkey-file",
        hot.to_str().unwrap(),
        "--coldkey-file",
        cold.to_str().unwrap(),
    ];
    // Keys load; the command gets as far as the (unreachable) chain.
    let o = run(&base);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("no endpoint reachable"), "{e}");
    assert!(!e.contains(&"ab".repeat(32)), "{e}");
    // A password variable that is not set is named, and nothing else is printed.
    let mut args = base.to_vec();
    args.extend(["--password-env", "TF_TEST_SURELY_UNSET_PASSWORD"]);
    let o = run(&args);
    assert!(
        stderr(&o).contains("TF_TEST_SURELY_UNSET_PASSWORD"),
        "{}",
        stderr(&o)
    );
}
