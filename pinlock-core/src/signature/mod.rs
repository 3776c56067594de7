//! OpenPGP verification of InRelease / Release.gpg against a signed-by keyring, as apt does it.
//!
//! apt splits the signed file itself (see the private `armor` module), hands message and signatures to gpgv and
//! then judges gpgv's status lines (methods/gpgv.cc). This module reproduces both halves:
//!
//! - every signature whose issuer is in the keyring is checked cryptographically; one bad
//!   signature makes the whole file fail, even if others are good (`BADSIG` is fatal in apt);
//! - a signature by an expired or revoked key or subkey, by a key that may not sign, by an
//!   invalid key (no self-signature, signing subkey without back-signature), an expired
//!   signature, or one using an untrusted digest (MD5, SHA1, RIPEMD160) does not count, but
//!   does not fail the file when another signature is good (apt's "worthless" signatures);
//! - signatures by keys not in the keyring are ignored when another signature is good;
//! - at least one good signature is required.
//!
//! Time, as apt 2.6 judges it: apt verifies through `apt-key verify`, which runs
//! `gpgv --ignore-time-conflict`, so neither a signature's creation time nor its key's (or a
//! self-signature's) lies in the future matter — gpgv reports GOODSIG for a Release signed a
//! decade ahead, and for a key generated tomorrow (checked with real apt 2.6.1 on repositories
//! signed with `gpg --faked-system-time`). What is still judged against `now` is expiry: of the
//! key, the subkey and the signature. The only guard against the future is the Release `Date`
//! (see [`crate::release::APT_MAX_FUTURE_TIME`]).
//!
//! Checked against real apt 2.6.1: it refuses text before or after the clearsigned message (even
//! a trailing blank line), a good signature next to a bad one, SHA1 signatures, and text around
//! an armored Release.gpg; it accepts a binary Release.gpg.

mod armor;
mod error;
mod keyring;
mod packets;

use std::time::{SystemTime, UNIX_EPOCH};

use pgp::crypto::hash::HashAlgorithm;
use pgp::line_writer::LineBreak;
use pgp::normalize_lines::NormalizedReader;
use pgp::packet::{Signature, SignatureType, SignatureVersionSpecific};

pub use error::SignatureError;
pub use keyring::Keyring;

use keyring::{Component, KeyStatus};

/// Largest Release/InRelease file accepted, in bytes: apt's `Acquire::MaxReleaseFileSize`
/// default (10 MB); apt refuses bigger ones ("File has unexpected size").
pub(crate) const MAX_RELEASE_SIZE: usize = 10_000_000;

/// Refuses signed data over [`MAX_RELEASE_SIZE`].
fn check_size(data: &[u8]) -> Result<(), SignatureError> {
    if data.len() > MAX_RELEASE_SIZE {
        return Err(SignatureError::TooLarge {
            size: data.len(),
            max: MAX_RELEASE_SIZE,
        });
    }
    Ok(())
}

/// A successfully verified signed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signed content: for an InRelease the message as apt extracts it (dash-unescaped,
    /// trailing blanks removed, every line ended by `\n`); for a detached signature the data
    /// itself, unchanged.
    pub content: Vec<u8>,
    /// Primary key fingerprint (uppercase hex) of the first good signature's key.
    pub signer_fingerprint: String,
    /// Fingerprint of the key that made that signature: the subkey if a subkey signed,
    /// otherwise equal to `signer_fingerprint`.
    pub signing_key_fingerprint: String,
    /// What became of each signature in the file, in file order.
    pub signatures: Vec<SignatureCheck>,
}

/// The verdict on one signature of a file that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// Fingerprint of the signing key or subkey when it is in the keyring, otherwise the issuer
    /// fingerprint or key id named by the signature (uppercase hex, empty if none).
    pub key: String,
    /// What the signature counted for.
    pub outcome: SignatureOutcome,
}

/// What one signature counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureOutcome {
    /// Good signature by a usable keyring key.
    Good {
        /// Primary key fingerprint.
        primary_fingerprint: String,
    },
    /// Issuer not in the keyring: ignored.
    UnknownKey,
    /// Cryptographically fine or uncheckable, but it does not count; the reason as an error.
    Ignored(String),
}

/// Verifies a clearsigned InRelease file against `keyring` at time `now`.
///
/// Returns the signed content and signer when at least one signature by a usable keyring key is
/// good and none by a keyring key is bad. Errors: a file over 10 MB (apt's limit), text outside
/// the signed message or other
/// structure apt refuses, no signature, a bad signature, or (when no signature is good) the
/// reason the best candidate did not count.
pub fn verify_inrelease(
    keyring: &Keyring,
    data: &[u8],
    now: SystemTime,
) -> Result<Verified, SignatureError> {
    check_size(data)?;
    let parts = armor::split_clearsigned(data)?;
    let sigs = armor::decode_signatures(&parts.signature_lines)?;
    let (signer, signing_key, signatures) = judge(keyring, &sigs, &parts.signed_data(), now)?;
    Ok(Verified {
        content: parts.content(),
        signer_fingerprint: signer,
        signing_key_fingerprint: signing_key,
        signatures,
    })
}

