//! Cluster-wide presence: a user is online while any node has an active
//! session of theirs, idle while every node that has one says idle, offline
//! otherwise — and offline within the TTL when the node holding their last
//! session crashes.
//!
//! Each node keeps its own view of its users (`service::presence`, with its
//! reload grace) and reports every change here. In Redis, per user:
//!
//! - `{prefix}:presence:{user}`, a hash: node id → `"{online|idle}|{expiry ms}"`;
//! - `{prefix}:presence:expiry`, one sorted set for all users: `"{user}|{node}"`
//!   scored by that entry's expiry.
//!
//! A node re-writes its entries every TTL/3 (the heartbeat); the scripts
//! below use Redis's clock, so nodes' clocks need not agree. Every change is
//! one script that also returns the cluster-wide status before and after it,
//! and the node that changed it announces the result when it differs. Every
//! node also sweeps the sorted set for expired entries (a crashed node's): a
//! script removes each exactly once, and the node that removed it announces
//! the user's new status — usually offline.
//!
//! While Redis is down, changes are not shared (and not announced beyond
//! this node); the heartbeat writes this node's view again once it is back.

use crate::events::Bus;
use crate::hub::Audience;
use async_trait::async_trait;
use hearth_protocol::UserId;
use hearth_protocol::gateway::{PresenceEvent, PresenceStatus, ServerEvent};
use hearth_store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use super::link::RedisLink;

/// Presence kept across nodes (cluster mode).
#[async_trait::async_trait]
pub trait SharedPresence: Send + Sync {
    /// This node's view of `user` changed (called in order of change); the
    /// backend records it and announces the cluster-wide status if that
    /// changed.
    fn node_status(&self, user: UserId, status: PresenceStatus);
    /// The cluster-wide presence of those of `users` who are not offline;
    /// `None` when it cannot be read (this node's view is used instead).
    async fn snapshot(&self, users: &[UserId]) -> Option<Vec<PresenceEvent>>;
}

/// Lua shared by the scripts: Redis's clock, and a user's status from the
/// entries of their hash that have not expired (skipping one node's).
macro_rules! lua_prelude {
    () => {
        r#"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function status_of(entry)
  local sep = string.find(entry, '|', 1, true)
  if not sep then return nil, 0 end
  return string.sub(entry, 1, sep - 1), tonumber(string.sub(entry, sep + 1)) or 0
end
local function aggregate(h, now, skip)
  local best = 'offline'
  local fields = redis.call('HGETALL', h)
  for i = 1, #fields, 2 do
    if fields[i] ~= skip then
      local status, expiry = status_of(fields[i + 1])
      if status and expiry > now then
        if status == 'online' then return 'online' end
        best = 'idle'
      end
    end
  end
  return best
end
"#
    };
}

/// KEYS: the user's hash, the expiry set. ARGV: node, status ('' removes the
/// node's entry), ttl ms, expiry-set member. Returns {before, after}.
const SET_SCRIPT: &str = concat!(
    lua_prelude!(),
    r#"
local now = now_ms()
local before = aggregate(KEYS[1], now, nil)
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  local ttl = tonumber(ARGV[3])
  local expiry = now + ttl
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. expiry)
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('ZADD', KEYS[2], expiry, ARGV[4])
end
return {before, aggregate(KEYS[1], now, nil)}
"#
);

/// KEYS: the expiry set. ARGV: hash key prefix, node, ttl ms, then user and
/// status pairs. Refreshes this node's entries.
const HEARTBEAT_SCRIPT: &str = concat!(
    lua_prelude!(),
    r#"
local now = now_ms()
local ttl = tonumber(ARGV[3])
local expiry = now + ttl
for i = 4, #ARGV - 1, 2 do
  local h = ARGV[1] .. ARGV[i]
  redis.call('HSET', h, ARGV[2], ARGV[i + 1] .. '|' .. expiry)
  redis.call('PEXPIRE', h, ttl * 2)
  redis.call('ZADD', KEYS[1], expiry, ARGV[i] .. '|' .. ARGV[2])
end
return 1
"#
);

