//! Small cryptographic helpers shared by every context.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A URL-safe random token carrying `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Compares in time independent of where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Authenticated encryption of small secrets at rest (TOTP seeds) with a
/// key derived from SECRET_KEY for one `purpose`. The stored form is
/// `v1:` + base64url(nonce || ciphertext || tag).
pub struct SecretBox {
    key: ring::aead::LessSafeKey,
}

impl SecretBox {
    pub fn new(secret_key: &str, purpose: &str) -> Self {
        let material = hmac_sha256(
            secret_key.as_bytes(),
            format!("fitcore/secretbox/{purpose}").as_bytes(),
        );
        // 32 bytes of HMAC output always make a valid AES-256 key.
        let unbound = ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &material)
            .unwrap_or_else(|_| unreachable_key());
        Self {
            key: ring::aead::LessSafeKey::new(unbound),
        }
    }

    pub fn seal(&self, plaintext: &str) -> Option<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut buf = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::empty(),
                &mut buf,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Some(format!("v1:{}", URL_SAFE_NO_PAD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = URL_SAFE_NO_PAD.decode(sealed.strip_prefix("v1:")?).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = raw.split_at(12);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, ring::aead::Aad::empty(), &mut body)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn unreachable_key() -> ring::aead::UnboundKey {
    // Only reached if ring rejected a 32-byte AES-256 key, which it does not.
    match ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &[0u8; 32]) {
        Ok(k) => k,
        Err(_) => std::process::abort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_purpose() {
        let a = SecretBox::new("a-secret-of-at-least-thirty-two-bytes!!", "totp");
        let sealed = a.seal("JBSWY3DPEHPK3PXP").unwrap_or_default();
        assert!(sealed.starts_with("v1:") && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(a.open(&sealed).as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            SecretBox::new("another-secret-of-thirty-two-bytes!!!", "totp").open(&sealed),
            None
        );
        assert_eq!(
            SecretBox::new("a-secret-of-at-least-thirty-two-bytes!!", "other").open(&sealed),
            None
        );
        assert_eq!(a.open("v1:garbage"), None);
        assert_ne!(
            a.seal("same").unwrap_or_default(),
            a.seal("same").unwrap_or_default(),
            "fresh nonce each time"
        );
    }
}
