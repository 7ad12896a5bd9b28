//! Cluster mode end to end: several nodes in one process on one PostgreSQL
//! database and one Redis, clients spread across them.
//!
//! - [`delivery`]: messages, membership and idempotent sends across nodes;
//! - [`presence`]: presence and typing across nodes;
//! - [`bus_failure`]: Redis dies and comes back while messages flow;
//! - [`node_loss`]: a node crashes; its clients move, its users' presence ends;
//! - [`limits`]: login rate limits shared by the nodes;
//! - [`migration`]: a single-node SQLite install moved to PostgreSQL;
//! - [`store_outage`]: PostgreSQL goes away under a node and comes back.

mod bus_failure;
mod delivery;
mod limits;
mod migration;
mod node_loss;
mod presence;
mod store_outage;
mod support;
