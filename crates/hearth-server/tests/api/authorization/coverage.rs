//! The matrix covers everything: every operation of the OpenAPI document
//! (which the router serves) has a row in [`REST`], every gateway op one in
//! [`OPS`], and the table names nothing that does not exist.

use super::ops::{op, op_name};
use super::scene::Cast;
use super::table::{OPS, REST};
use crate::helpers::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_matrix_has_a_row_for_every_route_and_every_op() {
    let app = spawn_app().await;
    let (status, doc) = app
        .request(reqwest::Method::GET, "/api/openapi.json", None, None)
        .await;
    assert!(status.is_success(), "{doc}");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert(format!("{method} {path}"));
            }
        }
    }
    let tabled: BTreeSet<String> = REST
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(tabled.len(), REST.len(), "a route listed twice");
    let missing: Vec<_> = documented.difference(&tabled).collect();
    let unknown: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "routes without a row in authorization/table.rs: {missing:?}; rows for no route: {unknown:?}"
    );

    // Every op builds, under the name its row gives; every op the protocol
    // has (see `op_name`, exhaustive) has a row.
    let cast = Cast::new(&app).await;
    let scene = cast.scene(&app, RoomKind::Group).await;
    let mut tabled_ops = BTreeSet::new();
    for row in OPS {
        let built = op(row.op, &scene, &cast, "token");
        assert_eq!(op_name(&built), row.op);
        let wire = serde_json::to_value(&built).expect("op");
        assert_eq!(wire["op"], row.op, "the wire name of {}", row.op);
        tabled_ops.insert(row.op);
    }
    let every_op = [
        "auth",
        "send",
        "typing",
        "read",
        "delivered",
        "presence",
        "ping",
        "call.signal",
    ];
    for name in every_op {
        let built = op(name, &scene, &cast, "token");
        assert_eq!(op_name(&built), name, "op_name and the op list disagree");
    }
    assert_eq!(
        tabled_ops,
        every_op.into_iter().collect::<BTreeSet<_>>(),
        "gateway ops without a row in authorization/table.rs (or rows for none)"
    );
}
