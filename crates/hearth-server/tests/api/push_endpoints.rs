//! Web Push endpoints the server refuses to post to (inside addresses,
//! other ports) and the cap on subscriptions per user.

use crate::helpers::*;
use crate::notifications::Subscriber;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn endpoints_inside_the_network_or_off_port_443_are_refused() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let browser = Subscriber::new();
    for endpoint in [
        "https://127.0.0.1/push/1",
        "https://localhost/push/1",
        "https://[::1]/push/1",
        "https://[::ffff:10.0.0.1]/push/1",
        "https://10.1.2.3/push/1",
        "https://192.168.0.10/push/1",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/push/1",
        "https://[fe80::1]/push/1",
        "https://0.0.0.0/push/1",
        "https://2130706433/push/1",
        "https://push.example:8443/push/1",
        "https://push.example:22/push/1",
        "http://push.example/push/1",
    ] {
        let (s, b) = app
            .post(
                "/api/v1/push/subscriptions",
                &bob.token,
                browser.subscription(endpoint),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{endpoint}: {b}");
        assert_eq!(error_code(&b), ErrorCode::Validation, "{endpoint}");
    }
    let stored = app
        .state
        .node
        .store
        .push_subscriptions(bob.id, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(stored.is_empty());
}

#[tokio::test]
async fn a_user_has_at_most_so_many_push_subscriptions() {
    let app = spawn_app_with(|c| {
        c.internal.push_allow_http = true;
        c.limits.push_subscriptions_per_user = 2;
    })
    .await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let browser = Subscriber::new();
    let subscribe = |user: &TestUser, n: u32| {
        let body = browser.subscription(&format!("http://127.0.0.1:9/push/{n}"));
        let token = user.token.clone();
        let app = &app;
        async move { app.post("/api/v1/push/subscriptions", &token, body).await }
    };
    for n in [1, 2, 1] {
        let (s, b) = subscribe(&bob, n).await;
        assert_eq!(s, StatusCode::CREATED, "{n}: {b}");
    }
    let (s, b) = subscribe(&bob, 3).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(error_code(&b), ErrorCode::Validation);
    // Eve's count is her own; Bob makes room by removing one.
    let (s, _) = subscribe(&eve, 4).await;
    assert_eq!(s, StatusCode::CREATED);
    let res = app
        .http
        .delete(app.url("/api/v1/push/subscriptions"))
        .bearer_auth(&bob.token)
        .json(&json!({"endpoint": "http://127.0.0.1:9/push/1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (s, b) = subscribe(&bob, 3).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}
