//! The state file: who the bench's users are and which rooms it built, so a
//! later run reuses them instead of registering thousands of users again
//! (argon2 makes each registration tens of milliseconds of server CPU).
//!
//! Written atomically (temporary file, then rename) after every change, so an
//! interrupted setup keeps what it had done.

use anyhow::Context;
use hearth_protocol::{RoomId, UserId};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchState {
    /// The server these users live on; a state file for another server is refused.
    pub url: String,
    /// Prefix of every username, unique per state file.
    pub prefix: String,
    /// Every bench user has this password.
    pub password: String,
    pub users: Vec<BenchUser>,
    #[serde(default)]
    pub layouts: Vec<Layout>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchUser {
    pub username: String,
    pub id: UserId,
    #[serde(default)]
    pub access_token: Option<String>,
    /// Unix seconds at which `access_token` expires.
    #[serde(default)]
    pub access_expires_at: u64,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// R rooms of C members each, built by `setup` and found again by scenarios.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Layout {
    pub members_per_room: usize,
    pub rooms: Vec<BenchRoom>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchRoom {
    pub id: RoomId,
    pub name: String,
    /// Indices into [`BenchState::users`]; the first is the owner.
    pub members: Vec<usize>,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl BenchState {
    /// A new, empty state with a fresh username prefix.
    pub fn new(url: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            url: url.to_string(),
            // Base 36 of the clock: short, and distinct between state files.
            prefix: format!("b{}", base36((nanos / 1_000_000) as u64 % 36u64.pow(8))),
            password: "bench-password-0123".into(),
            users: Vec::new(),
            layouts: Vec::new(),
        }
    }

    /// Loads `path` if it exists and belongs to `url`; otherwise a new state.
    pub fn load_or_new(path: &Path, url: &str) -> anyhow::Result<Self> {
        if !path.exists() {
            return Ok(Self::new(url));
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let state: BenchState =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        anyhow::ensure!(
            state.url.trim_end_matches('/') == url.trim_end_matches('/'),
            "{} was made for {}, not {url}: pass another --state",
            path.display(),
            state.url
        );
        Ok(state)
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self)?;
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(())
    }

    pub fn username(&self, index: usize) -> String {
        format!("{}u{index:06}", self.prefix)
    }

    /// The layout with exactly `members` per room and at least `rooms` rooms.
    pub fn layout(&self, rooms: usize, members: usize) -> Option<&Layout> {
        self.layouts
            .iter()
            .find(|l| l.members_per_room == members && l.rooms.len() >= rooms)
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The C members of room `r` among `n` users: a window of consecutive users
/// starting at `r * C`, wrapping around. With `R * C <= n` rooms are disjoint.
pub fn room_members(r: usize, c: usize, n: usize) -> Vec<usize> {
    let start = (r * c) % n.max(1);
    (0..c.min(n)).map(|j| (start + j) % n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_valid_hearth_usernames() {
        let s = BenchState::new("http://127.0.0.1:8080");
        let u = s.username(123_456);
        assert!(u.len() <= 32 && u.len() >= 3, "{u}");
        assert!(
            u.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn rooms_are_disjoint_while_users_last() {
        assert_eq!(room_members(0, 3, 10), vec![0, 1, 2]);
        assert_eq!(room_members(1, 3, 10), vec![3, 4, 5]);
        assert_eq!(room_members(3, 3, 10), vec![9, 0, 1]);
        assert_eq!(room_members(0, 20, 10).len(), 10);
    }
}
