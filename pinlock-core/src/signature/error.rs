//! Errors of signature verification.

use std::path::PathBuf;

use thiserror::Error;

/// `keyring keys/docker.asc does not exist` with a hint, or the OS's reason for another error.
fn read_keyring_message(path: &std::path::Path, e: &std::io::Error) -> String {
    let shown = crate::manifest::display_path(path);
    match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "keyring {shown} (signed-by) does not exist\nhint: signed-by paths are relative to the manifest's directory; save the repository's public key there (an armored .asc or binary .gpg file) or fix the path"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "cannot read keyring {shown} (signed-by): permission denied\nhint: make the key file readable by the user running pinlock"
        ),
        _ => format!("cannot read keyring {shown} (signed-by): {e}"),
    }
}

/// Why a keyring could not be loaded or a signed file was not accepted.
///
/// Variants that concern one signature name the key that made it (uppercase hex fingerprint of the
/// signing key or subkey, or the issuer key id when the key is unknown).
#[derive(Debug, Error)]
pub enum SignatureError {
    /// The keyring file could not be read.
    #[error("{}", read_keyring_message(path, error))]
    ReadKeyring {
        /// The keyring file.
        path: PathBuf,
        /// The I/O error (in the message, in words: not a `source` of its own, so the OS's text
        /// is not printed again below it).
        error: std::io::Error,
    },
    /// The keyring file was read but its content is not acceptable.
    #[error("keyring {path}: {source}")]
    InKeyringFile {
        /// The keyring file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<SignatureError>,
    },
    /// The keyring holds no public key at all.
    #[error("keyring contains no OpenPGP public key\nhint: signed-by must name an armored (.asc) or binary (.gpg) OpenPGP public key file")]
    EmptyKeyring,
    /// Binary keyring data that does not start with a public key packet (apt ignores such files).
    #[error("keyring is neither an armored public key block nor binary public key packets (first byte {first_byte:#04x})\nhint: export the key with `gpg --export` (binary) or `gpg --export --armor` (.asc)")]
    UnsupportedKeyringFormat {
        /// The first byte of the data.
        first_byte: u8,
    },
    /// OpenPGP armor or packet data could not be decoded.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being decoded ("keyring", "signature", ...).
        what: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// The signed file is larger than apt accepts (`Acquire::MaxReleaseFileSize`).
    #[error("signed Release file is {size} bytes, more than the {max} bytes apt accepts (Acquire::MaxReleaseFileSize)")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The file carries no OpenPGP signature at all.
    #[error("file is not signed: {detail}")]
    Unsigned {
        /// What was found instead.
        detail: String,
    },
    /// A clearsigned file has text outside its signed message, which apt refuses.
    #[error("clearsigned file has text outside the signed message at line {line}: {detail}")]
    OutsideSignedMessage {
        /// 1-based line number.
        line: usize,
        /// What apt complains about.
        detail: String,
    },
    /// The signed message or signature block is structured in a way apt refuses.
    #[error("invalid signed file at line {line}: {detail}")]
    InvalidStructure {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A signature by a keyring key does not match the data: the content was modified after signing
    /// (or the signature is corrupt). Fatal even when other signatures are good, as in apt.
    #[error(
        "bad signature by key {key}: the signed content does not match (modified after signing?)"
    )]
    BadSignature {
        /// Fingerprint of the key (or subkey) that made the bad signature.
        key: String,
    },
    /// No signature was made by a key in the keyring.
    #[error("no signature by a key in {keyring}; the file is signed by unknown key(s) {}\nhint: add the repository's signing key to the keyring given as signed-by", .key_ids.join(", "))]
    UnknownKey {
        /// The keyring's files ("keyring PATH", "keyrings A, B" or "the inline signed-by key").
        keyring: String,
        /// Issuer key ids (or fingerprints) of the signatures, uppercase hex.
        key_ids: Vec<String>,
    },
    /// The only signatures by keyring keys were made by an expired key or subkey.
    #[error("signing key {key} from {keyring} expired on {expired}\nhint: fetch the repository's current signing key and update signed-by")]
    ExpiredKey {
        /// Fingerprint of the expired key or subkey.
        key: String,
        /// The file the key came from ("keyring PATH" or "the inline signed-by key").
        keyring: String,
        /// When it expired (UTC).
        expired: String,
    },
    /// The only signatures by keyring keys were made by a revoked key or subkey.
    #[error("signing key {key} from {keyring} is revoked\nhint: fetch the repository's current signing key and update signed-by")]
    RevokedKey {
        /// Fingerprint of the revoked key or subkey.
        key: String,
        /// The file the key came from ("keyring PATH" or "the inline signed-by key").
        keyring: String,
    },
    /// The key that made the signature is not allowed to sign data (no signing flag).
    #[error("key {key} from {keyring} is not capable of signing (its key flags do not allow signing data)\nhint: signed-by must hold the repository's signing key; `gpg --show-keys FILE` marks a signing key or subkey with [S]")]
    NotSigningCapable {
        /// Fingerprint of the key or subkey.
        key: String,
        /// The file the key came from ("keyring PATH" or "the inline signed-by key").
        keyring: String,
    },
    /// The key is unusable: no valid self-signature or binding, missing cross-certification, ...
    #[error("key {key} from {keyring} is unusable: {reason}")]
    UnusableKey {
        /// Fingerprint of the key or subkey.
        key: String,
        /// The file the key came from ("keyring PATH" or "the inline signed-by key").
        keyring: String,
        /// Why.
        reason: String,
    },
    /// The signature uses a digest apt does not trust (MD5, SHA1, RIPEMD160).
    #[error("signature by key {key} uses untrusted digest algorithm {digest}\nhint: apt rejects MD5, SHA1 and RIPEMD160 signatures; the repository must be re-signed with SHA256 or stronger")]
    WeakDigest {
        /// Fingerprint of the signing key.
        key: String,
        /// Name of the digest algorithm.
        digest: String,
    },
    /// The signature itself has expired (signature expiration time subpacket).
    #[error("signature by key {key} expired on {expired}")]
    ExpiredSignature {
        /// Fingerprint of the signing key.
        key: String,
        /// When it expired (UTC).
        expired: String,
    },
    /// The signature cannot be checked (unsupported version, type or algorithm, missing fields).
    #[error("signature by key {key} cannot be checked: {reason}")]
    UncheckableSignature {
        /// Fingerprint of the signing key.
        key: String,
        /// Why.
        reason: String,
    },
}
