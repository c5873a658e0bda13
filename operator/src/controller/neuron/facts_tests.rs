use super::*;
use crate::controller::neuron::health::recent_restarts;

#[test]
fn addresses_follow_the_chain_rules() {
    let ok = |ip: &str| usable(ip, 8091).is_ok();
    // What HEAD's serving.rs accepts: other loopback and private addresses too.
    for ip in [
        "203.0.113.7",
        "127.0.0.2",
        "10.0.0.5",
        "192.168.1.2",
        "fd00::1",
        "2001:db8::1",
    ] {
        assert!(ok(ip), "{ip}");
    }
    for ip in [
        "127.0.0.1",
        "255.255.255.255",
        "::1",
        "0.0.0.0",
        "::",
        "nope",
    ] {
        assert!(!ok(ip), "{ip}");
    }
    assert!(usable("203.0.113.7", 0).unwrap_err().contains("port 0"));
}

#[test]
fn restarts_of_the_last_hour_count() {
    let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
    let prev = NeuronStatus {
        operator_restarts: Some(crate::api::OperatorRestarts {
            recent: vec![
                "2026-11-22T10:59:00Z".into(),
                "2026-11-22T11:30:00Z".into(),
                "bad".into(),
            ],
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        recent_restarts(&prev, now),
        vec!["2026-11-22T11:30:00Z".parse::<Timestamp>().unwrap()]
    );
    assert!(recent_restarts(&NeuronStatus::default(), now).is_empty());
}
