//! Splitting signed files the way apt does before it hands them to gpgv.
//!
//! apt never lets gpgv parse a clearsigned InRelease on its own: it splits the file into the
//! message and the signature itself (`SplitClearSignedFile` in apt-pkg/contrib/gpgv.cc), refuses
//! anything it considers a parser-confusion attempt, and verifies the extracted message as a
//! detached signature. These functions reproduce that split line by line.

use std::io::{BufReader, Read};

use pgp::armor::{BlockType, Dearmor, DearmorOptions};
use pgp::packet::{Packet, PacketParser, PacketTrait, Signature};

use super::error::SignatureError;

const BEGIN_SIGNED: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &[u8] = b"-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &[u8] = b"-----END PGP SIGNATURE-----";

/// A clearsigned file split as apt splits it.
#[derive(Debug)]
pub(crate) struct ClearsignParts {
    /// The message lines, dash-unescaped, without line terminators or trailing blanks.
    pub lines: Vec<Vec<u8>>,
    /// The signature block(s), one line each.
    pub signature_lines: Vec<Vec<u8>>,
}

impl ClearsignParts {
    /// The data gpgv checks the signatures against: the lines joined by `\n`, no final newline
    /// (apt's temporary message file).
    pub fn signed_data(&self) -> Vec<u8> {
        self.lines.join(&b'\n')
    }

    /// The content as returned to callers: every line terminated by `\n`.
    pub fn content(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum());
        for line in &self.lines {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out
    }
}

/// Lines as apt's `LineBuffer::readFrom` sees them: newline characters and then trailing blanks
/// removed.
fn apt_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(|b| *b == b'\n').map(|line| {
        let mut end = line.len();
        while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        while end > 0 && matches!(line[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        &line[..end]
    })
}

fn structure(line: usize, detail: &str) -> SignatureError {
    SignatureError::InvalidStructure {
        line,
        detail: detail.to_string(),
    }
}

/// Splits a clearsigned file into message and signatures, refusing what apt refuses: text before
/// the `BEGIN PGP SIGNED MESSAGE` line, unescaped lines starting with a dash, and any text after
/// the signature blocks.
pub(crate) fn split_clearsigned(data: &[u8]) -> Result<ClearsignParts, SignatureError> {
    let mut lines = apt_lines(data).enumerate().map(|(i, l)| (i + 1, l));
    let truncated = |what: &str| SignatureError::InvalidStructure {
        line: 0,
        detail: format!(
            "file ends inside the {what}; it does not contain all parts of a clearsigned file"
        ),
    };

    let Some((_, first)) = lines.next() else {
        return Err(SignatureError::Unsigned {
            detail: "the file is empty".to_string(),
        });
    };
    if first != BEGIN_SIGNED {
        for (n, line) in lines {
            if line == BEGIN_SIGNED {
                return Err(SignatureError::OutsideSignedMessage {
                    line: n,
                    detail: "the file does not start with the signed message block".to_string(),
                });
            }
        }
        return Err(SignatureError::Unsigned {
            detail: "no BEGIN PGP SIGNED MESSAGE line".to_string(),
        });
    }

    // Armor headers ("Hash: ...") up to an empty line.
    loop {
        let Some((n, line)) = lines.next() else {
            return Err(truncated("armor headers"));
        };
        if line.is_empty() {
            break;
        }
        if line.starts_with(b"-") {
            return Err(structure(
                n,
                "unexpected line starting with a dash in the armor headers",
            ));
        }
    }

    // The message.
    let mut message = Vec::new();
    loop {
        let Some((n, line)) = lines.next() else {
            return Err(truncated("signed message"));
        };
        if line.starts_with(b"-") {
            if line == BEGIN_SIGNATURE {
                break;
            } else if let Some(rest) = line.strip_prefix(b"- ") {
                message.push(rest.to_vec());
            } else {
                return Err(structure(
                    n,
                    "unexpected line starting with a dash in the signed message",
                ));
            }
        } else {
            message.push(line.to_vec());
        }
    }

    // The signature blocks, and nothing else.
    let mut signature_lines = vec![BEGIN_SIGNATURE.to_vec()];
    let mut open = true;
    for (n, line) in lines {
        if open {
            if line == END_SIGNATURE {
                open = false;
            } else if line.starts_with(b"-") {
                return Err(structure(
                    n,
                    "unexpected line starting with a dash in the signature",
                ));
            }
        } else if line != BEGIN_SIGNATURE {
            return Err(SignatureError::OutsideSignedMessage {
                line: n,
                detail: "unsigned text after the signature".to_string(),
            });
        } else {
            open = true;
        }
        signature_lines.push(line.to_vec());
    }
    if open {
        return Err(structure(0, "the signature block is not closed"));
    }
    Ok(ClearsignParts {
        lines: message,
        signature_lines,
    })
}

/// A detached signature file, checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Detached {
    /// Armored signature blocks: their lines.
    Armored(Vec<Vec<u8>>),
    /// Binary signature packets (apt 2.6 hands them to gpgv unchanged).
    Binary,
}

