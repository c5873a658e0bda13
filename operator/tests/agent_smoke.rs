//! `tensorfleet agent` as shipped, on a machine without NVML: one clear warning, `/metrics` says
//! zero GPUs, the Node is never touched, SIGTERM exits 0. Skipped where NVML is installed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, kubeconfig, scratch_dir, terminate};

fn nvml_installed() -> bool {
    let ldconfig = Command::new("ldconfig").arg("-p").output();
    ldconfig.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("libnvidia-ml.so.1"))
}

/// A kubeconfig whose API server is a closed local port: any Kubernetes call would fail (and be
/// logged), so a clean log proves the agent did not try to touch the Node.
fn dead_kubeconfig(dir: &std::path::Path) -> std::path::PathBuf {
    kubeconfig(dir, &format!("https://127.0.0.1:{}", free_port()))
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

#[test]
fn agent_without_nvml_keeps_serving_and_leaves_node_alone() {
    if nvml_installed() {
        eprintln!("skipped: libnvidia-ml.so.1 is installed here");
        return;
    }
    let dir = scratch_dir("serve");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .args(["agent", "--node-name", "x", "--interval", "1"])
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .env("KUBECONFIG", dead_kubeconfig(&dir))
        .env("RUST_LOG", "info")
        .env_remove("NODE_NAME")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        if let Some(body) = get(port, "/metrics").filter(|b| b.contains("200 OK")) {
            break body;
        }
        assert!(Instant::now() < deadline, "no /metrics within 30s");
        assert!(child.try_wait().unwrap().is_none(), "agent exited early");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        metrics.contains(r#"tensorfleet_gpus{node="x"} 0"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"tensorfleet_gpu_nvml_available{node="x"} 0"#),
        "{metrics}"
    );

    // Several more ticks: still alive, still serving, and ready.
    std::thread::sleep(Duration::from_millis(3500));
    assert!(child.try_wait().unwrap().is_none(), "agent died");
    assert!(get(port, "/readyz").unwrap().contains("200 OK"));

    let status = terminate(&mut child);
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");

    let nvml_lines: Vec<&str> = log.lines().filter(|l| l.contains("NVML")).collect();
    assert_eq!(nvml_lines.len(), 1, "exactly one NVML line:\n{log}");
    assert!(
        nvml_lines[0].contains("WARN") && nvml_lines[0].contains("NVML unavailable"),
        "{log}"
    );
    // No Kubernetes call was made: the dead API server would have produced an error line.
    assert!(!log.contains("cannot update the node"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn agent_once_without_nvml_fails_clearly() {
    if nvml_installed() {
        eprintln!("skipped: libnvidia-ml.so.1 is installed here");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .args(["agent", "--once"])
        .env_remove("NODE_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NVML unavailable: NVML library not found"),
        "{err}"
    );
}

#[test]
fn agent_requires_a_node_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .args(["agent", "--metrics-addr", "127.0.0.1:0"])
        .env_remove("NODE_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--node-name"));
}

/// The test-only device source (`--features fake-gpu`) behind the same `--once` path.
#[cfg(feature = "fake-gpu")]
#[test]
fn agent_once_with_fake_devices_prints_json() {
    let dir = scratch_dir("once");
    let file = dir.join("gpus.json");
    std::fs::write(
        &file,
        r#"{"driver": {"driverVersion": "550.54.15", "cudaVersion": "12.4"},
            "ticks": [{"devices": [
              {"uuid": "GPU-a", "model": "NVIDIA H100 80GB HBM3", "memoryTotalBytes": 85899345920,
               "temperatureCelsius": 61, "eccUncorrected": 0},
              {"uuid": "GPU-b", "model": "NVIDIA H100 80GB HBM3", "memoryTotalBytes": 85899345920,
               "temperatureCelsius": 95}]}]}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .args(["agent", "--once", "--fake-devices"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["healthy"], false);
    let gpus = v["snapshot"]["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 2);
    assert_eq!(gpus[0]["index"], 0);
    assert_eq!(gpus[0]["problems"], serde_json::json!([]));
    assert_eq!(gpus[0]["reading"]["temperatureCelsius"], 61);
    assert_eq!(gpus[1]["index"], 1);
    assert_eq!(gpus[1]["problems"], serde_json::json!(["temperature>=90C"]));
    assert_eq!(v["snapshot"]["driver"]["cudaVersion"], "12.4");
    let _ = std::fs::remove_dir_all(dir);
}
