//! Per-user request budgets for the REST API, decided from the route before
//! the handler runs: every write spends from the caller's write budget and
//! every search from their search budget (`ratelimit::UserBudget`); over
//! budget is 429 `rate_limited` with `Retry-After`.
//!
//! Message sends are not counted here: they have their own budget, checked
//! after the nonce (a retried send is answered, not limited). Requests
//! without a valid access token pass (the handler answers 401, and the
//! sign-in routes are limited per IP).

use crate::ratelimit::UserBudget;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_protocol::UserId;

/// The middleware: spends one unit of the route's budget, if it has one.
pub async fn per_user(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("", |m| m.as_str());
    let route = route.strip_prefix("/api/v1").unwrap_or(route);
    if let Some(budget) = budget_of(req.method(), route)
        && let Some(user) = caller(&state, &req)
        && let Err(e) = state.node.limits.check_user(budget, user).await
    {
        return e.into_response();
    }
    next.run(req).await
}

/// Which budget a request to `route` (a template, e.g. `/rooms/{id}`)
/// spends from.
fn budget_of(method: &Method, route: &str) -> Option<UserBudget> {
    match (method, route) {
        (&Method::GET, "/search" | "/users" | "/channels") => Some(UserBudget::Searches),
        (&Method::GET | &Method::HEAD | &Method::OPTIONS, _) => None,
        // The gateway is limited per session and per op (`gateway::ops`).
        (_, "/gateway") => None,
        (&Method::POST, "/rooms/{id}/messages") => None,
        _ => Some(UserBudget::Writes),
    }
}

fn caller(state: &AppState, req: &Request) -> Option<UserId> {
    let token = req
        .headers()
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let user = state.services.sessions.authenticate(token.trim())?;
    Some(user.user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_searches_have_budgets_and_sends_their_own() {
        let writes = [
            (
                Method::PUT,
                "/rooms/{id}/messages/{message_id}/reactions/{emoji}",
            ),
            (Method::PATCH, "/rooms/{id}/messages/{message_id}"),
            (Method::PUT, "/rooms/{id}/messages/{message_id}/pin"),
            (Method::POST, "/rooms"),
            (Method::POST, "/rooms/{id}/members"),
            (Method::POST, "/uploads"),
            (Method::POST, "/push/subscriptions"),
            (Method::DELETE, "/rooms/{id}"),
        ];
        for (method, route) in writes {
            assert_eq!(
                budget_of(&method, route),
                Some(UserBudget::Writes),
                "{method} {route}"
            );
        }
        for route in ["/search", "/users", "/channels"] {
            assert_eq!(budget_of(&Method::GET, route), Some(UserBudget::Searches));
        }
        assert_eq!(budget_of(&Method::POST, "/rooms/{id}/messages"), None);
        assert_eq!(budget_of(&Method::GET, "/rooms/{id}/messages"), None);
        assert_eq!(budget_of(&Method::GET, "/gateway"), None);
    }
}
