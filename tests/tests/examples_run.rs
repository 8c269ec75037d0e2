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
    assert!(
        metrics.contains("http_route=\"/grpc.health.v1.Health/Check\""),
        "{metrics}"
    );
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
    assert!(metrics.contains("http_route=\"other\""), "{metrics}");
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
