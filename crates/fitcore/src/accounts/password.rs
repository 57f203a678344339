//! Password hashing (argon2id, OWASP parameters), Django hash import, and
//! the password policy of API.md.

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{self, PasswordHash, PasswordVerifier, SaltString},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use std::collections::HashSet;
use std::sync::LazyLock;

const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn argon2_with(m: u32, t: u32, p: u32) -> Option<Argon2<'static>> {
    let params = Params::new(m, t, p, Some(32)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

thread_local! {
    /// Argon2's working memory, kept per hashing thread instead of being
    /// allocated and freed (19 MiB) for every hash.
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Argon2id of `password` with `salt`, in this thread's reusable memory.
fn argon2id_raw(password: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> Option<[u8; 32]> {
    let a = argon2_with(m, t, p)?;
    let blocks = a.params().block_count();
    // Refuse absurd stored parameters rather than allocate gigabytes.
    if blocks > 256 * 1024 {
        return None;
    }
    MEMORY.with(|cell| {
        let mut mem = cell.borrow_mut();
        if mem.len() < blocks {
            mem.resize(blocks, Block::default());
        }
        let mut out = [0u8; 32];
        a.hash_password_into_with_memory(password, salt, &mut out, &mut mem[..blocks])
            .ok()?;
        Some(out)
    })
}

/// A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    let salt = SaltString::encode_b64(&raw).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let out = argon2id_raw(password.as_bytes(), &raw, M_COST, T_COST, P_COST)
        .ok_or_else(|| anyhow::anyhow!("hashing failed"))?;
    let out = password_hash::Output::new(&out).map_err(|e| anyhow::anyhow!("hash output: {e}"))?;
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${out}",
        salt.as_str()
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but stored in an older scheme: re-hash it.
    YesUpgrade,
}

/// Checks a password against an argon2 PHC string or a Django
/// `pbkdf2_sha256$iterations$salt$hash`.
pub fn verify(password: &str, stored: &str) -> Verified {
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        return if verify_django_pbkdf2(password, rest) {
            Verified::YesUpgrade
        } else {
            Verified::No
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        // argon2i/argon2d from elsewhere: the library's own path, then upgrade.
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        return if ok {
            Verified::YesUpgrade
        } else {
            Verified::No
        };
    }
    let param = |name: &str| parsed.params.get_decimal(name);
    let (Some(m), Some(t), Some(p)) = (param("m"), param("t"), param("p")) else {
        return Verified::No;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Verified::No;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return Verified::No;
    };
    if expected.len() != 32 || parsed.version.is_some_and(|v| v != 0x13) {
        return Verified::No;
    }
    match argon2id_raw(password.as_bytes(), salt, m, t, p) {
        Some(out) if crate::platform::crypto::constant_time_eq(&out, expected.as_bytes()) => {
            if (m, t, p) == (M_COST, T_COST, P_COST) {
                Verified::Yes
            } else {
                Verified::YesUpgrade
            }
        }
        _ => Verified::No,
    }
}

fn verify_django_pbkdf2(password: &str, rest: &str) -> bool {
    let mut parts = rest.splitn(3, '$');
    let (Some(iter), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(iterations) = iter.parse::<u32>() else {
        return false;
    };
    if iterations == 0 || iterations > 10_000_000 {
        return false;
    }
    let Ok(expected) = STANDARD.decode(expected) else {
        return false;
    };
    if expected.len() != 32 {
        return false;
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
    crate::platform::crypto::constant_time_eq(&out, &expected)
}

/// A hash of a random password: verifying against it costs what a real
/// verification costs, so unknown e-mails take as long as wrong passwords.
pub static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash(&crate::platform::crypto::random_token(24)).unwrap_or_default());

type Job = Box<dyn FnOnce() + Send>;

/// A few threads that do nothing but hash. Argon2 takes 19 MiB per hash;
/// on tokio's blocking pool each short-lived thread keeps such blocks in
/// its own malloc arena, and a burst of logins grows the process by
/// gigabytes (measured: 1.9 GB after 100 registrations). Here memory stays
/// at a few arenas whatever the load.
static HASHERS: LazyLock<std::sync::mpsc::Sender<Job>> = LazyLock::new(|| {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    for i in 0..threads {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("fitcore-hash-{i}"))
            .spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a password hashing thread");
        }
    }
    tx
});

async fn on_hashers<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    HASHERS
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .map_err(|_| anyhow::anyhow!("password hashing threads are gone"))?;
    Ok(rx.await?)
}

pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    on_hashers(move || hash(&password)).await?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> Verified {
    let res = on_hashers(move || match stored {
        Some(s) if !s.is_empty() => verify(&password, &s),
        _ => {
            let _ = verify(&password, &DUMMY_HASH);
            Verified::No
        }
    })
    .await;
    res.unwrap_or(Verified::No)
}

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../assets/common-passwords.txt")
        .lines()
        .map(str::trim)
        .collect()
});