/// Verifies `data` (a Release file) against the detached `signature` (Release.gpg).
///
/// Same rules as [`verify_inrelease`]. The signature file holds either armored signature blocks
/// and nothing else (apt refuses any text around or between them, even a blank line), or binary
/// signature packets (accepted by apt 2.6; newer apt releases refuse binary Release.gpg).
pub fn verify_detached(
    keyring: &Keyring,
    data: &[u8],
    signature: &[u8],
    now: SystemTime,
) -> Result<Verified, SignatureError> {
    check_size(data)?;
    let sigs = match armor::check_detached(signature)? {
        armor::Detached::Armored(lines) => armor::decode_signatures(&lines)?,
        armor::Detached::Binary => {
            let mut sigs = Vec::new();
            armor::decode_packets(signature, &mut sigs)?;
            sigs
        }
    };
    let (signer, signing_key, signatures) = judge(keyring, &sigs, data, now)?;
    Ok(Verified {
        content: data.to_vec(),
        signer_fingerprint: signer,
        signing_key_fingerprint: signing_key,
        signatures,
    })
}

#[cfg(test)]
mod tests;

/// Uppercase hex of `bytes`.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Formats unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The verdict on one signature, as apt derives it from gpgv's status lines.
enum Verdict {
    /// GOODSIG with a trusted digest; the primary key fingerprint.
    Good(String),
    /// BADSIG: fatal.
    Bad(SignatureError),
    /// NO_PUBKEY.
    Unknown(String),
    /// EXPKEYSIG, REVKEYSIG, EXPSIG, ERRSIG, untrusted digest: does not count.
    Worthless(SignatureError),
}

/// Applies apt's rules to all signatures; returns (primary fpr, signing key fpr, checks).
fn judge(
    keyring: &Keyring,
    sigs: &[Signature],
    data: &[u8],
    now: SystemTime,
) -> Result<(String, String, Vec<SignatureCheck>), SignatureError> {
    if sigs.is_empty() {
        return Err(SignatureError::Unsigned {
            detail: "the signature block holds no signature".to_string(),
        });
    }
    let now = unix(now);
    let mut checks = Vec::with_capacity(sigs.len());
    let mut first_good: Option<(String, String)> = None;
    let mut first_worthless: Option<SignatureError> = None;
    let mut unknown = Vec::new();
    for sig in sigs {
        let (key, verdict) = check_one(keyring, sig, data, now);
        let outcome = match verdict {
            Verdict::Bad(e) => return Err(e),
            Verdict::Good(primary) => {
                first_good.get_or_insert((primary.clone(), key.clone()));
                SignatureOutcome::Good {
                    primary_fingerprint: primary,
                }
            }
            Verdict::Unknown(id) => {
                unknown.push(id);
                SignatureOutcome::UnknownKey
            }
            Verdict::Worthless(e) => {
                let text = e.to_string();
                first_worthless.get_or_insert(e);
                SignatureOutcome::Ignored(text)
            }
        };
        checks.push(SignatureCheck { key, outcome });
    }
    if let Some((primary, signing)) = first_good {
        return Ok((primary, signing, checks));
    }
    if let Some(e) = first_worthless {
        return Err(e);
    }
    unknown.sort();
    unknown.dedup();
    Err(SignatureError::UnknownKey {
        keyring: keyring.describe(),
        key_ids: unknown,
    })
}

/// Names the issuer of a signature whose key is unknown: fingerprint if given, else key id.
fn issuer_label(sig: &Signature) -> String {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        return hex_upper(fp.as_bytes());
    }
    sig.issuer_key_id()
        .first()
        .map(|id| hex_upper(id.as_ref()))
        .unwrap_or_default()
}

/// Judges one signature: returns the key it names (fingerprint if known) and the verdict.
fn check_one(keyring: &Keyring, sig: &Signature, data: &[u8], now: u64) -> (String, Verdict) {
    let candidates = keyring.find_issuer(sig);
    if candidates.is_empty() {
        let id = issuer_label(sig);
        return (id.clone(), Verdict::Unknown(id));
    }
    // Several candidates only happen on key id collisions: a good one wins.
    let mut first = None;
    for (c, origin) in candidates {
        let verdict = check_with(c, origin, sig, data, now);
        if matches!(verdict, Verdict::Good(_)) {
            return (c.fingerprint(), verdict);
        }
        first.get_or_insert((c.fingerprint(), verdict));
    }
    first.expect("candidates is not empty")
}

/// Digests gpg can check at all.
fn digest_supported(hash: HashAlgorithm) -> bool {
    matches!(
        hash,
        HashAlgorithm::Sha1
            | HashAlgorithm::Ripemd160
            | HashAlgorithm::Sha224
            | HashAlgorithm::Sha256
            | HashAlgorithm::Sha384
            | HashAlgorithm::Sha512
    )
}

