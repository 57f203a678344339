//! The `fitcore` command line.

use crate::{
    accounts::{password, service},
    app::{self, AppState},
    config::Config,
    platform::clock::SystemClock,
};
use clap::{Parser, Subcommand};
use migration::MigratorTrait;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use std::{io::Read, sync::Arc};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "fitcore",
    version,
    about = "FitCore: the backend of an AI-powered fitness app"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the HTTP API (applies migrations first, runs job workers in-process).
    Serve {
        /// Do not apply pending migrations at start.
        #[arg(long)]
        no_migrate: bool,
        /// Job workers to run in this process (0: leave jobs to `fitcore worker`).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Run background jobs only (scale these out beside `serve`).
    Worker {
        /// Jobs run at once by this process.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create a staff superuser (or promote an existing user).
    Createsuperuser {
        #[arg(long)]
        email: String,
        /// The password; omit to be prompted, or pass `-` to read it from stdin.
        #[arg(long)]
        password: Option<String>,
    },
    /// Import public foods from a CSV with the bundled table's columns
    /// (ndb_no, name, category, energy_kcal, protein_g, carbohydrate_g,
    /// fat_g, fiber_g, sugars_g, sodium_mg, ...); prints rejected rows and why.
    ImportFoods { file: std::path::PathBuf },
    /// Validate the configuration and say what is wrong.
    Check,
    /// Load the bundled data: the USDA foods and the standard workout
    /// categories (idempotent).
    Seed {
        /// Also add a demo catalogue of a dozen workouts with short
        /// generated videos (needs ffmpeg for the videos).
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// List migrations and whether each is applied.
    Status,
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if config.is_production() {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

async fn state(config: Config) -> anyhow::Result<AppState> {
    AppState::new(config, Arc::new(SystemClock)).await
}

fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        tracing::info!("shutting down: no new requests; finishing the ones in flight");
        t.cancel();
    });
    token
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load().map_err(anyhow::Error::msg)?;
    init_tracing(&config);
    match cli.command.unwrap_or(Command::Serve {
        no_migrate: false,
        workers: None,
    }) {
        Command::Check => {
            let problems = config.problems();
            if problems.is_empty() {
                println!(
                    "configuration is valid ({:?}, database {})",
                    config.env,
                    redact(&config.database_url())
                );
                let db = crate::platform::db::connect(&config).await;
                match db {
                    Ok(_) => println!("database reachable"),
                    Err(e) => anyhow::bail!("database is not reachable: {e}"),
                }
                Ok(())
            } else {
                for p in &problems {
                    eprintln!("- {p}");
                }
                anyhow::bail!("{} configuration problem(s)", problems.len())
            }
        }
        Command::Migrate { action } => {
            let db = crate::platform::db::connect(&config).await?;
            match action {
                MigrateAction::Up => {
                    crate::migrate_up(&db).await?;
                    println!("migrations applied");
                }
                MigrateAction::Status => {
                    let applied: Vec<String> = migration::Migrator::get_applied_migrations(&db)
                        .await?
                        .iter()
                        .map(|m| m.name().to_string())
                        .collect();
                    for m in migration::Migrator::migrations() {
                        let name = m.name().to_string();
                        let mark = if applied.contains(&name) {
                            "applied"
                        } else {
                            "pending"
                        };
                        println!("{mark:8} {name}");
                    }
                }
            }
            Ok(())
        }
        Command::Createsuperuser {
            email,
            password: pw,
        } => {
            let pw = match pw.as_deref() {
                Some("-") => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\n', '\r']).to_string()
                }
                Some(p) => p.to_string(),
                None => {
                    let a = rpassword::prompt_password("Password: ")?;
                    let b = rpassword::prompt_password("Password (again): ")?;
                    if a != b {
                        anyhow::bail!("the passwords do not match");
                    }
                    a
                }
            };
            let state = state(config).await?;
            crate::migrate_up(&state.db).await?;
            create_superuser(&state, &email, pw).await
        }
        Command::Seed { demo } => {
            let state = state(config).await?;
            crate::migrate_up(&state.db).await?;
            let foods =
                crate::nutrition::food_data::ensure_bundled(&state.db, state.clock.as_ref())
                    .await
                    .map_err(|e| anyhow::anyhow!("loading the bundled foods failed: {e}"))?;
            println!("seed: {foods} bundled foods loaded");
            let r = crate::workouts::demo::seed(&state, demo)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e:?}"))?;
            // Thumbnails and durations of the demo videos, now.
            while crate::platform::jobs::run_due_jobs(&state).await? > 0 {}
            println!(
                "seed: {} categories created, {} demo workouts, {} videos{}",
                r.categories_created,
                r.workouts_created,
                r.videos_created,
                if demo && !r.ffmpeg {
                    " (ffmpeg not found: demo workouts have no videos)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::ImportFoods { file } => {
            let state = state(config).await?;
            crate::migrate_up(&state.db).await?;
            let data = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let r = crate::nutrition::food_data::import(&state.db, state.clock.as_ref(), data)
                .await
                .map_err(|e| anyhow::anyhow!("import failed: {e}"))?;
            println!(
                "import-foods: {} inserted, {} updated, {} rejected",
                r.inserted,
                r.updated,
                r.rejected.len()
            );
            for (line, why) in &r.rejected {
                println!("  line {line}: {why}");
            }
            Ok(())
        }
        Command::Worker { concurrency } => {
            let state = state(config).await?;
            let token = shutdown_signal();
            app::run_workers(state, concurrency, token).await;
            Ok(())
        }
        Command::Serve {
            no_migrate,
            workers,
        } => {
            let started = std::time::Instant::now();
            let bind = config.bind.clone();
            let state = state(config).await?;
            if !no_migrate {
                crate::migrate_up(&state.db).await?;
            }
            // The bundled food table, the first time (before listening, so
            // the first search already finds it).
            load_bundled_foods(&state).await;
            let listener = tokio::net::TcpListener::bind(&bind).await?;
            let addr = listener.local_addr()?;
            let token = shutdown_signal();
            let concurrency = workers.unwrap_or(state.config.worker_concurrency);
            let worker = (concurrency > 0)
                .then(|| tokio::spawn(app::run_workers(state.clone(), concurrency, token.clone())));
            tracing::info!(
                "FitCore listening on http://{addr} (ready in {} ms); API docs at http://{addr}/api/docs/",
                started.elapsed().as_millis()
            );
            let stop = token.clone();
            app::serve(listener, state, async move { stop.cancelled().await }).await?;
            if let Some(w) = worker {
                let _ = w.await;
            }
            Ok(())
        }
    }
}

async fn load_bundled_foods(state: &AppState) {
    let started = std::time::Instant::now();
    match crate::nutrition::food_data::ensure_bundled(&state.db, state.clock.as_ref()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            "loaded {n} bundled USDA SR28 foods in {} ms",
            started.elapsed().as_millis()
        ),
        // Another instance starting at the same time loaded them.
        Err(e) if crate::platform::db::is_unique_violation(&e) => {}
        Err(e) => tracing::warn!(error = %e, "the bundled foods could not be loaded"),
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

async fn create_superuser(state: &AppState, email: &str, pw: String) -> anyhow::Result<()> {
    if !service::is_valid_email(email) {
        anyhow::bail!("`{email}` is not a valid e-mail address");
    }
    let problems = password::policy_errors(&pw, email);
    if !problems.is_empty() {
        anyhow::bail!("password refused: {}", problems.join(" "));
    }
    let hash = password::hash_blocking(pw).await?;
    let now = state.now();
    let user = match service::find_by_email(&state.db, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        Some(u) => u,
        None => service::create_user(
            &state.db,
            now,
            email,
            None,
            String::new(),
            String::new(),
            true,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let mut am: crate::accounts::entity::user::ActiveModel = user.into();
    am.password_hash = Set(Some(hash));
    am.is_staff = Set(true);
    am.is_superuser = Set(true);
    am.is_active = Set(true);
    am.is_email_verified = Set(true);
    am.updated_at = Set(now);
    let u = am.update(&state.db).await?;
    state.user_changed(u.id);
    println!("superuser {} (id {}) is ready", u.email, u.id);
    Ok(())
}
