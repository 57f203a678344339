//! Platform services every context uses. Depends on no context.

pub mod clock;
pub mod crypto;
pub mod db;
pub mod entity;
pub mod events;
pub mod http;
pub mod http_range;
pub mod idempotency;
pub mod invalidation;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod pagination;
pub mod ratelimit;
pub mod snapshot;
pub mod storage;
pub mod ttl_map;
