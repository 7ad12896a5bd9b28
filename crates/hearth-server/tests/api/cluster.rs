//! Cluster mode end to end: several nodes in one process on one PostgreSQL
//! database and one Redis, clients spread across them.
//!
//! - [`delivery`]: messages, membership and idempotent sends across nodes;
//! - [`presence`]: presence and typing across nodes;
//! - [`bus_failure`]: Redis dies and comes back while messages flow;
//! - [`node_loss`]: a node crashes; its clients move, its users' presence ends;
//! - [`limits`]: login rate limits shared by the nodes;
//! - [`migration`]: a single-node SQLite install moved to PostgreSQL;
//! - [`store_outage`]: PostgreSQL goes away under a node and comes back;
//! - [`secrets`]: nodes must be given the same secrets.
//!
//! Faults under load, each asserting that no acknowledged message is lost
//! or duplicated and every client catches up (docs/operations.md, "What
//! survives a fault"):
//!
//! - [`sigkill`]: a real `hearth` process SIGKILLed mid-burst;
//! - [`bus_pause`]: Redis frozen (`DEBUG SLEEP`) mid-burst;
//! - [`store_restart`]: PostgreSQL cut and restored mid-burst;
//! - [`reconnects`]: 1,000 reconnects of a client during a burst.

mod burst;
mod bus_failure;
mod bus_pause;
mod delivery;
mod limits;
mod migration;
mod node_loss;
mod presence;
mod process;
mod reconnects;
mod revocation;
mod secrets;
mod sigkill;
mod store_outage;
mod store_restart;
mod support;
