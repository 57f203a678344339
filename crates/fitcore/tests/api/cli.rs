//! The `fitcore` binary itself: configuration checks, migrations,
//! createsuperuser, start-up and graceful shutdown.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("fitcore-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("sandbox dir");
        Self { dir }
    }

    /// The binary with a clean environment: SQLite in the sandbox.
    fn fitcore(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fitcore"));
        c.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FITCORE_DATA_DIR", self.dir.join("data"))
            .env("RUST_LOG", "warn");
        c
    }

    fn data(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn check_explains_what_is_unsafe_in_production() {
    let sb = Sandbox::new();
    let out = sb
        .fitcore(&["check"])
        .env("FITCORE_ENV", "production")
        .env("CORS_ALLOWED_ORIGINS", "*")
        .output()
        .expect("run fitcore check");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SECRET_KEY"), "{stderr}");
    assert!(stderr.contains("CORS_ALLOWED_ORIGINS"), "{stderr}");
    assert!(stderr.contains("EMAIL_URL"), "{stderr}");
}

#[test]
fn serve_refuses_to_start_in_production_with_a_short_secret() {
    let sb = Sandbox::new();
    let out = sb
        .fitcore(&["serve"])
        .env("FITCORE_ENV", "production")
        .env("SECRET_KEY", "too-short")
        .env("EMAIL_URL", "smtp://127.0.0.1:2525")
        .output()
        .expect("run fitcore serve");
    assert!(!out.status.success(), "serve must not start");
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_KEY"));
}

#[test]
fn check_accepts_the_development_defaults() {
    let sb = Sandbox::new();
    let out = sb.fitcore(&["check"]).output().expect("run fitcore check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration is valid"));
}

#[test]
fn migrate_status_lists_every_migration_as_applied_after_up() {
    let sb = Sandbox::new();
    let before = sb.fitcore(&["migrate", "status"]).output().expect("status");
    assert!(String::from_utf8_lossy(&before.stdout).contains("pending"));
    assert!(
        sb.fitcore(&["migrate", "up"])
            .status()
            .expect("up")
            .success()
    );
    let after = sb.fitcore(&["migrate", "status"]).output().expect("status");
    let text = String::from_utf8_lossy(&after.stdout);
    assert!(!text.contains("pending"), "{text}");
    assert!(
        text.lines().filter(|l| l.starts_with("applied")).count() >= 4,
        "{text}"
    );
}

#[test]
fn createsuperuser_rejects_a_weak_password() {
    let sb = Sandbox::new();
    let out = sb
        .fitcore(&[
            "createsuperuser",
            "--email",
            "boss@example.com",
            "--password",
            "12345678",
        ])
        .output()
        .expect("createsuperuser");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
}

#[tokio::test]
async fn a_superuser_signs_in_and_serve_stops_cleanly_on_sigterm() {
    let sb = Sandbox::new();
    let mut create = sb
        .fitcore(&[
            "createsuperuser",
            "--email",
            "boss@example.com",
            "--password",
            "-",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("createsuperuser");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"Quartz-Lantern-42\n")
        .expect("write password");
    assert!(create.wait().expect("wait").success());

    let port = free_port();
    let mut server = sb
        .fitcore(&["serve"])
        .env("FITCORE_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut ready = false;
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "server became ready");

    let login = client
        .post(format!("{base}/api/v1/auth/login/"))
        .json(&serde_json::json!({"email": "boss@example.com", "password": "Quartz-Lantern-42"}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let body: serde_json::Value = login.json().await.expect("json");
    assert_eq!(body["user"]["is_staff"], true);

    // The bundled foods were loaded before the server listened.
    let foods: serde_json::Value = client
        .get(format!("{base}/api/v1/nutrition/foods/?search=butter"))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert!(foods["count"].as_u64().is_some_and(|n| n > 10), "{foods}");

    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = server.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = server.kill();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = status.expect("serve exits after SIGTERM");
    assert!(
        status.success(),
        "serve exits 0 after SIGTERM, got {status:?}"
    );
    assert!(sb.data().join("data/fitcore.db").exists());
}

fn ffmpeg_installed() -> bool {
    ["ffmpeg", "ffprobe"].iter().all(|t| {
        Command::new(t)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn seed_demo_builds_a_playable_catalogue_once() {
    let sb = Sandbox::new();
    let first = sb.fitcore(&["seed", "--demo"]).output().expect("seed");
    let text = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        first.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        text.contains("8 categories created, 12 demo workouts"),
        "{text}"
    );
    let videos = {
        fn count(p: &Path) -> usize {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| {
                            if e.path().is_dir() {
                                count(&e.path())
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        (
            count(&sb.data().join("data/media/videos")),
            count(&sb.data().join("data/media/thumbnails")),
        )
    };
    if ffmpeg_installed() {
        assert!(text.contains("32 videos"), "{text}");
        assert_eq!(videos, (32, 32), "every demo video stored with a thumbnail");
    } else {
        assert!(text.contains("ffmpeg not found"), "{text}");
        assert_eq!(videos.0, 0);
    }
    let again = sb
        .fitcore(&["seed", "--demo"])
        .output()
        .expect("seed again");
    let text = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(
        text.contains("0 categories created, 0 demo workouts"),
        "idempotent: {text}"
    );
}

#[test]
fn import_foods_adds_updates_and_reports_rejected_rows() {
    let sb = Sandbox::new();
    let file = sb.data().join("foods.csv");
    std::fs::write(
        &file,
        "ndb_no,name,category,energy_kcal,protein_g,carbohydrate_g,fat_g,fiber_g,sugars_g,sodium_mg\n\
         90001,House granola,Breakfast Cereals,450,10,60,18,7,,20\n\
         90002,Broken bar,Snacks,-5,1,1,1,,,\n\
         90003,Impossible oil,Fats and Oils,1500,0,0,100,,,\n\
         90004,,Snacks,100,1,1,1,,,\n",
    )
    .expect("write csv");
    let path = file.to_string_lossy().to_string();
    let out = sb
        .fitcore(&["import-foods", &path])
        .output()
        .expect("import");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 inserted, 0 updated, 3 rejected"), "{text}");
    assert!(
        text.contains("line 3: energy_kcal -5 is negative"),
        "{text}"
    );
    assert!(text.contains("line 4:") && text.contains("902"), "{text}");
    assert!(text.contains("line 5: name is missing"), "{text}");
    let again = sb
        .fitcore(&["import-foods", &path])
        .output()
        .expect("import again");
    let text = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(text.contains("0 inserted, 1 updated, 3 rejected"), "{text}");
}
