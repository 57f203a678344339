pub mod payment_event;
pub mod subscription;
pub mod transaction;
