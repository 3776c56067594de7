//! Loading keyrings (apt `signed-by` files) and judging whether a key may sign at a given time.

use std::io::BufReader;
use std::path::Path;

use pgp::composed::{Deserializable, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::packet::{PublicKey, PublicSubkey, Signature, SignatureType, SubpacketData};
use pgp::types::{KeyDetails, SignedUser, Tag};

use super::error::SignatureError;
use super::hex_upper;
use super::packets;

const BEGIN_PUBLIC_KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END_PUBLIC_KEY: &str = "-----END PGP PUBLIC KEY BLOCK-----";

/// What [`Keyring::from_bytes`] calls keys it did not read from a file.
const INLINE_ORIGIN: &str = "the inline signed-by key";

/// A set of OpenPGP public keys that signatures are checked against, like apt's `signed-by`.
/// Each key remembers the file it came from, so that errors about a key can name it.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
    /// Where each key of `keys` came from ("keyring PATH" or [`INLINE_ORIGIN`]).
    origins: Vec<String>,
}

impl Keyring {
    /// Loads a keyring from armored (`.asc`: one or more `PUBLIC KEY BLOCK`s, text around them is
    /// ignored) or binary data: concatenated transferable public keys (`gpg --export`), a legacy
    /// GnuPG keyring (its ring-trust packets are skipped) or a GnuPG keybox (what
    /// `gpg --no-default-keyring --keyring FILE --import` writes), all of which apt's gpgv reads.
    ///
    /// Returns an error if the data holds no public key, if binary data does not start with a
    /// public key packet and is no keybox, or if a key block cannot be decoded. Errors about
    /// these keys later call them "the inline signed-by key"; see [`Keyring::from_file`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Keyring, SignatureError> {
        Keyring::parse(bytes, INLINE_ORIGIN)
    }

    fn parse(bytes: &[u8], origin: &str) -> Result<Keyring, SignatureError> {
        let first = *bytes.first().ok_or(SignatureError::EmptyKeyring)?;
        let keys = if packets::is_keybox(bytes) {
            parse_binary(&packets::strip_trust_packets(&packets::keybox_keyblocks(
                bytes,
            )?))?
        } else if first & 0x80 != 0 {
            // apt accepts a binary keyring only if it starts with a public key packet:
            // old format (0x98, 0x99) or new format (0xc6).
            if !matches!(first, 0x98 | 0x99 | 0xc6) {
                return Err(SignatureError::UnsupportedKeyringFormat { first_byte: first });
            }
            parse_binary(&packets::strip_trust_packets(bytes))?
        } else {
            parse_armored(bytes)?
        };
        if keys.is_empty() {
            return Err(SignatureError::EmptyKeyring);
        }
        let origins = vec![origin.to_string(); keys.len()];
        Ok(Keyring { keys, origins })
    }

    /// Reads and loads a keyring file; see [`Keyring::from_bytes`]. Errors name the file, both
    /// now and later when a signature by one of its keys does not count.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Keyring, SignatureError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| SignatureError::ReadKeyring {
            path: path.to_path_buf(),
            error,
        })?;
        let origin = format!("keyring {}", path.display());
        Keyring::parse(&bytes, &origin).map_err(|e| SignatureError::InKeyringFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Adds the keys of `other` (several `signed-by` files make one keyring).
    pub fn extend(&mut self, other: Keyring) {
        self.keys.extend(other.keys);
        self.origins.extend(other.origins);
    }

    /// Names the files the keys came from, for messages: `keyring PATH`, `keyrings A, B` or
    /// "the inline signed-by key".
    pub fn describe(&self) -> String {
        let mut files: Vec<&str> = Vec::new();
        for o in &self.origins {
            if !files.contains(&o.as_str()) {
                files.push(o);
            }
        }
        if files.len() <= 1 {
            return files
                .first()
                .map_or(INLINE_ORIGIN.to_string(), |f| f.to_string());
        }
        let names: Vec<&str> = files
            .iter()
            .map(|f| f.strip_prefix("keyring ").unwrap_or(f))
            .collect();
        format!("keyrings {}", names.join(", "))
    }

    /// Returns the primary key fingerprints (uppercase hex), sorted and deduplicated.
    pub fn fingerprints(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .keys
            .iter()
            .map(|k| hex_upper(k.primary_key.fingerprint().as_bytes()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Returns the subkey fingerprints (uppercase hex) of all keys, sorted and deduplicated.
    pub fn subkey_fingerprints(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .keys
            .iter()
            .flat_map(|k| &k.public_subkeys)
            .map(|s| hex_upper(s.key.fingerprint().as_bytes()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Returns the keyring components (primary keys or subkeys) a signature claims as issuer,
    /// each with the origin of its key ("keyring PATH"): fingerprint matches first, then key id
    /// matches.
    pub(crate) fn find_issuer<'a>(&'a self, sig: &Signature) -> Vec<(Component<'a>, &'a str)> {
        let fps = sig.issuer_fingerprint();
        let ids = sig.issuer_key_id();
        let mut by_fp = Vec::new();
        let mut by_id = Vec::new();
        for (key, origin) in self.keys.iter().zip(&self.origins) {
            let mut consider = |c: Component<'a>| {
                let fp = c.fingerprint_raw();
                if fps.iter().any(|f| f.as_bytes() == fp.as_bytes()) {
                    by_fp.push((c, origin.as_str()));
                } else if ids.iter().any(|id| **id == c.key_id_raw()) {
                    by_id.push((c, origin.as_str()));
                }
            };
            consider(Component::Primary(key));
            for sub in &key.public_subkeys {
                consider(Component::Sub(key, sub));
            }
        }
        if by_fp.is_empty() {
            by_id
        } else {
            by_fp
        }
    }
}

fn parse_binary(bytes: &[u8]) -> Result<Vec<SignedPublicKey>, SignatureError> {
    SignedPublicKey::from_bytes_many(BufReader::new(bytes))
        .map_err(malformed_keyring)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(malformed_keyring)
}

fn parse_armored(bytes: &[u8]) -> Result<Vec<SignedPublicKey>, SignatureError> {
    let text = String::from_utf8_lossy(bytes);
    let mut keys = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        match block.as_mut() {
            None => {
                if trimmed.starts_with(BEGIN_PUBLIC_KEY) {
                    block = Some(format!("{trimmed}\n"));
                }
            }
            Some(b) => {
                b.push_str(trimmed);
                b.push('\n');
                if trimmed.starts_with(END_PUBLIC_KEY) {
                    let (iter, _headers) = SignedPublicKey::from_armor_many(b.as_bytes())
                        .map_err(malformed_keyring)?;
                    for key in iter {
                        keys.push(key.map_err(malformed_keyring)?);
                    }
                    block = None;
                }
            }
        }
    }
    if block.is_some() {
        return Err(SignatureError::Malformed {
            what: "keyring",
            detail: format!("public key block without {END_PUBLIC_KEY}"),
        });
    }
    Ok(keys)
}

fn malformed_keyring(e: pgp::errors::Error) -> SignatureError {
    SignatureError::Malformed {
        what: "keyring",
        detail: short_pgp_error(&e.to_string()),
    }
}

/// The decoder's message without the `Debug` dump (and backtrace) some rpgp errors append to
/// their text: cut at the first `{`, then drop a trailing bare variant name such as `IO`.
fn short_pgp_error(text: &str) -> String {
    let head = text.split('{').next().unwrap_or(text).trim_end();
    let head = match head.rsplit_once(": ") {
        Some((before, last)) if !last.contains(' ') && last.chars().all(char::is_alphanumeric) => {
            before
        }
        _ => head,
    };
    format!("{head} (truncated or corrupt key data?)")
}

/// One key of a keyring that can have issued a signature: a primary key or one of its subkeys.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Component<'a> {
    /// The primary key itself.
    Primary(&'a SignedPublicKey),
    /// A subkey of the given primary key.
    Sub(&'a SignedPublicKey, &'a SignedPublicSubKey),
}

/// Whether a key may sign at a given time, as gpg evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyStatus {
    /// Valid, unexpired, unrevoked, signing-capable.
    Usable,
    /// No valid self-signature / binding signature, or missing cross-certification.
    Invalid(String),
    /// Revoked (or its primary key is).
    Revoked,
    /// Expired at the given unix time (or its primary key did).
    Expired(u64),
    /// The key flags do not allow signing.
    CannotSign,
}

impl<'a> Component<'a> {
    fn fingerprint_raw(&self) -> pgp::types::Fingerprint {
        match self {
            Component::Primary(k) => k.primary_key.fingerprint(),
            Component::Sub(_, s) => s.key.fingerprint(),
        }
    }

    fn key_id_raw(&self) -> pgp::types::KeyId {
        match self {
            Component::Primary(k) => k.primary_key.legacy_key_id(),
            Component::Sub(_, s) => s.key.legacy_key_id(),
        }
    }

    /// Uppercase hex fingerprint of this key (the subkey for a subkey).
    pub(crate) fn fingerprint(&self) -> String {
        hex_upper(self.fingerprint_raw().as_bytes())
    }

    /// Uppercase hex fingerprint of the primary key.
    pub(crate) fn primary_fingerprint(&self) -> String {
        let k = match self {
            Component::Primary(k) | Component::Sub(k, _) => k,
        };
        hex_upper(k.primary_key.fingerprint().as_bytes())
    }

    /// The public key algorithm of this key.
    pub(crate) fn algorithm(&self) -> PublicKeyAlgorithm {
        match self {
            Component::Primary(k) => k.primary_key.algorithm(),
            Component::Sub(_, s) => s.key.algorithm(),
        }
    }

    /// Checks `sig` cryptographically over `data` with this key.
    pub(crate) fn verify(&self, sig: &Signature, data: &[u8]) -> pgp::errors::Result<()> {
        match self {
            Component::Primary(k) => sig.verify(&k.primary_key, data),
            Component::Sub(_, s) => sig.verify(&s.key, data),
        }
    }

    /// Judges whether this key may sign at unix time `now`: self-signatures and bindings
    /// (with the subkey's cross-certification), revocations, expiry and key flags.
    /// A subkey inherits invalidity, revocation and expiry of its primary key, as in gpg.
    pub(crate) fn status(&self, now: u64) -> KeyStatus {
        match self {
            Component::Primary(k) => primary_status(k, now).into_status(),
            Component::Sub(k, s) => {
                let primary = primary_status(k, now);
                match primary.clone().into_status() {
                    KeyStatus::Usable | KeyStatus::CannotSign => {
                        subkey_status(k, s, primary.expires, now)
                    }
                    other => other,
                }
            }
        }
    }
}

/// Evaluation of a primary key's self-signatures.
#[derive(Debug, Clone)]
struct PrimaryEval {
    valid: bool,
    revoked: bool,
    expires: Option<u64>,
    can_sign: bool,
    now: u64,
}

impl PrimaryEval {
    fn into_status(self) -> KeyStatus {
        if !self.valid {
            KeyStatus::Invalid("no valid self-signature".to_string())
        } else if self.revoked {
            KeyStatus::Revoked
        } else if let Some(t) = self.expires.filter(|t| *t <= self.now) {
            KeyStatus::Expired(t)
        } else if !self.can_sign {
            KeyStatus::CannotSign
        } else {
            KeyStatus::Usable
        }
    }
}

fn created_secs(sig: &Signature) -> Option<u64> {
    sig.created().map(|t| u64::from(t.as_secs()))
}

/// Is this self-signature in effect at `now` (has a creation time and has not expired)? A
/// creation time after `now` does not matter: gpgv, run by apt with --ignore-time-conflict,
/// accepts self-signatures (and keys) from the future.
fn sig_in_effect(sig: &Signature, now: u64) -> bool {
    let Some(created) = created_secs(sig) else {
        return false;
    };
    match sig.signature_expiration_time() {
        Some(d) if d.as_secs() > 0 => created + u64::from(d.as_secs()) > now,
        _ => true,
    }
}

/// Does the signature name `key` as issuer (or name no issuer at all)?
fn issued_by(sig: &Signature, key: &PublicKey) -> bool {
    let fps = sig.issuer_fingerprint();
    let ids = sig.issuer_key_id();
    (fps.is_empty() && ids.is_empty())
        || fps.iter().any(|f| **f == key.fingerprint())
        || ids.iter().any(|i| **i == key.legacy_key_id())
}

/// Key flags of a self-signature: `Some(can_sign)` when a key flags subpacket is present.
fn flags_sign(sig: &Signature) -> Option<bool> {
    let config = sig.config()?;
    let present = config
        .hashed_subpackets()
        .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)));
    present.then(|| sig.key_flags().sign())
}