/// KEYS: the expiry set. ARGV: hash key prefix, most entries to take.
/// Removes expired entries; returns {user, status, …} for each user whose
/// cluster-wide status that changed.
const SWEEP_SCRIPT: &str = concat!(
    lua_prelude!(),
    r#"
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  if sep then
    local user = string.sub(member, 1, sep - 1)
    local node = string.sub(member, sep + 1)
    local h = ARGV[1] .. user
    local entry = redis.call('HGET', h, node)
    local before = 'unknown'
    if entry then
      local status = status_of(entry)
      local others = aggregate(h, now, node)
      if others == 'online' or status == 'online' then before = 'online' else before = 'idle' end
      redis.call('HDEL', h, node)
    end
    local after = aggregate(h, now, nil)
    if before ~= after then
      table.insert(out, user)
      table.insert(out, after)
    end
  end
end
return out
"#
);

/// Users refreshed per heartbeat script call.
const HEARTBEAT_BATCH: usize = 500;
/// Expired entries taken per sweep script call.
const SWEEP_BATCH: usize = 200;

pub struct ClusterPresence {
    link: Arc<RedisLink>,
    node_id: String,
    ttl: Duration,
    changes: mpsc::UnboundedSender<(UserId, PresenceStatus)>,
    /// Set by [`ClusterPresence::halt`]: the node stops writing, as if it
    /// had crashed.
    halted: AtomicBool,
}

/// What the background task owns.
struct Worker {
    presence: Arc<ClusterPresence>,
    bus: Arc<dyn Bus>,
    store: Arc<dyn Store>,
    /// Presence goes through rooms of at most this many members.
    room_limit: u32,
    set: redis::Script,
    heartbeat: redis::Script,
    sweep: redis::Script,
    /// This node's view, as last reported: what the heartbeat refreshes.
    statuses: HashMap<UserId, &'static str>,
    /// Users whose last change could not be shared (Redis was away): shared
    /// (and announced, if it changed the cluster-wide status) on the next
    /// heartbeat that reaches Redis.
    unshared: HashSet<UserId>,
}

impl ClusterPresence {
    /// Starts the task that writes changes, heartbeats and sweeps until
    /// `stop` turns true. Announcements go out through `bus`.
    pub fn start(
        link: Arc<RedisLink>,
        node_id: &str,
        ttl: Duration,
        bus: Arc<dyn Bus>,
        store: Arc<dyn Store>,
        room_limit: u32,
        stop: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let (changes, queued) = mpsc::unbounded_channel();
        let presence = Arc::new(Self {
            link,
            node_id: node_id.to_string(),
            ttl,
            changes,
            halted: AtomicBool::new(false),
        });
        let worker = Worker {
            presence: presence.clone(),
            bus,
            store,
            room_limit,
            set: redis::Script::new(SET_SCRIPT),
            heartbeat: redis::Script::new(HEARTBEAT_SCRIPT),
            sweep: redis::Script::new(SWEEP_SCRIPT),
            statuses: HashMap::new(),
            unshared: HashSet::new(),
        };
        tokio::spawn(worker.run(queued, stop));
        presence
    }

