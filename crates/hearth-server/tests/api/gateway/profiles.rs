//! Profile changes are live: a new display name (or avatar) reaches everyone
//! sharing a room with the user, in any room size, and their own sessions;
//! nobody else.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_profile_change_reaches_everyone_who_shares_a_room_and_nobody_else() {
    let app = spawn_app_with(|c| c.limits.presence_room_limit = 2).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let stranger = app.register("dave").await;
    // Three members: above the presence limit, still a room they share.
    app.create_room(&alice, RoomKind::Channel, "townhall", &[&bob, &carol])
        .await;
    let mut bob_ws = app.ws(&bob).await;
    let mut alice_ws = app.ws(&alice).await;
    let mut dave_ws = app.ws(&stranger).await;

    let (status, body) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"display_name": "Alice L."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for ws in [&mut bob_ws, &mut alice_ws] {
        let user = expect_event!(ws, ServerEvent::UserUpdated(e) if e.user.id == alice.id => e.user.clone());
        assert_eq!(user.display_name, "Alice L.");
        assert_eq!(user.email, None, "the shared frame has no private fields");
    }
    dave_ws.sync().await;
    dave_ws.assert_none_seen("a stranger shares no room with alice", |e| {
        matches!(e, ServerEvent::UserUpdated(_))
    });
}