/// Signing capability of an algorithm when no key flags say otherwise (gpg's default usage).
fn algorithm_can_sign(alg: PublicKeyAlgorithm) -> bool {
    matches!(
        alg,
        PublicKeyAlgorithm::RSA
            | PublicKeyAlgorithm::RSASign
            | PublicKeyAlgorithm::DSA
            | PublicKeyAlgorithm::ECDSA
            | PublicKeyAlgorithm::EdDSALegacy
            | PublicKeyAlgorithm::Ed25519
            | PublicKeyAlgorithm::Ed448
    )
}

fn expiry(key_created: u64, sig: &Signature) -> Option<u64> {
    match sig.key_expiration_time() {
        Some(d) if d.as_secs() > 0 => Some(key_created + u64::from(d.as_secs())),
        _ => None,
    }
}

fn primary_status(key: &SignedPublicKey, now: u64) -> PrimaryEval {
    let primary = &key.primary_key;
    let key_created = u64::from(primary.created_at().as_secs());

    let revoked = key.details.revocation_signatures.iter().any(|sig| {
        sig.typ() == Some(SignatureType::KeyRevocation)
            && issued_by(sig, primary)
            && sig.verify_key(primary).is_ok()
    });

    // The newest valid self-certification of a user id, preferring the primary user id.
    // Candidates are sorted first so that only few signatures need a cryptographic check.
    let mut candidates: Vec<(bool, u64, &SignedUser, &Signature)> = key
        .details
        .users
        .iter()
        .flat_map(|user| user.signatures.iter().map(move |sig| (user, sig)))
        .filter(|(_, sig)| {
            sig.is_certification()
                && sig.typ() != Some(SignatureType::CertRevocation)
                && issued_by(sig, primary)
                && sig_in_effect(sig, now)
        })
        .map(|(user, sig)| (sig.is_primary(), created_secs(sig).unwrap_or(0), user, sig))
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse((c.0, c.1)));
    let best = candidates.into_iter().find_map(|(_, created, user, sig)| {
        let valid = sig
            .verify_certification(primary, Tag::UserId, &user.id)
            .is_ok();
        (valid && !user_revoked_since(user, primary, created, now)).then_some(sig)
    });
    // Direct-key self-signatures count when no user id self-signature is valid (checked only
    // then: Debian's keys carry several).
    let direct = || {
        let mut sigs: Vec<&Signature> = key
            .details
            .direct_signatures
            .iter()
            .filter(|sig| {
                sig.typ() == Some(SignatureType::Key)
                    && issued_by(sig, primary)
                    && sig_in_effect(sig, now)
            })
            .collect();
        sigs.sort_by_key(|sig| std::cmp::Reverse(created_secs(sig)));
        sigs.into_iter().find(|sig| sig.verify_key(primary).is_ok())
    };

    let chosen = best.or_else(direct);
    let Some(sig) = chosen else {
        return PrimaryEval {
            valid: false,
            revoked,
            expires: None,
            can_sign: false,
            now,
        };
    };
    PrimaryEval {
        valid: true,
        revoked,
        expires: expiry(key_created, sig),
        can_sign: flags_sign(sig).unwrap_or_else(|| algorithm_can_sign(primary.algorithm())),
        now,
    }
}

