//! FitCore's integration tests: one binary, every test on its own server and
//! its own fresh database (SQLite by default; PostgreSQL when
//! `FITCORE_TEST_DATABASE_URL=postgres://...` names an admin connection).
//!
//! Mail goes to a real SMTP listener started by the harness, OAuth ID tokens
//! are minted locally and checked by the server against a local JWKS server.

mod fakes;
mod helpers;

mod auth;
mod checkout;
mod cli;
mod conventions;
mod dashboard;
mod llm;
mod memory_snapshots;
mod notifications;
mod nutrition_foods;
mod nutrition_generate;
mod nutrition_meals;
mod nutrition_plan_cache;
mod payments;
mod paypal;
mod permissions;
mod platform;
mod production;
mod storage;
mod users;
mod workouts;
mod workouts_progress;
mod workouts_stream;
