//! Binary keyring containers apt's gpgv reads besides plain exported keys: the GnuPG keybox
//! (`.kbx`, what `gpg --no-default-keyring --keyring FILE --import` creates since GnuPG 2.1) and
//! legacy GnuPG keyrings with ring-trust packets (`pubring.gpg`, `gnupg-ring:FILE`). Both are
//! turned into plain OpenPGP packet streams here.

use super::error::SignatureError;

/// The magic at offset 8 of a keybox's first (header) blob.
const KEYBOX_MAGIC: &[u8] = b"KBXf";
/// Keybox blob type of an OpenPGP keyblock.
const BLOB_OPENPGP: u8 = 2;
/// OpenPGP packet tag of GnuPG's ring-trust packets (local trust data, not part of a key).
const TAG_TRUST: u8 = 12;

/// Whether `bytes` is a GnuPG keybox: a 32-byte header blob of type 1 with magic `KBXf`.
pub(crate) fn is_keybox(bytes: &[u8]) -> bool {
    bytes.len() >= 32
        && bytes[..4] == [0, 0, 0, 32]
        && bytes[4] == 1
        && &bytes[8..12] == KEYBOX_MAGIC
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// Extracts the OpenPGP keyblocks of a keybox, concatenated (X.509 blobs are skipped).
///
/// Blob layout (GnuPG `kbx/keybox-blob.c`): u32 blob length (including itself), u8 type,
/// u8 version, u16 flags, u32 offset of the keyblock, u32 its length (both blob-relative).
/// Returns a `Malformed` error when a blob or keyblock runs past the end of the file.
pub(crate) fn keybox_keyblocks(bytes: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let malformed = |at: usize, detail: &str| SignatureError::Malformed {
        what: "keybox",
        detail: format!("blob at byte {at}: {detail}"),
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = be32(bytes, at).ok_or_else(|| malformed(at, "truncated length"))?;
        if len < 16 || at + len > bytes.len() {
            return Err(malformed(at, &format!("length {len} out of range")));
        }
        let blob = &bytes[at..at + len];
        if blob[4] == BLOB_OPENPGP {
            let off = be32(blob, 8).unwrap_or(usize::MAX);
            let klen = be32(blob, 12).unwrap_or(usize::MAX);
            let block = off
                .checked_add(klen)
                .and_then(|end| blob.get(off..end))
                .ok_or_else(|| malformed(at, "keyblock outside the blob"))?;
            out.extend_from_slice(block);
        }
        at += len;
    }
    Ok(out)
}

/// One packet header: (tag, header length, body length). `None` for partial or indeterminate
/// lengths (never used in key material) and truncated headers.
fn packet_header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let first = *b.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    if first & 0x40 != 0 {
        // new format
        let tag = first & 0x3f;
        let o1 = *b.get(1)? as usize;
        match o1 {
            0..=191 => Some((tag, 2, o1)),
            192..=223 => Some((tag, 3, ((o1 - 192) << 8) + *b.get(2)? as usize + 192)),
            255 => Some((tag, 6, be32(b, 2)?)),
            _ => None,
        }
    } else {
        // old format
        let tag = (first >> 2) & 0x0f;
        match first & 3 {
            0 => Some((tag, 2, *b.get(1)? as usize)),
            1 => Some((
                tag,
                3,
                u16::from_be_bytes([*b.get(1)?, *b.get(2)?]) as usize,
            )),
            2 => Some((tag, 5, be32(b, 1)?)),
            _ => None,
        }
    }
}

/// Returns the packet stream without ring-trust packets (tag 12), which gpg writes into legacy
/// keyrings after keys, user ids and signatures and ignores when reading. When the stream cannot
/// be walked (a partial length, a truncated packet) it is returned unchanged for the OpenPGP
/// parser to judge.
pub(crate) fn strip_trust_packets(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let Some((tag, hlen, blen)) = packet_header(&bytes[at..]) else {
            return bytes.to_vec();
        };
        let end = at + hlen + blen;
        if end > bytes.len() {
            return bytes.to_vec();
        }
        if tag != TAG_TRUST {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_packets_are_removed_in_both_header_formats() {
        // old-format user id (tag 13), old-format trust (tag 12, 0xb0), new-format trust (0xcc)
        let data = [
            0xb4, 0x01, b'a', 0xb0, 0x02, 0, 0, 0xcc, 0x01, 7, 0xb4, 0x01, b'b',
        ];
        assert_eq!(
            strip_trust_packets(&data),
            vec![0xb4, 1, b'a', 0xb4, 1, b'b']
        );
        // a truncated packet leaves the data as is
        assert_eq!(
            strip_trust_packets(&[0xb4, 0x05, b'a']),
            vec![0xb4, 5, b'a']
        );
    }

    #[test]
    fn keybox_blobs_are_walked_and_bounds_checked() {
        let mut kbx = vec![0, 0, 0, 32, 1, 1, 0, 0];
        kbx.extend_from_slice(b"KBXf");
        kbx.resize(32, 0);
        // an OpenPGP blob of 20 bytes whose keyblock is its last 4 bytes
        let mut blob = vec![0, 0, 0, 20, BLOB_OPENPGP, 1, 0, 0, 0, 0, 0, 16, 0, 0, 0, 4];
        blob.extend_from_slice(&[0x98, 1, 2, 3]);
        kbx.extend_from_slice(&blob);
        assert!(is_keybox(&kbx));
        assert_eq!(keybox_keyblocks(&kbx).unwrap(), vec![0x98, 1, 2, 3]);
        let mut bad = kbx.clone();
        bad[32 + 15] = 9; // keyblock length past the blob
        assert!(matches!(
            keybox_keyblocks(&bad),
            Err(SignatureError::Malformed { what: "keybox", .. })
        ));
        assert!(!is_keybox(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    }
}