/// Judges a subkey whose primary key is valid, unrevoked and unexpired (`primary_expires` is the
/// primary key's expiry, which also ends the subkey's life).
/// Has `user` a valid self-revocation made at or after `since`?
fn user_revoked_since(user: &SignedUser, primary: &PublicKey, since: u64, now: u64) -> bool {
    user.signatures.iter().any(|sig| {
        sig.typ() == Some(SignatureType::CertRevocation)
            && created_secs(sig).is_some_and(|c| c >= since)
            && issued_by(sig, primary)
            && sig_in_effect(sig, now)
            && sig
                .verify_certification(primary, Tag::UserId, &user.id)
                .is_ok()
    })
}

fn subkey_status(
    key: &SignedPublicKey,
    sub: &SignedPublicSubKey,
    primary_expires: Option<u64>,
    now: u64,
) -> KeyStatus {
    let primary = &key.primary_key;
    let subkey: &PublicSubkey = &sub.key;
    let sub_created = u64::from(subkey.created_at().as_secs());

    let revoked = sub.signatures.iter().any(|sig| {
        sig.typ() == Some(SignatureType::SubkeyRevocation)
            && issued_by(sig, primary)
            && sig.verify_subkey_binding(primary, subkey).is_ok()
    });
    // The newest valid binding signature.
    let mut bindings: Vec<&Signature> = sub
        .signatures
        .iter()
        .filter(|sig| {
            sig.typ() == Some(SignatureType::SubkeyBinding)
                && issued_by(sig, primary)
                && sig_in_effect(sig, now)
        })
        .collect();
    bindings.sort_by_key(|sig| std::cmp::Reverse(created_secs(sig)));
    let binding = bindings
        .into_iter()
        .find(|sig| sig.verify_subkey_binding(primary, subkey).is_ok());
    let Some(binding) = binding else {
        return KeyStatus::Invalid("subkey has no valid binding signature".to_string());
    };
    if revoked {
        return KeyStatus::Revoked;
    }
    let can_sign = flags_sign(binding).unwrap_or_else(|| algorithm_can_sign(subkey.algorithm()));
    if can_sign {
        // gpg requires the signing subkey's back-signature (--require-cross-certification).
        let backsig_ok = binding
            .embedded_signature()
            .is_some_and(|b| b.verify_primary_key_binding(subkey, primary).is_ok());
        if !backsig_ok {
            return KeyStatus::Invalid(
                "signing subkey is not cross-certified (no valid back-signature)".to_string(),
            );
        }
    }
    let sub_expires = expiry(sub_created, binding);
    let expires = match (sub_expires, primary_expires) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(t) = expires.filter(|t| *t <= now) {
        return KeyStatus::Expired(t);
    }
    if !can_sign {
        return KeyStatus::CannotSign;
    }
    KeyStatus::Usable
}

#[cfg(test)]
mod tests {
    use super::short_pgp_error;

    #[test]
    fn pgp_error_text_loses_its_debug_dump() {
        assert_eq!(
            short_pgp_error("error while parsing composed key: IO { source: Custom { .. }, backtrace: Some(Backtrace [..]) }"),
            "error while parsing composed key (truncated or corrupt key data?)"
        );
        assert_eq!(
            short_pgp_error("invalid input"),
            "invalid input (truncated or corrupt key data?)"
        );
    }
}
