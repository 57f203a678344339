pub mod subscription;
pub mod transaction;