    /// Stops every write of this node — changes, heartbeats, sweeps — without
    /// saying goodbye: what a crash looks like to the others.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::Release);
    }

    fn hash_prefix(&self) -> String {
        self.link.key("presence:")
    }

    fn user_key(&self, user: UserId) -> String {
        format!("{}{user}", self.hash_prefix())
    }

    fn expiry_key(&self) -> String {
        self.link.key("presence:expiry")
    }

    async fn read_snapshot(&self, users: &[UserId]) -> redis::RedisResult<Vec<PresenceEvent>> {
        let mut pipe = redis::pipe();
        pipe.cmd("TIME");
        for &user in users {
            pipe.cmd("HGETALL").arg(self.user_key(user));
        }
        let mut conn = self.link.conn();
        let mut replies: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        if replies.len() != users.len() + 1 {
            return Ok(Vec::new());
        }
        let hashes = replies.split_off(1);
        let (secs, micros): (i64, i64) = redis::from_redis_value(replies.remove(0))?;
        let now_ms = secs * 1000 + micros / 1000;
        let mut found = Vec::new();
        for (&user, hash) in users.iter().zip(hashes) {
            let entries: HashMap<String, String> = redis::from_redis_value(hash)?;
            let status = aggregate(entries.values().map(String::as_str), now_ms);
            if status != PresenceStatus::Offline {
                found.push(PresenceEvent {
                    user_id: user,
                    status,
                    last_seen: None,
                });
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl SharedPresence for ClusterPresence {
    fn node_status(&self, user: UserId, status: PresenceStatus) {
        if !self.halted.load(Ordering::Acquire) {
            // Fails only once the worker stopped (shutdown).
            let _ = self.changes.send((user, status));
        }
    }

    async fn snapshot(&self, users: &[UserId]) -> Option<Vec<PresenceEvent>> {
        if users.is_empty() {
            return Some(Vec::new());
        }
        match self.read_snapshot(users).await {
            Ok(found) => Some(found),
            Err(e) => {
                tracing::warn!(error = %e, "presence: cannot read cluster presence");
                None
            }
        }
    }
}

impl Worker {
    async fn run(
        mut self,
        mut queued: mpsc::UnboundedReceiver<(UserId, PresenceStatus)>,
        mut stop: watch::Receiver<bool>,
    ) {
        let ttl = self.presence.ttl;
        let mut heartbeat = tokio::time::interval(ttl / 3);
        let mut sweep = tokio::time::interval((ttl / 4).max(Duration::from_millis(250)));
        for timer in [&mut heartbeat, &mut sweep] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        loop {
            if self.presence.halted.load(Ordering::Acquire) {
                return;
            }
            tokio::select! {
                change = queued.recv() => match change {
                    Some((user, status)) => self.apply(user, status).await,
                    None => return,
                },
                _ = heartbeat.tick() => self.refresh().await,
                _ = sweep.tick() => self.sweep().await,
                _ = super::stopped(&mut stop) => return,
            }
        }
    }

    async fn apply(&mut self, user: UserId, status: PresenceStatus) {
        let node_status = match status {
            PresenceStatus::Online | PresenceStatus::Active => "online",
            PresenceStatus::Idle => "idle",
            PresenceStatus::Offline => "",
        };
        if node_status.is_empty() {
            self.statuses.remove(&user);
        } else if self.statuses.insert(user, node_status) == Some(node_status) {
            return;
        }
        self.share(user, node_status).await;
    }

    /// Writes this node's status of `user` ('' for none) and announces the
    /// cluster-wide status if it changed; false if Redis did not answer.
    async fn share(&mut self, user: UserId, node_status: &str) -> bool {
        let p = &self.presence;
        let mut conn = p.link.conn();
        let result: redis::RedisResult<(String, String)> = self
            .set
            .key(p.user_key(user))
            .key(p.expiry_key())
            .arg(&p.node_id)
            .arg(node_status)
            .arg(ttl_ms(p.ttl))
            .arg(format!("{user}|{}", p.node_id))
            .invoke_async(&mut conn)
            .await;
        match result {
            Ok((before, after)) => {
                self.unshared.remove(&user);
                if before != after {
                    self.announce(user, &after).await;
                }
                true
            }
            Err(e) => {
                self.unshared.insert(user);
                tracing::warn!(error = %e, %user, "presence: cannot share a change");
                false
            }
        }
    }

    async fn refresh(&mut self) {
        // Changes Redis missed first: the heartbeat below would write them
        // without telling anyone.
        let unshared: Vec<UserId> = self.unshared.iter().copied().collect();
        for user in unshared {
            let node_status = self.statuses.get(&user).copied().unwrap_or("");
            if !self.share(user, node_status).await {
                return;
            }
        }
        if self.statuses.is_empty() {
            return;
        }
        let p = &self.presence;
        let entries: Vec<(&UserId, &&str)> = self.statuses.iter().collect();
        for batch in entries.chunks(HEARTBEAT_BATCH) {
            let mut invocation = self.heartbeat.key(p.expiry_key());
            invocation
                .arg(p.hash_prefix())
                .arg(&p.node_id)
                .arg(ttl_ms(p.ttl));
            for (user, status) in batch {
                invocation.arg(user.to_string()).arg(**status);
            }
            let mut conn = p.link.conn();
            let done: redis::RedisResult<i64> = invocation.invoke_async(&mut conn).await;
            if let Err(e) = done {
                tracing::warn!(error = %e, "presence: heartbeat failed");
                return;
            }
        }
    }

    async fn sweep(&mut self) {
        let p = &self.presence;
        let mut conn = p.link.conn();
        let swept: redis::RedisResult<Vec<String>> = self
            .sweep
            .key(p.expiry_key())
            .arg(p.hash_prefix())
            .arg(SWEEP_BATCH)
            .invoke_async(&mut conn)
            .await;
        let swept = match swept {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "presence: sweep failed");
                return;
            }
        };
        for pair in swept.chunks_exact(2) {
            match pair[0].parse::<uuid::Uuid>() {
                Ok(user) => {
                    tracing::info!(user = %pair[0], status = %pair[1], "presence: a node's entry expired");
                    self.announce(UserId(user), &pair[1]).await;
                }
                Err(e) => tracing::warn!(error = %e, "presence: bad user id in Redis"),
            }
        }
    }

    /// Tells the user and everyone sharing a small room (at most
    /// `presence_room_limit` members) with them.
    async fn announce(&self, user: UserId, status: &str) {
        let status = match status {
            "online" => PresenceStatus::Online,
            "idle" => PresenceStatus::Idle,
            _ => PresenceStatus::Offline,
        };
        let shared = self
            .store
            .users_sharing_rooms(user, i64::from(self.room_limit))
            .await;
        let mut audience = match shared {
            Ok(users) => users,
            Err(e) => {
                tracing::warn!(error = %e, "presence audience lookup failed");
                Vec::new()
            }
        };
        audience.push(user);
        let last_seen = (status == PresenceStatus::Offline).then(OffsetDateTime::now_utc);
        self.bus.publish(
            Audience::Users { user_ids: audience },
            ServerEvent::Presence(PresenceEvent {
                user_id: user,
                status,
                last_seen,
            }),
        );
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

/// A user's status from their entries (`"{status}|{expiry ms}"`) at `now_ms`,
/// as the Lua `aggregate` computes it.
fn aggregate<'a>(entries: impl IntoIterator<Item = &'a str>, now_ms: i64) -> PresenceStatus {
    let mut best = PresenceStatus::Offline;
    for entry in entries {
        let Some((status, expiry)) = entry.split_once('|') else {
            continue;
        };
        if expiry.parse::<i64>().is_ok_and(|e| e > now_ms) {
            match status {
                "online" => return PresenceStatus::Online,
                "idle" => best = PresenceStatus::Idle,
                _ => {}
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_present_unexpired_entry_wins() {
        assert_eq!(aggregate([], 10), PresenceStatus::Offline);
        assert_eq!(aggregate(["idle|20"], 10), PresenceStatus::Idle);
        assert_eq!(
            aggregate(["idle|20", "online|30"], 10),
            PresenceStatus::Online
        );
        assert_eq!(aggregate(["online|5", "idle|20"], 10), PresenceStatus::Idle);
        assert_eq!(aggregate(["online|5", "junk"], 10), PresenceStatus::Offline);
    }
}
