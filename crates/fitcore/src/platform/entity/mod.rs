pub mod idempotency_key;
pub mod job;
