//! Local stand-ins for the services FitCore talks to, speaking their real wire
//! formats: an SMTP server and an OAuth JWKS endpoint.

pub mod oauth;
pub mod openai;
pub mod paypal;
pub mod s3;
pub mod smtp;
pub mod stripe;
