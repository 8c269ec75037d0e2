//! The tonic and plain hyper examples, each started as a process and called over loopback.

use sloguard_e2e::{get, status, Example};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// A connection to the gRPC server of a running example.
async fn channel(example: &Example) -> Channel {
    Channel::from_shared(format!("http://{}", example.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connects")
}

/// Asks the health service about `service`, which the example knows.
async fn serving(client: &mut HealthClient<Channel>, service: &str) {
    let reply = client
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("a known service");
    assert_eq!(reply.into_inner().status(), ServingStatus::Serving);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_calls_are_classified_by_grpc_status() {
    let example = Example::start("tonic_service", &[]);
    let mut client = HealthClient::new(channel(&example).await);
    for _ in 0..5 {
        serving(&mut client, "payments").await;
    }
    // An unknown service is NotFound: the client's mistake, not a server fault.
    let missing = client
        .check(HealthCheckRequest {
            service: "missing".into(),
        })
        .await;
    assert_eq!(
        missing.expect_err("unknown service").code(),
        tonic::Code::NotFound
    );

    let doc = status(example.addr).await;
    let slo = doc.slo("availability").expect("registered");
    assert_eq!((slo.events, slo.bad_events), (6, 0));
    let (_, metrics) = get(example.addr, "/metrics").await;
    for series in [
        r#"rpc_server_call_duration_seconds_count{rpc_system_name="grpc",rpc_method="grpc.health.v1.Health/Check",rpc_response_status_code="OK"} 5"#,
        r#"rpc_server_call_duration_seconds_count{rpc_system_name="grpc",rpc_method="grpc.health.v1.Health/Check",rpc_response_status_code="NOT_FOUND"} 1"#,
    ] {
        assert!(metrics.contains(series), "{series} in {metrics}");
    }
}

/// A gRPC client in another language (grpcio, the C-core client) calls the tonic example:
/// 50 checks answered OK and 10 answered NOT_FOUND, as that client itself counted them. The
/// request series carry the OpenTelemetry RPC labels with those codes, and the SLO counts
/// all 60 as good (NOT_FOUND is the client's mistake).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpcio_client_sees_its_codes_in_the_rpc_series() {
    let Some(python) = sloguard_e2e::python_with("grpc") else {
        return;
    };
    let example = Example::start("tonic_service", &[]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/grpc_health_calls.py");
    // The example is another process: blocking this worker while the client runs is fine.
    let out = std::process::Command::new(python)
        .arg(script)
        .args([&example.addr.to_string(), "payments", "50", "10"])
        .output()
        .expect("python runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(printed, "NOT_FOUND 10\nOK 50\n", "what the client saw");

    let (_, metrics) = get(example.addr, "/metrics").await;
    let method = r#"rpc_system_name="grpc",rpc_method="grpc.health.v1.Health/Check""#;
    for (code, calls) in [("OK", 50), ("NOT_FOUND", 10)] {
        let series = format!(
            "rpc_server_call_duration_seconds_count{{{method},rpc_response_status_code=\"{code}\"}} {calls}"
        );
        assert!(metrics.contains(&series), "{series} in {metrics}");
    }
    assert!(
        !metrics.contains("http_server_request_duration_seconds_count"),
        "no gRPC call is an HTTP series: {metrics}"
    );
    let doc = status(example.addr).await;
    let slo = doc.slo("availability").expect("registered");
    assert_eq!((slo.events, slo.bad_events), (60, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_the_server_does_not_have_are_not_its_events() {
    let example = Example::start("tonic_service", &[]);
    let channel = channel(&example).await;
    let mut client = HealthClient::new(channel.clone());
    let mut raw = tonic::client::Grpc::new(channel);
    for i in 0..30 {
        serving(&mut client, "payments").await;
        if i % 2 == 0 {
            // A method no service of the server has: tonic answers UNIMPLEMENTED.
            raw.ready().await.expect("ready");
            let path = format!("/no.Such{i}/Method");
            let missing: Result<tonic::Response<HealthCheckResponse>, _> = raw
                .unary(
                    tonic::Request::new(HealthCheckRequest::default()),
                    path.parse().expect("path"),
                    tonic_prost::ProstCodec::default(),
                )
                .await;
            assert_eq!(
                missing.expect_err("no such method").code(),
                tonic::Code::Unimplemented
            );
        }
    }
    let doc = status(example.addr).await;
    let slo = doc.slo("availability").expect("registered");
    assert_eq!(
        (slo.events, slo.bad_events),
        (30, 0),
        "15 calls to missing methods are not the service's events"
    );
    let (_, metrics) = get(example.addr, "/metrics").await;
    assert!(
        !metrics.contains("no.Such"),
        "no invented method is a series"
    );
    assert!(
        metrics.contains(r#"rpc_method="_OTHER",rpc_response_status_code="UNIMPLEMENTED"} 15"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_hyper_service_records_one_operation() {
    let example = Example::start("hyper_service", &[]);
    for path in ["/", "/?status=500", "/anything?status=404", "/x"] {
        get(example.addr, path).await;
    }
    let doc = status(example.addr).await;
    let slo = doc.slo("availability").expect("registered");
    assert_eq!((slo.events, slo.bad_events), (4, 1));
    let (_, metrics) = get(example.addr, "/metrics").await;
    assert!(metrics.contains("http_route=\"echo\""));
    assert!(!metrics.contains("http_route=\"/x\""), "never the raw path");
}