/// Checks a detached signature file (Release.gpg) the way apt does: armored signature blocks
/// with nothing between or around them, or binary OpenPGP data.
pub(crate) fn check_detached(data: &[u8]) -> Result<Detached, SignatureError> {
    let mut open = false;
    let mut bad_line: Option<usize> = None;
    let mut found = 0usize;
    let mut out = Vec::new();
    for (i, line) in apt_lines(data).enumerate() {
        let n = i + 1;
        if open {
            if line == END_SIGNATURE {
                open = false;
            } else if line.starts_with(b"-") {
                return Err(structure(
                    n,
                    "unexpected line starting with a dash in the signature",
                ));
            }
        } else if line == BEGIN_SIGNATURE {
            open = true;
            found += 1;
            if bad_line.is_some() {
                break;
            }
        } else {
            bad_line.get_or_insert(n);
            if found != 0 {
                break;
            }
        }
        out.push(line.to_vec());
    }
    if found == 0 {
        if data.first().is_some_and(|b| b & 0x80 != 0) {
            return Ok(Detached::Binary);
        }
        return Err(SignatureError::Unsigned {
            detail: "no BEGIN PGP SIGNATURE block in the detached signature".to_string(),
        });
    }
    if let Some(n) = bad_line {
        return Err(SignatureError::OutsideSignedMessage {
            line: n,
            detail: "the detached signature file contains lines that do not belong to a signature"
                .to_string(),
        });
    }
    if open {
        return Err(structure(0, "the signature block is not closed"));
    }
    Ok(Detached::Armored(out))
}

fn malformed(e: impl std::fmt::Display) -> SignatureError {
    SignatureError::Malformed {
        what: "signature",
        detail: e.to_string(),
    }
}

/// Decodes the armored signature blocks in `lines` (as returned by the functions above) into
/// signature packets. Any other packet is refused.
pub(crate) fn decode_signatures(lines: &[Vec<u8>]) -> Result<Vec<Signature>, SignatureError> {
    let mut sigs = Vec::new();
    let mut block: Vec<u8> = Vec::new();
    for line in lines {
        block.extend_from_slice(line);
        block.push(b'\n');
        if line.as_slice() == END_SIGNATURE {
            decode_block(&block, &mut sigs)?;
            block.clear();
        }
    }
    Ok(sigs)
}

fn decode_block(block: &[u8], sigs: &mut Vec<Signature>) -> Result<(), SignatureError> {
    let mut dearmor = Dearmor::with_options(block, DearmorOptions::new());
    dearmor.read_header().map_err(malformed)?;
    if dearmor.typ != Some(BlockType::Signature) {
        return Err(malformed("armor block is not a PGP SIGNATURE"));
    }
    let mut bytes = Vec::new();
    dearmor.read_to_end(&mut bytes).map_err(malformed)?;
    if bytes.is_empty() {
        return Err(SignatureError::Unsigned {
            detail: "the signature block is empty".to_string(),
        });
    }
    decode_packets(&bytes, sigs)
}

/// Decodes binary OpenPGP data that must hold only signature packets.
pub(crate) fn decode_packets(
    bytes: &[u8],
    sigs: &mut Vec<Signature>,
) -> Result<(), SignatureError> {
    for packet in PacketParser::new(BufReader::new(bytes)) {
        match packet.map_err(malformed)? {
            Packet::Signature(sig) => sigs.push(sig),
            other => {
                return Err(malformed(format!(
                    "unexpected {:?} packet in a signature block",
                    other.tag()
                )))
            }
        }
    }
    Ok(())
}
