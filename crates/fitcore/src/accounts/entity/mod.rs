pub mod email_verification;
pub mod oauth_identity;
pub mod profile;
pub mod recovery_code;
pub mod refresh_token;
pub mod user;