/// The password policy; each broken rule is one message.
pub fn policy_errors(password: &str, email: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars = password.chars().count();
    if chars < 8 {
        out.push("This password is too short. It must contain at least 8 characters.".into());
    }
    if chars > 128 {
        out.push("This password is too long. It must contain at most 128 characters.".into());
    }
    if !password.is_empty() && password.chars().all(|c| c.is_ascii_digit()) {
        out.push("This password is entirely numeric.".into());
    }
    if COMMON.contains(password.to_lowercase().trim()) {
        out.push("This password is too common.".into());
    }
    if too_similar(password, email) {
        out.push("The password is too similar to the email.".into());
    }
    out
}

/// Django's UserAttributeSimilarityValidator: the e-mail, and its parts,
/// compared with SequenceMatcher's ratio at 0.7.
fn too_similar(password: &str, email: &str) -> bool {
    let pw = password.to_lowercase();
    let email = email.to_lowercase();
    let mut candidates = vec![email.clone()];
    candidates.extend(
        email
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.len() >= 3)
            .map(String::from),
    );
    candidates.iter().any(|c| sequence_ratio(&pw, c) >= 0.7)
}

/// Ratcliff/Obershelp similarity, as Python's difflib.SequenceMatcher.ratio.
pub fn sequence_ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    fn matches(a: &[char], b: &[char]) -> usize {
        // Longest common block, then recurse on both sides.
        let (mut best, mut bi, mut bj) = (0, 0, 0);
        let mut prev = vec![0usize; b.len() + 1];
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![0usize; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                if ca == cb {
                    cur[j + 1] = prev[j] + 1;
                    if cur[j + 1] > best {
                        best = cur[j + 1];
                        bi = i + 1 - best;
                        bj = j + 1 - best;
                    }
                }
            }
            prev = cur;
        }
        if best == 0 {
            return 0;
        }
        best + matches(&a[..bi], &b[..bj]) + matches(&a[bi + best..], &b[bj + best..])
    }
    2.0 * matches(&a, &b) as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_verify_and_are_current() {
        let h = hash("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse battery", &h), Verified::Yes);
        assert_eq!(verify("wrong", &h), Verified::No);
    }

    #[test]
    fn our_phc_strings_are_the_argon2_crates_own() {
        use argon2::PasswordHasher;
        let ours = hash("interop-check").unwrap_or_default();
        let parsed = PasswordHash::new(&ours).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            Argon2::default()
                .verify_password(b"interop-check", &parsed)
                .is_ok()
        );

        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap_or_else(|e| panic!("{e}"));
        let theirs = argon2_with(M_COST, T_COST, P_COST)
            .and_then(|a| {
                a.hash_password(b"interop-check", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default();
        assert_eq!(verify("interop-check", &theirs), Verified::Yes);
        assert_eq!(verify("interop-check!", &theirs), Verified::No);
    }

    #[test]
    fn weaker_argon2_parameters_verify_and_ask_for_upgrade() {
        use argon2::PasswordHasher;
        let salt = SaltString::encode_b64(&[9u8; 16]).unwrap_or_else(|e| panic!("{e}"));
        let old = argon2_with(4096, 3, 1)
            .and_then(|a| a.hash_password(b"older", &salt).ok().map(|h| h.to_string()))
            .unwrap_or_default();
        assert_eq!(verify("older", &old), Verified::YesUpgrade);
    }

    #[test]
    fn django_pbkdf2_hashes_verify_and_ask_for_upgrade() {
        // Made with Django's make_password("fitcore-pass", salt="pepper1234", hasher="pbkdf2_sha256") at 1,000 iterations.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"fitcore-pass", b"pepper1234", 1000, &mut out);
        let stored = format!("pbkdf2_sha256$1000$pepper1234${}", STANDARD.encode(out));
        assert_eq!(verify("fitcore-pass", &stored), Verified::YesUpgrade);
        assert_eq!(verify("other", &stored), Verified::No);
        assert_eq!(verify("x", "pbkdf2_sha256$nope"), Verified::No);
    }

    #[test]
    fn django_reference_hash_verifies() {
        // Computed independently with Python's hashlib.pbkdf2_hmac('sha256', b'secret', b'seasalt', 600000),
        // the function behind Django's PBKDF2PasswordHasher.
        let stored = "pbkdf2_sha256$600000$seasalt$DLepaSa9KetQ1C7RsEYU5aC5BqVgZsEV9B574F+sUoA=";
        assert_eq!(verify("secret", stored), Verified::YesUpgrade);
        assert_eq!(verify("Secret", stored), Verified::No);
    }

    #[test]
    fn policy_rejects_short_numeric_common_and_similar_passwords() {
        assert!(!policy_errors("short", "a@b.co").is_empty());
        assert!(!policy_errors("1234567890", "a@b.co").is_empty());
        assert!(!policy_errors("password123", "a@b.co").is_empty());
        assert!(!policy_errors("anaruiz2026", "anaruiz2026@example.com").is_empty());
        assert!(policy_errors("Tr1cky-Lantern-42", "ana@example.com").is_empty());
    }

    #[test]
    fn sequence_ratio_matches_difflib() {
        assert!((sequence_ratio("abcd", "bcde") - 0.75).abs() < 1e-9);
        assert_eq!(sequence_ratio("", ""), 1.0);
        assert_eq!(sequence_ratio("abc", "xyz"), 0.0);
    }
}