/// Recomputes the digest of a signature over `data` and compares its first two bytes with the
/// "signed hash value" stored in the signature: false means the content does not match.
fn hash_prefix_matches(sig: &Signature, data: &[u8]) -> bool {
    let (Some(config), Some(prefix)) = (sig.config(), sig.signed_hash_value()) else {
        return false;
    };
    let Ok(mut hasher) = config.hash_alg.new_hasher() else {
        return false;
    };
    if let SignatureVersionSpecific::V6 { salt } = &config.version_specific {
        hasher.update(salt);
    }
    let hashed = if sig.typ() == Some(SignatureType::Text) {
        config.hash_data_to_sign(&mut hasher, NormalizedReader::new(data, LineBreak::Crlf))
    } else {
        config.hash_data_to_sign(&mut hasher, data)
    };
    if hashed.is_err() {
        return false;
    }
    let Ok(len) = config.hash_signature_data(&mut hasher) else {
        return false;
    };
    let Ok(trailer) = config.trailer(len) else {
        return false;
    };
    hasher.update(&trailer);
    hasher.finalize()[..2] == prefix
}

/// Judges one signature against one keyring key, in gpg's order: what makes it uncheckable
/// (ERRSIG), then the cryptographic check (BADSIG), then key state (EXPKEYSIG, REVKEYSIG),
/// signature expiry (EXPSIG), and apt's digest policy.
fn check_with(c: Component<'_>, origin: &str, sig: &Signature, data: &[u8], now: u64) -> Verdict {
    let key = c.fingerprint();
    let keyring = origin.to_string();
    let uncheckable = |reason: String| {
        Verdict::Worthless(SignatureError::UncheckableSignature {
            key: key.clone(),
            reason,
        })
    };
    let Some(hash) = sig.hash_alg() else {
        return uncheckable(format!("unsupported signature version {:?}", sig.version()));
    };
    if !matches!(sig.typ(), Some(SignatureType::Binary | SignatureType::Text)) {
        return uncheckable(format!("not a document signature (type {:?})", sig.typ()));
    }
    let Some(created) = sig.created().map(|t| u64::from(t.as_secs())) else {
        return uncheckable("the signature has no creation time".to_string());
    };
    if hash == HashAlgorithm::Md5 {
        // gpg refuses MD5 signatures before checking them.
        return Verdict::Worthless(SignatureError::WeakDigest {
            key,
            digest: hash.to_string(),
        });
    }
    if !digest_supported(hash) {
        return uncheckable(format!("unsupported digest algorithm {hash}"));
    }
    // gpg refuses these keys before the cryptographic check (ERRSIG, not BADSIG).
    let status = c.status(now);
    match status {
        KeyStatus::Invalid(reason) => {
            return Verdict::Worthless(SignatureError::UnusableKey {
                key,
                keyring,
                reason,
            })
        }
        KeyStatus::CannotSign => {
            return Verdict::Worthless(SignatureError::NotSigningCapable { key, keyring })
        }
        KeyStatus::Usable | KeyStatus::Revoked | KeyStatus::Expired(_) => {}
    }
    if sig.config().is_some_and(|cfg| cfg.pub_alg != c.algorithm()) {
        return uncheckable(format!(
            "the signature's algorithm {:?} is not the key's {:?}",
            sig.config().map(|cfg| cfg.pub_alg),
            c.algorithm()
        ));
    }
    let weak = matches!(hash, HashAlgorithm::Sha1 | HashAlgorithm::Ripemd160);
    if c.verify(sig, data).is_err() {
        // rpgp refuses some weak combinations (SHA1 with EdDSA) that gpg still checks; such a
        // signature is worthless for apt anyway, unless the content does not match (BADSIG).
        if weak && hash_prefix_matches(sig, data) {
            return Verdict::Worthless(SignatureError::WeakDigest {
                key,
                digest: hash.to_string(),
            });
        }
        return Verdict::Bad(SignatureError::BadSignature { key });
    }
    match status {
        KeyStatus::Revoked => {
            return Verdict::Worthless(SignatureError::RevokedKey { key, keyring })
        }
        KeyStatus::Expired(t) => {
            return Verdict::Worthless(SignatureError::ExpiredKey {
                key,
                keyring,
                expired: format_utc(t),
            })
        }
        KeyStatus::Usable | KeyStatus::Invalid(_) | KeyStatus::CannotSign => {}
    }
    if let Some(d) = sig.signature_expiration_time().filter(|d| d.as_secs() > 0) {
        let expires = created + u64::from(d.as_secs());
        if expires <= now {
            return Verdict::Worthless(SignatureError::ExpiredSignature {
                key,
                expired: format_utc(expires),
            });
        }
    }
    // No check of `created` against `now`: gpgv runs with --ignore-time-conflict (see the
    // module docs).
    if weak {
        return Verdict::Worthless(SignatureError::WeakDigest {
            key,
            digest: hash.to_string(),
        });
    }
    Verdict::Good(c.primary_fingerprint())
}
